//! The ingestion gateway: every contribution is evaluated against the
//! consent policy in force and routed; a route changes when its consent or
//! the policy does. Routing never deletes anything.

mod consent_cache;
mod reroute;

pub use consent_cache::{ConsentCache, Stored};
pub use reroute::{reroute, Which};
