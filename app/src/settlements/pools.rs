//! Subscription and revenue-share pools, allocated when a period closes.
//!
//! Events under these models are recorded with their usage share (units)
//! and no per-event price. At settlement each such manifest's pool is shared
//! among its creators by their units in the period, exactly
//! (`settlement::allocate_pool`), as ledger lines of kind `subscription` or
//! `revenue_share` that the settlement then covers like any other line:
//!
//! - subscription: `price.per_use` is the fee per license per period; the
//!   pool is that fee times the licenses in force during the period;
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
use fairtrain_settlement::{allocate_pool, LedgerLine, LineKind};
use serde::Serialize;
use serde_json::json;

use crate::error::{Error, Result};
use crate::licenses::store::StoredLicense;
use crate::platform::Platform;

/// What became of one manifest's pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoolOutcome {
    pub manifest_id: String,
    pub kind: LineKind,
    pub pool: String,
    pub allocated: bool,
    /// How many creators shared it, when allocated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creators: Option<usize>,
    /// Why not, when not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

/// In force at some time during [`start`, `end`).
pub fn in_force_during(l: &StoredLicense, start: Timestamp, end: Timestamp) -> bool {
    l.granted_at < end
        && l.expires_at.is_none_or(|e| e > start)
        && l.revoked_at.is_none_or(|r| r > start)
}

/// The pool of a manifest for the period, and the kind of its lines; `None`
/// for the models that price each event.
async fn pool_of(
    p: &impl Platform,
    manifest_id: &str,
    model: AttributionModel,
    per_use: &str,
    rate: &Rate,
    period_start: Timestamp,
    period_end: Timestamp,
) -> Result<Option<(LineKind, Atto)>> {
    Ok(Some(match model {
        AttributionModel::Subscription => {
            let licenses = p.licenses_for_manifest(manifest_id).await?;
            let n = licenses
                .iter()
                .filter(|l| in_force_during(l, period_start, period_end))
                .count();
            (LineKind::Subscription, rate.times(n as u128)?)
        }
        AttributionModel::RevenueShare => {
            let revenue = p.unsettled_revenue(manifest_id, &rate.currency).await?;
            // The share as a fraction scaled by 10^18: revenue (minor
            // units) times it is the pool in atto-units, exactly.
            let share = parse_major(per_use, 0)?;
            let pool = revenue
                .checked_mul(share.0)
                .ok_or_else(|| Error::internal("pool overflow"))?;
            (LineKind::RevenueShare, Atto(pool))
        }
        _ => return Ok(None),
    }))
}

/// Adds the pools' lines to settlement `id` (claimed, like its usage lines)
/// and claims the revenue reports used. Returns what was allocated and what
/// was not.
pub async fn allocate(
    p: &impl Platform,
    id: &str,
    period_start: Timestamp,
    period_end: Timestamp,
) -> Result<Vec<PoolOutcome>> {
    let manifests = p
        .manifests_priced_by(&[
            AttributionModel::Subscription,
            AttributionModel::RevenueShare,
        ])
        .await?;
    let now = p.now();
    let mut lines = Vec::new();
    let mut outcomes = Vec::new();
    for m in manifests {
        let policy = &m.usage_policy;
        let rate = Rate::from_price(&policy.price)?;
        let Some((kind, pool)) = pool_of(
            p,
            &m.id,
            policy.attribution_model,
            &policy.price.per_use,
            &rate,
            period_start,
            period_end,
        )
        .await?
        else {
            continue;
        };
        if pool == Atto::ZERO {
            continue;
        }
        let weights = p.usage_units(id, &m.id).await?;
        if weights.iter().all(|(_, u)| *u == 0) {
            outcomes.push(PoolOutcome {
                manifest_id: m.id.clone(),
                kind,
                pool: pool.to_string(),
                allocated: false,
                creators: None,
                reason: Some("no usage in the period"),
            });
            continue;
        }
        let parts = allocate_pool(pool, &weights)?;
        for ((creator, part), (_, units)) in parts.iter().zip(&weights) {
            let description = json!({ "settlement_id": id, "manifest_id": m.id, "kind": kind,
                                      "pool": pool.to_string(), "creator": creator, "units": units });
            let hash = Sha256Digest::of(description.to_string().as_bytes());
            lines.push(LedgerLine {
                event_id: format!("pool:{}", &hash.to_hex()[..32]),
                event_hash: hash,
                manifest_id: m.id.clone(),
                leaf_index: 0,
                creator: creator.clone(),
                model_id: "-".into(),
                training_run_id: "-".into(),
                kind,
                units: *units,
                currency: rate.currency.clone(),
                minor_units: rate.minor_units,
                amount: *part,
                priced_at: now,
            });
        }
        outcomes.push(PoolOutcome {
            manifest_id: m.id.clone(),
            kind,
            pool: pool.to_string(),
            allocated: true,
            creators: Some(parts.len()),
            reason: None,
        });
    }
    let revenue_used: Vec<String> = outcomes
        .iter()
        .filter(|o| o.allocated && o.kind == LineKind::RevenueShare)
        .map(|o| o.manifest_id.clone())
        .collect();
    p.add_pool_lines(id, &lines, &revenue_used).await?;
    Ok(outcomes)
}
