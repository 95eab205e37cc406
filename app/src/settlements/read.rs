//! Reading settlements: the list, one settlement with its payout lines'
//! rail status, and a creator's own signed statement with proofs.

use fairtrain_core::principal::{Principal, Role};
use fairtrain_settlement::{
    sign_creator_statement, statement_hash, verify_settlement, CreatorStatementFields,
};
use serde::Serialize;
use serde_json::Value;

use super::store::{PayoutStatus, SettlementSummary};
use crate::error::{Error, Result};
use crate::ledger::{lines, may_read_creator};
use crate::platform::Platform;
use crate::usage::store::Lines;

/// Settlements listed at most.
const LISTED: usize = 1000;

#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub settlements: Vec<SettlementSummary>,
}

/// The latest settlements, newest first.
pub async fn list(p: &impl Platform) -> Result<Listed> {
    Ok(Listed {
        settlements: p.settlements(LISTED).await?,
    })
}

/// One settlement. Creators get the statement alone (what their own
/// statement is checked against; its hash is in the public log), not the
/// rail's records.
#[derive(Debug, Clone, Serialize)]
pub struct SettlementView {
    pub settlement_id: String,
    pub statement: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payouts: Option<Vec<PayoutView>>,
}

/// A payout line and what the rail said of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PayoutView {
    pub line_id: String,
    pub creator: String,
    pub currency: String,
    pub amount_minor: String,
    pub payout_status: PayoutStatus,
    pub payout_id: Option<String>,
    pub confirmed_amount_minor: Option<String>,
    pub failure_reason: Option<String>,
    pub dispute_id: Option<String>,
}

/// A settlement's signed statement; not found if there is no such settlement.
pub async fn statement(p: &impl Platform, id: &str) -> Result<Value> {
    p.settlement_statement(id)
        .await?
        .ok_or_else(|| Error::not_found(&format!("/v1/settlements/{id}")))
}

pub async fn read(p: &impl Platform, reader: &Principal, id: &str) -> Result<SettlementView> {
    let statement = statement(p, id).await?;
    let payouts = if reader.role == Role::Creator {
        None
    } else {
        Some(
            p.payout_lines(Some(id))
                .await?
                .into_iter()
                .map(|l| PayoutView {
                    line_id: l.line_id,
                    creator: l.creator,
                    currency: l.currency,
                    amount_minor: l.amount_minor.to_string(),
                    payout_status: l.payout_status,
                    payout_id: l.payout_id,
                    confirmed_amount_minor: l.confirmed_amount_minor,
                    failure_reason: l.failure_reason,
                    dispute_id: l.dispute_id,
                })
                .collect(),
        )
    };
    Ok(SettlementView {
        settlement_id: id.to_string(),
        statement,
        payouts,
    })
}

/// A creator's signed statement: every line behind their amount, each with
/// its inclusion proof in the settlement's usage root. Operators and
/// auditors may read any; a creator their own.
pub async fn creator_statement(
    p: &impl Platform,
    reader: &Principal,
    id: &str,
    creator: &str,
) -> Result<Value> {
    may_read_creator(reader, creator)?;
    let doc = statement(p, id).await?;
    let ring = p.keys()?;
    let verified = verify_settlement(&doc, &ring.keys)?;
    let hash = statement_hash(&doc)?;
    let lines = lines(p, Lines::Settlement(id)).await?;
    if verified.fields.payouts_of(creator).next().is_none() {
        return Err(Error::not_found(&format!(
            "/v1/settlements/{id}/creators/{creator}"
        )));
    }
    let now = p.now();
    let fields =
        CreatorStatementFields::build(p.urn()?, now, creator, &verified.fields, hash, &lines)?;
    Ok(sign_creator_statement(fields, ring.active_signer(), now)?)
}
