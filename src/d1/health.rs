//! The database probe for `/healthz`.

use fairtrain_app::health::{DatabaseProbe, Ping};
use fairtrain_app::Result;

use crate::runtime::Runtime;

impl DatabaseProbe for Runtime {
    async fn ping_database(&self) -> Result<Ping> {
        Ok(
            match self
                .db()?
                .prepare("SELECT 1 AS one")
                .first::<serde_json::Value>(None)
                .await
            {
                Ok(Some(_)) => Ping::Ok,
                Ok(None) => Ping::NoRows,
                Err(e) => Ping::Failed(e.to_string()),
            },
        )
    }
}
