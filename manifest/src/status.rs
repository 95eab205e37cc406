//! A manifest's status after publication: the platform's signed statement of
//! which of its assets have had their consent revoked since, as of a time.
//! A manifest is immutable; its status is not.
//!
//! ```json
//! { "type": "ManifestStatus", "manifest_id": "urn:uuid:…", "status": "flagged",
//!   "revoked_assets": [ { "content_hash": "sha256:…", "consent_id": "urn:uuid:…",
//!                         "revoked_at": "…Z" } ],
//!   "as_of": "…Z", "proof": { … } }
//! ```
//!
//! `status` is `clean` with no revoked assets and `flagged` otherwise.
//! Signed like the manifest (one `eddsa-jcs-2022` proof by a published
//! platform key valid at the time), and parsed as strictly.

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::fields::is_urn_uuid;
use fairtrain_core::key_set::PublishedKey;
use fairtrain_core::signed_document::{sign_document, verify_document, Format};
use fairtrain_core::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::credential::ManifestError;
use crate::text::{all_distinct, parse_canonical_time};

/// `type` of a status document.
pub const STATUS_TYPE: &str = "ManifestStatus";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ManifestState {
    /// No asset's consent has been revoked.
    Clean,
    /// Some have: buyers and models that used them are to be reviewed.
    Flagged,
}

/// An asset of the manifest whose consent was revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevokedAsset {
    pub content_hash: Sha256Digest,
    pub consent_id: String,
    pub revoked_at: Timestamp,
}

/// Everything a status states; the Worker fills it and calls [`sign_status`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusFields {
    pub manifest_id: String,
    /// Each content hash at most once.
    pub revoked_assets: Vec<RevokedAsset>,
    pub as_of: Timestamp,
}

impl StatusFields {
    pub fn state(&self) -> ManifestState {
        if self.revoked_assets.is_empty() {
            ManifestState::Clean
        } else {
            ManifestState::Flagged
        }
    }

    pub fn check(&self) -> Result<(), ManifestError> {
        let malformed = |what: &str| Err(ManifestError::Malformed(what.to_owned()));
        if !is_urn_uuid(&self.manifest_id)
            || !self
                .revoked_assets
                .iter()
                .all(|a| is_urn_uuid(&a.consent_id))
        {
            return malformed("manifest_id and consent_id must be urn:uuid:<lowercase uuid>");
        }
        let hashes: Vec<_> = self.revoked_assets.iter().map(|a| a.content_hash).collect();
        if !all_distinct(&hashes) {
            return malformed("revoked_assets lists an asset twice");
        }
        Ok(())
    }

    pub fn to_unsigned(&self) -> Value {
        json!({
            "type": STATUS_TYPE,
            "manifest_id": self.manifest_id,
            "status": self.state(),
            "revoked_assets": self.revoked_assets,
            "as_of": self.as_of.format_rfc3339(),
        })
    }
}

/// A status that verified against the platform's keys.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedStatus {
    pub fields: StatusFields,
    pub signed_by: PublishedKey,
    pub signed_at: Timestamp,
}

/// Signs a status with the platform's active key (proof `created` = `now`).
pub fn sign_status(
    fields: StatusFields,
    key: &SigningKey,
    now: Timestamp,
) -> Result<Value, ManifestError> {
    sign_document(&FORMAT, &fields, key, now)
}

/// Verifies a status document against the platform's published keys.
pub fn verify_status(
    doc: &Value,
    platform_keys: &[PublishedKey],
) -> Result<VerifiedStatus, ManifestError> {
    let v = verify_document(&FORMAT, doc, platform_keys)?;
    Ok(VerifiedStatus {
        fields: v.fields,
        signed_by: v.signed_by.clone(),
        signed_at: v.signed_at,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatus {
    #[serde(rename = "type")]
    _kind: Value,
    manifest_id: String,
    #[serde(rename = "status")]
    _status: Value,
    revoked_assets: Vec<RawRevoked>,
    as_of: String,
    #[serde(rename = "proof")]
    _proof: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRevoked {
    content_hash: Sha256Digest,
    consent_id: String,
    revoked_at: String,
}

/// How a status is checked, built and read; [`fairtrain_core::signed_document`]
/// does the rest.
const FORMAT: Format<StatusFields, (), ManifestError> = Format {
    check: StatusFields::check,
    unsigned: |fields, ()| fields.to_unsigned(),
    read,
};

fn read(doc: &Value) -> Result<(StatusFields, ()), ManifestError> {
    let malformed = |what: String| ManifestError::Malformed(what);
    if !doc.is_object() {
        return Err(malformed("a manifest status must be a JSON object".into()));
    }
    let raw: RawStatus =
        serde_json::from_value(doc.clone()).map_err(|e| malformed(e.to_string()))?;
    let time = |name: &str, text: &str| {
        parse_canonical_time(text).ok_or_else(|| {
            malformed(format!(
                "{name} must be an RFC 3339 UTC date-time in canonical form"
            ))
        })
    };
    let fields = StatusFields {
        manifest_id: raw.manifest_id,
        revoked_assets: raw
            .revoked_assets
            .into_iter()
            .map(|a| {
                Ok(RevokedAsset {
                    content_hash: a.content_hash,
                    consent_id: a.consent_id,
                    revoked_at: time("revoked_at", &a.revoked_at)?,
                })
            })
            .collect::<Result<_, ManifestError>>()?,
        as_of: time("as_of", &raw.as_of)?,
    };
    Ok((fields, ()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{platform, published_keys, t};
    use fairtrain_core::fields::urn_uuid_v4;

    fn fields(revoked: usize) -> StatusFields {
        StatusFields {
            manifest_id: urn_uuid_v4([1; 16]),
            revoked_assets: (0..revoked)
                .map(|i| RevokedAsset {
                    content_hash: Sha256Digest::of(&[i as u8]),
                    consent_id: urn_uuid_v4([i as u8; 16]),
                    revoked_at: t("2026-07-01T00:00:00Z"),
                })
                .collect(),
            as_of: t("2026-07-02T00:00:00Z"),
        }
    }

    #[test]
    fn sign_verify_and_tamper() {
        for n in [0, 2] {
            let doc = sign_status(fields(n), &platform(), t("2026-07-02T00:00:01Z")).unwrap();
            let v = verify_status(&doc, &published_keys()).unwrap();
            assert_eq!(v.fields, fields(n));
            assert_eq!(doc["status"], if n == 0 { "clean" } else { "flagged" });
            let mut changed = doc.clone();
            changed["as_of"] = json!("2026-07-03T00:00:00Z");
            assert_eq!(
                verify_status(&changed, &published_keys()),
                Err(ManifestError::BadSignature)
            );
            let mut changed = doc.clone();
            changed["status"] = json!(if n == 0 { "flagged" } else { "clean" });
            assert!(matches!(
                verify_status(&changed, &published_keys()),
                Err(ManifestError::Malformed(_))
            ));
        }
        let doc = sign_status(fields(2), &platform(), t("2026-07-02T00:00:01Z")).unwrap();
        let mut changed = doc.clone();
        changed["revoked_assets"].as_array_mut().unwrap().pop();
        assert!(verify_status(&changed, &published_keys()).is_err());
        let mut changed = doc.clone();
        changed["revoked_assets"][0]["note"] = json!("x");
        assert!(matches!(
            verify_status(&changed, &published_keys()),
            Err(ManifestError::Malformed(_))
        ));
        let mut twice = fields(1);
        twice.revoked_assets.push(twice.revoked_assets[0].clone());
        assert!(sign_status(twice, &platform(), t("2026-07-02T00:00:01Z")).is_err());
        let rogue = SigningKey::from_seed(&[66; 32]);
        let forged = sign_status(fields(0), &rogue, t("2026-07-02T00:00:01Z")).unwrap();
        assert!(matches!(
            verify_status(&forged, &published_keys()),
            Err(ManifestError::UnknownKey(_))
        ));
    }
}
