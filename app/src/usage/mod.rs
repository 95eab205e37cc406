//! Usage metering: orchestrators report signed usage ([`accept`]); accepted
//! events travel on the usage queue ([`message`]) to the pricing job
//! ([`consume`]), which prices them into the ledger exactly once, by event
//! id, charging `per_epoch` assets by the rule in [`epoch`].

pub mod accept;
pub mod consume;
pub mod epoch;
pub mod message;
pub mod read;
pub mod store;

pub use accept::{accept, Accepted, Recorded};
pub use consume::{price, Policies};
pub use message::UsageMessage;
pub use read::{read_report, ReportAnswer};
