//! Settlements as stored: the periods closed with their signed statements,
//! the payout lines with the payment rail's answers, revenue reported for
//! revenue-share pools, and reconciliation reports. The ledger lines a
//! settlement covers are claimed here too.

use fairtrain_core::money::Atto;
use fairtrain_core::time::Timestamp;
use fairtrain_settlement::{CarriedBalances, LedgerLine};
use serde::Serialize;
use serde_json::Value;

use crate::error::Result;

fairtrain_core::vocabulary! {
    /// What closed a settlement period.
    Trigger ("settlement trigger") {
        Cron = "cron",
        Operator = "operator",
    }
}

fairtrain_core::vocabulary! {
    /// Where a payout line stands with the payment rail (`none`: nothing to
    /// pay, the balance is carried).
    PayoutStatus ("payout status") {
        Unpaid = "none",
        Instructed = "instructed",
        Confirmed = "confirmed",
        Failed = "failed",
    }
}

/// A closed settlement, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettlementSummary {
    pub id: String,
    pub period_start: Timestamp,
    pub period_end: Timestamp,
    pub trigger: Trigger,
    pub statement_hash: String,
    /// Base64 Merkle root of the usage lines it covers.
    pub usage_root: String,
    pub line_count: u64,
    pub log_entry_hash: String,
}

/// A closed settlement with its signed statement.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSettlement {
    pub summary: SettlementSummary,
    pub statement: Value,
}

/// One (creator, currency) line of a settlement, and the rail's answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPayoutLine {
    pub line_id: String,
    pub settlement_id: String,
    pub creator: String,
    pub currency: String,
    pub minor_units: u8,
    pub carried_in: Atto,
    pub accrued: Atto,
    pub amount_minor: u128,
    pub carried_out: Atto,
    pub line_count: u64,
    pub payout_status: PayoutStatus,
    pub payout_id: Option<String>,
    /// As the rail reported it.
    pub confirmed_amount_minor: Option<String>,
    pub failure_reason: Option<String>,
    pub dispute_id: Option<String>,
}

/// Revenue reported for a revenue-share manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRevenue {
    pub id: String,
    pub manifest_id: String,
    pub amount_minor: u64,
    pub currency: String,
    pub reported_at: Timestamp,
}

/// A reconciliation run and its signed report.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredReconciliation {
    pub id: String,
    pub checked_at: Timestamp,
    pub report: Value,
    pub mismatch_count: u64,
    pub log_entry_hash: String,
}

#[allow(async_fn_in_trait)]
pub trait SettlementStore {
    /// The end of the latest period settled.
    async fn last_period_end(&self) -> Result<Option<Timestamp>>;
    /// Claims every ledger line no settlement covers for settlement `id`
    /// (atomically: two settlements never share a line).
    async fn claim_open_lines(&self, id: &str) -> Result<()>;
    /// Undoes the claims of a settlement that did not close, all or
    /// nothing: its pool lines go, its usage lines and revenue open again.
    async fn release_settlement(&self, id: &str) -> Result<()>;
    /// What the latest settlement line of each (creator, currency) carried
    /// forward; `creator` narrows it to one creator.
    async fn carried_balances(&self, creator: Option<&str>) -> Result<CarriedBalances>;
    /// Per creator (sorted), the units of settlement `id`'s usage lines of
    /// `manifest_id`.
    async fn usage_units(&self, id: &str, manifest_id: &str) -> Result<Vec<(String, u64)>>;
    /// The minor units of revenue reported for `manifest_id` in `currency`
    /// that no settlement has used yet.
    async fn unsettled_revenue(&self, manifest_id: &str, currency: &str) -> Result<u128>;
    /// Adds pool lines to settlement `id` (covered by it) and claims the
    /// unsettled revenue of `revenue_manifests` for it, all or nothing.
    async fn add_pool_lines(
        &self,
        id: &str,
        lines: &[LedgerLine],
        revenue_manifests: &[String],
    ) -> Result<()>;
    async fn insert_revenue(&self, revenue: &StoredRevenue) -> Result<()>;
    /// Stores a closed settlement and its payout lines, all or nothing.
    async fn insert_settlement(
        &self,
        settlement: &StoredSettlement,
        lines: &[StoredPayoutLine],
    ) -> Result<()>;
    /// A settlement's signed statement.
    async fn settlement_statement(&self, id: &str) -> Result<Option<Value>>;
    /// The latest `limit` settlements, newest first.
    async fn settlements(&self, limit: usize) -> Result<Vec<SettlementSummary>>;
    /// The payout lines of settlement `id` (by creator, then currency), or of
    /// every settlement (by settlement).
    async fn payout_lines(&self, settlement_id: Option<&str>) -> Result<Vec<StoredPayoutLine>>;
    async fn insert_reconciliation(&self, reconciliation: &StoredReconciliation) -> Result<()>;
    async fn reconciliation(&self, id: &str) -> Result<Option<StoredReconciliation>>;

    // Writes for inbound webhooks.
    /// The rail confirmed a line's payout: confirmed, with its payout id,
    /// the amount as the rail states it and the time; any failure reason
    /// cleared. `false` if there is no such line.
    async fn confirm_payout(
        &self,
        line_id: &str,
        payout_id: &str,
        amount_minor: &str,
        at: Timestamp,
    ) -> Result<bool>;
    /// The rail failed a line's payout for `reason` (the payout id kept
    /// when none is given). `false` if there is no such line.
    async fn fail_payout(
        &self,
        line_id: &str,
        payout_id: Option<&str>,
        reason: &str,
    ) -> Result<bool>;
    /// A dispute was opened on a line's payout: its id is recorded; the
    /// first dispute's time and an earlier failure reason stay. `false` if
    /// there is no such line.
    async fn open_dispute(
        &self,
        line_id: &str,
        dispute_id: &str,
        reason: &str,
        at: Timestamp,
    ) -> Result<bool>;
}
