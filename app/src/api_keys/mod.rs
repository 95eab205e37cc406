//! API keys for buyers, orchestrators and auditors: the operator issues,
//! lists and revokes them. Only the SHA-256 of a key is stored; the key
//! itself is shown once, in the answer that creates it.

mod issue;
pub mod store;

pub use issue::{get, issue, list, revoke, IssuedKey, KeyRecord, NewKey};
