//! Re-evaluating contributions when a consent or the policy changes.

use fairtrain_consent::log_event::{self, LogEvent, SCHEMA_VERSION};
use fairtrain_consent::policy::{evaluate, ConsentState, Contribution, Policy};
use serde::Deserialize;
use wasm_bindgen::JsValue;

use super::{consents, policy_store};
use crate::context::Cx;
use crate::error::{ApiError, ApiResult};
use crate::routes::log;

#[derive(Deserialize)]
struct Row {
    receipt_id: String,
    asset_hash: String,
    scope: String,
    route: String,
    route_reason: String,
    consent_id: String,
}

/// Contributions re-evaluated per statement page.
const PAGE: u32 = 500;

pub enum Which<'a> {
    /// Every contribution under one consent.
    Consent(&'a str),
    /// Every contribution (a new policy).
    All,
}

/// Re-route the contributions selected; returns how many changed route.
pub async fn reroute(cx: &Cx, which: Which<'_>) -> ApiResult<usize> {
    let policy = policy_store::current(cx).await?;
    let db = cx.db()?;
    let mut changed = 0;
    let mut after = String::new();
    let mut consents = consents::Cache::new();
    loop {
        let select =
            "SELECT c.receipt_id, c.asset_hash, c.scope, c.route, c.route_reason, c.consent_id \
                      FROM contributions c WHERE c.receipt_id > ?1";
        let statement = match which {
            Which::Consent(id) => db
                .prepare(format!(
                    "{select} AND c.consent_id = ?2 ORDER BY c.receipt_id LIMIT {PAGE}"
                ))
                .bind(&[after.as_str().into(), id.into()])?,
            Which::All => db
                .prepare(format!("{select} ORDER BY c.receipt_id LIMIT {PAGE}"))
                .bind(&[after.as_str().into()])?,
        };
        let rows: Vec<Row> = statement.all().await?.results()?;
        let Some(last) = rows.last() else { break };
        after = last.receipt_id.clone();
        consents::load(
            cx,
            rows.iter().map(|r| r.consent_id.as_str()),
            &mut consents,
        )
        .await?;
        let mut updates = Vec::new();
        let mut events = Vec::new();
        for row in &rows {
            let decision = decide(
                cx,
                &policy,
                row,
                consents.get(&row.consent_id).and_then(Option::as_ref),
            )?;
            let (route, reason) = (decision.route.to_string(), decision.reason.to_string());
            if route == row.route && reason == row.route_reason {
                continue;
            }
            updates.push(
                db.prepare("UPDATE contributions SET route = ?2, route_reason = ?3, policy_version = ?4, routed_at = ?5 WHERE receipt_id = ?1")
                    .bind(&[
                        row.receipt_id.as_str().into(),
                        route.as_str().into(),
                        reason.as_str().into(),
                        policy.policy_version.as_str().into(),
                        JsValue::from_str(&cx.now().format_rfc3339()),
                    ])?,
            );
            events.push(
                log_event::entry(LogEvent::AssetRouted {
                    v: SCHEMA_VERSION,
                    at: cx.now(),
                    asset_hash: row.asset_hash.parse().map_err(ApiError::internal)?,
                    receipt_id: row.receipt_id.clone(),
                    route,
                    reason,
                })
                .map_err(ApiError::internal)?,
            );
        }
        if !events.is_empty() {
            // Logged first: a route change the log does not show never happens.
            log::append(cx, events).await?;
            changed += updates.len();
            db.batch(updates).await?;
        }
        if rows.len() < PAGE as usize {
            break;
        }
    }
    Ok(changed)
}

fn decide(
    cx: &Cx,
    policy: &Policy,
    row: &Row,
    stored: Option<&consents::Stored>,
) -> ApiResult<fairtrain_consent::policy::Decision> {
    let state = match stored {
        None
        | Some(consents::Stored {
            consent: None,
            revoked: false,
        }) => ConsentState::None,
        Some(consents::Stored { revoked: true, .. }) => ConsentState::Revoked,
        Some(consents::Stored {
            consent: Some(v), ..
        }) => ConsentState::Active(v),
    };
    let content_hash = row.asset_hash.parse().map_err(ApiError::internal)?;
    let scope = row
        .scope
        .parse()
        .map_err(|_| ApiError::internal(format!("stored scope {:?} is unknown", row.scope)))?;
    Ok(evaluate(
        policy,
        state,
        &Contribution {
            content_hash,
            scope,
        },
        cx.now(),
    ))
}
