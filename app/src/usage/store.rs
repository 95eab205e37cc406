//! Usage as stored: signed reports with the receipts they were answered
//! with, the events accepted and priced (and those set aside as conflicts),
//! the ledger's lines, and the per-epoch claims.

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::time::Timestamp;
use fairtrain_settlement::LedgerLine;
use fairtrain_usage::UsageEvent;
use serde_json::Value;

use crate::error::Result;

/// A report as received, with its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredReport {
    /// The report's `urn:uuid`.
    pub id: String,
    /// The orchestrator's API key id.
    pub orchestrator: String,
    /// The did:key that signed the report.
    pub signer: String,
    /// Of the whole signed report: what makes a resend "the same report".
    pub report_hash: Sha256Digest,
    pub receipt_id: String,
    /// The signed usage receipt the report was answered with.
    pub receipt: Value,
    pub accepted_count: u64,
    pub refused_count: u64,
    pub received_at: Timestamp,
    /// The hashes of the report's `usage.recorded` log entries.
    pub log_entries: Vec<String>,
}

/// An accepted event, as the pricing job records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedEvent {
    pub event: UsageEvent,
    /// The event's hash: an event id seen again with another is a conflict.
    pub event_hash: Sha256Digest,
    pub report_id: String,
    /// Its index in the report's batch tree for its manifest.
    pub batch_leaf: u64,
}

/// A recorded event read back, with its place in the order of recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Increases with every event recorded: the key to page by.
    pub seq: i64,
    pub recorded: RecordedEvent,
}

/// What a per-epoch charge is claimed under: an asset (by its leaf in the
/// manifest) in one epoch of one training run.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EpochKey {
    pub manifest_id: String,
    pub training_run_id: String,
    pub epoch: u64,
    pub leaf: u64,
}

/// The event that holds a per-epoch key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpochClaim {
    pub key: EpochKey,
    pub event_id: String,
}

/// One queue message's events, priced: written all or nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PricedMessage {
    pub events: Vec<RecordedEvent>,
    /// One usage line per asset of each event.
    pub lines: Vec<LedgerLine>,
    /// Per-epoch keys no event held when the message was priced, each
    /// claimed now by the event named.
    pub claims: Vec<EpochClaim>,
}

/// A ledger line with its place in the ledger and its settlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLine {
    /// The ledger's order: lines are paged and settled by it.
    pub seq: i64,
    pub line: LedgerLine,
    /// The settlement that covers it, once one does.
    pub settlement_id: Option<String>,
}

/// Which ledger lines to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines<'a> {
    All,
    /// A creator's lines no settlement covers yet.
    OpenOf(&'a str),
    /// The lines a settlement covers.
    Settlement(&'a str),
    /// A model's lines.
    Model(&'a str),
    /// The `usage` lines of these events.
    UsageOf(&'a [String]),
}

/// How much the ledger holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UsageCounts {
    pub events: u64,
    pub conflicts: u64,
    pub reports: u64,
    pub lines: u64,
}

/// What a model's recorded events add up to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelUsage {
    pub events: u64,
    pub samples: u64,
    /// The manifests its events used, sorted.
    pub manifest_ids: Vec<String>,
    /// Its training runs, sorted.
    pub training_runs: Vec<String>,
}

#[allow(async_fn_in_trait)]
pub trait UsageStore {
    async fn report(&self, id: &str) -> Result<Option<StoredReport>>;
    /// Stores a report's answer unless one with its id is stored (the first
    /// answer stands).
    async fn insert_report(&self, report: &StoredReport) -> Result<()>;
    /// Every report's id, in order of receipt (then id).
    async fn report_ids(&self) -> Result<Vec<String>>;

    /// The recorded hash of each of `event_ids` that is recorded.
    async fn event_hashes(&self, event_ids: &[&str]) -> Result<Vec<(String, Sha256Digest)>>;
    /// The events recorded under `report_id`.
    async fn event_ids_of_report(&self, report_id: &str) -> Result<Vec<String>>;
    /// Up to `limit` events recorded under a report that is not stored.
    async fn unreported_event_ids(&self, limit: usize) -> Result<Vec<String>>;
    /// Up to `limit` events recorded after `after` (a [`StoredEvent::seq`];
    /// -1 for the first), in order of recording.
    async fn events_after(&self, after: i64, limit: usize) -> Result<Vec<StoredEvent>>;
    /// The claims held on any of `keys`.
    async fn epoch_claims(&self, keys: &[EpochKey]) -> Result<Vec<EpochClaim>>;
    /// Records one priced message, all or nothing:
    /// - an event is recorded once by id (the first content wins); an id
    ///   already recorded with another hash is kept aside as a conflict,
    ///   once per (id, hash);
    /// - a line is written only for its event's recorded content, once per
    ///   (event, leaf, kind);
    /// - a claim is made only for an event recorded with its content; a
    ///   claim on a key another event already holds writes nothing at all
    ///   and fails with [`Kind::Conflict`](crate::Kind::Conflict), so that
    ///   the message is priced again against the claims as they are.
    async fn record_priced(&self, priced: &PricedMessage, at: Timestamp) -> Result<()>;

    /// Up to `limit` lines after `after` (a [`StoredLine::seq`]; -1 for the
    /// first), in ledger order.
    async fn ledger_page(
        &self,
        lines: Lines<'_>,
        after: i64,
        limit: usize,
    ) -> Result<Vec<StoredLine>>;
    async fn usage_counts(&self) -> Result<UsageCounts>;
    async fn model_usage(&self, model_id: &str) -> Result<ModelUsage>;
    /// The (manifest, leaf) of every asset a model's lines pay for, each once.
    async fn model_assets(&self, model_id: &str) -> Result<Vec<(String, u64)>>;
}
