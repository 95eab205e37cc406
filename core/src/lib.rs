//! fairtrain-core: the logic the Worker and the `fairtrain` CLI share.
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
