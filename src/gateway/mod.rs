//! The ingestion gateway: every contribution is evaluated against the current
//! consent policy and routed; a route changes when its consent or the policy
//! does. Routing never deletes anything.

pub mod consents;
pub mod policy_store;
pub mod reroute;
