//! Accepting a signed usage report: verify it and its orchestrator, judge
//! each event against the manifests it names, answer with a signed
//! receipt, queue what was accepted and log a batch root per manifest.
//!
//! Order matters for "nothing lost, nothing counted twice": the accepted
//! events are queued before the receipt is logged and stored, and the
//! pricing job counts an event id once; so a failure anywhere is answered
//! with an error and the orchestrator resends the same report, which is safe.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use fairtrain_consent::log_event;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::jcs;
use fairtrain_core::principal::Principal;
use fairtrain_core::time::Timestamp;
use fairtrain_usage::{
    check_consent_at, check_event_time, check_license_at, sign_usage_receipt,
    usage_recorded_events, verify_report, AssetRefs, LicenseWindow, RefusalReason, RefusedEvent,
    ReportError, UsageEvent, UsageReceiptFields, VerifiedReport,
};
use serde::Serialize;
use serde_json::Value;

use super::message::{self, QueuedEvent, ResolvedAsset};
use super::read::ReportAnswer;
use super::store::StoredReport;
use crate::consents::store::ConsentWindow;
use crate::error::{Error, Kind, Result};
use crate::manifests::store::{ManifestAssetRef, ManifestTerms};
use crate::platform::Platform;

/// The answer to a report.
#[derive(Debug, Clone)]
pub enum Accepted {
    /// Received now: judged, queued and logged.
    Recorded(Recorded),
    /// Received before: the answer it was given then.
    AlreadyRecorded(ReportAnswer),
}

#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    /// The signed usage receipt.
    pub receipt: Value,
    pub log: LoggedWithPromise,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoggedWithPromise {
    /// The `usage.recorded` entries' hashes (one per manifest with accepted events).
    pub entries: Vec<String>,
    /// The log's signed promise to include them (`null` when none was logged).
    pub promise: Value,
}

fn report_error(e: ReportError) -> Error {
    let kind = if e.is_signature_error() {
        Kind::DocumentSignature
    } else {
        Kind::Invalid
    };
    Error::new(kind, e.to_string())
}

/// What one manifest contributes to judging its events.
struct ManifestFacts {
    terms: ManifestTerms,
    by_hash: HashMap<Sha256Digest, ManifestAssetRef>,
    by_leaf: HashMap<u64, Sha256Digest>,
    licenses: Vec<LicenseWindow>,
}

/// Accepts `raw`, a signed usage report sent by `orchestrator`.
pub async fn accept(p: &impl Platform, orchestrator: &Principal, raw: &[u8]) -> Result<Accepted> {
    let doc =
        jcs::parse_strict_slice(raw).map_err(|e| Error::bad_request(format!("report: {e}")))?;
    let verified = verify_report(&doc).map_err(report_error)?;

    let key = p
        .api_key(&orchestrator.id)
        .await?
        .ok_or_else(|| Error::forbidden("unknown orchestrator"))?;
    if key.signing_key.as_deref() != Some(verified.report.orchestrator.as_str()) {
        return Err(Error::new(
            Kind::DocumentSignature,
            "the report is signed by a key that is not this orchestrator's registered signing key",
        ));
    }
    let buyer = key
        .acts_for
        .ok_or_else(|| Error::forbidden("this orchestrator acts for no buyer"))?;

    // The same report again: the same answer (idempotent by report id).
    if let Some(stored) = p.report(&verified.report.id).await? {
        if stored.report_hash != verified.report_hash {
            return Err(Error::conflict(
                "a different report was already received with this id",
            ));
        }
        return Ok(Accepted::AlreadyRecorded(ReportAnswer::of(stored)));
    }

    let events = &verified.report.events;
    let facts = load_facts(p, events, &buyer).await?;
    let consents = load_consents(p, &facts).await?;
    let ids: Vec<&str> = events.iter().map(|e| e.event_id.as_str()).collect();
    let seen: HashMap<String, Sha256Digest> = p.event_hashes(&ids).await?.into_iter().collect();
    let now = p.now();

    let mut refused = Vec::new();
    let mut resolved: BTreeMap<String, Vec<ResolvedAsset>> = BTreeMap::new();
    for e in events {
        match judge(e, &facts, &consents, &seen, now) {
            Ok(assets) => {
                resolved.insert(e.event_id.clone(), assets);
            }
            Err(reason) => refused.push(RefusedEvent::new(e.event_id.clone(), reason)),
        }
    }

    let ring = p.keys()?;
    let receipt_id = p.urn()?;
    let fields = UsageReceiptFields::for_report(receipt_id.clone(), &verified, now, now, refused)?;
    let receipt = sign_usage_receipt(&fields, ring.active_signer(), now)?;

    enqueue(p, &verified, &resolved).await?;

    let entries = usage_recorded_events(&fields, &verified, now)?
        .into_iter()
        .map(log_event::entry)
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let hashes: Vec<String> = entries.iter().map(|e| e.hash.to_string()).collect();
    let promise = if entries.is_empty() {
        Value::Null
    } else {
        let appended = crate::log::append(p, entries).await?;
        crate::log::promise(p, &appended)?
    };
    p.insert_report(&StoredReport {
        id: verified.report.id.clone(),
        orchestrator: orchestrator.id.clone(),
        signer: verified.report.orchestrator.clone(),
        report_hash: verified.report_hash,
        receipt_id,
        receipt: receipt.clone(),
        accepted_count: fields.accepted_event_ids.len() as u64,
        refused_count: fields.refused.len() as u64,
        received_at: now,
        log_entries: hashes.clone(),
    })
    .await?;
    Ok(Accepted::Recorded(Recorded {
        receipt,
        log: LoggedWithPromise {
            entries: hashes,
            promise,
        },
    }))
}

/// The assets `e` used, or why it is refused: its id, manifest, time, use,
/// the buyer's license at the time of use, its assets and their consents
/// at the time of use (forward-only: a use before a revocation stands).
fn judge(
    e: &UsageEvent,
    facts: &HashMap<String, ManifestFacts>,
    consents: &HashMap<String, ConsentWindow>,
    seen: &HashMap<String, Sha256Digest>,
    now: Timestamp,
) -> std::result::Result<Vec<ResolvedAsset>, RefusalReason> {
    if seen.get(&e.event_id).is_some_and(|h| *h != e.hash()) {
        return Err(RefusalReason::EventIdConflict);
    }
    let m = facts
        .get(&e.manifest_id)
        .ok_or(RefusalReason::UnknownManifest)?;
    check_event_time(e.timestamp, now, m.terms.created_at)?;
    let trains = m.terms.usage_policy.allowed_uses.iter().any(|u| {
        matches!(
            u.to_string().as_str(),
            "ai_training" | "ai_generative_training"
        )
    });
    if !trains {
        return Err(RefusalReason::UseNotAllowed);
    }
    // Any license covering the time of use will do; otherwise the reason of
    // the most relevant one (the latest granted).
    let licensed = m
        .licenses
        .iter()
        .map(|l| check_license_at(Some(l), e.timestamp))
        .collect::<Vec<_>>();
    if !licensed.iter().any(std::result::Result::is_ok) {
        return Err(licensed
            .into_iter()
            .last()
            .and_then(std::result::Result::err)
            .unwrap_or(RefusalReason::NoLicense));
    }
    let rows: Vec<&ManifestAssetRef> = match &e.assets {
        AssetRefs::Hashes(hs) => hs
            .iter()
            .map(|h| m.by_hash.get(h).ok_or(RefusalReason::AssetNotInManifest))
            .collect::<std::result::Result<_, _>>()?,
        AssetRefs::LeafIndexes(ix) => ix
            .iter()
            .map(|i| {
                m.by_leaf
                    .get(i)
                    .and_then(|h| m.by_hash.get(h))
                    .ok_or(RefusalReason::LeafIndexOutOfRange)
            })
            .collect::<std::result::Result<_, _>>()?,
    };
    let mut out = Vec::with_capacity(rows.len());
    for a in rows {
        let c = consents
            .get(&a.consent_id)
            .ok_or(RefusalReason::ConsentRevoked)?;
        check_consent_at(c.valid_from, c.valid_until, c.revoked_at, e.timestamp)?;
        out.push(ResolvedAsset {
            leaf: a.idx,
            creator: a.creator.clone(),
        });
    }
    Ok(out)
}

async fn load_facts(
    p: &impl Platform,
    events: &[UsageEvent],
    buyer: &str,
) -> Result<HashMap<String, ManifestFacts>> {
    let ids: BTreeSet<&str> = events.iter().map(|e| e.manifest_id.as_str()).collect();
    let ids: Vec<&str> = ids.into_iter().collect();
    let mut out = HashMap::new();
    for terms in p.manifest_terms(&ids).await? {
        let mut hashes: BTreeSet<Sha256Digest> = BTreeSet::new();
        let mut leaves: BTreeSet<u64> = BTreeSet::new();
        for e in events.iter().filter(|e| e.manifest_id == terms.id) {
            match &e.assets {
                AssetRefs::Hashes(hs) => hashes.extend(hs.iter().copied()),
                AssetRefs::LeafIndexes(ix) => leaves.extend(ix.iter().copied()),
            }
        }
        let hashes: Vec<Sha256Digest> = hashes.into_iter().collect();
        let leaves: Vec<u64> = leaves.into_iter().collect();
        let assets = p
            .manifest_assets_matching(&terms.id, &hashes, &leaves)
            .await?;
        let licenses = p
            .licenses_of(buyer, &terms.id)
            .await?
            .iter()
            .map(|l| LicenseWindow {
                granted_at: l.granted_at,
                expires_at: l.expires_at,
                revoked_at: l.revoked_at,
            })
            .collect();
        let by_leaf = assets.iter().map(|a| (a.idx, a.content_hash)).collect();
        let by_hash = assets.into_iter().map(|a| (a.content_hash, a)).collect();
        out.insert(
            terms.id.clone(),
            ManifestFacts {
                terms,
                by_hash,
                by_leaf,
                licenses,
            },
        );
    }
    Ok(out)
}

async fn load_consents(
    p: &impl Platform,
    facts: &HashMap<String, ManifestFacts>,
) -> Result<HashMap<String, ConsentWindow>> {
    let ids: BTreeSet<&str> = facts
        .values()
        .flat_map(|m| m.by_hash.values().map(|a| a.consent_id.as_str()))
        .collect();
    let ids: Vec<&str> = ids.into_iter().collect();
    Ok(p.consent_windows(&ids).await?.into_iter().collect())
}

/// Packs the accepted events into queue messages and sends them.
async fn enqueue(
    p: &impl Platform,
    verified: &VerifiedReport,
    resolved: &BTreeMap<String, Vec<ResolvedAsset>>,
) -> Result<()> {
    // Batch-tree positions: per manifest, in report order.
    let mut next_leaf: HashMap<&str, u64> = HashMap::new();
    let mut queued = Vec::new();
    for e in &verified.report.events {
        let Some(assets) = resolved.get(&e.event_id) else {
            continue;
        };
        let leaf = next_leaf.entry(e.manifest_id.as_str()).or_insert(0);
        queued.push(QueuedEvent {
            event: serde_json::to_value(e)?,
            hash: e.hash().to_string(),
            batch_leaf: *leaf,
            assets: assets.clone(),
        });
        *leaf += 1;
    }
    let messages = message::pack(&verified.report.id, &verified.report.orchestrator, &queued)?;
    if messages.is_empty() {
        return Ok(());
    }
    p.send_usage(messages).await
}
