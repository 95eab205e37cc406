//! After the bytes are stored: the digest must be the declared one (else
//! the object is discarded and nothing is left behind), identical bytes are
//! kept once, the gateway routes the contribution under the policy in
//! force, the log records it and the platform signs a storage receipt.

use fairtrain_consent::log_event::{self, LogEvent, SCHEMA_VERSION};
use fairtrain_consent::policy::{evaluate, ConsentState, Contribution};
use fairtrain_consent::receipt::{sign_receipt, ReceiptFields, ReceiptLog};
use fairtrain_core::digest::Sha256Digest;
use serde_json::Value;

use super::prepare::Prepared;
use super::store::{StoredBlob, StoredContribution};
use crate::error::{Error, Kind, Result};
use crate::platform::Platform;

/// A contribution stored, and its signed receipt.
#[derive(Debug, Clone)]
pub struct Ingested {
    pub receipt_id: String,
    /// The signed storage receipt.
    pub receipt: Value,
}

/// Accepts the bytes stored at `object_key`, which hashed to `digest` and
/// were `size` bytes long.
pub async fn finish(
    p: &impl Platform,
    prepared: Prepared,
    object_key: String,
    digest: Sha256Digest,
    size: u64,
) -> Result<Ingested> {
    let env = &prepared.envelope;
    if digest != env.content_hash {
        p.discard(&object_key).await;
        return Err(Error::new(
            Kind::DigestMismatch,
            "the bytes received do not hash to the declared content_hash; nothing was stored",
        )
        .with("computed_digest", digest.to_string())
        .with("declared_digest", env.content_hash.to_string()));
    }
    let now = p.now();
    let hash = env.content_hash.to_string();
    // Identical bytes are stored once: the first stored copy wins.
    let kept = p
        .keep_blob(&StoredBlob {
            hash: hash.clone(),
            object_key: object_key.clone(),
            size,
            media_type: env.media_type.clone(),
            stored_at: now,
        })
        .await?;
    if kept.object_key != object_key {
        p.discard(&object_key).await;
    }

    let policy = crate::policies::in_force(p).await?;
    let decision = evaluate(
        &policy,
        ConsentState::Active(&prepared.consent),
        &Contribution {
            content_hash: env.content_hash,
            scope: env.scope,
        },
        now,
    );
    let receipt_id = p.urn()?;
    let envelope_hash = Sha256Digest::of(prepared.envelope_canonical.as_bytes());
    let entry = log_event::entry(LogEvent::AssetIngested {
        v: SCHEMA_VERSION,
        at: now,
        asset_hash: env.content_hash,
        size,
        receipt_id: receipt_id.clone(),
        envelope_hash,
        consent_id: env.consent_id.clone(),
        creator: prepared.contributor.to_string(),
        route: decision.route.to_string(),
    })?;
    let entry_hash = entry.hash;
    let appended = crate::log::append(p, vec![entry]).await?;
    let promise = crate::log::promise(p, &appended)?;

    let receipt = sign_receipt(
        ReceiptFields {
            receipt_id: receipt_id.clone(),
            object_key: kept.object_key,
            content_hash: env.content_hash,
            size,
            media_type: env.media_type.clone(),
            ingested_at: now,
            contributor: prepared.contributor,
            consent_id: env.consent_id.clone(),
            envelope_hash,
            route: decision.route,
            route_reason: decision.reason,
            log: ReceiptLog {
                origin: crate::log::origin(p),
                entry_hash,
                promise,
            },
        },
        p.keys()?.active_signer(),
        now,
    )?;
    p.insert_contribution(&StoredContribution {
        receipt_id: receipt_id.clone(),
        asset_hash: hash,
        contributor: prepared.contributor.to_string(),
        consent_id: env.consent_id.clone(),
        envelope: prepared.envelope_canonical.clone(),
        envelope_hash: envelope_hash.to_string(),
        scope: env.scope.as_str().to_string(),
        license: env.license.clone(),
        media_type: env.media_type.clone(),
        size,
        route: decision.route.to_string(),
        route_reason: decision.reason.to_string(),
        policy_version: policy.policy_version.clone(),
        routed_at: now,
        ingested_at: now,
        receipt: serde_json::to_string(&receipt)?,
        log_entry_hash: entry_hash.to_string(),
    })
    .await?;
    Ok(Ingested {
        receipt_id,
        receipt,
    })
}
