//! `creators`, `creator_profiles` and `creator_challenges`.

use fairtrain_app::creators::store::CreatorStore;
use fairtrain_app::Result;

use crate::runtime::Runtime;

impl CreatorStore for Runtime {
    async fn is_registered(&self, did: &str) -> Result<bool> {
        let row: Option<serde_json::Value> = self
            .db()?
            .prepare("SELECT did FROM creators WHERE did = ?1")
            .bind(&[did.into()])?
            .first(None)
            .await?;
        Ok(row.is_some())
    }
}
