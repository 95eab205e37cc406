//! Consent tokens: W3C Verifiable Credentials 2.0 (`TrainingConsentCredential`)
//! signed by the creator with `eddsa-jcs-2022`, and their revocations.
//!
//! A token binds the creator's did:key to the SHA-256 of the exact asset
//! bytes, the uses (the C2PA/CAWG `cawg.training-mining` vocabulary), the
//! scopes, the jurisdiction and the policy version the creator agreed to,
//! a license, a price and a validity window:
//!
//! ```json
//! { "@context": ["https://www.w3.org/ns/credentials/v2"],
//!   "id": "urn:uuid:…", "type": ["VerifiableCredential", "TrainingConsentCredential"],
//!   "issuer": "did:key:z6Mk…", "validFrom": "…Z", "validUntil": "…Z",
//!   "credentialSubject": { "id": "did:key:z6Mk…", "asset_hashes": ["sha256:…"],
//!     "allowed_uses": ["ai_training"], "commercial": true, "scopes": ["public_posts"],
//!     "jurisdiction": "US", "policy_version": "v2025.11",
//!     "license": {"id": "CC-BY-4.0"}, "price": {"currency": "USD", "minor_units": 2, "per_use": "0.0005"} },
//!   "proof": { "type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022", … } }
//! ```
//!
//! Verification is strict: unknown members are refused (so nothing unsigned
//! or unexpected rides along), there is exactly one proof, by the issuer's
//! own did:key, for `assertionMethod`.
//!
//! The consent vocabularies (uses, scopes, jurisdictions) live here too.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use fairtrain_core::data_integrity::{self, ProofOptions};
use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::fields::{
    is_free_text, is_token_text, is_urn_uuid, jcs_hash, parse_utc, vocabulary, Price, UnknownTerm,
};
use fairtrain_core::json_shape::VC_CONTEXT_V2;
use fairtrain_core::single_proof::{check_did_key_proof, ProofFailure};
use fairtrain_core::time::Timestamp;

/// The credential's own type (besides `VerifiableCredential`).
pub const CREDENTIAL_TYPE: &str = "TrainingConsentCredential";
/// `type` of a revocation document.
pub const REVOCATION_TYPE: &str = "ConsentRevocation";
/// Most asset hashes one token may cover: its `consent.granted` log entry
/// lists them all and must fit the log's entry limit (16 KiB).
pub const MAX_ASSET_HASHES: usize = 200;
/// How far a token's `validFrom` may lie ahead of the verifier's clock.
pub const CLOCK_SKEW_SECONDS: i64 = 300;
/// The label of the C2PA/CAWG training-and-data-mining assertion.
pub const CAWG_TRAINING_MINING_LABEL: &str = "cawg.training-mining";

/// Why a consent token or revocation was refused. The Worker maps each
/// variant to its own problem detail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsentError {
    #[error("malformed consent document: {0}")]
    Malformed(String),
    #[error("the consent document's signature does not verify")]
    BadSignature,
    #[error("the consent is not valid yet (validFrom is in the future)")]
    NotYetValid,
    #[error("the consent has expired (validUntil has passed)")]
    Expired,
    #[error("issuer, credentialSubject.id and the proof's key must be the same did:key")]
    IssuerMismatch,
    #[error("{0}")]
    Vocabulary(String),
}

fn malformed(what: impl Into<String>) -> ConsentError {
    ConsentError::Malformed(what.into())
}

// ---------------------------------------------------------------------------
// Vocabularies

vocabulary! {
    /// What the asset may be used for: the four pre-defined entries of the
    /// CAWG training-and-data-mining assertion, without the `cawg.` prefix.
    Use ("use") {
        AiTraining = "ai_training",
        AiGenerativeTraining = "ai_generative_training",
        AiInference = "ai_inference",
        DataMining = "data_mining",
    }
}

vocabulary! {
    /// Which kind of the creator's data a consent (or a contribution) is about.
    Scope ("scope") {
        PublicProfile = "public_profile",
        PublicPosts = "public_posts",
        PrivateMessages = "private_messages",
        Metadata = "metadata",
    }
}

vocabulary! {
    /// The creator's jurisdiction, which selects the policy's regional rules.
    Jurisdiction ("jurisdiction") {
        Eu = "EU",
        Uk = "UK",
        Us = "US",
        Ca = "CA",
        Hk = "HK",
        Other = "OTHER",
    }
}

fn proof_error(f: ProofFailure) -> ConsentError {
    match f {
        ProofFailure::WrongSigner => ConsentError::IssuerMismatch,
        ProofFailure::BadSignature => ConsentError::BadSignature,
        ProofFailure::Malformed(m) => ConsentError::Malformed(m),
    }
}

// ---------------------------------------------------------------------------
// The token

/// The license the creator grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct License {
    /// An SPDX id (`CC-BY-4.0`) or `LicenseRef-…`: printable ASCII, 1..=100.
    pub id: String,
    /// Optional free-text terms, at most 4000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<String>,
}

impl License {
    fn check(&self) -> Result<(), ConsentError> {
        if !is_token_text(&self.id, 100) {
            return Err(malformed(
                "license.id must be 1-100 printable ASCII characters without spaces",
            ));
        }
        if let Some(terms) = &self.terms {
            if !is_free_text(terms, 4000) {
                return Err(malformed(
                    "license.terms must be 1-4000 characters without control characters",
                ));
            }
        }
        Ok(())
    }
}

/// What a creator consents to: everything in the token but the issuer (the
/// signing key) and the proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentToken {
    /// `urn:uuid:…` (see [`urn_uuid_v4`]).
    pub id: String,
    pub valid_from: Timestamp,
    pub valid_until: Timestamp,
    pub asset_hashes: Vec<Sha256Digest>,
    pub allowed_uses: Vec<Use>,
    pub commercial: bool,
    pub scopes: Vec<Scope>,
    pub jurisdiction: Jurisdiction,
    pub policy_version: String,
    pub license: License,
    pub price: Price,
}

impl ConsentToken {
    /// The unsigned credential with `issuer` as issuer and subject.
    pub fn to_unsigned(&self, issuer: &DidKey) -> Value {
        let subject = json!({
            "id": issuer.to_string(),
            "asset_hashes": self.asset_hashes,
            "allowed_uses": self.allowed_uses,
            "commercial": self.commercial,
            "scopes": self.scopes,
            "jurisdiction": self.jurisdiction,
            "policy_version": self.policy_version,
            "license": self.license,
            "price": self.price,
        });
        json!({
            "@context": [VC_CONTEXT_V2],
            "id": self.id,
            "type": ["VerifiableCredential", CREDENTIAL_TYPE],
            "issuer": issuer.to_string(),
            "validFrom": self.valid_from.format_rfc3339(),
            "validUntil": self.valid_until.format_rfc3339(),
            "credentialSubject": subject,
        })
    }

    /// Signs the token as `key`'s did:key (proof `created` = `now`). The result
    /// passes the same shape and vocabulary checks verifiers apply (not the
    /// validity window: a token may be signed ahead of time).
    pub fn sign(&self, key: &SigningKey, now: Timestamp) -> Result<Value, ConsentError> {
        let did = DidKey::from_public_key(key.public_key());
        let signed = data_integrity::sign(
            &self.to_unsigned(&did),
            ProofOptions::assertion(&did, now),
            key,
        )
        .map_err(|e| malformed(e.to_string()))?;
        parse_token(&signed)?;
        Ok(signed)
    }
}

/// A consent token that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedConsent {
    /// The credential's `id` (`urn:uuid:…`).
    pub id: String,
    /// Issuer, subject and signer: the creator.
    pub creator: DidKey,
    pub asset_hashes: Vec<Sha256Digest>,
    pub allowed_uses: Vec<Use>,
    pub commercial: bool,
    pub scopes: Vec<Scope>,
    pub jurisdiction: Jurisdiction,
    pub policy_version: String,
    pub license: License,
    pub price: Price,
    pub valid_from: Timestamp,
    pub valid_until: Timestamp,
    /// SHA-256 of the JCS form of the whole signed token.
    pub consent_hash: Sha256Digest,
}

impl VerifiedConsent {
    /// Whether the token names this exact content.
    pub fn covers(&self, content_hash: &Sha256Digest) -> bool {
        self.asset_hashes.contains(content_hash)
    }

    pub fn allows(&self, use_: Use) -> bool {
        self.allowed_uses.contains(&use_)
    }

    pub fn has_scope(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    /// The validity window at `now`: `validFrom <= now + skew`, `now < validUntil`.
    pub fn check_validity(&self, now: Timestamp) -> Result<(), ConsentError> {
        let latest_start = now.checked_add_seconds(CLOCK_SKEW_SECONDS).unwrap_or(now);
        if self.valid_from > latest_start {
            return Err(ConsentError::NotYetValid);
        }
        if now >= self.valid_until {
            return Err(ConsentError::Expired);
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawToken {
    #[serde(rename = "@context")]
    context: Vec<String>,
    id: String,
    #[serde(rename = "type")]
    types: Vec<String>,
    issuer: String,
    #[serde(rename = "validFrom")]
    valid_from: String,
    #[serde(rename = "validUntil")]
    valid_until: String,
    #[serde(rename = "credentialSubject")]
    subject: RawSubject,
    #[allow(dead_code)] // checked by the proof verification
    proof: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubject {
    id: String,
    asset_hashes: Vec<String>,
    allowed_uses: Vec<String>,
    commercial: bool,
    scopes: Vec<String>,
    jurisdiction: String,
    policy_version: String,
    license: License,
    price: Price,
}

/// A non-empty list of distinct vocabulary terms.
fn terms<T: FromStr<Err = UnknownTerm> + Ord + Copy>(
    name: &str,
    items: &[String],
) -> Result<Vec<T>, ConsentError> {
    if items.is_empty() {
        return Err(ConsentError::Vocabulary(format!(
            "{name} must not be empty"
        )));
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let term: T = item
            .parse()
            .map_err(|e: UnknownTerm| ConsentError::Vocabulary(format!("{name}: {e}")))?;
        if !seen.insert(term) {
            return Err(ConsentError::Vocabulary(format!(
                "{name}: {item:?} is listed twice"
            )));
        }
        out.push(term);
    }
    Ok(out)
}

/// Policy versions: 1..=64 printable ASCII characters.
pub fn is_policy_version(text: &str) -> bool {
    is_token_text(text, 64)
}

/// Everything but the signature: shape, vocabularies, issuer == subject.
fn parse_token(doc: &Value) -> Result<VerifiedConsent, ConsentError> {
    if !doc.is_object() {
        return Err(malformed("a consent token must be a JSON object"));
    }
    let raw: RawToken =
        serde_json::from_value(doc.clone()).map_err(|e| malformed(e.to_string()))?;
    if raw.context != [VC_CONTEXT_V2] {
        return Err(malformed(format!("@context must be [\"{VC_CONTEXT_V2}\"]")));
    }
    if !is_urn_uuid(&raw.id) {
        return Err(malformed("id must be urn:uuid:<lowercase uuid>"));
    }
    let types: BTreeSet<&str> = raw.types.iter().map(String::as_str).collect();
    if raw.types.len() != 2 || types != BTreeSet::from(["VerifiableCredential", CREDENTIAL_TYPE]) {
        return Err(malformed(format!(
            "type must be [\"VerifiableCredential\", \"{CREDENTIAL_TYPE}\"]"
        )));
    }
    let creator = DidKey::parse(&raw.issuer).map_err(|e| malformed(format!("issuer: {e}")))?;
    if raw.subject.id != raw.issuer {
        return Err(ConsentError::IssuerMismatch);
    }
    let valid_from = parse_utc(&raw.valid_from)
        .ok_or_else(|| malformed("validFrom must be an RFC 3339 UTC date-time"))?;
    let valid_until = parse_utc(&raw.valid_until)
        .ok_or_else(|| malformed("validUntil must be an RFC 3339 UTC date-time"))?;
    if valid_until <= valid_from {
        return Err(malformed("validUntil must be after validFrom"));
    }

    let s = raw.subject;
    if s.asset_hashes.is_empty() || s.asset_hashes.len() > MAX_ASSET_HASHES {
        return Err(malformed(format!(
            "asset_hashes must list 1 to {MAX_ASSET_HASHES} hashes"
        )));
    }
    let mut seen = BTreeSet::new();
    let mut asset_hashes = Vec::with_capacity(s.asset_hashes.len());
    for text in &s.asset_hashes {
        let digest: Sha256Digest = text
            .parse()
            .map_err(|e| malformed(format!("asset_hashes: {e}")))?;
        if !seen.insert(digest) {
            return Err(malformed(format!("asset_hashes: {text} is listed twice")));
        }
        asset_hashes.push(digest);
    }
    let allowed_uses = terms::<Use>("allowed_uses", &s.allowed_uses)?;
    let scopes = terms::<Scope>("scopes", &s.scopes)?;
    let jurisdiction: Jurisdiction = s
        .jurisdiction
        .parse()
        .map_err(|e: UnknownTerm| ConsentError::Vocabulary(e.to_string()))?;
    if !is_policy_version(&s.policy_version) {
        return Err(malformed(
            "policy_version must be 1-64 printable ASCII characters without spaces",
        ));
    }
    s.license.check()?;
    s.price.check().map_err(malformed)?;
    let consent_hash = jcs_hash(doc).map_err(|e| malformed(e.to_string()))?;
    Ok(VerifiedConsent {
        id: raw.id,
        creator,
        asset_hashes,
        allowed_uses,
        commercial: s.commercial,
        scopes,
        jurisdiction,
        policy_version: s.policy_version,
        license: s.license,
        price: s.price,
        valid_from,
        valid_until,
        consent_hash,
    })
}

/// Verifies a token's shape, vocabularies, issuer and signature, but not its
/// validity window (for showing old tokens, or evaluating one at another time).
pub fn verify_consent_document(doc: &Value) -> Result<VerifiedConsent, ConsentError> {
    let consent = parse_token(doc)?;
    check_did_key_proof(doc, &consent.creator).map_err(proof_error)?;
    Ok(consent)
}

/// Verifies a consent token completely, at `now`: shape and vocabularies,
/// issuer == credentialSubject.id == the proof's did:key, the signature,
/// `validFrom <= now + 5 min`, `validUntil > now`.
pub fn verify_consent(doc: &Value, now: Timestamp) -> Result<VerifiedConsent, ConsentError> {
    let consent = verify_consent_document(doc)?;
    consent.check_validity(now)?;
    Ok(consent)
}

/// The consent as a C2PA/CAWG `cawg.training-mining` assertion (CAWG Training
/// and Data Mining Assertion 1.1): every pre-defined entry, `allowed` if the
/// token allows that use and `notAllowed` otherwise.
pub fn cawg_training_mining(consent: &VerifiedConsent) -> Value {
    let mut entries = Map::new();
    for use_ in Use::ALL {
        let verdict = if consent.allows(*use_) {
            "allowed"
        } else {
            "notAllowed"
        };
        entries.insert(format!("cawg.{use_}"), json!({ "use": verdict }));
    }
    json!({ "entries": entries })
}

// ---------------------------------------------------------------------------
// Revocation

/// A revocation that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRevocation {
    pub consent_id: String,
    pub creator: DidKey,
    pub revoked_at: Timestamp,
    /// SHA-256 of the JCS form of the signed revocation (for the log).
    pub revocation_hash: Sha256Digest,
}

impl VerifiedRevocation {
    /// Whether this revocation is by the consent's creator, for that consent.
    pub fn revokes(&self, consent: &VerifiedConsent) -> bool {
        self.consent_id == consent.id && self.creator == consent.creator
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRevocation {
    #[serde(rename = "type")]
    kind: String,
    consent_id: String,
    creator: String,
    revoked_at: String,
    #[allow(dead_code)] // checked by the proof verification
    proof: Value,
}

/// Signs `{type: ConsentRevocation, consent_id, creator, revoked_at}` as
/// `key`'s did:key.
pub fn sign_revocation(
    consent_id: &str,
    key: &SigningKey,
    revoked_at: Timestamp,
) -> Result<Value, ConsentError> {
    if !is_urn_uuid(consent_id) {
        return Err(malformed("consent_id must be urn:uuid:<lowercase uuid>"));
    }
    let did = DidKey::from_public_key(key.public_key());
    let doc = json!({
        "type": REVOCATION_TYPE,
        "consent_id": consent_id,
        "creator": did.to_string(),
        "revoked_at": revoked_at.format_rfc3339(),
    });
    data_integrity::sign(&doc, ProofOptions::assertion(&did, revoked_at), key)
        .map_err(|e| malformed(e.to_string()))
}

/// Verifies a revocation: its shape and that it is signed by `creator`. The
/// caller checks that `creator` is the consent's creator ([`VerifiedRevocation::revokes`]).
pub fn verify_revocation(doc: &Value) -> Result<VerifiedRevocation, ConsentError> {
    if !doc.is_object() {
        return Err(malformed("a revocation must be a JSON object"));
    }
    let raw: RawRevocation =
        serde_json::from_value(doc.clone()).map_err(|e| malformed(e.to_string()))?;
    if raw.kind != REVOCATION_TYPE {
        return Err(malformed(format!("type must be {REVOCATION_TYPE}")));
    }
    if !is_urn_uuid(&raw.consent_id) {
        return Err(malformed("consent_id must be urn:uuid:<lowercase uuid>"));
    }
    let creator = DidKey::parse(&raw.creator).map_err(|e| malformed(format!("creator: {e}")))?;
    let revoked_at = parse_utc(&raw.revoked_at)
        .ok_or_else(|| malformed("revoked_at must be an RFC 3339 UTC date-time"))?;
    check_did_key_proof(doc, &creator).map_err(proof_error)?;
    Ok(VerifiedRevocation {
        consent_id: raw.consent_id,
        creator,
        revoked_at,
        revocation_hash: jcs_hash(doc).map_err(|e| malformed(e.to_string()))?,
    })
}

impl fmt::Display for VerifiedConsent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} by {}", self.id, self.creator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::ConsentBuilder;
    use fairtrain_core::jcs;

    fn key() -> SigningKey {
        SigningKey::from_seed(&[7; 32])
    }

    fn t(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    fn token() -> ConsentToken {
        ConsentBuilder::new()
            .assets(vec![Sha256Digest::of(b"a"), Sha256Digest::of(b"b")])
            .token()
    }

    fn signed() -> Value {
        token().sign(&key(), t("2026-01-01T00:00:00Z")).unwrap()
    }

    const NOW: &str = "2026-06-01T00:00:00Z";

    #[test]
    fn sign_and_verify_round_trip() {
        let doc = signed();
        assert_eq!(doc["@context"], json!([VC_CONTEXT_V2]));
        assert_eq!(doc["type"][1], CREDENTIAL_TYPE);
        assert_eq!(doc["credentialSubject"]["jurisdiction"], "US");
        assert_eq!(doc["credentialSubject"]["price"]["per_use"], "0.0005");
        assert!(doc["credentialSubject"]["license"].get("terms").is_none());
        let c = verify_consent(&doc, t(NOW)).unwrap();
        let did = DidKey::from_public_key(key().public_key());
        assert_eq!(c.creator, did);
        assert_eq!(c.id, token().id);
        assert_eq!(c.asset_hashes, token().asset_hashes);
        assert_eq!(c.allowed_uses, vec![Use::AiTraining, Use::DataMining]);
        assert_eq!(c.scopes, vec![Scope::PublicPosts]);
        assert_eq!(
            c.consent_hash,
            Sha256Digest::of(&jcs::canonicalize_bytes(&doc).unwrap())
        );
        assert!(c.covers(&Sha256Digest::of(b"a")));
        assert!(!c.covers(&Sha256Digest::of(b"c")));
        // Survives a text round trip.
        let text = serde_json::to_string_pretty(&doc).unwrap();
        let again = verify_consent(&jcs::parse_strict(&text).unwrap(), t(NOW)).unwrap();
        assert_eq!(again, c);
    }

    #[test]
    fn tampering_fails() {
        let doc = signed();
        let mut changed = doc.clone();
        changed["credentialSubject"]["commercial"] = json!(false);
        assert_eq!(
            verify_consent(&changed, t(NOW)),
            Err(ConsentError::BadSignature)
        );
        let mut changed = doc.clone();
        changed["credentialSubject"]["asset_hashes"][0] = json!(Sha256Digest::of(b"x"));
        assert_eq!(
            verify_consent(&changed, t(NOW)),
            Err(ConsentError::BadSignature)
        );
        let mut changed = doc.clone();
        changed["validUntil"] = json!("2030-01-01T00:00:00Z");
        assert_eq!(
            verify_consent(&changed, t(NOW)),
            Err(ConsentError::BadSignature)
        );
        let mut changed = doc.clone();
        changed["proof"]["proofValue"] = json!("z3");
        assert!(matches!(
            verify_consent(&changed, t(NOW)),
            Err(ConsentError::Malformed(_))
        ));
    }

    #[test]
    fn issuer_subject_and_signer_must_agree() {
        let other = SigningKey::from_seed(&[8; 32]);
        let other_did = DidKey::from_public_key(other.public_key());
        // Subject is someone else.
        let mut doc = signed();
        doc["credentialSubject"]["id"] = json!(other_did.to_string());
        assert_eq!(
            verify_consent(&doc, t(NOW)),
            Err(ConsentError::IssuerMismatch)
        );
        // Signed by someone else than the issuer.
        let mut unsigned = token().to_unsigned(&DidKey::from_public_key(key().public_key()));
        unsigned.as_object_mut().unwrap().remove("proof");
        let forged = data_integrity::sign(
            &unsigned,
            ProofOptions::assertion(&other_did, t(NOW)),
            &other,
        )
        .unwrap();
        assert_eq!(
            verify_consent(&forged, t(NOW)),
            Err(ConsentError::IssuerMismatch)
        );
        // Issuer and subject both changed, proof still by the original key.
        let mut doc = signed();
        doc["issuer"] = json!(other_did.to_string());
        doc["credentialSubject"]["id"] = json!(other_did.to_string());
        assert_eq!(
            verify_consent(&doc, t(NOW)),
            Err(ConsentError::IssuerMismatch)
        );
        // Proof set, wrong purpose.
        let twice = data_integrity::sign(
            &signed(),
            ProofOptions::assertion(&other_did, t(NOW)),
            &other,
        )
        .unwrap();
        assert!(matches!(
            verify_consent(&twice, t(NOW)),
            Err(ConsentError::Malformed(_))
        ));
        let did = DidKey::from_public_key(key().public_key());
        let mut options = ProofOptions::assertion(&did, t(NOW));
        options.proof_purpose = "authentication".into();
        let auth = data_integrity::sign(&unsigned, options, &key()).unwrap();
        assert!(matches!(
            verify_consent(&auth, t(NOW)),
            Err(ConsentError::Malformed(_))
        ));
    }

    #[test]
    fn validity_window() {
        let doc = signed();
        assert_eq!(
            verify_consent(&doc, t("2025-12-31T23:50:00Z")),
            Err(ConsentError::NotYetValid)
        );
        // Within the five-minute skew.
        verify_consent(&doc, t("2025-12-31T23:56:00Z")).unwrap();
        verify_consent(&doc, t("2026-12-31T23:59:59Z")).unwrap();
        assert_eq!(
            verify_consent(&doc, t("2027-01-01T00:00:00Z")),
            Err(ConsentError::Expired)
        );
        // The document itself still verifies.
        verify_consent_document(&doc).unwrap();
        let mut backwards = token();
        backwards.valid_until = backwards.valid_from;
        assert!(matches!(
            backwards.sign(&key(), t(NOW)),
            Err(ConsentError::Malformed(_))
        ));
    }

    #[test]
    fn vocabulary_and_shape_errors() {
        let cases: Vec<(&str, Value, bool)> = vec![
            // (member of credentialSubject, value, is a vocabulary error)
            ("allowed_uses", json!(["ai_training", "selling"]), true),
            ("allowed_uses", json!([]), true),
            ("allowed_uses", json!(["ai_training", "ai_training"]), true),
            ("scopes", json!(["dms"]), true),
            ("jurisdiction", json!("FR"), true),
            ("asset_hashes", json!([]), false),
            ("asset_hashes", json!(["sha256:ABC"]), false),
            (
                "asset_hashes",
                json!([Sha256Digest::of(b"a"), Sha256Digest::of(b"a")]),
                false,
            ),
            ("policy_version", json!(""), false),
            ("policy_version", json!("v 1"), false),
            ("commercial", json!("yes"), false),
            (
                "price",
                json!({"currency": "usd", "minor_units": 2, "per_use": "1"}),
                false,
            ),
            (
                "price",
                json!({"currency": "USD", "minor_units": 7, "per_use": "1"}),
                false,
            ),
            (
                "price",
                json!({"currency": "USD", "minor_units": 2, "per_use": "-1"}),
                false,
            ),
            (
                "price",
                json!({"currency": "USD", "minor_units": 2, "per_use": "1e3"}),
                false,
            ),
            (
                "price",
                json!({"currency": "USD", "minor_units": 2, "per_use": 0.5}),
                false,
            ),
            (
                "price",
                json!({"currency": "USD", "minor_units": 2, "per_use": "01"}),
                false,
            ),
            (
                "price",
                json!({"currency": "USD", "minor_units": 2, "per_use": "1."}),
                false,
            ),
            ("license", json!({"id": ""}), false),
            ("license", json!({"id": "MIT", "url": "x"}), false),
            ("extra", json!(1), false),
        ];
        for (member, value, vocabulary) in cases {
            let mut doc = signed();
            doc["credentialSubject"][member] = value.clone();
            let err = verify_consent(&doc, t(NOW)).unwrap_err();
            if vocabulary {
                assert!(
                    matches!(err, ConsentError::Vocabulary(_)),
                    "{member}={value}: {err:?}"
                );
            } else {
                assert!(
                    matches!(err, ConsentError::Malformed(_)),
                    "{member}={value}: {err:?}"
                );
            }
        }
        let mut too_many = token();
        too_many.asset_hashes = (0..=MAX_ASSET_HASHES as u32)
            .map(|i| Sha256Digest::of(&i.to_be_bytes()))
            .collect();
        assert!(matches!(
            too_many.sign(&key(), t(NOW)),
            Err(ConsentError::Malformed(_))
        ));
        for (member, value) in [
            (
                "@context",
                json!(["https://www.w3.org/2018/credentials/v1"]),
            ),
            ("type", json!(["VerifiableCredential"])),
            ("id", json!("consent-1")),
            ("issuer", json!("did:web:example.com")),
            ("validFrom", json!("2026-01-01T01:00:00+01:00")),
            ("validUntil", json!(12)),
            ("credentialStatus", json!({})),
        ] {
            let mut doc = signed();
            doc[member] = value.clone();
            assert!(
                matches!(
                    verify_consent(&doc, t(NOW)),
                    Err(ConsentError::Malformed(_) | ConsentError::IssuerMismatch)
                ),
                "{member}={value}"
            );
        }
        assert!(matches!(
            verify_consent(&json!([]), t(NOW)),
            Err(ConsentError::Malformed(_))
        ));
        let mut no_proof = signed();
        no_proof.as_object_mut().unwrap().remove("proof");
        assert!(matches!(
            verify_consent(&no_proof, t(NOW)),
            Err(ConsentError::Malformed(_))
        ));
    }

    #[test]
    fn license_terms_are_optional_but_signed() {
        let mut tok = token();
        tok.license.terms = Some("Attribution required: \"Jane Doe\".".into());
        let doc = tok.sign(&key(), t(NOW)).unwrap();
        let c = verify_consent(&doc, t(NOW)).unwrap();
        assert_eq!(c.license, tok.license);
        let mut changed = doc.clone();
        changed["credentialSubject"]["license"]["terms"] = json!("none");
        assert_eq!(
            verify_consent(&changed, t(NOW)),
            Err(ConsentError::BadSignature)
        );
    }

    #[test]
    fn cawg_assertion() {
        let c = verify_consent(&signed(), t(NOW)).unwrap();
        assert_eq!(
            cawg_training_mining(&c),
            json!({"entries": {
                "cawg.ai_training": {"use": "allowed"},
                "cawg.ai_generative_training": {"use": "notAllowed"},
                "cawg.ai_inference": {"use": "notAllowed"},
                "cawg.data_mining": {"use": "allowed"},
            }})
        );
    }

    #[test]
    fn vocabularies_parse_and_print() {
        for u in Use::ALL {
            assert_eq!(u.as_str().parse::<Use>().unwrap(), *u);
            assert_eq!(serde_json::to_value(u).unwrap(), json!(u.as_str()));
        }
        assert_eq!(
            "OTHER".parse::<Jurisdiction>().unwrap(),
            Jurisdiction::Other
        );
        assert!("us".parse::<Jurisdiction>().is_err());
        let err = "x".parse::<Scope>().unwrap_err();
        assert!(err.to_string().contains("public_posts"));
    }

    #[test]
    fn revocation_round_trip_and_tampering() {
        let c = verify_consent(&signed(), t(NOW)).unwrap();
        let doc = sign_revocation(&c.id, &key(), t(NOW)).unwrap();
        assert_eq!(doc["type"], REVOCATION_TYPE);
        let r = verify_revocation(&doc).unwrap();
        assert_eq!(r.consent_id, c.id);
        assert_eq!(r.revoked_at, t(NOW));
        assert!(r.revokes(&c));
        assert_eq!(r.revocation_hash, jcs_hash(&doc).unwrap());

        let mut changed = doc.clone();
        changed["revoked_at"] = json!("2026-06-01T00:00:01Z");
        assert_eq!(verify_revocation(&changed), Err(ConsentError::BadSignature));
        let other = SigningKey::from_seed(&[8; 32]);
        let mut changed = doc.clone();
        changed["creator"] = json!(DidKey::from_public_key(other.public_key()).to_string());
        assert_eq!(
            verify_revocation(&changed),
            Err(ConsentError::IssuerMismatch)
        );
        // Someone else's revocation of this consent verifies, but does not revoke it.
        let theirs = verify_revocation(&sign_revocation(&c.id, &other, t(NOW)).unwrap()).unwrap();
        assert!(!theirs.revokes(&c));
        assert!(sign_revocation("consent-1", &key(), t(NOW)).is_err());
        let mut extra = doc.clone();
        extra["reason"] = json!("x");
        assert!(matches!(
            verify_revocation(&extra),
            Err(ConsentError::Malformed(_))
        ));
    }
}
