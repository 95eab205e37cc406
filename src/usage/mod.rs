//! Usage metering: orchestrators report signed usage ([`accept`]); accepted
//! events travel on the usage Queue to [`consume`], which prices them into
//! the ledger exactly once (by event id). Settlements, reconciliation and
//! model passports read the ledger ([`settle`], [`reconcile`], [`passport`]).

pub mod accept;
pub mod consume;
pub mod ledger;
pub mod passport;
pub mod policies;
pub mod pools;
pub mod reconcile;
pub mod settle;
