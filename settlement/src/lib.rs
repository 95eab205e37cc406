//! fairtrain-settlement: how priced usage becomes creator payouts, and the
//! signed documents that let anyone check the arithmetic offline. The Worker
//! (which settles, signs and serves) and the `fairtrain` CLI (which verifies)
//! share it. No `worker` dependency; builds natively and for wasm32.
//!
//! - [`line`]: a [`LedgerLine`] (one priced share of one usage event for one
//!   creator), its JCS leaf, and the RFC 6962 usage tree over a settlement's
//!   lines (all Merkle work is `fairtrain-tlog`'s);
//! - [`payout`]: a creator's [`PayoutLine`] per currency and the per-currency
//!   totals, with the invariant paid + carried = carried in + accrued;
//! - [`compute`]: the settlement arithmetic (floor to minor units, carry the
//!   rest, minimum payout thresholds) and pool allocation, exact;
//! - [`statement`]: the platform-signed `SettlementStatement` (W3C VC 2.0,
//!   `eddsa-jcs-2022`) and its `settlement.made` log event;
//! - [`creator_statement`]: a creator's `CreatorStatement`, every line behind
//!   the amount with its inclusion proof;
//! - [`passport`] and [`passport_status`]: the `ModelPassport` and its signed
//!   `ModelPassportStatus`;
//! - [`reconcile`] and [`report`]: the reconciliation checks and the signed
//!   `ReconciliationReport`.
//!
//! Amounts are [`fairtrain_core::money::Atto`] (10^-18 of a minor unit) and
//! whole minor units, never floats; in JSON both are decimal strings.
//! Untrusted input is parsed strictly (the document must be exactly what its
//! typed fields build) and never panics.

pub mod compute;
pub mod creator_statement;
mod credential;
pub mod error;
pub mod line;
pub mod passport;
pub mod passport_status;
pub mod payout;
pub mod reconcile;
pub mod report;
pub mod statement;
mod text;

#[cfg(test)]
mod fixture;

pub use compute::{
    allocate_pool, carried_balances, compute_payouts, Accumulator, Carried, CarriedBalances,
    Thresholds, DEFAULT_MIN_PAYOUT_MINOR,
};
pub use creator_statement::{
    sign_creator_statement, verify_creator_statement, CreatorStatementFields, ProvenLine,
    VerifiedCreatorStatement, CREATOR_STATEMENT_TYPE,
};
pub use error::SettlementError;
pub use line::{
    line_proof, usage_root, verify_line_proof, LedgerLine, LineKey, LineKind, UsageTree,
};
pub use passport::{
    amounts_by_currency, check_passport_lines, sign_passport, verify_passport, AmountTotal,
    LogCheckpointRef, PassportFields, PassportManifest, PassportTotals, VerifiedPassport,
    MODEL_PASSPORT_TYPE,
};
pub use passport_status::{
    sign_passport_status, verify_passport_status, PassportState, PassportStatusFields, RevokedUse,
    VerifiedPassportStatus, PASSPORT_STATUS_TYPE,
};
pub use payout::{currency_totals, CurrencyTotal, PayoutLine, StatementPayout};
pub use reconcile::{
    check_confirmation, check_line_price, check_payout_line, check_rail_outcome, compare_sets,
    Mismatch, MismatchKind, RailOutcome,
};
pub use report::{
    report_hash, sign_report, verify_report, ReportFields, VerifiedReport,
    RECONCILIATION_REPORT_TYPE,
};
pub use statement::{
    check_carry_chain, check_statement_lines, settlement_made_event, sign_settlement,
    statement_hash, verify_settlement, SettlementFields, VerifiedSettlement,
    SETTLEMENT_STATEMENT_TYPE,
};
