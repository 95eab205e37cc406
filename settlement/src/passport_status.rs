//! A model passport's status: the platform's signed statement of which
//! consents behind the model have been revoked since, as of a time. The
//! passport is immutable; its status is not. Mirrors the manifest status
//! (`fairtrain_manifest::status`).
//!
//! ```json
//! { "type": "ModelPassportStatus", "model_id": "model-7b", "status": "needs_review",
//!   "revoked": [ { "consent_id": "urn:uuid:…", "asset_hash": "sha256:…",
//!                  "revoked_at": "…Z", "manifest_id": "urn:uuid:…" } ],
//!   "checked_at": "…Z", "proof": { … } }
//! ```
//!
//! `status` is `clean` with nothing revoked and `needs_review` otherwise.
//! Each (manifest, asset) pair is listed once. Signed like the passport (one
//! `eddsa-jcs-2022` proof by a published platform key valid at the time) and
//! parsed as strictly.

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::key_set::PublishedKey;
use fairtrain_core::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::{malformed, SettlementError};
use crate::text::{all_distinct, check_token, check_urn_uuid, time};
use fairtrain_core::signed_document::{sign_document, verify_document, Format};

/// `type` of a passport status document.
pub const PASSPORT_STATUS_TYPE: &str = "ModelPassportStatus";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PassportState {
    /// No consent behind the model has been revoked.
    Clean,
    /// Some have: the model is to be reviewed.
    NeedsReview,
}

/// A revoked consent for an asset of a manifest the model used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevokedUse {
    pub consent_id: String,
    pub asset_hash: Sha256Digest,
    pub revoked_at: Timestamp,
    pub manifest_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassportStatusFields {
    pub model_id: String,
    pub revoked: Vec<RevokedUse>,
    pub checked_at: Timestamp,
}

impl PassportStatusFields {
    pub fn state(&self) -> PassportState {
        if self.revoked.is_empty() {
            PassportState::Clean
        } else {
            PassportState::NeedsReview
        }
    }

    pub fn check(&self) -> Result<(), SettlementError> {
        check_token("model_id", &self.model_id)?;
        for r in &self.revoked {
            check_urn_uuid("consent_id", &r.consent_id)?;
            check_urn_uuid("manifest_id", &r.manifest_id)?;
        }
        if !all_distinct(self.revoked.iter().map(|r| (&r.manifest_id, r.asset_hash))) {
            return Err(malformed("revoked lists an asset of a manifest twice"));
        }
        Ok(())
    }

    pub fn to_unsigned(&self) -> Value {
        json!({
            "type": PASSPORT_STATUS_TYPE,
            "model_id": self.model_id,
            "status": self.state(),
            "revoked": self.revoked,
            "checked_at": self.checked_at.format_rfc3339(),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedPassportStatus {
    pub fields: PassportStatusFields,
    pub signed_by: PublishedKey,
    pub signed_at: Timestamp,
}

pub fn sign_passport_status(
    fields: PassportStatusFields,
    key: &SigningKey,
    now: Timestamp,
) -> Result<Value, SettlementError> {
    sign_document(&FORMAT, &fields, key, now)
}

pub fn verify_passport_status(
    doc: &Value,
    platform_keys: &[PublishedKey],
) -> Result<VerifiedPassportStatus, SettlementError> {
    let v = verify_document(&FORMAT, doc, platform_keys)?;
    Ok(VerifiedPassportStatus {
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
    model_id: String,
    #[serde(rename = "status")]
    _status: Value,
    revoked: Vec<RawRevoked>,
    checked_at: String,
    #[serde(rename = "proof")]
    _proof: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRevoked {
    consent_id: String,
    asset_hash: Sha256Digest,
    revoked_at: String,
    manifest_id: String,
}

/// How a passport status is checked, built and read; [`fairtrain_core::signed_document`]
/// does the rest.
const FORMAT: Format<PassportStatusFields, (), SettlementError> = Format {
    check: PassportStatusFields::check,
    unsigned: |fields, ()| fields.to_unsigned(),
    read,
};

fn read(doc: &Value) -> Result<(PassportStatusFields, ()), SettlementError> {
    if !doc.is_object() {
        return Err(malformed("a passport status must be a JSON object"));
    }
    let raw: RawStatus =
        serde_json::from_value(doc.clone()).map_err(|e| malformed(e.to_string()))?;
    let fields = PassportStatusFields {
        model_id: raw.model_id,
        revoked: raw
            .revoked
            .into_iter()
            .map(|r| {
                Ok(RevokedUse {
                    consent_id: r.consent_id,
                    asset_hash: r.asset_hash,
                    revoked_at: time("revoked_at", &r.revoked_at)?,
                    manifest_id: r.manifest_id,
                })
            })
            .collect::<Result<_, SettlementError>>()?,
        checked_at: time("checked_at", &raw.checked_at)?,
    };
    Ok((fields, ()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{platform, published_keys, rogue, t, uuid};

    fn fields(revoked: u64) -> PassportStatusFields {
        PassportStatusFields {
            model_id: "model-7b".into(),
            revoked: (0..revoked)
                .map(|i| RevokedUse {
                    consent_id: uuid(10 + i),
                    asset_hash: Sha256Digest::of(&i.to_be_bytes()),
                    revoked_at: t("2026-07-01T00:00:00Z"),
                    manifest_id: uuid(1),
                })
                .collect(),
            checked_at: t("2026-07-02T00:00:00Z"),
        }
    }

    #[test]
    fn sign_verify_and_tamper() {
        for n in [0, 2] {
            let doc =
                sign_passport_status(fields(n), &platform(), t("2026-07-02T00:00:01Z")).unwrap();
            let v = verify_passport_status(&doc, &published_keys()).unwrap();
            assert_eq!(v.fields, fields(n));
            assert_eq!(doc["status"], if n == 0 { "clean" } else { "needs_review" });
            let mut changed = doc.clone();
            changed["checked_at"] = json!("2026-07-03T00:00:00Z");
            assert_eq!(
                verify_passport_status(&changed, &published_keys()),
                Err(SettlementError::BadSignature)
            );
            let mut changed = doc.clone();
            changed["status"] = json!(if n == 0 { "needs_review" } else { "clean" });
            assert!(matches!(
                verify_passport_status(&changed, &published_keys()),
                Err(SettlementError::Malformed(_))
            ));
        }
        let doc = sign_passport_status(fields(2), &platform(), t("2026-07-02T00:00:01Z")).unwrap();
        let mut changed = doc.clone();
        changed["revoked"].as_array_mut().unwrap().pop();
        assert!(verify_passport_status(&changed, &published_keys()).is_err());
        let mut changed = doc.clone();
        changed["revoked"][0]["note"] = json!("x");
        assert!(matches!(
            verify_passport_status(&changed, &published_keys()),
            Err(SettlementError::Malformed(_))
        ));
        let mut changed = doc;
        changed["type"] = json!("ManifestStatus");
        assert!(matches!(
            verify_passport_status(&changed, &published_keys()),
            Err(SettlementError::Malformed(_))
        ));
        let mut twice = fields(1);
        twice.revoked.push(twice.revoked[0].clone());
        assert!(sign_passport_status(twice, &platform(), t("2026-07-02T00:00:01Z")).is_err());
        // The same asset in two manifests is two entries.
        let mut two = fields(1);
        let mut other = two.revoked[0].clone();
        other.manifest_id = uuid(2);
        two.revoked.push(other);
        assert!(sign_passport_status(two, &platform(), t("2026-07-02T00:00:01Z")).is_ok());
        let forged = sign_passport_status(fields(0), &rogue(), t("2026-07-02T00:00:01Z")).unwrap();
        assert!(matches!(
            verify_passport_status(&forged, &published_keys()),
            Err(SettlementError::UnknownKey(_))
        ));
    }
}
