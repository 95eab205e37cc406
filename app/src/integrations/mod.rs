//! Inbound integrations: marketplaces and payment processors sending signed
//! events. The operator registers them ([`create`]); what they send arrives
//! at their inbound URL and is verified, applied once per webhook id,
//! logged and relayed ([`receive`]).

mod apply;
mod manage;
mod receive;
pub mod store;

pub use apply::{apply, Applied};
pub use manage::{
    create, events, get, list, Created, InboundEvents, IntegrationView, Integrations,
    NewIntegration,
};
pub use receive::{receive, target, Received, Signatures, MAX_BODY};
