//! `GET /v1/receipts/{id}`: a storage receipt, to its creator, the operator
//! and auditors.

use fairtrain_core::principal::Role;
use serde::Deserialize;
use serde_json::Value;
use worker::Response;

use crate::http::auth;
use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::http::reply;

pub async fn get(cx: Cx, id: &str) -> ApiResult<Response> {
    let principal = auth::require(&cx, &[Role::Operator, Role::Auditor, Role::Creator]).await?;
    #[derive(Deserialize)]
    struct Row {
        contributor: String,
        receipt: String,
    }
    let row: Option<Row> = cx
        .db()?
        .prepare("SELECT contributor, receipt FROM contributions WHERE receipt_id = ?1")
        .bind(&[id.into()])?
        .first(None)
        .await?;
    let row = row.ok_or_else(|| ApiError::not_found(&format!("/v1/receipts/{id}")))?;
    if principal.role == Role::Creator && principal.id != row.contributor {
        return Err(ApiError::forbidden(
            "this receipt belongs to another creator",
        ));
    }
    let receipt: Value = serde_json::from_str(&row.receipt).map_err(ApiError::internal)?;
    reply::ok(&receipt)
}
