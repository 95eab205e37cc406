//! Reconciliation: usage accepted (receipts) vs events recorded vs ledger
//! lines vs manifests vs settlement lines vs the payment rail's answers.
//! Differences are reported (signed report, log entry, webhook), never fixed.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use fairtrain_consent::log_event::{self, LogEvent, SCHEMA_VERSION};
use fairtrain_manifest::terms::AttributionModel;
use fairtrain_settlement::{
    check_line_price, check_rail_outcome, compare_sets, report_hash, sign_report,
    verify_settlement, Accumulator, LedgerLine, Mismatch, MismatchKind, RailOutcome, ReportFields,
};
use fairtrain_usage::price_event;
use serde::Serialize;
use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::ledger::{for_each_page, lines};
use crate::platform::Platform;
use crate::settlements::store::{PayoutStatus, StoredPayoutLine, StoredReconciliation};
use crate::usage::epoch::{self, Claims};
use crate::usage::store::{Lines, StoredEvent};
use crate::usage::Policies;
use crate::webhooks::{EventType, Outgoing};

const CHECKS: [&str; 6] = [
    "receipts_vs_events",
    "events_vs_ledger_lines",
    "ledger_prices",
    "ledger_assets_in_manifests",
    "settlement_lines",
    "payout_confirmations",
];

/// Events read at a time.
const EVENT_PAGE: usize = 2000;
/// Event ids looked up at a time.
const ID_CHUNK: usize = 1000;
/// Lines paying no asset of their manifest reported at most, and events
/// recorded under no report.
const MAX_LISTED: usize = 1000;

/// A reconciliation run, as answered and read back.
#[derive(Debug, Clone, Serialize)]
pub struct Reconciled {
    pub reconciliation_id: String,
    pub mismatch_count: u64,
    pub log_entry: String,
    pub report: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReconciliationView {
    pub reconciliation_id: String,
    pub log_entry: String,
    pub report: Value,
}

/// Runs every check, signs the report, logs it, stores it, and tells
/// subscribers when something does not match.
pub async fn run(p: &impl Platform) -> Result<Reconciled> {
    let mut mismatches = receipts_vs_events(p).await?;
    mismatches.extend(events_lines_prices_and_assets(p).await?);
    mismatches.extend(settlements_and_rail(p).await?);

    let now = p.now();
    let id = p.urn()?;
    let fields = ReportFields {
        reconciliation_id: id.clone(),
        settlement_id: None,
        checked_at: now,
        checks_run: CHECKS.iter().map(|c| c.to_string()).collect(),
        mismatches,
    };
    let count = fields.mismatches.len() as u64;
    let ring = p.keys()?;
    let signed = sign_report(fields, ring.active_signer(), now)?;
    let hash = report_hash(&signed)?;
    let entry = log_event::entry(LogEvent::ReconciliationRun {
        v: SCHEMA_VERSION,
        at: now,
        reconciliation_id: id.clone(),
        report_hash: hash,
        mismatch_count: count,
    })?;
    let entry_hash = entry.hash.to_string();
    crate::log::append(p, vec![entry]).await?;
    p.insert_reconciliation(&StoredReconciliation {
        id: id.clone(),
        checked_at: now,
        report: signed.clone(),
        mismatch_count: count,
        log_entry_hash: entry_hash.clone(),
    })
    .await?;
    if count > 0 {
        let event = Outgoing::new(
            EventType::ReconciliationMismatch,
            format!("reconciliation.mismatch:{id}"),
            now,
            json!({ "reconciliation_id": id, "mismatch_count": count, "report_hash": hash.to_string(),
                    "log_entry": entry_hash }),
        );
        crate::webhooks::emit(p, &[event]).await;
    }
    Ok(Reconciled {
        reconciliation_id: id,
        mismatch_count: count,
        log_entry: entry_hash,
        report: signed,
    })
}

pub async fn read(p: &impl Platform, id: &str) -> Result<ReconciliationView> {
    let r = p
        .reconciliation(id)
        .await?
        .ok_or_else(|| Error::not_found(&format!("/v1/reconciliations/{id}")))?;
    Ok(ReconciliationView {
        reconciliation_id: id.to_string(),
        log_entry: r.log_entry_hash,
        report: r.report,
    })
}

/// Receipts vs events: every event a receipt accepted is recorded, and
/// nothing else is; one report at a time, so memory stays bounded by a report.
async fn receipts_vs_events(p: &impl Platform) -> Result<Vec<Mismatch>> {
    let mut mismatches = Vec::new();
    for report_id in p.report_ids().await? {
        let Some(report) = p.report(&report_id).await? else {
            continue;
        };
        let accepted: Vec<String> = report
            .receipt
            .pointer("/credentialSubject/accepted/event_ids")
            .and_then(Value::as_array)
            .map(|ids| {
                ids.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        // Accepted here, recorded (under this or an earlier report)?
        let mut found: Vec<String> = Vec::new();
        for chunk in accepted.chunks(ID_CHUNK) {
            let ids: Vec<&str> = chunk.iter().map(String::as_str).collect();
            found.extend(p.event_hashes(&ids).await?.into_iter().map(|(id, _)| id));
        }
        mismatches.extend(compare_sets(
            accepted.iter(),
            found.iter(),
            Some(MismatchKind::AcceptedNotInLedger),
            None,
        ));
        // Recorded under this report, but not accepted by its receipt?
        let here = p.event_ids_of_report(&report_id).await?;
        mismatches.extend(compare_sets(
            accepted.iter(),
            here.iter(),
            None,
            Some(MismatchKind::LedgerWithoutAcceptance),
        ));
    }
    // Recorded under no report at all.
    let orphans = p.unreported_event_ids(MAX_LISTED).await?;
    mismatches.extend(compare_sets(
        std::iter::empty::<&str>(),
        orphans.iter(),
        None,
        Some(MismatchKind::LedgerWithoutAcceptance),
    ));
    Ok(mismatches)
}

/// Events vs lines: every event has one line per asset. Prices: each line
/// is priced as the event's manifest prices it (per-epoch charges by the
/// one rule in [`epoch`]). Assets: every line pays the creator of an asset
/// of its manifest. Events page by page, each page with its lines.
async fn events_lines_prices_and_assets(p: &impl Platform) -> Result<Vec<Mismatch>> {
    let mut mismatches = Vec::new();
    let mut strays = Vec::new();
    let mut policies = Policies::default();
    let mut after = -1i64;
    loop {
        let events: Vec<StoredEvent> = p.events_after(after, EVENT_PAGE).await?;
        let Some(last) = events.last() else { break };
        after = last.seq;
        let ids: Vec<String> = events
            .iter()
            .map(|e| e.recorded.event.event_id.clone())
            .collect();
        let page_lines = lines(p, Lines::UsageOf(&ids)).await?;
        policies
            .extend(
                p,
                events.iter().map(|e| e.recorded.event.manifest_id.as_str()),
            )
            .await?;
        let mut by_event: HashMap<&str, Vec<&LedgerLine>> = HashMap::new();
        for l in &page_lines {
            by_event.entry(l.event_id.as_str()).or_default().push(l);
        }
        let claims = epoch_claims(p, &events, &by_event, &policies).await?;
        for e in &events {
            let event = &e.recorded.event;
            let mine = by_event
                .get(event.event_id.as_str())
                .cloned()
                .unwrap_or_default();
            if mine.len() != event.assets.len() {
                mismatches.push(Mismatch::new(
                    MismatchKind::AcceptedNotInLedger,
                    event.event_id.clone(),
                    format!("{} ledger lines", event.assets.len()),
                    format!("{} ledger lines", mine.len()),
                ));
                continue;
            }
            let Some(policy) = policies.get(&event.manifest_id) else {
                continue;
            };
            let flags: Vec<bool> = if policy.attribution_model == AttributionModel::PerEpoch {
                mine.iter()
                    .map(|l| claims.charges(&event.event_id, &epoch::key(event, l.leaf_index)))
                    .collect()
            } else {
                Vec::new()
            };
            let charges = price_event(policy, event, &flags)?;
            for (l, c) in mine.iter().zip(charges) {
                if let Some(m) = check_line_price(l, c.amount) {
                    mismatches.push(m);
                }
            }
        }
        if strays.len() < MAX_LISTED {
            strays.extend(stray_lines(p, &page_lines).await?);
        }
    }
    strays.truncate(MAX_LISTED);
    mismatches.extend(strays);
    Ok(mismatches)
}

/// The per-epoch claims on the keys of the lines of `events` priced per epoch.
async fn epoch_claims(
    p: &impl Platform,
    events: &[StoredEvent],
    by_event: &HashMap<&str, Vec<&LedgerLine>>,
    policies: &Policies,
) -> Result<Claims> {
    let mut keys = BTreeSet::new();
    for e in events.iter().map(|e| &e.recorded.event) {
        let per_epoch = policies
            .get(&e.manifest_id)
            .is_some_and(|p| p.attribution_model == AttributionModel::PerEpoch);
        if let (true, Some(lines)) = (per_epoch, by_event.get(e.event_id.as_str())) {
            keys.extend(lines.iter().map(|l| epoch::key(e, l.leaf_index)));
        }
    }
    if keys.is_empty() {
        return Ok(Claims::default());
    }
    let keys: Vec<_> = keys.into_iter().collect();
    Ok(Claims::new(p.epoch_claims(&keys).await?))
}

/// The lines among `lines` that pay no asset of their manifest (by leaf
/// and creator).
async fn stray_lines(p: &impl Platform, lines: &[LedgerLine]) -> Result<Vec<Mismatch>> {
    let mut leaves: BTreeMap<&str, BTreeSet<u64>> = BTreeMap::new();
    for l in lines {
        leaves
            .entry(l.manifest_id.as_str())
            .or_default()
            .insert(l.leaf_index);
    }
    let mut creators: HashMap<(&str, u64), String> = HashMap::new();
    for (manifest_id, leaves) in &leaves {
        let leaves: Vec<u64> = leaves.iter().copied().collect();
        for a in p
            .manifest_assets_matching(manifest_id, &[], &leaves)
            .await?
        {
            creators.insert((manifest_id, a.idx), a.creator);
        }
    }
    Ok(lines
        .iter()
        .filter(|l| creators.get(&(l.manifest_id.as_str(), l.leaf_index)) != Some(&l.creator))
        .map(|l| {
            Mismatch::new(
                MismatchKind::AssetNotInManifest,
                l.event_id.clone(),
                format!(
                    "leaf {} of {} with its creator",
                    l.leaf_index, l.manifest_id
                ),
                "no such asset".to_string(),
            )
        })
        .collect())
}

/// Settlement lines add up to the ledger's lines, and the rail's answers
/// match what was instructed.
async fn settlements_and_rail(p: &impl Platform) -> Result<Vec<Mismatch>> {
    let mut mismatches = Vec::new();
    let payout_lines = p.payout_lines(None).await?;
    let ring = p.keys()?;
    let settlement_ids: BTreeSet<&str> = payout_lines
        .iter()
        .map(|l| l.settlement_id.as_str())
        .collect();
    for sid in settlement_ids {
        let doc = crate::settlements::statement(p, sid).await?;
        let verified = verify_settlement(&doc, &ring.keys)?;
        // The settlement's lines summed again, page by page, against its
        // signed payout lines (and its signed usage root).
        let mut acc = Accumulator::new(&Default::default())?;
        for_each_page(p, Lines::Settlement(sid), |page| {
            page.iter().try_for_each(|l| Ok(acc.add(&l.line)?))
        })
        .await?;
        if acc.usage_root() != verified.fields.usage_root {
            mismatches.push(Mismatch::new(
                MismatchKind::SettlementTotalDiffers,
                sid.to_string(),
                format!("usage root {}", verified.fields.usage_root.to_base64()),
                format!(
                    "usage root {} over the ledger's lines now",
                    acc.usage_root().to_base64()
                ),
            ));
        }
        for sp in &verified.fields.payouts {
            let payout = &sp.payout;
            let (accrued, count) = acc.accrued(&payout.creator, &payout.currency);
            if accrued != payout.accrued || count != payout.line_count {
                mismatches.push(Mismatch::new(
                    MismatchKind::SettlementTotalDiffers,
                    sp.line_id.clone(),
                    format!("{} over {} lines", payout.accrued, payout.line_count),
                    format!("{accrued} over {count} lines"),
                ));
            }
            let Some(row) = payout_lines.iter().find(|l| l.line_id == sp.line_id) else {
                continue;
            };
            if let Some(m) = check_rail_outcome(sp, &rail_outcome(row, &payout.currency)) {
                mismatches.push(m);
            }
        }
    }
    Ok(mismatches)
}

/// What the rail said of a payout line.
fn rail_outcome(row: &StoredPayoutLine, currency: &str) -> RailOutcome {
    if let Some(d) = &row.dispute_id {
        return RailOutcome::Disputed { reason: d.clone() };
    }
    match row.payout_status {
        PayoutStatus::Confirmed => RailOutcome::Confirmed {
            amount_minor: row
                .confirmed_amount_minor
                .as_deref()
                .and_then(|a| a.parse().ok())
                .unwrap_or(0),
            currency: currency.to_string(),
        },
        PayoutStatus::Failed => RailOutcome::Failed {
            reason: row
                .failure_reason
                .clone()
                .unwrap_or_else(|| "failed".into()),
        },
        _ => RailOutcome::Pending,
    }
}
