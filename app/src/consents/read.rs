//! Reading a consent: the owner, the operator and auditors may.

use fairtrain_consent::consent::{cawg_training_mining, verify_consent, ConsentError};
use fairtrain_core::principal::{Principal, Role};
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::platform::Platform;

#[derive(Debug, Serialize)]
pub struct ConsentView {
    pub consent: Value,
    pub status: &'static str,
    pub revoked_at: Option<String>,
    pub revocation: Option<Value>,
    pub log_entry_hash: String,
    pub cawg: Value,
}

pub async fn read(p: &impl Platform, reader: &Principal, id: &str) -> Result<ConsentView> {
    let row = p
        .consent(id)
        .await?
        .ok_or_else(|| Error::not_found(&format!("/v1/consents/{id}")))?;
    if reader.role == Role::Creator && reader.id != row.creator {
        return Err(Error::forbidden("this consent belongs to another creator"));
    }
    let token: Value = serde_json::from_str(&row.token)?;
    let verified = verify_consent(&token, p.now());
    let cawg = match &verified {
        Ok(v) => cawg_training_mining(v),
        Err(_) => Value::Null,
    };
    let status = if row.revoked_at.is_some() {
        "revoked"
    } else if matches!(verified, Err(ConsentError::Expired)) {
        "expired"
    } else {
        "active"
    };
    let revocation = row
        .revocation
        .as_deref()
        .map(serde_json::from_str::<Value>)
        .transpose()?;
    Ok(ConsentView {
        consent: token,
        status,
        revoked_at: row.revoked_at.map(|t| t.format_rfc3339()),
        revocation,
        log_entry_hash: row.log_entry_hash,
        cawg,
    })
}
