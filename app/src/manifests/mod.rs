//! Signed dataset manifests: composition, reading with proofs, status, and
//! what a revocation does to the manifests already published.

mod flag;
pub mod store;

pub use flag::flag_revoked_consent;
