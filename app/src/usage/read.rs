//! Reading back the answer a report was given.

use fairtrain_core::principal::{Principal, Role};
use serde::Serialize;
use serde_json::Value;

use super::store::StoredReport;
use crate::error::{Error, Result};
use crate::platform::Platform;

/// A stored report's answer: its signed receipt and its log entries.
#[derive(Debug, Clone, Serialize)]
pub struct ReportAnswer {
    pub receipt: Value,
    pub log: Logged,
}

#[derive(Debug, Clone, Serialize)]
pub struct Logged {
    pub entries: Vec<String>,
}

impl ReportAnswer {
    pub fn of(report: StoredReport) -> ReportAnswer {
        ReportAnswer {
            receipt: report.receipt,
            log: Logged {
                entries: report.log_entries,
            },
        }
    }
}

/// The answer report `id` was given. Operators and auditors read any; an
/// orchestrator reads only its own (another's is not found).
pub async fn read_report(p: &impl Platform, reader: &Principal, id: &str) -> Result<ReportAnswer> {
    p.report(id)
        .await?
        .filter(|r| reader.role != Role::Orchestrator || r.orchestrator == reader.id)
        .map(ReportAnswer::of)
        .ok_or_else(|| Error::not_found(&format!("/v1/usage/reports/{id}")))
}
