//! `/v1/consents`: creators grant consent with a signed token (a W3C VC) and
//! revoke it with a signed revocation. Both are verified here, stored, and
//! logged; a revocation re-routes the contributions that relied on it.
//! Revocation is forward-only: it stops future use, it cannot untrain models.

use fairtrain_consent::consent::{
    cawg_training_mining, verify_consent, verify_revocation, ConsentError,
};
use fairtrain_consent::log_event::{self, LogEvent, SCHEMA_VERSION};
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::jcs;
use fairtrain_core::principal::Role;
use fairtrain_core::problem::ProblemType;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::Response;

use crate::auth;
use crate::context::Cx;
use crate::error::{ApiError, ApiResult};
use crate::gateway::policy_store;
use crate::gateway::reroute::{self, Which};
use crate::http::{body, reply};
use crate::routes::log;

const TOKEN_LIMIT: usize = 256 * 1024;

fn consent_problem(e: ConsentError) -> ApiError {
    let reason = match &e {
        ConsentError::Malformed(_) => "malformed",
        ConsentError::BadSignature => "bad-signature",
        ConsentError::NotYetValid => "not-yet-valid",
        ConsentError::Expired => "expired",
        ConsentError::IssuerMismatch => "issuer-mismatch",
        ConsentError::Vocabulary(_) => "vocabulary",
        #[allow(unreachable_patterns)]
        _ => "invalid",
    };
    ApiError::new(
        ProblemType::ValidationFailed,
        format!("the consent token is not acceptable: {e}"),
    )
    .with("reason", reason)
}

pub async fn grant(mut cx: Cx) -> ApiResult<Response> {
    let creator = auth::require_creator(&cx).await?;
    let bytes = body::json_bytes(&mut cx, TOKEN_LIMIT).await?;
    let token: Value = body::parse_json(&bytes)?;
    let consent = verify_consent(&token, cx.now()).map_err(consent_problem)?;
    if consent.creator != creator {
        return Err(ApiError::forbidden(
            "a creator can only submit consent they issued themselves",
        ));
    }
    if !policy_store::exists(&cx, &consent.policy_version).await? {
        return Err(ApiError::new(
            ProblemType::ValidationFailed,
            format!(
                "unknown consent policy version {:?}",
                consent.policy_version
            ),
        )
        .with("reason", "unknown-policy-version"));
    }
    let canonical = jcs::canonicalize(&token).map_err(ApiError::internal)?;
    let db = cx.db()?;
    #[derive(Deserialize)]
    struct Existing {
        consent_hash: String,
        log_entry_hash: String,
    }
    let existing: Option<Existing> = db
        .prepare("SELECT consent_hash, log_entry_hash FROM consents WHERE id = ?1")
        .bind(&[consent.id.as_str().into()])?
        .first(None)
        .await?;
    if let Some(e) = existing {
        if e.consent_hash == consent.consent_hash.to_string() {
            return reply::ok(
                &json!({ "consent_id": consent.id, "consent_hash": e.consent_hash, "status": "active", "log_entry_hash": e.log_entry_hash }),
            );
        }
        return Err(ApiError::new(
            ProblemType::Conflict,
            "a different consent with this id exists",
        ));
    }
    let entry = log_event::entry(LogEvent::ConsentGranted {
        v: SCHEMA_VERSION,
        at: cx.now(),
        consent_id: consent.id.clone(),
        consent_hash: consent.consent_hash,
        creator: creator.to_string(),
        asset_hashes: consent.asset_hashes.clone(),
        policy_version: consent.policy_version.clone(),
    })
    .map_err(ApiError::internal)?;
    let entry_hash = entry.hash.to_string();
    let appended = log::append(&cx, vec![entry]).await?;
    let mut statements = vec![db
        .prepare(
            "INSERT INTO consents (id, creator, token, consent_hash, policy_version, jurisdiction, valid_from, valid_until, granted_at, log_entry_hash) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .bind(&[
            consent.id.as_str().into(),
            creator.to_string().into(),
            canonical.as_str().into(),
            consent.consent_hash.to_string().into(),
            consent.policy_version.as_str().into(),
            consent.jurisdiction.as_str().into(),
            consent.valid_from.format_rfc3339().into(),
            consent.valid_until.format_rfc3339().into(),
            cx.now().format_rfc3339().into(),
            entry_hash.as_str().into(),
        ])?];
    for h in &consent.asset_hashes {
        statements.push(
            db.prepare(
                "INSERT OR IGNORE INTO consent_assets (consent_id, asset_hash) VALUES (?1, ?2)",
            )
            .bind(&[consent.id.as_str().into(), h.to_string().into()])?,
        );
    }
    // One batch: the consent and its assets land together or not at all.
    db.batch(statements).await?;
    let body = json!({
        "consent_id": consent.id,
        "consent_hash": consent.consent_hash.to_string(),
        "status": "active",
        "log": { "entry_hash": entry_hash, "tree_size": appended.size },
    });
    reply::created(&body, &format!("/v1/consents/{}", consent.id))
}

#[derive(Deserialize)]
struct ConsentRow {
    creator: String,
    token: String,
    revoked_at: Option<String>,
    revocation: Option<String>,
    log_entry_hash: String,
}

async fn load(cx: &Cx, id: &str) -> ApiResult<ConsentRow> {
    let row: Option<ConsentRow> = cx
        .db()?
        .prepare("SELECT creator, token, revoked_at, revocation, log_entry_hash FROM consents WHERE id = ?1")
        .bind(&[id.into()])?
        .first(None)
        .await?;
    row.ok_or_else(|| ApiError::not_found(&format!("/v1/consents/{id}")))
}

/// The owner, the operator and auditors may read a consent.
pub async fn get(cx: Cx, id: &str) -> ApiResult<Response> {
    let principal = auth::require(&cx, &[Role::Creator, Role::Operator, Role::Auditor]).await?;
    let row = load(&cx, id).await?;
    if principal.role == Role::Creator && principal.id != row.creator {
        return Err(ApiError::forbidden(
            "this consent belongs to another creator",
        ));
    }
    let token: Value = serde_json::from_str(&row.token).map_err(ApiError::internal)?;
    let cawg = match verify_consent(&token, cx.now()) {
        Ok(v) => cawg_training_mining(&v),
        Err(_) => Value::Null,
    };
    let expired = matches!(verify_consent(&token, cx.now()), Err(ConsentError::Expired));
    let status = if row.revoked_at.is_some() {
        "revoked"
    } else if expired {
        "expired"
    } else {
        "active"
    };
    let revocation = row
        .revocation
        .as_deref()
        .map(serde_json::from_str::<Value>)
        .transpose()
        .map_err(ApiError::internal)?;
    reply::ok(&json!({
        "consent": token,
        "status": status,
        "revoked_at": row.revoked_at,
        "revocation": revocation,
        "log_entry_hash": row.log_entry_hash,
        "cawg": cawg,
    }))
}

pub async fn revoke(mut cx: Cx, id: &str) -> ApiResult<Response> {
    let creator = auth::require_creator(&cx).await?;
    let row = load(&cx, id).await?;
    if row.creator != creator.to_string() {
        return Err(ApiError::forbidden(
            "this consent belongs to another creator",
        ));
    }
    let bytes = body::json_bytes(&mut cx, 16 * 1024).await?;
    let doc: Value = body::parse_json(&bytes)?;
    let revocation = verify_revocation(&doc).map_err(|e| {
        ApiError::new(
            ProblemType::ValidationFailed,
            format!("the revocation is not acceptable: {e}"),
        )
        .with("reason", "invalid-revocation")
    })?;
    if revocation.consent_id != id || revocation.creator != creator {
        return Err(ApiError::forbidden(
            "the revocation must be signed by the consent's creator and name this consent",
        ));
    }
    if let Some(at) = row.revoked_at {
        return reply::ok(&json!({ "consent_id": id, "status": "revoked", "revoked_at": at }));
    }
    let canonical = jcs::canonicalize(&doc).map_err(ApiError::internal)?;
    let entry = log_event::entry(LogEvent::ConsentRevoked {
        v: SCHEMA_VERSION,
        at: cx.now(),
        consent_id: id.to_string(),
        revocation_hash: Sha256Digest::of(canonical.as_bytes()),
        creator: creator.to_string(),
    })
    .map_err(ApiError::internal)?;
    let entry_hash = entry.hash.to_string();
    log::append(&cx, vec![entry]).await?;
    let now = cx.now().format_rfc3339();
    cx.db()?
        .prepare("UPDATE consents SET revoked_at = ?2, revocation = ?3 WHERE id = ?1 AND revoked_at IS NULL")
        .bind(&[id.into(), now.as_str().into(), canonical.as_str().into()])?
        .run()
        .await?;
    let rerouted = reroute::reroute(&cx, Which::Consent(id)).await?;
    crate::routes::manifests::flag_revoked_consent(&cx, id).await?;
    reply::ok(
        &json!({ "consent_id": id, "status": "revoked", "revoked_at": now, "log_entry_hash": entry_hash, "rerouted": rerouted }),
    )
}
