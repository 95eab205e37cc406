//! The model passport: a signed VC listing what a model was trained on
//! (manifests and snapshots, runs, usage totals), the Merkle root of its
//! usage ledger lines, and the log checkpoint it is consistent with; and its
//! status, which turns to `needs_review` once a consent behind it is revoked.

use fairtrain_core::time::Timestamp;
use fairtrain_settlement::{
    amounts_by_currency, sign_passport, sign_passport_status, usage_root, LogCheckpointRef,
    PassportFields, PassportManifest, PassportStatusFields, PassportTotals, RevokedUse,
};
use fairtrain_tlog::Hash;
use serde::Deserialize;
use serde_json::Value;

use super::ledger::ledger_lines;
use crate::durable_objects::log_sequencer::publish::PREFIX;
use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::runtime::keys;

async fn checkpoint(cx: &Cx) -> ApiResult<LogCheckpointRef> {
    let object = cx
        .env
        .bucket("BLOBS")?
        .get(format!("{PREFIX}checkpoint"))
        .execute()
        .await?
        .ok_or_else(|| ApiError::unavailable("the log has no checkpoint yet"))?;
    let bytes = object
        .body()
        .ok_or_else(|| ApiError::internal("empty checkpoint"))?
        .bytes()
        .await?;
    let text = String::from_utf8(bytes).map_err(ApiError::internal)?;
    let mut lines = text.lines();
    let origin = lines.next().unwrap_or_default().to_string();
    let size = lines
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ApiError::internal("checkpoint size"))?;
    let root_hash = lines
        .next()
        .and_then(|s| Hash::from_base64(s).ok())
        .ok_or_else(|| ApiError::internal("checkpoint root"))?;
    Ok(LogCheckpointRef {
        origin,
        size,
        root_hash,
    })
}

pub async fn passport(cx: &Cx, model_id: &str) -> ApiResult<Value> {
    let db = cx.db()?;
    let lines = ledger_lines(cx, "model_id = ?1", &[model_id.into()]).await?;
    if lines.is_empty() {
        return Err(ApiError::not_found(&format!(
            "/v1/models/{model_id}/passport"
        )));
    }
    #[derive(Deserialize)]
    struct Totals {
        events: i64,
        samples: Option<i64>,
    }
    let t: Option<Totals> = db
        .prepare("SELECT COUNT(*) AS events, SUM(samples) AS samples FROM usage_events WHERE model_id = ?1")
        .bind(&[model_id.into()])?
        .first(None)
        .await?;
    let t = t.ok_or_else(|| ApiError::internal("totals"))?;
    #[derive(Deserialize)]
    struct M {
        id: String,
        snapshot_id: String,
        manifest_hash: String,
    }
    let manifests: Vec<M> = db
        .prepare(
            "SELECT id, snapshot_id, manifest_hash FROM manifests WHERE id IN \
             (SELECT DISTINCT manifest_id FROM usage_events WHERE model_id = ?1) ORDER BY id",
        )
        .bind(&[model_id.into()])?
        .all()
        .await?
        .results()?;
    #[derive(Deserialize)]
    struct Run {
        training_run_id: String,
    }
    let runs: Vec<Run> = db
        .prepare("SELECT DISTINCT training_run_id FROM usage_events WHERE model_id = ?1 ORDER BY training_run_id")
        .bind(&[model_id.into()])?
        .all()
        .await?
        .results()?;
    let fields = PassportFields {
        passport_id: format!("urn:uuid:{}", uuid::Uuid::new_v4()),
        issued_at: cx.now(),
        model_id: model_id.to_string(),
        manifests: manifests
            .into_iter()
            .map(|m| {
                Ok(PassportManifest {
                    manifest_id: m.id,
                    snapshot_id: m.snapshot_id,
                    manifest_hash: m.manifest_hash.parse().map_err(ApiError::internal)?,
                })
            })
            .collect::<ApiResult<Vec<_>>>()?,
        training_runs: runs.into_iter().map(|r| r.training_run_id).collect(),
        totals: PassportTotals {
            events: t.events as u64,
            samples: t.samples.unwrap_or(0) as u64,
            amounts: amounts_by_currency(&lines).map_err(ApiError::internal)?,
        },
        usage_ledger_root: usage_root(&lines).map_err(ApiError::internal)?,
        usage_line_count: lines.len() as u64,
        log_checkpoint: checkpoint(cx).await?,
    };
    let ring = keys::load(&cx.env)?;
    sign_passport(fields, ring.active_signer(), cx.now()).map_err(ApiError::internal)
}

pub async fn status(cx: &Cx, model_id: &str) -> ApiResult<Value> {
    #[derive(Deserialize)]
    struct R {
        consent_id: String,
        content_hash: String,
        revoked_at: String,
        manifest_id: String,
    }
    let rows: Vec<R> = cx
        .db()?
        .prepare(
            "SELECT DISTINCT a.consent_id, a.content_hash, k.revoked_at, a.manifest_id FROM usage_ledger l \
             JOIN manifest_assets a ON a.manifest_id = l.manifest_id AND a.idx = l.leaf_index \
             JOIN consents k ON k.id = a.consent_id \
             WHERE l.model_id = ?1 AND k.revoked_at IS NOT NULL ORDER BY a.consent_id, a.content_hash",
        )
        .bind(&[model_id.into()])?
        .all()
        .await?
        .results()?;
    let fields = PassportStatusFields {
        model_id: model_id.to_string(),
        revoked: rows
            .into_iter()
            .map(|r| {
                Ok(RevokedUse {
                    consent_id: r.consent_id,
                    asset_hash: r.content_hash.parse().map_err(ApiError::internal)?,
                    revoked_at: Timestamp::parse_rfc3339(&r.revoked_at)
                        .map_err(ApiError::internal)?,
                    manifest_id: r.manifest_id,
                })
            })
            .collect::<ApiResult<Vec<_>>>()?,
        checked_at: cx.now(),
    };
    let ring = keys::load(&cx.env)?;
    sign_passport_status(fields, ring.active_signer(), cx.now()).map_err(ApiError::internal)
}
