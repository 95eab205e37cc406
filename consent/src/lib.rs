//! fairtrain-consent: the consent domain, what a creator signs and what the
//! platform says about it, shared by the Worker and the `fairtrain` CLI. No
//! `worker` dependency; builds natively and for wasm32.
//!
//! - [`consent`]: consent tokens (W3C VC 2.0, `eddsa-jcs-2022`), their
//!   revocations and their C2PA/CAWG view;
//! - [`envelope`]: the contribution envelope sent with each upload;
//! - [`policy`]: consent policies and the gateway's routing decision;
//! - [`receipt`]: the platform's signed storage receipt;
//! - [`log_event`]: the transparency log's events and entries;
//! - [`registration`]: a creator's proof of control of their did:key;
//! - `fixture` (feature `test-support`): consent token and envelope builders
//!   for tests.

pub mod consent;
pub mod envelope;
#[cfg(any(test, feature = "test-support"))]
pub mod fixture;
pub mod log_event;
pub mod policy;
pub mod receipt;
pub mod registration;
