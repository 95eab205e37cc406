//! fairtrain-core: the building blocks every other crate shares (hashing,
//! canonical JSON, signatures, DIDs, time, money, keys, the shared field
//! rules, platform-signed documents). Domains live in their own crates
//! (`fairtrain-consent`, `fairtrain-manifest`, …).
//!
//! Nothing here depends on the Workers runtime, so it compiles natively and to
//! wasm32 alike and unit-tests in seconds.

pub mod api_key;
pub mod ct;
pub mod data_integrity;
pub mod did_key;
pub mod digest;
pub mod ed25519;
pub mod encoding;
pub mod fields;
pub mod jcs;
pub mod json_shape;
pub mod key_set;
pub mod money;
pub mod principal;
pub mod problem;
pub mod signed_document;
pub mod single_proof;
pub mod time;
