//! `contributions`, `blobs`, `uploads` and `upload_rate`.

use fairtrain_app::contributions::store::{
    ContributionStore, RouteChange, RoutedContribution, UploadStore,
};
use fairtrain_app::gateway::Which;
use fairtrain_app::Result;
use serde::Deserialize;

use crate::runtime::Runtime;

#[derive(Deserialize)]
struct RouteRow {
    receipt_id: String,
    asset_hash: String,
    scope: String,
    route: String,
    route_reason: String,
    consent_id: String,
}

impl ContributionStore for Runtime {
    async fn routed_contributions(
        &self,
        which: Which<'_>,
        after: &str,
        limit: u32,
    ) -> Result<Vec<RoutedContribution>> {
        let db = self.db()?;
        let select = "SELECT receipt_id, asset_hash, scope, route, route_reason, consent_id \
                      FROM contributions WHERE receipt_id > ?1";
        let statement = match which {
            Which::Consent(id) => db
                .prepare(format!(
                    "{select} AND consent_id = ?2 ORDER BY receipt_id LIMIT {limit}"
                ))
                .bind(&[after.into(), id.into()])?,
            Which::All => db
                .prepare(format!("{select} ORDER BY receipt_id LIMIT {limit}"))
                .bind(&[after.into()])?,
        };
        let rows: Vec<RouteRow> = statement.all().await?.results()?;
        Ok(rows
            .into_iter()
            .map(|r| RoutedContribution {
                receipt_id: r.receipt_id,
                asset_hash: r.asset_hash,
                scope: r.scope,
                route: r.route,
                route_reason: r.route_reason,
                consent_id: r.consent_id,
            })
            .collect())
    }

    async fn update_routes(&self, changes: &[RouteChange]) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let db = self.db()?;
        let mut statements = Vec::with_capacity(changes.len());
        for c in changes {
            statements.push(
                db.prepare(
                    "UPDATE contributions SET route = ?2, route_reason = ?3, policy_version = ?4, \
                     routed_at = ?5 WHERE receipt_id = ?1",
                )
                .bind(&[
                    c.receipt_id.as_str().into(),
                    c.route.as_str().into(),
                    c.reason.as_str().into(),
                    c.policy_version.as_str().into(),
                    c.routed_at.format_rfc3339().into(),
                ])?,
            );
        }
        db.batch(statements).await?;
        Ok(())
    }
}

impl UploadStore for Runtime {}
