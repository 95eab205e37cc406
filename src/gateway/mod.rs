//! The ingestion gateway lives in `fairtrain_app::gateway`; what is left
//! here is the consent cache composition still uses.

pub mod consents;
