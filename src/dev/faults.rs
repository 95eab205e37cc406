//! Fault injection and tampering, for tests of the ledger (development
//! only): usage messages made to fail on purpose (`dev_faults`), and a
//! ledger line changed behind the ledger's back.

use fairtrain_app::faults::{Fault, Faults};
use fairtrain_app::platform::Config;
use fairtrain_app::{Error, Result};
use fairtrain_core::principal::Role;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::Response;

use crate::http::context::Cx;
use crate::http::error::ApiResult;
use crate::http::{auth, body, reply};
use crate::runtime::Runtime;

/// Production never injects a fault; development reads them from D1.
impl Faults for Runtime {
    async fn usage_fault(&self, report_id: &str) -> Result<Option<Fault>> {
        if !self.settings().development {
            return Ok(None);
        }
        self.take_dev_fault(report_id).await
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetFault {
    target: String,
    remaining: u32,
    mode: String,
}

/// `POST /v1/dev/faults` (operator): make usage messages of a report (or
/// of any, `*`) fail on purpose, `remaining` times.
pub async fn set(mut cx: Cx) -> ApiResult<Response> {
    super::require_development(&cx)?;
    auth::require(&cx, &[Role::Operator]).await?;
    let f: SetFault = body::json(&mut cx, 1024).await?;
    let mode: Fault = f
        .mode
        .parse()
        .map_err(|_| Error::field("/mode", "before_write or after_write"))?;
    cx.rt.set_dev_fault(&f.target, f.remaining, mode).await?;
    reply::ok(&json!({ "target": f.target, "remaining": f.remaining, "mode": f.mode }))
}

/// `POST /v1/dev/tamper {"event_id"}` (operator): change one event's ledger
/// lines' amounts behind the ledger's back, so reconciliation can be shown
/// to find it.
pub async fn tamper(mut cx: Cx) -> ApiResult<Response> {
    super::require_development(&cx)?;
    auth::require(&cx, &[Role::Operator]).await?;
    let v: Value = body::json(&mut cx, 1024).await?;
    let event_id = v["event_id"].as_str().unwrap_or_default();
    cx.rt.tamper_ledger(event_id).await?;
    reply::ok(&json!({ "tampered": event_id }))
}
