//! Consent policies in D1: the current one, and whether a version exists.

use fairtrain_consent::policy::Policy;
use serde::Deserialize;

use crate::context::Cx;
use crate::error::{ApiError, ApiResult};

#[derive(Deserialize)]
struct Row {
    document: String,
}

/// The policy in force: the latest effective date not in the future.
pub async fn current(cx: &Cx) -> ApiResult<Policy> {
    let today = &cx.now().format_rfc3339()[..10];
    let row: Option<Row> = cx
        .db()?
        .prepare("SELECT document FROM policies WHERE effective_date <= ?1 ORDER BY effective_date DESC, published_at DESC LIMIT 1")
        .bind(&[today.into()])?
        .first(None)
        .await?;
    let row = row.ok_or_else(|| {
        ApiError::unavailable(
            "no consent policy is in force yet: the operator publishes one with POST /v1/policies",
        )
    })?;
    serde_json::from_str(&row.document).map_err(ApiError::internal)
}

pub async fn exists(cx: &Cx, version: &str) -> ApiResult<bool> {
    let row: Option<serde_json::Value> = cx
        .db()?
        .prepare("SELECT version FROM policies WHERE version = ?1")
        .bind(&[version.into()])?
        .first(None)
        .await?;
    Ok(row.is_some())
}
