//! fairtrain's application layer: the use cases (uploads, consents,
//! policies and routing, manifests, licenses, usage, settlement,
//! reconciliation, passports, webhooks, the log) written against small
//! ports ([`platform`]) for what the runtime provides. No `worker`
//! dependency: the rules run natively, over the in-memory platform
//! (feature `memory`), in seconds.
//!
//! Use cases take `&impl Platform`, typed inputs, and return typed outputs
//! or an [`Error`]; nothing here knows HTTP. The Worker adapts requests,
//! D1, R2, Durable Objects and Queues to it.

pub mod api_keys;
pub mod auth;
pub mod consents;
pub mod contributions;
pub mod creators;
pub mod dead_letters;
pub mod error;
pub mod faults;
pub mod gateway;
pub mod health;
pub mod integrations;
pub mod key_set;
pub mod keys;
pub mod ledger;
pub mod licenses;
pub mod log;
pub mod manifests;
pub mod passports;
pub mod platform;
pub mod policies;
pub mod reconciliation;
pub mod settings;
pub mod settlements;
pub mod usage;
pub mod webhooks;

#[cfg(feature = "memory")]
pub mod memory;

pub use error::{Error, Kind, Result};
pub use platform::Platform;
