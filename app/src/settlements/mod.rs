//! Settlements: closing a period into payout lines and a signed statement
//! ([`settle`]), the pools shared at settlement ([`pools`]) and the revenue
//! behind them ([`revenue`]), and reading them back ([`read`]).

pub mod pools;
pub mod read;
pub mod revenue;
pub mod settle;
pub mod store;

pub use read::{creator_statement, list, read, statement};
pub use revenue::{record_revenue, Revenue};
pub use settle::{settle, Settled};
pub use store::Trigger;
