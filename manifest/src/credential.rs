//! The dataset manifest: a W3C Verifiable Credential 2.0
//! (`DatasetManifestCredential`) signed by the platform's active key with
//! `eddsa-jcs-2022`, its provenance in W3C PROV terms.
//!
//! ```json
//! { "@context": ["https://www.w3.org/ns/credentials/v2"],
//!   "id": "urn:uuid:<manifest id>",
//!   "type": ["VerifiableCredential", "DatasetManifestCredential"],
//!   "issuer": "did:key:<platform>", "validFrom": "<created_at>",
//!   "credentialSubject": {
//!     "id": "urn:uuid:<snapshot id>", "manifest_id": "urn:uuid:…", "snapshot_id": "urn:uuid:…",
//!     "name": "…", "created_by": "operator", "created_at": "…Z",
//!     "license": { "type": "commercial", "terms": "…" },
//!     "usage_policy": { "allowed_uses": ["ai_training"], "commercial": true,
//!                       "attribution_model": "per_sample",
//!                       "price": { "currency": "USD", "minor_units": 2, "per_use": "0.0005" } },
//!     "data_residency": ["US", "CA"],
//!     "asset_count": 123, "page_size": 1024, "assets_root": "<base64 RFC 6962 root>",
//!     "provenance": {
//!       "wasGeneratedBy": { "type": "Activity", "id": "urn:uuid:…", "startedAtTime": "…",
//!                           "endedAtTime": "…", "wasAssociatedWith": "did:key:<platform>" },
//!       "wasDerivedFrom": { "type": "Collection", "assets_root": "<same root>",
//!                           "source": "fairtrain contributions routed TRAINING_PIPELINE" },
//!       "wasAttributedTo": "did:key:<platform>" } },
//!   "proof": { … } }
//! ```
//!
//! Verification is strict: the document must be exactly what
//! [`ManifestFields::to_unsigned`] builds from its own typed fields (plus the
//! proof), so nothing unsigned, duplicated or spelt two ways rides along; the
//! one proof is by a published platform key ([`fairtrain_core::key_set`]) that
//! was valid when it signed, and the issuer is that key's did:key.

use fairtrain_consent::consent::Jurisdiction;
use fairtrain_consent::log_event::{self, LogEvent};
use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::fields::{is_urn_uuid, jcs_hash, MAX_SAFE_INTEGER};
use fairtrain_core::json_shape::{credential, Credential};
use fairtrain_core::key_set::PublishedKey;
use fairtrain_core::signed_document::{
    sign_document, verify_document, Format, SignedDocumentError,
};
use fairtrain_core::time::Timestamp;
use fairtrain_tlog::Hash;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::select::DatasetTerms;
use crate::terms::{check_residency, DatasetLicense, TermsError, UsagePolicy};
use crate::text::{is_free_text, is_token_text, parse_canonical_time};
use crate::tree::{page_count, PAGE_SIZE};

/// The credential's own type (besides `VerifiableCredential`).
pub const MANIFEST_CREDENTIAL_TYPE: &str = "DatasetManifestCredential";
/// `provenance.wasDerivedFrom.source`: where every asset of a manifest comes from.
pub const PROVENANCE_SOURCE: &str = "fairtrain contributions routed TRAINING_PIPELINE";
/// `created_by` of manifests the operator composes.
pub const CREATED_BY_OPERATOR: &str = "operator";

/// Why a platform-signed document (a manifest or its status) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("malformed document: {0}")]
    Malformed(String),
    #[error("signed by {0:?}, which is not one of the platform's published keys")]
    UnknownKey(String),
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the signing key {0} was not valid when the document says it was signed")]
    KeyNotValid(String),
    #[error("the issuer is not the did:key of the key that signed")]
    IssuerMismatch,
}

fn malformed(what: impl Into<String>) -> ManifestError {
    ManifestError::Malformed(what.into())
}

impl From<SignedDocumentError> for ManifestError {
    fn from(e: SignedDocumentError) -> Self {
        match e {
            SignedDocumentError::Malformed(m) => ManifestError::Malformed(m),
            SignedDocumentError::UnknownKey(k) => ManifestError::UnknownKey(k),
            SignedDocumentError::BadSignature => ManifestError::BadSignature,
            SignedDocumentError::KeyNotValid(k) => ManifestError::KeyNotValid(k),
            SignedDocumentError::IssuerMismatch => ManifestError::IssuerMismatch,
        }
    }
}

impl From<TermsError> for ManifestError {
    fn from(e: TermsError) -> Self {
        malformed(e.0)
    }
}

/// The PROV activity that composed the manifest (`wasGeneratedBy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// `urn:uuid:…`
    pub id: String,
    pub started_at: Timestamp,
    pub ended_at: Timestamp,
}

/// Everything a manifest states; the Worker fills it and calls [`sign_manifest`].
/// The issuer (and PROV agent) is the signing key's did:key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestFields {
    /// `urn:uuid:…`: the credential's `id`.
    pub manifest_id: String,
    /// `urn:uuid:…`: the subject's `id`, the immutable snapshot the manifest describes.
    pub snapshot_id: String,
    /// 1..=200 characters.
    pub name: String,
    /// Who composed it: [`CREATED_BY_OPERATOR`].
    pub created_by: String,
    /// Also the credential's `validFrom`.
    pub created_at: Timestamp,
    pub license: DatasetLicense,
    pub usage_policy: UsagePolicy,
    pub data_residency: Vec<Jurisdiction>,
    /// At least 1.
    pub asset_count: u64,
    /// The RFC 6962 root of the asset records ([`crate::tree`]).
    pub assets_root: Hash,
    pub activity: Activity,
}

impl ManifestFields {
    /// The field rules (shared by signing and verifying).
    pub fn check(&self) -> Result<(), ManifestError> {
        for (name, id) in [
            ("manifest_id", &self.manifest_id),
            ("snapshot_id", &self.snapshot_id),
            ("provenance.wasGeneratedBy.id", &self.activity.id),
        ] {
            if !is_urn_uuid(id) {
                return Err(malformed(format!(
                    "{name} must be urn:uuid:<lowercase uuid>"
                )));
            }
        }
        if !is_free_text(&self.name, 200) {
            return Err(malformed(
                "name must be 1-200 characters without control characters",
            ));
        }
        if !is_token_text(&self.created_by, 64) {
            return Err(malformed(
                "created_by must be 1-64 printable ASCII characters",
            ));
        }
        self.license.check()?;
        self.usage_policy.check()?;
        check_residency(&self.data_residency)?;
        if self.asset_count == 0 || self.asset_count > MAX_SAFE_INTEGER {
            return Err(malformed("asset_count must be 1 to 2^53 - 1"));
        }
        if self.activity.ended_at < self.activity.started_at {
            return Err(malformed("provenance: endedAtTime is before startedAtTime"));
        }
        Ok(())
    }

    /// The unsigned credential, issued by `issuer`.
    pub fn to_unsigned(&self, issuer: &DidKey) -> Value {
        let agent = issuer.to_string();
        let root = self.assets_root.to_base64();
        let subject = json!({
            "id": self.snapshot_id,
            "manifest_id": self.manifest_id,
            "snapshot_id": self.snapshot_id,
            "name": self.name,
            "created_by": self.created_by,
            "created_at": self.created_at.format_rfc3339(),
            "license": self.license,
            "usage_policy": self.usage_policy,
            "data_residency": self.data_residency,
            "asset_count": self.asset_count,
            "page_size": PAGE_SIZE,
            "assets_root": root,
            "provenance": {
                "wasGeneratedBy": {
                    "type": "Activity",
                    "id": self.activity.id,
                    "startedAtTime": self.activity.started_at.format_rfc3339(),
                    "endedAtTime": self.activity.ended_at.format_rfc3339(),
                    "wasAssociatedWith": agent,
                },
                "wasDerivedFrom": {
                    "type": "Collection",
                    "assets_root": root,
                    "source": PROVENANCE_SOURCE,
                },
                "wasAttributedTo": agent,
            },
        });
        credential(
            MANIFEST_CREDENTIAL_TYPE,
            &self.manifest_id,
            issuer,
            self.created_at,
            subject,
        )
    }

    /// What the manifest asks of every consent it uses.
    pub fn terms(&self) -> DatasetTerms {
        DatasetTerms {
            allowed_uses: self.usage_policy.allowed_uses.clone(),
            commercial: self.usage_policy.commercial,
            data_residency: self.data_residency.clone(),
        }
    }

    pub fn page_count(&self) -> u64 {
        page_count(self.asset_count)
    }

    /// The `manifest.published` log event for the signed manifest whose
    /// [`manifest_hash`] is `manifest_hash`.
    pub fn published_event(&self, manifest_hash: Sha256Digest, at: Timestamp) -> LogEvent {
        LogEvent::ManifestPublished {
            v: log_event::SCHEMA_VERSION,
            at,
            manifest_id: self.manifest_id.clone(),
            manifest_hash,
            assets_root: self.assets_root.to_base64(),
            asset_count: self.asset_count,
        }
    }
}

/// A manifest that verified against the platform's keys.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedManifest {
    pub fields: ManifestFields,
    /// The platform's did:key (the issuer and PROV agent).
    pub issuer: DidKey,
    /// The published key that signed it.
    pub signed_by: PublishedKey,
    /// The proof's `created`.
    pub signed_at: Timestamp,
    /// [`manifest_hash`] of the signed document.
    pub manifest_hash: Sha256Digest,
}

/// SHA-256 of the JCS form of the signed manifest: its strong ETag, and
/// what the `manifest.published` log entry names.
pub fn manifest_hash(doc: &Value) -> Result<Sha256Digest, ManifestError> {
    jcs_hash(doc).map_err(|e| malformed(e.to_string()))
}

/// Signs a manifest with the platform's active key (proof `created` = `now`).
/// The result passes the checks [`verify_manifest`] applies to its shape.
pub fn sign_manifest(
    fields: ManifestFields,
    key: &SigningKey,
    now: Timestamp,
) -> Result<Value, ManifestError> {
    sign_document(&FORMAT, &fields, key, now)
}

/// Verifies a signed manifest against the platform's published keys (from a
/// key set [`fairtrain_core::key_set::verify`] accepted) and returns its
/// typed contents.
pub fn verify_manifest(
    doc: &Value,
    platform_keys: &[PublishedKey],
) -> Result<VerifiedManifest, ManifestError> {
    let v = verify_document(&FORMAT, doc, platform_keys)?;
    Ok(VerifiedManifest {
        fields: v.fields,
        issuer: v.issuer,
        signed_by: v.signed_by.clone(),
        signed_at: v.signed_at,
        manifest_hash: manifest_hash(doc)?,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubject {
    #[serde(rename = "id")]
    _id: Value,
    manifest_id: String,
    snapshot_id: String,
    name: String,
    created_by: String,
    created_at: String,
    license: DatasetLicense,
    usage_policy: UsagePolicy,
    data_residency: Vec<Jurisdiction>,
    asset_count: u64,
    #[serde(rename = "page_size")]
    _page_size: Value,
    assets_root: String,
    provenance: RawProvenance,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvenance {
    #[serde(rename = "wasGeneratedBy")]
    generated_by: RawActivity,
    #[serde(rename = "wasDerivedFrom")]
    _derived_from: Value,
    #[serde(rename = "wasAttributedTo")]
    _attributed_to: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawActivity {
    #[serde(rename = "type")]
    _kind: Value,
    id: String,
    #[serde(rename = "startedAtTime")]
    started: String,
    #[serde(rename = "endedAtTime")]
    ended: String,
    #[serde(rename = "wasAssociatedWith")]
    _associated_with: Value,
}

fn time(name: &str, text: &str) -> Result<Timestamp, ManifestError> {
    parse_canonical_time(text).ok_or_else(|| {
        malformed(format!(
            "{name} must be an RFC 3339 UTC date-time in canonical form (e.g. 2026-01-15T12:34:56Z)"
        ))
    })
}

/// How a manifest is checked, built and read; [`fairtrain_core::signed_document`]
/// does the rest.
const FORMAT: Format<ManifestFields, DidKey, ManifestError> = Format {
    check: ManifestFields::check,
    unsigned: ManifestFields::to_unsigned,
    read,
};

/// The typed fields and the issuer, read strictly.
fn read(doc: &Value) -> Result<(ManifestFields, DidKey), ManifestError> {
    if !doc.is_object() {
        return Err(malformed("a manifest must be a JSON object"));
    }
    // `id` and `validFrom` are the subject's `manifest_id` and `created_at`,
    // compared when the document is rebuilt.
    let raw: Credential<RawSubject> =
        serde_json::from_value(doc.clone()).map_err(|e| malformed(e.to_string()))?;
    let issuer = DidKey::parse(&raw.issuer).map_err(|e| malformed(format!("issuer: {e}")))?;
    let s = raw.subject;
    let g = s.provenance.generated_by;
    let fields = ManifestFields {
        manifest_id: s.manifest_id,
        snapshot_id: s.snapshot_id,
        name: s.name,
        created_by: s.created_by,
        created_at: time("created_at", &s.created_at)?,
        license: s.license,
        usage_policy: s.usage_policy,
        data_residency: s.data_residency,
        asset_count: s.asset_count,
        assets_root: Hash::from_base64(&s.assets_root)
            .map_err(|e| malformed(format!("assets_root: {e}")))?,
        activity: Activity {
            id: g.id,
            started_at: time("startedAtTime", &g.started)?,
            ended_at: time("endedAtTime", &g.ended)?,
        },
    };
    Ok((fields, issuer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{fields, platform, published_keys, t};

    fn signed() -> Value {
        sign_manifest(
            fields(3, leaf_root()),
            &platform(),
            t("2026-06-01T00:00:01Z"),
        )
        .unwrap()
    }

    fn leaf_root() -> Hash {
        fairtrain_tlog::leaf_hash(b"root")
    }

    #[test]
    fn sign_and_verify() {
        let doc = signed();
        assert_eq!(doc["type"][1], MANIFEST_CREDENTIAL_TYPE);
        assert_eq!(
            doc["issuer"],
            doc["credentialSubject"]["provenance"]["wasAttributedTo"]
        );
        assert_eq!(doc["credentialSubject"]["page_size"], 1024);
        assert_eq!(doc["validFrom"], doc["credentialSubject"]["created_at"]);
        assert_eq!(
            doc["proof"]["verificationMethod"],
            DidKey::from_public_key(platform().public_key()).verification_method()
        );
        let v = verify_manifest(&doc, &published_keys()).unwrap();
        assert_eq!(v.fields, fields(3, leaf_root()));
        assert_eq!(v.signed_by, published_keys()[0]);
        assert_eq!(v.signed_at, t("2026-06-01T00:00:01Z"));
        assert_eq!(v.manifest_hash, manifest_hash(&doc).unwrap());
        assert_eq!(v.fields.page_count(), 1);
        // Survives a text round trip, in any member order.
        let text = serde_json::to_string_pretty(&doc).unwrap();
        let again =
            verify_manifest(&serde_json::from_str(&text).unwrap(), &published_keys()).unwrap();
        assert_eq!(again, v);
        let event = v
            .fields
            .published_event(v.manifest_hash, t("2026-06-01T00:00:02Z"));
        assert!(log_event::entry(event).is_ok());
    }

    #[test]
    fn tampering_fails() {
        let doc = signed();
        let mut changed = doc.clone();
        changed["credentialSubject"]["asset_count"] = json!(4);
        assert_eq!(
            verify_manifest(&changed, &published_keys()),
            Err(ManifestError::BadSignature)
        );
        let mut changed = doc.clone();
        changed["credentialSubject"]["usage_policy"]["price"]["per_use"] = json!("0.0004");
        assert_eq!(
            verify_manifest(&changed, &published_keys()),
            Err(ManifestError::BadSignature)
        );
        // The root in both places.
        let other = fairtrain_tlog::leaf_hash(b"other").to_base64();
        let mut changed = doc.clone();
        changed["credentialSubject"]["assets_root"] = json!(other);
        assert!(matches!(
            verify_manifest(&changed, &published_keys()),
            Err(ManifestError::Malformed(_))
        ));
        changed["credentialSubject"]["provenance"]["wasDerivedFrom"]["assets_root"] = json!(other);
        assert_eq!(
            verify_manifest(&changed, &published_keys()),
            Err(ManifestError::BadSignature)
        );
    }

    #[test]
    fn shape_is_strict() {
        let doc = signed();
        let other_did =
            DidKey::from_public_key(SigningKey::from_seed(&[9; 32]).public_key()).to_string();
        let cases: Vec<(&str, Value)> = vec![
            (
                "/@context",
                json!(["https://www.w3.org/2018/credentials/v1"]),
            ),
            (
                "/type",
                json!(["DatasetManifestCredential", "VerifiableCredential"]),
            ),
            (
                "/id",
                json!("urn:uuid:00000000-0000-4000-8000-000000000000"),
            ),
            ("/validFrom", json!("2026-06-01T00:00:01Z")),
            ("/extra", json!(1)),
            (
                "/credentialSubject/id",
                json!("urn:uuid:00000000-0000-4000-8000-000000000000"),
            ),
            ("/credentialSubject/page_size", json!(2048)),
            ("/credentialSubject/asset_count", json!(0)),
            ("/credentialSubject/asset_count", json!(3.0)),
            (
                "/credentialSubject/created_at",
                json!("2026-06-01T00:00:00.000Z"),
            ),
            ("/credentialSubject/name", json!("")),
            ("/credentialSubject/data_residency", json!([])),
            ("/credentialSubject/data_residency", json!(["US", "US"])),
            ("/credentialSubject/data_residency", json!(["FR"])),
            (
                "/credentialSubject/usage_policy/allowed_uses",
                json!(["selling"]),
            ),
            (
                "/credentialSubject/usage_policy/attribution_model",
                json!("per_token"),
            ),
            (
                "/credentialSubject/usage_policy/price/per_use",
                json!(0.0005),
            ),
            (
                "/credentialSubject/usage_policy/price/per_use",
                json!("5e-4"),
            ),
            ("/credentialSubject/assets_root", json!("AAAA")),
            ("/credentialSubject/license/url", json!("x")),
            (
                "/credentialSubject/provenance/wasAttributedTo",
                json!(other_did),
            ),
            (
                "/credentialSubject/provenance/wasGeneratedBy/wasAssociatedWith",
                json!(other_did),
            ),
            (
                "/credentialSubject/provenance/wasGeneratedBy/type",
                json!("Entity"),
            ),
            (
                "/credentialSubject/provenance/wasGeneratedBy/endedAtTime",
                json!("2026-05-01T00:00:00Z"),
            ),
            (
                "/credentialSubject/provenance/wasDerivedFrom/source",
                json!("elsewhere"),
            ),
            ("/credentialSubject/provenance/extra", json!(1)),
        ];
        for (pointer, value) in cases {
            let mut changed = doc.clone();
            let (parent, name) = pointer.rsplit_once('/').unwrap();
            changed
                .pointer_mut(if parent.is_empty() { "" } else { parent })
                .unwrap()
                .as_object_mut()
                .unwrap()
                .insert(name.to_owned(), value.clone());
            assert!(
                matches!(
                    verify_manifest(&changed, &published_keys()),
                    Err(ManifestError::Malformed(_))
                ),
                "{pointer} = {value}"
            );
        }
        for removed in [
            "/credentialSubject/license",
            "/credentialSubject/provenance/wasDerivedFrom",
        ] {
            let mut changed = doc.clone();
            let (parent, name) = removed.rsplit_once('/').unwrap();
            changed
                .pointer_mut(parent)
                .unwrap()
                .as_object_mut()
                .unwrap()
                .remove(name);
            assert!(
                verify_manifest(&changed, &published_keys()).is_err(),
                "{removed}"
            );
        }
        assert!(verify_manifest(&json!([]), &published_keys()).is_err());
        let mut no_proof = doc.clone();
        no_proof.as_object_mut().unwrap().remove("proof");
        assert!(verify_manifest(&no_proof, &published_keys()).is_err());
    }

    #[test]
    fn only_published_platform_keys_count() {
        let rogue = SigningKey::from_seed(&[66; 32]);
        let forged =
            sign_manifest(fields(3, leaf_root()), &rogue, t("2026-06-01T00:00:01Z")).unwrap();
        assert!(matches!(
            verify_manifest(&forged, &published_keys()),
            Err(ManifestError::UnknownKey(_))
        ));
        // A key outside its validity window.
        let late = vec![PublishedKey::describe(
            platform().public_key(),
            true,
            t("2026-07-01T00:00:00Z"),
            None,
        )];
        assert!(matches!(
            verify_manifest(&signed(), &late),
            Err(ManifestError::KeyNotValid(_))
        ));
        // Issued in another key's name, signed by a published key.
        let mut doc = signed();
        doc.as_object_mut().unwrap().remove("proof");
        let rogue_did = DidKey::from_public_key(rogue.public_key()).to_string();
        doc["issuer"] = json!(rogue_did);
        doc["credentialSubject"]["provenance"]["wasAttributedTo"] = json!(rogue_did);
        doc["credentialSubject"]["provenance"]["wasGeneratedBy"]["wasAssociatedWith"] =
            json!(rogue_did);
        let doc =
            fairtrain_core::signed_document::sign(&doc, &platform(), t("2026-06-01T00:00:01Z"))
                .unwrap();
        assert_eq!(
            verify_manifest(&doc, &published_keys()),
            Err(ManifestError::IssuerMismatch)
        );
    }

    #[test]
    fn signing_refuses_bad_fields() {
        let mut f = fields(3, leaf_root());
        f.asset_count = 0;
        assert!(sign_manifest(f, &platform(), t("2026-06-01T00:00:01Z")).is_err());
        let mut f = fields(3, leaf_root());
        f.manifest_id = "manifest-1".into();
        assert!(sign_manifest(f, &platform(), t("2026-06-01T00:00:01Z")).is_err());
        let mut f = fields(3, leaf_root());
        f.usage_policy.price.minor_units = 9;
        assert!(sign_manifest(f, &platform(), t("2026-06-01T00:00:01Z")).is_err());
    }
}
