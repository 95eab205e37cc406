//! `/v1/creators`: registration by proof of possession of a did:key.
//!
//! A creator asks for a challenge, signs it with the key, and registers. The
//! public record is the DID alone; the profile (name, e-mail, payout details)
//! is personal data, stored apart and never logged or published.

use fairtrain_consent::registration;
use fairtrain_core::did_key::DidKey;
use fairtrain_core::ed25519::Signature;
use fairtrain_core::encoding::{base64url_decode, base64url_encode};
use fairtrain_core::problem::ProblemType;
use serde::Deserialize;
use serde_json::{json, Value};
use wasm_bindgen::JsValue;
use worker::Response;

use crate::http::auth;
use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{body, reply};
use crate::runtime::random;

const CHALLENGE_TTL_S: u64 = 300;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChallengeRequest {
    did: String,
}

fn parse_did(did: &str) -> ApiResult<DidKey> {
    DidKey::parse(did).map_err(|e| ApiError::field("/did", format!("not an Ed25519 did:key: {e}")))
}

pub async fn challenge(mut cx: Cx) -> ApiResult<Response> {
    let req: ChallengeRequest = body::json(&mut cx, 4096).await?;
    let did = parse_did(&req.did)?;
    let challenge = base64url_encode(&random::bytes::<32>()?);
    let expires = cx.now_ms / 1000 + CHALLENGE_TTL_S;
    cx.db()?
        .prepare("INSERT INTO creator_challenges (challenge, did, expires_at) VALUES (?1, ?2, ?3)")
        .bind(&[
            challenge.as_str().into(),
            did.to_string().into(),
            JsValue::from_f64(expires as f64),
        ])?
        .run()
        .await?;
    let expires_at = cx
        .now()
        .checked_add_seconds(CHALLENGE_TTL_S as i64)
        .map(|t| t.format_rfc3339());
    reply::json(
        201,
        &json!({ "challenge": challenge, "expires_at": expires_at }),
        "no-store",
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterRequest {
    did: String,
    challenge: String,
    signature: String,
    #[serde(default)]
    profile: Profile,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Profile {
    display_name: Option<String>,
    email: Option<String>,
    payout: Option<Value>,
}

pub async fn register(mut cx: Cx) -> ApiResult<Response> {
    let req: RegisterRequest = body::json(&mut cx, 16 * 1024).await?;
    let did = parse_did(&req.did)?;
    let db = cx.db()?;
    // The challenge is consumed whatever happens next: single use.
    let consumed = db
        .prepare(
            "DELETE FROM creator_challenges WHERE challenge = ?1 AND did = ?2 AND expires_at >= ?3",
        )
        .bind(&[
            req.challenge.as_str().into(),
            did.to_string().into(),
            JsValue::from_f64((cx.now_ms / 1000) as f64),
        ])?
        .run()
        .await?;
    if consumed.meta()?.and_then(|m| m.changes).unwrap_or(0) == 0 {
        return Err(ApiError::new(
            ProblemType::InvalidSignature,
            "unknown, expired or already used challenge for this did",
        )
        .with("reason", "challenge"));
    }
    let sig = base64url_decode(&req.signature)
        .ok()
        .and_then(|b| Signature::from_slice(&b).ok())
        .ok_or_else(|| ApiError::field("/signature", "base64url of a 64-byte Ed25519 signature"))?;
    let message = registration::challenge_message(&did, &req.challenge);
    did.public_key()
        .verify(message.as_bytes(), &sig)
        .map_err(|_| {
            ApiError::new(
                ProblemType::InvalidSignature,
                "the signature over the challenge does not verify with this did:key",
            )
            .with("reason", "bad-signature")
        })?;
    for (pointer, value, max) in [
        ("/profile/display_name", &req.profile.display_name, 200),
        ("/profile/email", &req.profile.email, 320),
    ] {
        if value.as_ref().is_some_and(|v| v.len() > max) {
            return Err(ApiError::field(
                pointer,
                format!("at most {max} characters"),
            ));
        }
    }
    let now = cx.now().format_rfc3339();
    let inserted = db
        .prepare("INSERT INTO creators (did, registered_at) VALUES (?1, ?2) ON CONFLICT (did) DO NOTHING")
        .bind(&[did.to_string().into(), now.as_str().into()])?
        .run()
        .await?;
    if inserted.meta()?.and_then(|m| m.changes).unwrap_or(0) == 0 {
        return Err(ApiError::new(
            ProblemType::Conflict,
            "this did:key is already registered",
        ));
    }
    let payout = match &req.profile.payout {
        Some(p) => JsValue::from_str(&serde_json::to_string(p).map_err(ApiError::internal)?),
        None => JsValue::NULL,
    };
    let opt = |v: &Option<String>| v.as_deref().map(JsValue::from_str).unwrap_or(JsValue::NULL);
    db.prepare("INSERT INTO creator_profiles (did, display_name, email, payout, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)")
        .bind(&[did.to_string().into(), opt(&req.profile.display_name), opt(&req.profile.email), payout, now.as_str().into()])?
        .run()
        .await?;
    reply::created(
        &json!({ "did": did.to_string(), "registered_at": now }),
        "/v1/creators/me",
    )
}

/// The creator's own record, profile included (only to themselves).
pub async fn me(cx: Cx) -> ApiResult<Response> {
    let did = auth::require_creator(&cx).await?;
    let row: Option<Value> = cx
        .db()?
        .prepare(
            "SELECT c.did, c.registered_at, p.display_name, p.email, p.payout FROM creators c \
             LEFT JOIN creator_profiles p ON p.did = c.did WHERE c.did = ?1",
        )
        .bind(&[did.to_string().into()])?
        .first(None)
        .await?;
    let mut row = row.ok_or_else(|| ApiError::internal("registered creator without a row"))?;
    if let Some(p) = row.get("payout").and_then(Value::as_str).map(str::to_owned) {
        row["payout"] = serde_json::from_str(&p).unwrap_or(Value::Null);
    }
    reply::ok(&row)
}
