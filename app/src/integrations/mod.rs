//! Inbound integrations: marketplaces and payment processors sending signed events.

pub mod store;
