//! Subscription and revenue-share pools, allocated when a period closes.
//!
//! Events under these models are recorded with their usage share (units)
//! and no per-event price. At settlement each such manifest's pool is shared
//! among its creators by their units in the period, exactly
//! (`settlement::allocate_pool`), as ledger lines of kind `subscription` or
//! `revenue_share` that the settlement then covers like any other line:
//!
//! - subscription: `price.per_use` is the fee per licence per period; the
//!   pool is that fee times the licences in force during the period;
//! - revenue share: `price.per_use` is the creators' share of revenue (e.g.
//!   `0.30`); the pool is that share of the revenue the operator reported for
//!   the manifest (`POST /v1/manifests/{id}/revenue`) and not yet settled.
//!
//! A pool with no usage in the period is not allocated (and says so in the
//! settlement's answer); the revenue stays unsettled for the next period.

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::money::{parse_major, Atto, Rate};
use fairtrain_core::time::Timestamp;
use fairtrain_manifest::terms::AttributionModel;
use fairtrain_settlement::allocate_pool;
use serde::Deserialize;
use serde_json::{json, Value};

use super::consume::json_chunks;
use super::policies::{from_document, Policies};
use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};

#[derive(Deserialize)]
struct PoolManifest {
    id: String,
    document: String,
}

#[derive(Deserialize)]
struct Share {
    creator: String,
    units: i64,
}

/// Adds the pools' lines to settlement `id` (claimed, like its usage lines)
/// and claims the revenue reports used. Returns what was allocated and what
/// was not.
pub async fn allocate(
    cx: &Cx,
    id: &str,
    period_start: Timestamp,
    period_end: Timestamp,
) -> ApiResult<Value> {
    let db = cx.db()?;
    let manifests: Vec<PoolManifest> = db
        .prepare(
            "SELECT id, document FROM manifests WHERE json_extract(document, \
             '$.credentialSubject.usage_policy.attribution_model') IN ('subscription', 'revenue_share')",
        )
        .all()
        .await?
        .results()?;
    let (start, end) = (period_start.format_rfc3339(), period_end.format_rfc3339());
    let mut lines = Vec::new();
    let mut report = Vec::new();
    for m in manifests {
        let policy = from_document(&m.document)?;
        let rate = Rate::from_price(&policy.price).map_err(ApiError::internal)?;
        let (kind, pool) = match policy.attribution_model {
            AttributionModel::Subscription => {
                #[derive(Deserialize)]
                struct N {
                    n: i64,
                }
                let n: Option<N> = db
                    .prepare(
                        "SELECT COUNT(*) AS n FROM licenses WHERE manifest_id = ?1 AND granted_at < ?3 \
                         AND (expires_at IS NULL OR expires_at > ?2) AND (revoked_at IS NULL OR revoked_at > ?2)",
                    )
                    .bind(&[m.id.as_str().into(), start.as_str().into(), end.as_str().into()])?
                    .first(None)
                    .await?;
                let n = n.map(|n| n.n.max(0) as u128).unwrap_or(0);
                ("subscription", rate.times(n).map_err(ApiError::internal)?)
            }
            AttributionModel::RevenueShare => {
                #[derive(Deserialize)]
                struct R {
                    total: Option<i64>,
                }
                let r: Option<R> = db
                    .prepare(
                        "SELECT SUM(amount_minor) AS total FROM revenue_reports WHERE manifest_id = ?1 \
                         AND settlement_id IS NULL AND currency = ?2",
                    )
                    .bind(&[m.id.as_str().into(), rate.currency.as_str().into()])?
                    .first(None)
                    .await?;
                let revenue = r.and_then(|r| r.total).unwrap_or(0).max(0) as u128;
                // The share as a fraction scaled by 10^18: revenue (minor
                // units) times it is the pool in atto-units, exactly.
                let share = parse_major(&policy.price.per_use, 0).map_err(ApiError::internal)?;
                (
                    "revenue_share",
                    Atto(
                        revenue
                            .checked_mul(share.0)
                            .ok_or_else(|| ApiError::internal("pool overflow"))?,
                    ),
                )
            }
            _ => continue,
        };
        if pool == Atto::ZERO {
            continue;
        }
        let shares: Vec<Share> = db
            .prepare(
                "SELECT creator, SUM(units) AS units FROM usage_ledger WHERE settlement_id = ?1 \
                 AND manifest_id = ?2 AND kind = 'usage' GROUP BY creator ORDER BY creator",
            )
            .bind(&[id.into(), m.id.as_str().into()])?
            .all()
            .await?
            .results()?;
        let weights: Vec<(String, u64)> = shares
            .iter()
            .map(|s| (s.creator.clone(), s.units.max(0) as u64))
            .collect();
        if weights.iter().all(|(_, u)| *u == 0) {
            report.push(
                json!({ "manifest_id": m.id, "kind": kind, "pool": pool.to_string(),
                                "allocated": false, "reason": "no usage in the period" }),
            );
            continue;
        }
        let parts = allocate_pool(pool, &weights).map_err(ApiError::internal)?;
        let now = cx.now().format_rfc3339();
        for ((creator, part), (_, units)) in parts.iter().zip(&weights) {
            let description = json!({ "settlement_id": id, "manifest_id": m.id, "kind": kind,
                                      "pool": pool.to_string(), "creator": creator, "units": units });
            let hash = Sha256Digest::of(description.to_string().as_bytes());
            lines.push(json!({
                "event_id": format!("pool:{}", &hash.to_hex()[..32]), "event_hash": hash.to_string(),
                "kind": kind, "manifest_id": m.id, "creator": creator, "units": units,
                "currency": rate.currency, "minor_units": rate.minor_units, "amount": part.to_string(),
                "priced_at": now,
            }));
        }
        report.push(
            json!({ "manifest_id": m.id, "kind": kind, "pool": pool.to_string(), "allocated": true,
                            "creators": parts.len() }),
        );
    }
    let mut statements = Vec::new();
    for chunk in json_chunks(&lines)? {
        statements.push(
            db.prepare(
                "INSERT INTO usage_ledger (event_id, event_hash, leaf_index, kind, manifest_id, creator, model_id, \
                 training_run_id, units, currency, minor_units, amount, priced_at, settlement_id) \
                 SELECT j.value ->> 'event_id', j.value ->> 'event_hash', 0, j.value ->> 'kind', \
                 j.value ->> 'manifest_id', j.value ->> 'creator', '-', '-', j.value ->> 'units', \
                 j.value ->> 'currency', j.value ->> 'minor_units', j.value ->> 'amount', \
                 j.value ->> 'priced_at', ?2 FROM json_each(?1) j",
            )
            .bind(&[chunk.as_str().into(), id.into()])?,
        );
    }
    statements.push(
        db.prepare(
            "UPDATE revenue_reports SET settlement_id = ?1 WHERE settlement_id IS NULL AND manifest_id IN \
             (SELECT value FROM json_each(?2))",
        )
        .bind(&[
            id.into(),
            serde_json::to_string(
                &report
                    .iter()
                    .filter(|r| r["allocated"] == true && r["kind"] == "revenue_share")
                    .map(|r| r["manifest_id"].clone())
                    .collect::<Vec<_>>(),
            )
            .map_err(ApiError::internal)?
            .into(),
        ])?,
    );
    db.batch(statements).await?;
    Ok(json!(report))
}

/// Undoes [`allocate`] for a settlement that did not close.
pub async fn release(cx: &Cx, id: &str) -> ApiResult<()> {
    let db = cx.db()?;
    db.batch(vec![
        db.prepare("DELETE FROM usage_ledger WHERE settlement_id = ?1 AND kind != 'usage'")
            .bind(&[id.into()])?,
        db.prepare("UPDATE revenue_reports SET settlement_id = NULL WHERE settlement_id = ?1")
            .bind(&[id.into()])?,
    ])
    .await?;
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revenue {
    pub amount_minor: u64,
    pub currency: String,
}

/// Records revenue for a revenue-share manifest (shared at the next settlement).
pub async fn record_revenue(cx: &Cx, manifest_id: &str, r: &Revenue) -> ApiResult<Value> {
    let mut policies = Policies::default();
    let policy = policies
        .load(cx, manifest_id)
        .await?
        .ok_or_else(|| ApiError::not_found(&format!("/v1/manifests/{manifest_id}")))?;
    if policy.attribution_model != AttributionModel::RevenueShare {
        return Err(ApiError::field(
            "/",
            "this manifest's attribution model is not revenue_share",
        ));
    }
    if r.currency != policy.price.currency {
        return Err(ApiError::field(
            "/currency",
            format!("the manifest is priced in {}", policy.price.currency),
        ));
    }
    if r.amount_minor == 0 || r.amount_minor > 9_007_199_254_740_991 {
        return Err(ApiError::field(
            "/amount_minor",
            "a whole number of minor units, 1 to 2^53-1",
        ));
    }
    let id = format!("urn:uuid:{}", uuid::Uuid::new_v4());
    let now = cx.now().format_rfc3339();
    cx.db()?
        .prepare(
            "INSERT INTO revenue_reports (id, manifest_id, amount_minor, currency, reported_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(&[
            id.as_str().into(),
            manifest_id.into(),
            (r.amount_minor as f64).into(),
            r.currency.as_str().into(),
            now.as_str().into(),
        ])?
        .run()
        .await?;
    Ok(
        json!({ "revenue_id": id, "manifest_id": manifest_id, "amount_minor": r.amount_minor.to_string(),
               "currency": r.currency, "reported_at": now }),
    )
}
