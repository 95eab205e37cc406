//! Bearer tokens: the operator's bootstrap token and API keys stored hashed.

use fairtrain_core::api_key;
use fairtrain_core::principal::{Principal, Role};

use crate::error::{Error, Result};
use crate::platform::Platform;

/// The credentials of an `Authorization` header, which must be
/// `Bearer <token>`.
pub async fn authenticate_authorization(p: &impl Platform, header: &str) -> Result<Principal> {
    let token = header
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            Error::unauthenticated("the Authorization header must be `Bearer <token>`")
        })?;
    authenticate_bearer(p, token).await
}

pub async fn authenticate_bearer(p: &impl Platform, token: &str) -> Result<Principal> {
    if token.starts_with("ftk_") {
        return api_key(p, token).await;
    }
    let admin = p
        .admin_token()
        .ok_or_else(|| Error::unavailable("the operator token is not configured"))?;
    // Compare hashes in constant time: equal length, no early exit.
    if api_key::matches(token, &api_key::hash(&admin)) {
        return Ok(Principal {
            role: Role::Operator,
            id: "operator".into(),
            scopes: Vec::new(),
            expires_at: None,
        });
    }
    Err(Error::unauthenticated("the bearer token is not valid"))
}

async fn api_key(p: &impl Platform, token: &str) -> Result<Principal> {
    let invalid = || Error::unauthenticated("the API key is not valid");
    let id = api_key::parse_id(token)
        .map_err(|e| Error::unauthenticated(format!("malformed API key: {e}")))?;
    let key = p.api_key(id).await?.ok_or_else(invalid)?;
    let stored = key
        .token_hash
        .parse()
        .map_err(|_| Error::internal("stored API key hash is malformed"))?;
    if !api_key::matches(token, &stored) {
        return Err(invalid());
    }
    if key.revoked_at.is_some() {
        return Err(Error::unauthenticated("the API key has been revoked"));
    }
    if let Some(exp) = key.expires_at {
        if exp <= p.now() {
            return Err(Error::unauthenticated("the API key has expired"));
        }
    }
    Ok(Principal {
        role: key.role,
        id: key.id,
        scopes: key.scopes,
        expires_at: key.expires_at.map(|t| t.format_rfc3339()),
    })
}
