//! Granting consent.

use fairtrain_consent::consent::{verify_consent, ConsentError};
use fairtrain_consent::log_event::{self, LogEvent, SCHEMA_VERSION};
use fairtrain_core::did_key::DidKey;
use fairtrain_core::jcs;
use serde::Serialize;
use serde_json::Value;

use super::store::StoredConsent;
use crate::error::{Error, Result};
use crate::log::{Logged, PendingEntry};
use crate::platform::Platform;

/// A consent token that is not acceptable: 422 with a `reason`.
pub(crate) fn consent_problem(e: ConsentError) -> Error {
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
    Error::refused(reason, format!("the consent token is not acceptable: {e}"))
}

/// Where the consent's log entry stands: `{entry_hash, tree_size}` once
/// the log holds it, `{entry_hash, status: "pending"}` while the sweep has
/// it to append.
#[derive(Debug, Serialize)]
pub struct LogPosition {
    pub entry_hash: String,
    #[serde(flatten)]
    pub logged: LoggedAs,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum LoggedAs {
    Logged { tree_size: u64 },
    Pending { status: &'static str },
}

impl From<Logged> for LoggedAs {
    fn from(l: Logged) -> LoggedAs {
        match l {
            Logged::Logged { tree_size } => LoggedAs::Logged { tree_size },
            Logged::Pending => LoggedAs::Pending { status: "pending" },
        }
    }
}

/// A consent recorded now.
#[derive(Debug, Serialize)]
pub struct GrantedConsent {
    pub consent_id: String,
    pub consent_hash: String,
    pub status: &'static str,
    pub log: LogPosition,
}

/// The same consent, recorded before.
#[derive(Debug, Serialize)]
pub struct KnownConsent {
    pub consent_id: String,
    pub consent_hash: String,
    pub status: &'static str,
    pub log_entry_hash: String,
}

#[derive(Debug)]
pub enum Grant {
    Recorded(GrantedConsent),
    AlreadyRecorded(KnownConsent),
}

/// Verifies `token` (signed by `creator`, under a published policy version),
/// stores it with its log entry, then logs it. The same token again is
/// answered as before.
pub async fn grant(p: &impl Platform, creator: &DidKey, token: &Value) -> Result<Grant> {
    let now = p.now();
    let consent = verify_consent(token, now).map_err(consent_problem)?;
    if consent.creator != *creator {
        return Err(Error::forbidden(
            "a creator can only submit consent they issued themselves",
        ));
    }
    if p.policy(&consent.policy_version).await?.is_none() {
        return Err(Error::refused(
            "unknown-policy-version",
            format!(
                "unknown consent policy version {:?}",
                consent.policy_version
            ),
        ));
    }
    let canonical = jcs::canonicalize(token)?;
    if let Some(e) = p.consent(&consent.id).await? {
        if e.consent_hash == consent.consent_hash.to_string() {
            return Ok(Grant::AlreadyRecorded(KnownConsent {
                consent_id: consent.id,
                consent_hash: e.consent_hash,
                status: "active",
                log_entry_hash: e.log_entry_hash,
            }));
        }
        return Err(Error::conflict("a different consent with this id exists"));
    }
    let entry = log_event::entry(LogEvent::ConsentGranted {
        v: SCHEMA_VERSION,
        at: now,
        consent_id: consent.id.clone(),
        consent_hash: consent.consent_hash,
        creator: creator.to_string(),
        asset_hashes: consent.asset_hashes.clone(),
        policy_version: consent.policy_version.clone(),
    })?;
    let entry_hash = entry.hash.to_string();
    let stored = StoredConsent {
        id: consent.id.clone(),
        creator: creator.to_string(),
        token: canonical,
        consent_hash: consent.consent_hash.to_string(),
        policy_version: consent.policy_version.clone(),
        jurisdiction: consent.jurisdiction.as_str().to_string(),
        valid_from: consent.valid_from,
        valid_until: consent.valid_until,
        granted_at: now,
        revoked_at: None,
        revocation: None,
        log_entry_hash: entry_hash.clone(),
    };
    let hashes: Vec<String> = consent
        .asset_hashes
        .iter()
        .map(ToString::to_string)
        .collect();
    p.insert_consent(&stored, &hashes, &[PendingEntry::from(&entry)])
        .await?;
    let logged = crate::log::flush(p, &[entry]).await;
    Ok(Grant::Recorded(GrantedConsent {
        consent_id: consent.id,
        consent_hash: consent.consent_hash.to_string(),
        status: "active",
        log: LogPosition {
            entry_hash,
            logged: logged.into(),
        },
    }))
}
