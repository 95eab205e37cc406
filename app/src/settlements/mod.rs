//! Settlements: the ledger read back, payout lines, statements, pools, reconciliation, passports.

pub mod store;
