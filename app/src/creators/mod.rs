//! Creators: registration by proof of possession of a did:key.

pub mod store;
