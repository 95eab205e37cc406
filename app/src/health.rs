//! Liveness, with a cheap check of each dependency.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::platform::Config;

/// What a trivial query of the database found.
pub enum Ping {
    /// It answered with a row.
    Ok,
    /// It answered without one.
    NoRows,
    /// It failed: why.
    Failed(String),
}

/// The database, as far as health is concerned.
#[allow(async_fn_in_trait)]
pub trait DatabaseProbe {
    /// Runs a trivial query. `Err` only if there is no database to ask.
    async fn ping_database(&self) -> Result<Ping>;
}

#[derive(Debug, Serialize)]
pub struct Checks {
    pub d1: String,
    pub signing_keys: String,
}

#[derive(Debug, Serialize)]
pub struct Health {
    pub status: &'static str,
    pub version: &'static str,
    pub checks: Checks,
}

/// Checks the database and the signing keys. Healthy is the report; a
/// failed check is `Unavailable`, with the `checks` member.
pub async fn check(p: &(impl Config + DatabaseProbe), version: &'static str) -> Result<Health> {
    let d1 = match p.ping_database().await? {
        Ping::Ok => "ok".to_string(),
        Ping::NoRows => "no rows".to_string(),
        Ping::Failed(e) => format!("error: {e}"),
    };
    let signing_keys = match p.keys() {
        Ok(ring) => format!(
            "ok ({} keys, active {})",
            ring.keys.len(),
            ring.active().kid
        ),
        Err(e) => e.to_string(),
    };
    let healthy = d1 == "ok" && signing_keys.starts_with("ok");
    let health = Health {
        status: if healthy { "ok" } else { "degraded" },
        version,
        checks: Checks { d1, signing_keys },
    };
    if healthy {
        Ok(health)
    } else {
        Err(Error::unavailable("a dependency is not healthy")
            .with("checks", serde_json::to_value(&health.checks)?))
    }
}
