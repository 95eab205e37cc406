//! `POST /v1/usage/reports`: validate a signed usage report against the
//! manifests it names, answer with a signed receipt, queue what was accepted
//! and log a batch root per manifest.
//!
//! Order matters for "nothing lost, nothing counted twice": the accepted
//! events are queued before the receipt is logged and stored, and the
//! consumer counts an event id once; so a failure anywhere is answered with
//! an error and the orchestrator resends the same report, which is safe.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use fairtrain_consent::log_event;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::jcs;
use fairtrain_core::problem::ProblemType;
use fairtrain_core::time::Timestamp;
use fairtrain_manifest::terms::UsagePolicy;
use fairtrain_usage::{
    check_consent_at, check_event_time, check_licence_at, sign_usage_receipt,
    usage_recorded_events, verify_report, AssetRefs, LicenceWindow, RefusalReason, RefusedEvent,
    ReportError, UsageEvent, UsageReceiptFields, VerifiedReport,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{BatchMessageBuilder, MessageBuilder};

use super::policies;
use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::http::routes::log;
use crate::runtime::keys;
use fairtrain_core::principal::Principal;

/// Queue messages stay well under the 128 KB limit, batches under 256 KB.
const MAX_MESSAGE_BYTES: usize = 96 * 1024;
const MAX_SEND_BYTES: usize = 240 * 1024;

/// One asset of an accepted event, resolved against the manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResolvedAsset {
    pub leaf: u64,
    pub creator: String,
}

/// An accepted event as the usage queue carries it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueuedEvent {
    pub event: Value,
    pub hash: String,
    /// Index in the report's batch tree for its manifest.
    pub batch_leaf: u64,
    pub assets: Vec<ResolvedAsset>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct UsageMessage {
    pub report_id: String,
    pub orchestrator: String,
    pub events: Vec<QueuedEvent>,
}

#[derive(Deserialize)]
struct ManifestRow {
    id: String,
    created_at: String,
    document: String,
}

#[derive(Deserialize)]
struct AssetRow {
    idx: u64,
    content_hash: String,
    creator: String,
    consent_id: String,
}

#[derive(Deserialize)]
struct ConsentRow {
    id: String,
    valid_from: String,
    valid_until: String,
    revoked_at: Option<String>,
}

#[derive(Deserialize)]
struct LicenceRow {
    granted_at: String,
    expires_at: Option<String>,
    revoked_at: Option<String>,
}

#[derive(Deserialize)]
struct Seen {
    event_id: String,
    event_hash: String,
}

#[derive(Deserialize)]
struct StoredReport {
    report_hash: String,
    receipt: String,
    log_entries: String,
}

fn ts(text: &str) -> ApiResult<Timestamp> {
    Timestamp::parse_rfc3339(text).map_err(ApiError::internal)
}

fn report_error(e: ReportError) -> ApiError {
    let status = e.http_status();
    let kind = if status == 401 {
        ProblemType::InvalidSignature
    } else {
        ProblemType::ValidationFailed
    };
    ApiError::new(kind, e.to_string())
}

/// What one manifest contributes to validation.
struct ManifestFacts {
    created_at: Timestamp,
    policy: UsagePolicy,
    by_hash: HashMap<String, AssetRow>,
    by_leaf: HashMap<u64, String>,
    licences: Vec<LicenceWindow>,
}

pub async fn accept(cx: &Cx, principal: &Principal, raw: &[u8]) -> ApiResult<(u16, Value)> {
    let doc =
        jcs::parse_strict_slice(raw).map_err(|e| ApiError::bad_request(format!("report: {e}")))?;
    let verified = verify_report(&doc).map_err(report_error)?;
    let db = cx.db()?;

    #[derive(Deserialize)]
    struct Key {
        signing_key: Option<String>,
        acts_for: Option<String>,
    }
    let key: Option<Key> = db
        .prepare("SELECT signing_key, acts_for FROM api_keys WHERE id = ?1")
        .bind(&[principal.id.as_str().into()])?
        .first(None)
        .await?;
    let key = key.ok_or_else(|| ApiError::forbidden("unknown orchestrator"))?;
    if key.signing_key.as_deref() != Some(verified.report.orchestrator.as_str()) {
        return Err(ApiError::new(
            ProblemType::InvalidSignature,
            "the report is signed by a key that is not this orchestrator's registered signing key",
        ));
    }
    let buyer = key
        .acts_for
        .ok_or_else(|| ApiError::forbidden("this orchestrator acts for no buyer"))?;

    // The same report again: the same answer (idempotent by report id).
    let stored: Option<StoredReport> = db
        .prepare("SELECT report_hash, receipt, log_entries FROM usage_reports WHERE id = ?1")
        .bind(&[verified.report.id.as_str().into()])?
        .first(None)
        .await?;
    if let Some(s) = stored {
        if s.report_hash != verified.report_hash.to_string() {
            return Err(ApiError::new(
                ProblemType::Conflict,
                "a different report was already received with this id",
            ));
        }
        let receipt: Value = serde_json::from_str(&s.receipt).map_err(ApiError::internal)?;
        let entries: Value = serde_json::from_str(&s.log_entries).map_err(ApiError::internal)?;
        return Ok((
            200,
            json!({ "receipt": receipt, "log": { "entries": entries } }),
        ));
    }

    let events = &verified.report.events;
    let facts = load_facts(cx, events, &buyer).await?;
    let consents = load_consents(cx, &facts).await?;
    let seen = load_seen(cx, events).await?;
    let now = cx.now();

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

    let ring = keys::load(&cx.env)?;
    let receipt_id = format!("urn:uuid:{}", uuid::Uuid::new_v4());
    let fields = UsageReceiptFields::for_report(receipt_id.clone(), &verified, now, now, refused)
        .map_err(ApiError::internal)?;
    let receipt =
        sign_usage_receipt(&fields, ring.active_signer(), now).map_err(ApiError::internal)?;

    enqueue(cx, &verified, &resolved).await?;

    let log_events = usage_recorded_events(&fields, &verified, now).map_err(ApiError::internal)?;
    let entries = log_events
        .into_iter()
        .map(|e| log_event::entry(e).map_err(ApiError::internal))
        .collect::<ApiResult<Vec<_>>>()?;
    let hashes: Vec<String> = entries.iter().map(|e| e.hash.to_string()).collect();
    let promise = if entries.is_empty() {
        Value::Null
    } else {
        let appended = log::append(cx, entries).await?;
        log::promise(cx, &appended)?
    };
    let receipt_text = serde_json::to_string(&receipt).map_err(ApiError::internal)?;
    db.prepare(
        "INSERT OR IGNORE INTO usage_reports (id, orchestrator, signer, report_hash, receipt_id, receipt, \
         accepted_count, refused_count, received_at, log_entries) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .bind(&[
        verified.report.id.as_str().into(),
        principal.id.as_str().into(),
        verified.report.orchestrator.as_str().into(),
        verified.report_hash.to_string().into(),
        receipt_id.as_str().into(),
        receipt_text.as_str().into(),
        (fields.accepted_event_ids.len() as f64).into(),
        (fields.refused.len() as f64).into(),
        now.format_rfc3339().into(),
        serde_json::to_string(&hashes).map_err(ApiError::internal)?.into(),
    ])?
    .run()
    .await?;
    Ok((
        201,
        json!({ "receipt": receipt, "log": { "entries": hashes, "promise": promise } }),
    ))
}

fn judge(
    e: &UsageEvent,
    facts: &HashMap<String, ManifestFacts>,
    consents: &HashMap<String, ConsentRow>,
    seen: &HashMap<String, String>,
    now: Timestamp,
) -> Result<Vec<ResolvedAsset>, RefusalReason> {
    if seen
        .get(&e.event_id)
        .is_some_and(|h| *h != e.hash().to_string())
    {
        return Err(RefusalReason::EventIdConflict);
    }
    let m = facts
        .get(&e.manifest_id)
        .ok_or(RefusalReason::UnknownManifest)?;
    check_event_time(e.timestamp, now, m.created_at)?;
    let trains = m.policy.allowed_uses.iter().any(|u| {
        matches!(
            u.to_string().as_str(),
            "ai_training" | "ai_generative_training"
        )
    });
    if !trains {
        return Err(RefusalReason::UseNotAllowed);
    }
    // Any licence covering the time of use will do; otherwise the reason of
    // the most relevant one (the latest granted).
    let licensed = m
        .licences
        .iter()
        .map(|l| check_licence_at(Some(l), e.timestamp))
        .collect::<Vec<_>>();
    if !licensed.iter().any(Result::is_ok) {
        return Err(licensed
            .into_iter()
            .last()
            .and_then(Result::err)
            .unwrap_or(RefusalReason::NoLicence));
    }
    let rows: Vec<&AssetRow> = match &e.assets {
        AssetRefs::Hashes(hs) => hs
            .iter()
            .map(|h| {
                m.by_hash
                    .get(&h.to_string())
                    .ok_or(RefusalReason::AssetNotInManifest)
            })
            .collect::<Result<_, _>>()?,
        AssetRefs::LeafIndexes(ix) => ix
            .iter()
            .map(|i| {
                m.by_leaf
                    .get(i)
                    .and_then(|h| m.by_hash.get(h))
                    .ok_or(RefusalReason::LeafIndexOutOfRange)
            })
            .collect::<Result<_, _>>()?,
    };
    let mut out = Vec::with_capacity(rows.len());
    for a in rows {
        let c = consents
            .get(&a.consent_id)
            .ok_or(RefusalReason::ConsentRevoked)?;
        let from = Timestamp::parse_rfc3339(&c.valid_from)
            .map_err(|_| RefusalReason::ConsentNotYetValid)?;
        let until =
            Timestamp::parse_rfc3339(&c.valid_until).map_err(|_| RefusalReason::ConsentExpired)?;
        let revoked = c
            .revoked_at
            .as_deref()
            .and_then(|r| Timestamp::parse_rfc3339(r).ok());
        check_consent_at(from, until, revoked, e.timestamp)?;
        out.push(ResolvedAsset {
            leaf: a.idx,
            creator: a.creator.clone(),
        });
    }
    Ok(out)
}

async fn load_facts(
    cx: &Cx,
    events: &[UsageEvent],
    buyer: &str,
) -> ApiResult<HashMap<String, ManifestFacts>> {
    let db = cx.db()?;
    let ids: BTreeSet<&str> = events.iter().map(|e| e.manifest_id.as_str()).collect();
    let ids_json = serde_json::to_string(&ids).map_err(ApiError::internal)?;
    let rows: Vec<ManifestRow> = db
        .prepare("SELECT id, created_at, document FROM manifests WHERE id IN (SELECT value FROM json_each(?1))")
        .bind(&[ids_json.into()])?
        .all()
        .await?
        .results()?;
    let mut out = HashMap::new();
    for m in rows {
        let mut hashes: BTreeSet<String> = BTreeSet::new();
        let mut leaves: BTreeSet<u64> = BTreeSet::new();
        for e in events.iter().filter(|e| e.manifest_id == m.id) {
            match &e.assets {
                AssetRefs::Hashes(hs) => hashes.extend(hs.iter().map(Sha256Digest::to_string)),
                AssetRefs::LeafIndexes(ix) => leaves.extend(ix.iter().copied()),
            }
        }
        let assets: Vec<AssetRow> = db
            .prepare(
                "SELECT idx, content_hash, creator, consent_id FROM manifest_assets WHERE manifest_id = ?1 \
                 AND (content_hash IN (SELECT value FROM json_each(?2)) OR idx IN (SELECT value FROM json_each(?3)))",
            )
            .bind(&[
                m.id.as_str().into(),
                serde_json::to_string(&hashes).map_err(ApiError::internal)?.into(),
                serde_json::to_string(&leaves).map_err(ApiError::internal)?.into(),
            ])?
            .all()
            .await?
            .results()?;
        let licences: Vec<LicenceRow> = db
            .prepare("SELECT granted_at, expires_at, revoked_at FROM licenses WHERE buyer = ?1 AND manifest_id = ?2 ORDER BY granted_at")
            .bind(&[buyer.into(), m.id.as_str().into()])?
            .all()
            .await?
            .results()?;
        let licences = licences
            .iter()
            .map(|l| {
                Ok(LicenceWindow {
                    granted_at: ts(&l.granted_at)?,
                    expires_at: l.expires_at.as_deref().map(ts).transpose()?,
                    revoked_at: l.revoked_at.as_deref().map(ts).transpose()?,
                })
            })
            .collect::<ApiResult<Vec<_>>>()?;
        let by_leaf = assets
            .iter()
            .map(|a| (a.idx, a.content_hash.clone()))
            .collect();
        let by_hash = assets
            .into_iter()
            .map(|a| (a.content_hash.clone(), a))
            .collect();
        out.insert(
            m.id.clone(),
            ManifestFacts {
                created_at: ts(&m.created_at)?,
                policy: policies::from_document(&m.document)?,
                by_hash,
                by_leaf,
                licences,
            },
        );
    }
    Ok(out)
}

async fn load_consents(
    cx: &Cx,
    facts: &HashMap<String, ManifestFacts>,
) -> ApiResult<HashMap<String, ConsentRow>> {
    let ids: BTreeSet<&str> = facts
        .values()
        .flat_map(|m| m.by_hash.values().map(|a| a.consent_id.as_str()))
        .collect();
    let rows: Vec<ConsentRow> = cx
        .db()?
        .prepare("SELECT id, valid_from, valid_until, revoked_at FROM consents WHERE id IN (SELECT value FROM json_each(?1))")
        .bind(&[serde_json::to_string(&ids).map_err(ApiError::internal)?.into()])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(|r| (r.id.clone(), r)).collect())
}

async fn load_seen(cx: &Cx, events: &[UsageEvent]) -> ApiResult<HashMap<String, String>> {
    let ids: Vec<&str> = events.iter().map(|e| e.event_id.as_str()).collect();
    let rows: Vec<Seen> = cx
        .db()?
        .prepare("SELECT event_id, event_hash FROM usage_events WHERE event_id IN (SELECT value FROM json_each(?1))")
        .bind(&[serde_json::to_string(&ids).map_err(ApiError::internal)?.into()])?
        .all()
        .await?
        .results()?;
    Ok(rows
        .into_iter()
        .map(|r| (r.event_id, r.event_hash))
        .collect())
}

/// Packs the accepted events into queue messages and sends them.
async fn enqueue(
    cx: &Cx,
    verified: &VerifiedReport,
    resolved: &BTreeMap<String, Vec<ResolvedAsset>>,
) -> ApiResult<()> {
    // Batch-tree positions: per manifest, in report order.
    let mut next_leaf: HashMap<&str, u64> = HashMap::new();
    let mut queued = Vec::new();
    for e in &verified.report.events {
        let Some(assets) = resolved.get(&e.event_id) else {
            continue;
        };
        let leaf = next_leaf.entry(e.manifest_id.as_str()).or_insert(0);
        queued.push(QueuedEvent {
            event: serde_json::to_value(e).map_err(ApiError::internal)?,
            hash: e.hash().to_string(),
            batch_leaf: *leaf,
            assets: assets.clone(),
        });
        *leaf += 1;
    }
    // Each event is serialised once; a message is those texts in a
    // UsageMessage envelope, cut before it would pass the size limit.
    let head = format!(
        r#"{{"report_id":{},"orchestrator":{},"events":["#,
        serde_json::to_string(&verified.report.id).map_err(ApiError::internal)?,
        serde_json::to_string(&verified.report.orchestrator).map_err(ApiError::internal)?
    );
    let mut messages: Vec<String> = Vec::new();
    let mut current = head.clone();
    for q in queued {
        let text = serde_json::to_string(&q).map_err(ApiError::internal)?;
        if current.len() + text.len() + 3 > MAX_MESSAGE_BYTES && current.len() > head.len() {
            current.push_str("]}");
            messages.push(std::mem::replace(&mut current, head.clone()));
        }
        if current.len() > head.len() {
            current.push(',');
        }
        current.push_str(&text);
    }
    if current.len() > head.len() {
        current.push_str("]}");
        messages.push(current);
    }
    let queue = cx.env.queue("USAGE_QUEUE")?;
    // Sent as JSON text (see queues::decode).
    let mut batch: Vec<String> = Vec::new();
    let mut batch_bytes = 0;
    for m in messages {
        if (batch_bytes + m.len() > MAX_SEND_BYTES || batch.len() == 100) && !batch.is_empty() {
            send(&queue, std::mem::take(&mut batch)).await?;
            batch_bytes = 0;
        }
        batch_bytes += m.len();
        batch.push(m);
    }
    if !batch.is_empty() {
        send(&queue, batch).await?;
    }
    Ok(())
}

async fn send(queue: &worker::Queue, bodies: Vec<String>) -> ApiResult<()> {
    let batch = BatchMessageBuilder::new()
        .messages(bodies.into_iter().map(|b| MessageBuilder::new(b).build()))
        .build();
    queue
        .send_batch(batch)
        .await
        .map_err(|e| ApiError::unavailable(format!("usage queue: {e}")))
}
