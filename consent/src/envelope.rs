//! Contribution envelopes: the contributor's signed statement about one
//! upload, sent with it.
//!
//! ```json
//! { "type": "ContributionEnvelope", "content_hash": "sha256:…", "contributor": "did:key:…",
//!   "consent_id": "urn:uuid:…", "license": "CC-BY-4.0", "media_type": "image/png",
//!   "scope": "public_posts", "size": 12345, "timestamp": "…Z", "proof": { … } }
//! ```
//!
//! Signed with `eddsa-jcs-2022` by the contributor's did:key. On the wire (the
//! `Fairtrain-Envelope` header) it is the base64url (no padding) of its JCS
//! bytes; `envelope_hash` is the SHA-256 of those same bytes.

use serde::Deserialize;
use serde_json::{json, Value};

use fairtrain_core::data_integrity::{self, ProofOptions};
use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::encoding::{base64url_decode, base64url_encode};
use fairtrain_core::fields::{
    is_token_text, is_urn_uuid, jcs_hash, parse_utc, UnknownTerm, MAX_SAFE_INTEGER,
};
use fairtrain_core::jcs;
use fairtrain_core::single_proof::{check_did_key_proof, ProofFailure};
use fairtrain_core::time::Timestamp;

use crate::consent::Scope;

/// `type` of an envelope.
pub const ENVELOPE_TYPE: &str = "ContributionEnvelope";
/// The HTTP header that carries an envelope with an upload.
pub const HEADER_NAME: &str = "Fairtrain-Envelope";
/// Longest header value accepted (an envelope is well under 1 KiB).
pub const MAX_HEADER_LEN: usize = 8192;
/// Longest media type accepted.
pub const MAX_MEDIA_TYPE_LEN: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("malformed contribution envelope: {0}")]
    Malformed(String),
    #[error("{0}")]
    Vocabulary(String),
    #[error("the envelope is not signed by its contributor's did:key")]
    SignerMismatch,
    #[error("the envelope's signature does not verify")]
    BadSignature,
    #[error(
        "the {HEADER_NAME} header must be base64url (no padding) of the envelope's JCS bytes: {0}"
    )]
    Header(String),
}

fn malformed(what: impl Into<String>) -> EnvelopeError {
    EnvelopeError::Malformed(what.into())
}

/// What the contributor states; the contributor is the signing key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeFields {
    pub content_hash: Sha256Digest,
    /// The consent (`urn:uuid:…`) the contribution is made under.
    pub consent_id: String,
    /// License id (e.g. `CC-BY-4.0`), normally the consent's.
    pub license: String,
    /// `type/subtype`, lowercase, no parameters.
    pub media_type: String,
    pub scope: Scope,
    /// Bytes; at most 2^53 - 1.
    pub size: u64,
    pub timestamp: Timestamp,
}

/// An envelope that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedEnvelope {
    pub content_hash: Sha256Digest,
    pub contributor: DidKey,
    pub consent_id: String,
    pub license: String,
    pub media_type: String,
    pub scope: Scope,
    pub size: u64,
    pub timestamp: Timestamp,
    /// SHA-256 of the JCS form of the signed envelope.
    pub envelope_hash: Sha256Digest,
}

impl VerifiedEnvelope {
    /// Whether the envelope names this consent and is by its creator.
    pub fn is_under(&self, consent: &crate::consent::VerifiedConsent) -> bool {
        self.consent_id == consent.id && self.contributor == consent.creator
    }
}

/// `type/subtype` (RFC 9110 tokens), lowercase, without parameters.
pub fn is_media_type(text: &str) -> bool {
    fn token(s: &str) -> bool {
        !s.is_empty()
            && s.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&b)
            })
    }
    text.len() <= MAX_MEDIA_TYPE_LEN
        && text
            .split_once('/')
            .is_some_and(|(t, s)| token(t) && token(s))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvelope {
    #[serde(rename = "type")]
    kind: String,
    content_hash: String,
    contributor: String,
    consent_id: String,
    license: String,
    media_type: String,
    scope: String,
    size: u64,
    timestamp: String,
    #[allow(dead_code)] // checked by the proof verification
    proof: Value,
}

/// Shape and vocabulary (not the signature).
fn parse(doc: &Value) -> Result<VerifiedEnvelope, EnvelopeError> {
    if !doc.is_object() {
        return Err(malformed("an envelope must be a JSON object"));
    }
    let raw: RawEnvelope =
        serde_json::from_value(doc.clone()).map_err(|e| malformed(e.to_string()))?;
    if raw.kind != ENVELOPE_TYPE {
        return Err(malformed(format!("type must be {ENVELOPE_TYPE}")));
    }
    let content_hash: Sha256Digest = raw
        .content_hash
        .parse()
        .map_err(|e| malformed(format!("content_hash: {e}")))?;
    let contributor =
        DidKey::parse(&raw.contributor).map_err(|e| malformed(format!("contributor: {e}")))?;
    if !is_urn_uuid(&raw.consent_id) {
        return Err(malformed("consent_id must be urn:uuid:<lowercase uuid>"));
    }
    if !is_token_text(&raw.license, 100) {
        return Err(malformed(
            "license must be 1-100 printable ASCII characters without spaces",
        ));
    }
    if !is_media_type(&raw.media_type) {
        return Err(malformed(
            "media_type must be a lowercase type/subtype without parameters",
        ));
    }
    let scope: Scope = raw
        .scope
        .parse()
        .map_err(|e: UnknownTerm| EnvelopeError::Vocabulary(e.to_string()))?;
    if raw.size > MAX_SAFE_INTEGER {
        return Err(malformed("size is larger than 2^53 - 1"));
    }
    let timestamp = parse_utc(&raw.timestamp)
        .ok_or_else(|| malformed("timestamp must be an RFC 3339 UTC date-time"))?;
    Ok(VerifiedEnvelope {
        content_hash,
        contributor,
        consent_id: raw.consent_id,
        license: raw.license,
        media_type: raw.media_type,
        scope,
        size: raw.size,
        timestamp,
        envelope_hash: jcs_hash(doc).map_err(|e| malformed(e.to_string()))?,
    })
}

/// Signs the envelope as `key`'s did:key (the contributor); the proof's
/// `created` is the envelope's timestamp.
pub fn sign_envelope(fields: &EnvelopeFields, key: &SigningKey) -> Result<Value, EnvelopeError> {
    let did = DidKey::from_public_key(key.public_key());
    let doc = json!({
        "type": ENVELOPE_TYPE,
        "content_hash": fields.content_hash,
        "contributor": did.to_string(),
        "consent_id": fields.consent_id,
        "license": fields.license,
        "media_type": fields.media_type,
        "scope": fields.scope,
        "size": fields.size,
        "timestamp": fields.timestamp.format_rfc3339(),
    });
    let signed = data_integrity::sign(&doc, ProofOptions::assertion(&did, fields.timestamp), key)
        .map_err(|e| malformed(e.to_string()))?;
    parse(&signed)?;
    Ok(signed)
}

/// Verifies an envelope: shape, vocabulary, and exactly one `assertionMethod`
/// proof by the contributor's did:key.
pub fn verify_envelope(doc: &Value) -> Result<VerifiedEnvelope, EnvelopeError> {
    let envelope = parse(doc)?;
    check_did_key_proof(doc, &envelope.contributor).map_err(|f| match f {
        ProofFailure::WrongSigner => EnvelopeError::SignerMismatch,
        ProofFailure::BadSignature => EnvelopeError::BadSignature,
        ProofFailure::Malformed(m) => EnvelopeError::Malformed(m),
    })?;
    Ok(envelope)
}

/// The `Fairtrain-Envelope` header value: base64url (no padding) of the JCS
/// bytes of the signed envelope.
pub fn encode_header(envelope: &Value) -> Result<String, EnvelopeError> {
    let bytes = jcs::canonicalize_bytes(envelope).map_err(|e| malformed(e.to_string()))?;
    Ok(base64url_encode(&bytes))
}

/// Reads a `Fairtrain-Envelope` header value back into JSON. The decoded
/// bytes must be exactly the JCS form (one spelling per envelope), so their
/// SHA-256 is the envelope hash. Does not verify the envelope: call
/// [`verify_envelope`] next.
pub fn decode_header(value: &str) -> Result<Value, EnvelopeError> {
    let value = value.trim();
    if value.len() > MAX_HEADER_LEN {
        return Err(EnvelopeError::Header(format!(
            "longer than {MAX_HEADER_LEN} characters"
        )));
    }
    let bytes = base64url_decode(value).map_err(|e| EnvelopeError::Header(e.to_string()))?;
    let doc = jcs::parse_strict_slice(&bytes).map_err(|e| EnvelopeError::Header(e.to_string()))?;
    let canonical =
        jcs::canonicalize_bytes(&doc).map_err(|e| EnvelopeError::Header(e.to_string()))?;
    if canonical != bytes {
        return Err(EnvelopeError::Header("not in JCS canonical form".into()));
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::EnvelopeBuilder;

    fn key() -> SigningKey {
        SigningKey::from_seed(&[9; 32])
    }

    fn fields() -> EnvelopeFields {
        EnvelopeBuilder::new().bytes(b"pixels").fields()
    }

    #[test]
    fn sign_verify_and_header_round_trip() {
        let doc = sign_envelope(&fields(), &key()).unwrap();
        let v = verify_envelope(&doc).unwrap();
        assert_eq!(v.contributor, DidKey::from_public_key(key().public_key()));
        assert_eq!(v.content_hash, fields().content_hash);
        assert_eq!(v.scope, Scope::PublicPosts);
        assert_eq!(v.size, 6);
        let header = encode_header(&doc).unwrap();
        assert!(header
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        let back = decode_header(&header).unwrap();
        assert_eq!(back, doc);
        assert_eq!(
            v.envelope_hash,
            Sha256Digest::of(&base64url_decode(&header).unwrap())
        );
        assert_eq!(verify_envelope(&back).unwrap(), v);
    }

    #[test]
    fn tampering_and_wrong_signer_fail() {
        let doc = sign_envelope(&fields(), &key()).unwrap();
        let mut changed = doc.clone();
        changed["size"] = json!(7);
        assert_eq!(verify_envelope(&changed), Err(EnvelopeError::BadSignature));
        let mut changed = doc.clone();
        changed["content_hash"] = json!(Sha256Digest::of(b"other"));
        assert_eq!(verify_envelope(&changed), Err(EnvelopeError::BadSignature));
        let other = SigningKey::from_seed(&[10; 32]);
        let mut changed = doc.clone();
        changed["contributor"] = json!(DidKey::from_public_key(other.public_key()).to_string());
        assert_eq!(
            verify_envelope(&changed),
            Err(EnvelopeError::SignerMismatch)
        );
    }

    #[test]
    fn shape_rules() {
        let doc = sign_envelope(&fields(), &key()).unwrap();
        for (member, value) in [
            ("type", json!("Envelope")),
            ("size", json!(1.5)),
            ("size", json!(-1)),
            ("size", json!("6")),
            ("size", json!(MAX_SAFE_INTEGER + 1)),
            ("media_type", json!("png")),
            ("media_type", json!("image/png; q=1")),
            ("media_type", json!("Image/PNG")),
            ("consent_id", json!("c1")),
            ("license", json!("")),
            ("timestamp", json!("2026-02-01")),
            ("extra", json!(true)),
        ] {
            let mut changed = doc.clone();
            changed[member] = value.clone();
            assert!(
                matches!(verify_envelope(&changed), Err(EnvelopeError::Malformed(_))),
                "{member}={value}"
            );
        }
        let mut changed = doc.clone();
        changed["scope"] = json!("everything");
        assert!(matches!(
            verify_envelope(&changed),
            Err(EnvelopeError::Vocabulary(_))
        ));
        let mut f = fields();
        f.media_type = "text".into();
        assert!(sign_envelope(&f, &key()).is_err());
        assert!(is_media_type(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        ));
    }

    #[test]
    fn header_must_be_canonical() {
        let doc = sign_envelope(&fields(), &key()).unwrap();
        let pretty = serde_json::to_vec_pretty(&doc).unwrap();
        assert!(matches!(
            decode_header(&base64url_encode(&pretty)),
            Err(EnvelopeError::Header(_))
        ));
        assert!(matches!(decode_header("!!"), Err(EnvelopeError::Header(_))));
        assert!(matches!(
            decode_header(&"A".repeat(MAX_HEADER_LEN + 1)),
            Err(EnvelopeError::Header(_))
        ));
        let dup = br#"{"a":1,"a":2}"#;
        assert!(matches!(
            decode_header(&base64url_encode(dup)),
            Err(EnvelopeError::Header(_))
        ));
    }
}
