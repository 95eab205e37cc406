//! `/v1/policies`: consent policies, versioned. Publishing a version logs it
//! and re-routes every contribution under the policy now in force.

use fairtrain_consent::log_event::{self, LogEvent, SCHEMA_VERSION};
use fairtrain_consent::policy::Policy;
use fairtrain_core::principal::Role;
use fairtrain_core::problem::ProblemType;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::Response;

use crate::auth;
use crate::context::Cx;
use crate::error::{ApiError, ApiResult};
use crate::gateway::reroute::{self, Which};
use crate::http::{body, reply};
use crate::routes::log;

#[derive(Deserialize)]
struct Row {
    version: String,
    effective_date: String,
    document: String,
    policy_hash: String,
    published_at: String,
    log_entry_hash: String,
}

fn describe(r: Row) -> ApiResult<Value> {
    Ok(json!({
        "policy_version": r.version,
        "effective_date": r.effective_date,
        "policy_hash": r.policy_hash,
        "published_at": r.published_at,
        "log_entry_hash": r.log_entry_hash,
        "policy": serde_json::from_str::<Value>(&r.document).map_err(ApiError::internal)?,
    }))
}

pub async fn publish(mut cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let bytes = body::json_bytes(&mut cx, 256 * 1024).await?;
    let policy: Policy = body::parse_json(&bytes)?;
    policy
        .validate()
        .map_err(|e| ApiError::field("", e.to_string()))?;
    let hash = policy.hash().map_err(ApiError::internal)?;
    let existing: Option<Row> = cx
        .db()?
        .prepare("SELECT version, effective_date, document, policy_hash, published_at, log_entry_hash FROM policies WHERE version = ?1")
        .bind(&[policy.policy_version.as_str().into()])?
        .first(None)
        .await?;
    if let Some(row) = existing {
        // Versions are immutable: the same document again is a no-op.
        if row.policy_hash == hash.to_string() {
            return reply::ok(&describe(row)?);
        }
        return Err(ApiError::new(
            ProblemType::Conflict,
            format!(
                "policy version {} exists with different content; publish a new version",
                policy.policy_version
            ),
        ));
    }
    let entry = log_event::entry(LogEvent::PolicyPublished {
        v: SCHEMA_VERSION,
        at: cx.now(),
        policy_version: policy.policy_version.clone(),
        policy_hash: hash,
    })
    .map_err(ApiError::internal)?;
    let entry_hash = entry.hash.to_string();
    log::append(&cx, vec![entry]).await?;
    let document = serde_json::to_string(&policy).map_err(ApiError::internal)?;
    let now = cx.now().format_rfc3339();
    cx.db()?
        .prepare("INSERT INTO policies (version, effective_date, document, policy_hash, published_at, log_entry_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .bind(&[
            policy.policy_version.as_str().into(),
            policy.effective_date.as_str().into(),
            document.as_str().into(),
            hash.to_string().into(),
            now.as_str().into(),
            entry_hash.as_str().into(),
        ])?
        .run()
        .await?;
    let rerouted = reroute::reroute(&cx, Which::All).await?;
    let body = json!({
        "policy_version": policy.policy_version,
        "effective_date": policy.effective_date,
        "policy_hash": hash.to_string(),
        "published_at": now,
        "log_entry_hash": entry_hash,
        "rerouted": rerouted,
    });
    reply::created(&body, &format!("/v1/policies/{}", policy.policy_version))
}

pub async fn list(cx: Cx) -> ApiResult<Response> {
    let rows: Vec<Row> = cx
        .db()?
        .prepare("SELECT version, effective_date, document, policy_hash, published_at, log_entry_hash FROM policies ORDER BY effective_date, published_at")
        .all()
        .await?
        .results()?;
    let policies = rows
        .into_iter()
        .map(describe)
        .collect::<ApiResult<Vec<_>>>()?;
    reply::json(200, &json!({ "policies": policies }), "public, max-age=60")
}

pub async fn get(cx: Cx, version: &str) -> ApiResult<Response> {
    let row: Option<Row> = if version == "current" {
        let current = crate::gateway::policy_store::current(&cx).await?;
        cx.db()?
            .prepare("SELECT version, effective_date, document, policy_hash, published_at, log_entry_hash FROM policies WHERE version = ?1")
            .bind(&[current.policy_version.as_str().into()])?
            .first(None)
            .await?
    } else {
        cx.db()?
            .prepare("SELECT version, effective_date, document, policy_hash, published_at, log_entry_hash FROM policies WHERE version = ?1")
            .bind(&[version.into()])?
            .first(None)
            .await?
    };
    let row = row.ok_or_else(|| ApiError::not_found(&format!("/v1/policies/{version}")))?;
    reply::json(200, &describe(row)?, "public, max-age=60")
}
