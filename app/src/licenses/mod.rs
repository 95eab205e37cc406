//! Licenses: which buyer may use which manifest.

pub mod store;
