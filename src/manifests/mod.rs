//! Signed dataset manifests: composition (selection, Merkle tree, signing,
//! storage in D1 within its limits) and access (licences, current consent).

pub mod access;
pub mod compose;
