//! Usage metering: signed reports accepted, and priced into the ledger exactly once.

pub mod store;
