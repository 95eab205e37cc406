//! Closing a settlement period: per-creator payout lines (floor to minor
//! units, carry the rest, hold back what is under the threshold), a signed
//! statement over the Merkle root of the usage it covers, a log entry, and
//! payout instructions to the payment rail (webhook `payout.instruction`).
//!
//! The period's lines are claimed first, so two settlements can never share
//! a line; if anything after the claim fails, the claim is released and
//! nothing is half-settled.

use std::collections::BTreeMap;

use fairtrain_consent::log_event;
use fairtrain_core::money::format_major;
use fairtrain_core::time::Timestamp;
use fairtrain_settlement::{
    settlement_made_event, sign_settlement, statement_hash, Accumulator, SettlementFields,
    StatementPayout,
};
use serde::Serialize;
use serde_json::{json, Value};

use super::pools::{self, PoolOutcome};
use super::store::{PayoutStatus, SettlementSummary, StoredPayoutLine, StoredSettlement, Trigger};
use crate::error::{Error, Result};
use crate::ledger::for_each_page;
use crate::platform::Platform;
use crate::usage::store::Lines;
use crate::webhooks::{EventType, Outgoing};

/// The start of the first period.
const EPOCH: &str = "1970-01-01T00:00:00.000Z";

/// A period closed.
#[derive(Debug, Clone, Serialize)]
pub struct Settled {
    pub settlement_id: String,
    pub period_start: Timestamp,
    pub period_end: Timestamp,
    pub line_count: u64,
    pub payout_lines: usize,
    pub instructions: usize,
    pub paid_minor: Vec<Paid>,
    pub statement_hash: String,
    pub log_entry: String,
    pub pools: Vec<PoolOutcome>,
    pub statement: Value,
}

/// What a settlement pays in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Paid {
    pub currency: String,
    pub amount_minor: String,
}

/// Closes the period from the last settlement's end up to now.
pub async fn settle(p: &impl Platform, trigger: Trigger) -> Result<Settled> {
    let now = p.now();
    let period_start = match p.last_period_end().await? {
        Some(end) => end,
        None => Timestamp::parse_rfc3339(EPOCH)?,
    };
    if period_start >= now {
        return Err(Error::conflict("a settlement already closed this instant"));
    }
    let id = p.urn()?;
    p.claim_open_lines(&id).await?;
    match close(p, &id, trigger, period_start, now).await {
        Ok(settled) => Ok(settled),
        Err(e) => {
            p.release_settlement(&id).await?;
            Err(e)
        }
    }
}

async fn close(
    p: &impl Platform,
    id: &str,
    trigger: Trigger,
    period_start: Timestamp,
    period_end: Timestamp,
) -> Result<Settled> {
    let pools = pools::allocate(p, id, period_start, period_end).await?;
    // Line by line: a period of any size is settled without holding it.
    let mut acc = Accumulator::new(&p.carried_balances(None).await?)?;
    for_each_page(p, Lines::Settlement(id), |page| {
        page.iter().try_for_each(|l| Ok(acc.add(&l.line)?))
    })
    .await?;
    let mut payouts = Vec::new();
    for payout in acc.payouts(&p.settings().payout_thresholds)? {
        payouts.push(StatementPayout::new(p.urn()?, payout));
    }
    let fields = SettlementFields::from_accumulated(
        id,
        period_end,
        period_start,
        period_end,
        &acc,
        payouts,
    )?;
    let line_count = acc.line_count();
    drop(acc);
    let ring = p.keys()?;
    let signed = sign_settlement(fields.clone(), ring.active_signer(), period_end)?;
    let hash = statement_hash(&signed)?;
    let entry = log_event::entry(settlement_made_event(&fields, hash, period_end))?;
    let entry_hash = entry.hash.to_string();

    let lines: Vec<StoredPayoutLine> = fields
        .payouts
        .iter()
        .map(|sp| {
            let p = &sp.payout;
            StoredPayoutLine {
                line_id: sp.line_id.clone(),
                settlement_id: id.to_string(),
                creator: p.creator.clone(),
                currency: p.currency.clone(),
                minor_units: p.minor_units,
                carried_in: p.carried_in,
                accrued: p.accrued,
                amount_minor: p.amount_minor,
                carried_out: p.carried_out,
                line_count: p.line_count,
                payout_status: if p.amount_minor > 0 {
                    PayoutStatus::Instructed
                } else {
                    PayoutStatus::Unpaid
                },
                payout_id: None,
                confirmed_amount_minor: None,
                failure_reason: None,
                dispute_id: None,
            }
        })
        .collect();
    crate::log::append(p, vec![entry]).await?;
    p.insert_settlement(
        &StoredSettlement {
            summary: SettlementSummary {
                id: id.to_string(),
                period_start,
                period_end,
                trigger,
                statement_hash: hash.to_string(),
                usage_root: fields.usage_root.to_base64(),
                line_count,
                log_entry_hash: entry_hash.clone(),
            },
            statement: signed.clone(),
        },
        &lines,
    )
    .await?;

    // Payout instructions: small, signed (as webhooks), referencing the line
    // and the statement; the rail puts line_id in its payout's metadata and
    // confirms it inbound.
    let instructions: Vec<Outgoing> = fields
        .payouts
        .iter()
        .filter(|sp| sp.payout.amount_minor > 0)
        .map(|sp| {
            let p = &sp.payout;
            Outgoing::new(
                EventType::PayoutInstruction,
                format!("payout.instruction:{}", sp.line_id),
                period_end,
                json!({ "settlement_id": id, "line_id": sp.line_id, "creator": p.creator,
                        "currency": p.currency, "amount_minor": p.amount_minor.to_string(),
                        "amount": format_major(p.amount_minor, p.minor_units),
                        "statement_hash": hash.to_string(), "metadata": { "line_id": sp.line_id } }),
            )
        })
        .collect();
    crate::webhooks::emit(p, &instructions).await;
    let mut paid: BTreeMap<&str, u128> = BTreeMap::new();
    for sp in &fields.payouts {
        *paid.entry(sp.payout.currency.as_str()).or_insert(0) += sp.payout.amount_minor;
    }
    Ok(Settled {
        settlement_id: id.to_string(),
        period_start,
        period_end,
        line_count,
        payout_lines: fields.payouts.len(),
        instructions: instructions.len(),
        paid_minor: paid
            .into_iter()
            .map(|(currency, a)| Paid {
                currency: currency.to_string(),
                amount_minor: a.to_string(),
            })
            .collect(),
        statement_hash: hash.to_string(),
        log_entry: entry_hash,
        pools,
        statement: signed,
    })
}
