//! Issuing, listing and revoking API keys.

use fairtrain_core::api_key;
use fairtrain_core::did_key::DidKey;
use fairtrain_core::principal::Role;
use fairtrain_core::problem::FieldError;
use fairtrain_core::time::Timestamp;
use serde::{Deserialize, Serialize};

use super::store::StoredApiKey;
use crate::error::{Error, Result};
use crate::platform::Platform;

/// Auditors are time-limited by design; this bounds how long.
const AUDITOR_MAX_DAYS: i64 = 90;

/// What the operator asks for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    pub role: String,
    pub label: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub expires_at: Option<String>,
    /// Orchestrators: the did:key that signs their usage reports.
    #[serde(default)]
    pub signing_key: Option<String>,
    /// Orchestrators: the buyer (API key id) whose licenses cover their usage.
    #[serde(default)]
    pub acts_for: Option<String>,
}

/// A key as the operator sees it (never its token or hash).
#[derive(Debug, Clone, Serialize)]
pub struct KeyRecord {
    pub id: String,
    pub role: String,
    pub label: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acts_for: Option<String>,
}

impl From<StoredApiKey> for KeyRecord {
    fn from(k: StoredApiKey) -> KeyRecord {
        KeyRecord {
            id: k.id,
            role: k.role.as_str().to_string(),
            label: k.label,
            scopes: k.scopes,
            created_at: k.created_at.format_rfc3339(),
            expires_at: k.expires_at.map(|t| t.format_rfc3339()),
            revoked_at: k.revoked_at.map(|t| t.format_rfc3339()),
            signing_key: k.signing_key,
            acts_for: k.acts_for,
        }
    }
}

/// A new key: its record and, once, its token.
#[derive(Debug, Clone, Serialize)]
pub struct IssuedKey {
    #[serde(flatten)]
    pub record: KeyRecord,
    pub token: String,
}

fn validate(req: &NewKey, now: Timestamp) -> Result<(Role, Option<Timestamp>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let role = match req.role.parse::<Role>() {
        Ok(r) if Role::API_KEY_ROLES.contains(&r) => Some(r),
        Ok(r) => {
            errors.push(FieldError::new(
                "/role",
                format!("{r} cannot hold an API key; use buyer, orchestrator or auditor"),
            ));
            None
        }
        Err(e) => {
            errors.push(FieldError::new("/role", e.to_string()));
            None
        }
    };
    if req.label.trim().is_empty() || req.label.len() > 200 {
        errors.push(FieldError::new(
            "/label",
            "a label of 1 to 200 characters is required",
        ));
    }
    for (i, s) in req.scopes.iter().enumerate() {
        let ok = !s.is_empty() && s.len() <= 100 && s.bytes().all(|b| b.is_ascii_graphic());
        if !ok {
            errors.push(FieldError::new(
                format!("/scopes/{i}"),
                "a scope is 1 to 100 printable ASCII characters",
            ));
        }
    }
    let mut expires = None;
    match &req.expires_at {
        Some(t) => match Timestamp::parse_rfc3339(t) {
            Ok(ts) if ts <= now => {
                errors.push(FieldError::new("/expires_at", "must be in the future"))
            }
            Ok(ts) => {
                let limit = now.checked_add_seconds(AUDITOR_MAX_DAYS * 86_400);
                if role == Some(Role::Auditor) && limit.is_some_and(|l| ts > l) {
                    errors.push(FieldError::new(
                        "/expires_at",
                        format!("auditor keys last at most {AUDITOR_MAX_DAYS} days"),
                    ));
                }
                expires = Some(ts);
            }
            Err(e) => errors.push(FieldError::new(
                "/expires_at",
                format!("not an RFC 3339 time: {e}"),
            )),
        },
        None if role == Some(Role::Auditor) => errors.push(FieldError::new(
            "/expires_at",
            "auditor keys are time-limited: expires_at is required",
        )),
        None => {}
    }
    let orchestrator = role == Some(Role::Orchestrator);
    match &req.signing_key {
        Some(_) if !orchestrator => errors.push(FieldError::new(
            "/signing_key",
            "only orchestrators register a signing key",
        )),
        Some(k) if DidKey::parse(k).is_err() => errors.push(FieldError::new(
            "/signing_key",
            "must be an Ed25519 did:key",
        )),
        None if orchestrator => errors.push(FieldError::new(
            "/signing_key",
            "orchestrators sign their usage reports: the did:key of that key is required",
        )),
        _ => {}
    }
    match &req.acts_for {
        Some(_) if !orchestrator => errors.push(FieldError::new(
            "/acts_for",
            "only orchestrators act for a buyer",
        )),
        None if orchestrator => errors.push(FieldError::new(
            "/acts_for",
            "the buyer (API key id) whose licenses cover this orchestrator's usage is required",
        )),
        _ => {}
    }
    match (role, errors.is_empty()) {
        (Some(role), true) => Ok((role, expires)),
        _ => Err(errors),
    }
}

pub async fn issue(p: &impl Platform, req: NewKey) -> Result<IssuedKey> {
    let now = p.now();
    let (role, expires_at) = validate(&req, now).map_err(Error::validation)?;
    if let Some(buyer) = &req.acts_for {
        let is_buyer = p
            .api_key(buyer)
            .await?
            .is_some_and(|k| k.role == Role::Buyer);
        if !is_buyer {
            return Err(Error::field("/acts_for", "not the id of a buyer's API key"));
        }
    }
    let mut random = [0u8; 40];
    p.fill_random(&mut random)?;
    let key = api_key::mint(&random);
    let stored = StoredApiKey {
        id: key.id.clone(),
        token_hash: key.token_hash.to_string(),
        role,
        label: req.label.trim().to_string(),
        scopes: req.scopes,
        created_at: now,
        expires_at,
        revoked_at: None,
        signing_key: req.signing_key,
        acts_for: req.acts_for,
    };
    p.insert_api_key(&stored).await?;
    Ok(IssuedKey {
        record: stored.into(),
        token: key.token,
    })
}

pub async fn list(p: &impl Platform) -> Result<Vec<KeyRecord>> {
    Ok(p.api_keys()
        .await?
        .into_iter()
        .map(KeyRecord::from)
        .collect())
}

pub async fn get(p: &impl Platform, id: &str) -> Result<KeyRecord> {
    p.api_key(id)
        .await?
        .map(KeyRecord::from)
        .ok_or_else(|| Error::not_found(&format!("/v1/admin/api-keys/{id}")))
}

/// Revocation is permanent and idempotent: revoking twice keeps the first time.
pub async fn revoke(p: &impl Platform, id: &str) -> Result<KeyRecord> {
    get(p, id).await?;
    p.revoke_api_key(id, p.now()).await?;
    get(p, id).await
}
