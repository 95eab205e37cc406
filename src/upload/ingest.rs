//! What happens to a contribution before and after its bytes are stored.
//!
//! Before: the signed envelope, its consent (the creator's own, not revoked,
//! valid now, covering exactly the declared hash), limits and rate: all
//! checked before a byte is read, so a refused upload stores nothing.
//! After: the computed digest must equal the declared one (else the object is
//! deleted: nothing is left behind), identical bytes are kept once, the
//! gateway routes the contribution, the event is logged and the platform
//! signs a storage receipt.

use fairtrain_consent::consent::{verify_consent, ConsentError, VerifiedConsent};
use fairtrain_consent::envelope::{verify_envelope, VerifiedEnvelope};
use fairtrain_consent::log_event::{self, LogEvent, SCHEMA_VERSION};
use fairtrain_consent::policy::{evaluate, ConsentState, Contribution};
use fairtrain_consent::receipt::{sign_receipt, ReceiptFields, ReceiptLog};
use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::jcs;
use fairtrain_core::problem::ProblemType;
use serde::Deserialize;
use serde_json::Value;
use wasm_bindgen::JsValue;
use worker::Bucket;

use super::limits::Limits;
use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::http::routes::log;
use crate::http::stream::Streamed;
use crate::runtime::keys;

pub struct Prepared {
    pub contributor: DidKey,
    pub envelope: VerifiedEnvelope,
    pub envelope_canonical: String,
    pub consent: VerifiedConsent,
}

fn refuse(reason: &str, detail: impl Into<String>) -> ApiError {
    ApiError::new(ProblemType::ValidationFailed, detail).with("reason", reason)
}

#[derive(Deserialize)]
struct ConsentRow {
    creator: String,
    token: String,
    revoked_at: Option<String>,
}

pub async fn prepare(
    cx: &Cx,
    contributor: &DidKey,
    envelope: &Value,
    limits: &Limits,
) -> ApiResult<Prepared> {
    let verified = verify_envelope(envelope).map_err(|e| {
        refuse(
            "invalid-envelope",
            format!("the contribution envelope is not acceptable: {e}"),
        )
    })?;
    if verified.contributor != *contributor {
        return Err(ApiError::forbidden(
            "the envelope must be signed by the creator making the request",
        ));
    }
    limits.check_media_type(&verified.media_type)?;
    limits.check_size(verified.size, limits.max_bytes, "the asset")?;
    let row: Option<ConsentRow> = cx
        .db()?
        .prepare("SELECT creator, token, revoked_at FROM consents WHERE id = ?1")
        .bind(&[verified.consent_id.as_str().into()])?
        .first(None)
        .await?;
    let row = row.ok_or_else(|| {
        refuse(
            "unknown-consent",
            format!("no consent {} has been granted", verified.consent_id),
        )
    })?;
    if row.creator != contributor.to_string() {
        return Err(ApiError::forbidden(
            "the consent belongs to another creator",
        ));
    }
    if row.revoked_at.is_some() {
        return Err(refuse("consent-revoked", "the consent has been revoked"));
    }
    let token: Value = serde_json::from_str(&row.token).map_err(ApiError::internal)?;
    let consent = verify_consent(&token, cx.now()).map_err(|e| match e {
        ConsentError::Expired => refuse("consent-expired", "the consent has expired"),
        ConsentError::NotYetValid => {
            refuse("consent-not-yet-valid", "the consent is not valid yet")
        }
        other => ApiError::internal(format!("a stored consent no longer verifies: {other}")),
    })?;
    if !consent.asset_hashes.contains(&verified.content_hash) {
        return Err(refuse(
            "consent-other-bytes",
            format!("the consent does not cover {}", verified.content_hash),
        )
        .with("content_hash", verified.content_hash.to_string()));
    }
    take_upload_slot(cx, contributor, limits.per_minute).await?;
    let envelope_canonical = jcs::canonicalize(envelope).map_err(ApiError::internal)?;
    Ok(Prepared {
        contributor: *contributor,
        envelope: verified,
        envelope_canonical,
        consent,
    })
}

/// A per-creator, per-minute counter in D1.
async fn take_upload_slot(cx: &Cx, did: &DidKey, per_minute: u64) -> ApiResult<()> {
    let minute = cx.now_ms / 60_000;
    #[derive(Deserialize)]
    struct Count {
        count: u64,
    }
    let count: Option<Count> = cx
        .db()?
        .prepare(
            "INSERT INTO upload_rate (did, window, count) VALUES (?1, ?2, 1) \
             ON CONFLICT (did, window) DO UPDATE SET count = count + 1 RETURNING count",
        )
        .bind(&[did.to_string().into(), JsValue::from_f64(minute as f64)])?
        .first(None)
        .await?;
    if count.map(|c| c.count).unwrap_or(0) > per_minute {
        let retry = 60 - (cx.now_ms / 1000) % 60;
        return Err(ApiError::new(
            ProblemType::RateLimited,
            format!("at most {per_minute} uploads per minute per creator"),
        )
        .header("Retry-After", retry.to_string()));
    }
    Ok(())
}

/// Best effort: an object we will not keep.
pub async fn discard(bucket: &Bucket, key: &str) {
    if let Err(e) = bucket.delete(key).await {
        worker::console_error!("could not delete {key}: {e}");
    }
}

pub async fn finish(
    cx: &Cx,
    prepared: Prepared,
    bucket: &Bucket,
    object_key: String,
    streamed: Streamed,
) -> ApiResult<Value> {
    let env = &prepared.envelope;
    if streamed.digest != env.content_hash {
        discard(bucket, &object_key).await;
        return Err(ApiError::new(
            ProblemType::DigestMismatch,
            "the bytes received do not hash to the declared content_hash; nothing was stored",
        )
        .with("computed_digest", streamed.digest.to_string())
        .with("declared_digest", env.content_hash.to_string()));
    }
    let db = cx.db()?;
    let now = cx.now().format_rfc3339();
    let hash = env.content_hash.to_string();
    // Identical bytes are stored once: the first stored copy wins.
    db.prepare("INSERT INTO blobs (hash, object_key, size, media_type, stored_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (hash) DO NOTHING")
        .bind(&[
            hash.as_str().into(),
            object_key.as_str().into(),
            JsValue::from_f64(streamed.size as f64),
            env.media_type.as_str().into(),
            now.as_str().into(),
        ])?
        .run()
        .await?;
    #[derive(Deserialize)]
    struct Blob {
        object_key: String,
    }
    let blob: Option<Blob> = db
        .prepare("SELECT object_key FROM blobs WHERE hash = ?1")
        .bind(&[hash.as_str().into()])?
        .first(None)
        .await?;
    let stored_key = blob
        .map(|b| b.object_key)
        .ok_or_else(|| ApiError::internal("blob row vanished"))?;
    if stored_key != object_key {
        discard(bucket, &object_key).await;
    }

    let policy = fairtrain_app::policies::in_force(&cx.rt).await?;
    let decision = evaluate(
        &policy,
        ConsentState::Active(&prepared.consent),
        &Contribution {
            content_hash: env.content_hash,
            scope: env.scope,
        },
        cx.now(),
    );
    let receipt_id = format!("urn:uuid:{}", uuid::Uuid::new_v4());
    let envelope_hash = Sha256Digest::of(prepared.envelope_canonical.as_bytes());
    let entry = log_event::entry(LogEvent::AssetIngested {
        v: SCHEMA_VERSION,
        at: cx.now(),
        asset_hash: env.content_hash,
        size: streamed.size,
        receipt_id: receipt_id.clone(),
        envelope_hash,
        consent_id: env.consent_id.clone(),
        creator: prepared.contributor.to_string(),
        route: decision.route.to_string(),
    })
    .map_err(ApiError::internal)?;
    let entry_hash = entry.hash.to_string();
    let entry_digest = entry.hash;
    let appended = log::append(cx, vec![entry]).await?;
    let promise = log::promise(cx, &appended)?;

    let ring = keys::load(&cx.env)?;
    let receipt = sign_receipt(
        ReceiptFields {
            receipt_id: receipt_id.clone(),
            object_key: stored_key,
            content_hash: env.content_hash,
            size: streamed.size,
            media_type: env.media_type.clone(),
            ingested_at: cx.now(),
            contributor: prepared.contributor,
            consent_id: env.consent_id.clone(),
            envelope_hash,
            route: decision.route,
            route_reason: decision.reason,
            log: ReceiptLog {
                origin: log::origin(cx),
                entry_hash: entry_digest,
                promise,
            },
        },
        ring.active_signer(),
        cx.now(),
    )
    .map_err(ApiError::internal)?;
    let receipt_text = serde_json::to_string(&receipt).map_err(ApiError::internal)?;
    db.prepare(
        "INSERT INTO contributions (receipt_id, asset_hash, contributor, consent_id, envelope, envelope_hash, scope, license, media_type, size, \
         route, route_reason, policy_version, routed_at, ingested_at, receipt, log_entry_hash) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )
    .bind(&[
        receipt_id.as_str().into(),
        hash.as_str().into(),
        prepared.contributor.to_string().into(),
        env.consent_id.as_str().into(),
        prepared.envelope_canonical.as_str().into(),
        envelope_hash.to_string().into(),
        env.scope.as_str().into(),
        env.license.as_str().into(),
        env.media_type.as_str().into(),
        JsValue::from_f64(streamed.size as f64),
        decision.route.to_string().into(),
        decision.reason.to_string().into(),
        policy.policy_version.as_str().into(),
        now.as_str().into(),
        now.as_str().into(),
        receipt_text.as_str().into(),
        entry_hash.as_str().into(),
    ])?
    .run()
    .await?;
    Ok(receipt)
}
