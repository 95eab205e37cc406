//! The model passport: a signed VC listing what a model was trained on
//! (manifests and snapshots, runs, usage totals), the Merkle root of its
//! usage ledger lines, and the log checkpoint it is consistent with; and its
//! status, which turns to `needs_review` once a consent behind it is revoked.

use std::collections::{BTreeMap, BTreeSet};

use fairtrain_settlement::{
    amounts_by_currency, sign_passport, sign_passport_status, usage_root, LogCheckpointRef,
    PassportFields, PassportManifest, PassportStatusFields, PassportTotals, RevokedUse,
};
use fairtrain_tlog::Hash;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::ledger::lines;
use crate::log::sequencer_port::PublishedLog;
use crate::platform::Platform;
use crate::usage::store::Lines;

/// The log's latest published checkpoint: origin, size and root hash (the
/// first three lines of its signed note).
async fn checkpoint(p: &impl PublishedLog) -> Result<LogCheckpointRef> {
    let bytes = p
        .published("checkpoint")
        .await?
        .ok_or_else(|| Error::unavailable("the log has no checkpoint yet"))?;
    let text = String::from_utf8(bytes)?;
    let mut lines = text.lines();
    let origin = lines.next().unwrap_or_default().to_string();
    let size = lines
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::internal("checkpoint size"))?;
    let root_hash = lines
        .next()
        .and_then(|s| Hash::from_base64(s).ok())
        .ok_or_else(|| Error::internal("checkpoint root"))?;
    Ok(LogCheckpointRef {
        origin,
        size,
        root_hash,
    })
}

/// The signed passport of `model_id`; not found if it has no ledger lines.
pub async fn passport(p: &(impl Platform + PublishedLog), model_id: &str) -> Result<Value> {
    let lines = lines(p, Lines::Model(model_id)).await?;
    if lines.is_empty() {
        return Err(Error::not_found(&format!("/v1/models/{model_id}/passport")));
    }
    let usage = p.model_usage(model_id).await?;
    let ids: Vec<&str> = usage.manifest_ids.iter().map(String::as_str).collect();
    let mut manifests = p.manifest_terms(&ids).await?;
    manifests.sort_by(|a, b| a.id.cmp(&b.id));
    let now = p.now();
    let fields = PassportFields {
        passport_id: p.urn()?,
        issued_at: now,
        model_id: model_id.to_string(),
        manifests: manifests
            .into_iter()
            .map(|m| PassportManifest {
                manifest_id: m.id,
                snapshot_id: m.snapshot_id,
                manifest_hash: m.manifest_hash,
            })
            .collect(),
        training_runs: usage.training_runs,
        totals: PassportTotals {
            events: usage.events,
            samples: usage.samples,
            amounts: amounts_by_currency(&lines)?,
        },
        usage_ledger_root: usage_root(&lines)?,
        usage_line_count: lines.len() as u64,
        log_checkpoint: checkpoint(p).await?,
    };
    let ring = p.keys()?;
    Ok(sign_passport(fields, ring.active_signer(), now)?)
}

/// The signed status of `model_id`'s passport: every use of an asset whose
/// consent has since been revoked.
pub async fn status(p: &impl Platform, model_id: &str) -> Result<Value> {
    let mut leaves: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    for (manifest_id, leaf) in p.model_assets(model_id).await? {
        leaves.entry(manifest_id).or_default().insert(leaf);
    }
    let mut assets = Vec::new();
    for (manifest_id, leaves) in &leaves {
        let leaves: Vec<u64> = leaves.iter().copied().collect();
        for a in p
            .manifest_assets_matching(manifest_id, &[], &leaves)
            .await?
        {
            assets.push((manifest_id.clone(), a));
        }
    }
    let consent_ids: BTreeSet<&str> = assets.iter().map(|(_, a)| a.consent_id.as_str()).collect();
    let consent_ids: Vec<&str> = consent_ids.into_iter().collect();
    let revoked: BTreeMap<String, _> = p
        .consents(&consent_ids)
        .await?
        .into_iter()
        .filter_map(|c| c.revoked_at.map(|at| (c.id, at)))
        .collect();
    // Each (consent, asset, manifest) once, by consent then asset.
    let uses: BTreeSet<(String, String, String)> = assets
        .iter()
        .filter(|(_, a)| revoked.contains_key(&a.consent_id))
        .map(|(m, a)| (a.consent_id.clone(), a.content_hash.to_string(), m.clone()))
        .collect();
    let now = p.now();
    let fields = PassportStatusFields {
        model_id: model_id.to_string(),
        revoked: uses
            .into_iter()
            .map(|(consent_id, asset_hash, manifest_id)| {
                Ok(RevokedUse {
                    revoked_at: revoked[&consent_id],
                    asset_hash: asset_hash.parse()?,
                    consent_id,
                    manifest_id,
                })
            })
            .collect::<Result<Vec<_>>>()?,
        checked_at: now,
    };
    let ring = p.keys()?;
    Ok(sign_passport_status(fields, ring.active_signer(), now)?)
}
