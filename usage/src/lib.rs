//! fairtrain-usage: usage metering, the logic the Worker (which takes usage
//! reports in, records and prices them, and answers with receipts) and the
//! `fairtrain` CLI (which signs reports and verifies receipts offline) share.
//! No `worker` dependency; builds natively and for wasm32.
//!
//! - [`event`]: one training batch's use of a manifest's assets, and its
//!   canonical (JCS) form;
//! - [`report`]: the orchestrator-signed usage report (`eddsa-jcs-2022`);
//! - [`batch`]: the RFC 6962 root of a report's accepted events (all Merkle
//!   work is `fairtrain-tlog`'s), per report and per manifest;
//! - [`pricing`]: an event's charge per asset under the manifest's
//!   attribution model, in exact atto-units;
//! - [`refusal`]: why an event was not recorded, and the time rules behind it;
//! - [`receipt`]: the platform-signed `UsageReceipt` credential and the
//!   `usage.recorded` log events.
//!
//! Untrusted input is parsed strictly and never panics.

pub mod batch;
pub mod event;
pub mod pricing;
pub mod receipt;
pub mod refusal;
pub mod report;
mod text;

pub use batch::{
    batch_root, event_leaf_hash, event_proof, manifest_batches, verify_event_proof, ManifestBatch,
};
pub use event::{AssetRefs, EventError, UsageEvent, MAX_ASSETS_PER_EVENT, MAX_SAMPLES_PER_EVENT};
pub use pricing::{price_event, split_units, AssetCharge, PricingError};
pub use receipt::{
    sign_usage_receipt, usage_recorded_event, usage_recorded_events, verify_usage_receipt,
    RefusedEvent, UsageReceiptError, UsageReceiptFields, MAX_DETAIL_LEN, USAGE_RECEIPT_TYPE,
};
pub use refusal::{
    check_consent_at, check_event_time, check_license_at, LicenseWindow, RefusalReason,
    MAX_FUTURE_SKEW_SECONDS,
};
pub use report::{
    sign_report, verify_report, ReportError, UsageReport, VerifiedReport, MAX_EVENTS_PER_REPORT,
};
pub use text::MAX_TEXT_LEN;
