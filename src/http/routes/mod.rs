//! One module per resource; each handler parses, authorises, calls the core,
//! persists and responds.

pub mod api_keys;
pub mod assets;
pub mod blobs;
pub mod consents;
pub mod creators;
pub mod health;
pub mod integrations;
pub mod keys;
pub mod licenses;
pub mod log;
pub mod manifests;
pub mod openapi;
pub mod policies;
pub mod problems;
pub mod receipts;
pub mod uploads;
pub mod usage;
pub mod webhooks;
pub mod whoami;
