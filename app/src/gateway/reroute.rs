//! Re-evaluating contributions when a consent or the policy changes.

use fairtrain_consent::log_event::{self, LogEvent, SCHEMA_VERSION};
use fairtrain_consent::policy::{evaluate, Contribution};

use super::consent_cache::{ConsentCache, Stored};
use crate::contributions::store::{RouteChange, RoutedContribution};
use crate::error::{Error, Result};
use crate::log::PendingEntry;
use crate::platform::Platform;

/// Contributions re-evaluated per page.
const PAGE: u32 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which<'a> {
    /// Every contribution under one consent.
    Consent(&'a str),
    /// Every contribution (a new policy).
    All,
}

/// Re-routes the contributions selected under the policy in force; returns
/// how many changed route. Each change is written with its log entry, all
/// or nothing, then logged: the log shows every change made, and only those.
pub async fn reroute(p: &impl Platform, which: Which<'_>) -> Result<usize> {
    let policy = crate::policies::in_force(p).await?;
    let now = p.now();
    let mut changed = 0;
    let mut after = String::new();
    let mut consents = ConsentCache::default();
    loop {
        let rows = p.routed_contributions(which, &after, PAGE).await?;
        let Some(last) = rows.last() else { break };
        after = last.receipt_id.clone();
        consents
            .load(p, rows.iter().map(|r| r.consent_id.as_str()))
            .await?;
        let mut updates = Vec::new();
        let mut events = Vec::new();
        for row in &rows {
            let decision = evaluate(
                &policy,
                Stored::state(consents.get(&row.consent_id)),
                &contribution(row)?,
                now,
            );
            let (route, reason) = (decision.route.to_string(), decision.reason.to_string());
            if route == row.route && reason == row.route_reason {
                continue;
            }
            events.push(log_event::entry(LogEvent::AssetRouted {
                v: SCHEMA_VERSION,
                at: now,
                asset_hash: row.asset_hash.parse()?,
                receipt_id: row.receipt_id.clone(),
                route: route.clone(),
                reason: reason.clone(),
            })?);
            updates.push(RouteChange {
                receipt_id: row.receipt_id.clone(),
                route,
                reason,
                policy_version: policy.policy_version.clone(),
                routed_at: now,
            });
        }
        if !events.is_empty() {
            changed += updates.len();
            p.update_routes(&updates, &PendingEntry::all(&events))
                .await?;
            crate::log::flush(p, &events).await;
        }
        if rows.len() < PAGE as usize {
            break;
        }
    }
    Ok(changed)
}

fn contribution(row: &RoutedContribution) -> Result<Contribution> {
    Ok(Contribution {
        content_hash: row.asset_hash.parse()?,
        scope: row
            .scope
            .parse()
            .map_err(|_| Error::internal(format!("stored scope {:?} is unknown", row.scope)))?,
    })
}
