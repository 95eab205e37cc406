//! W3C Verifiable Credential Data Integrity proofs with the `eddsa-jcs-2022`
//! cryptosuite (W3C "Data Integrity EdDSA Cryptosuites v1.0", §3.3).
//!
//! Signing, in the spec's terms:
//! - proof configuration = the proof options (no `proofValue`) plus the
//!   document's `@context`, canonicalised with JCS;
//! - transformed document = JCS of the document without `proof`;
//! - hashData = SHA-256(proof configuration) || SHA-256(transformed document);
//! - proofValue = multibase base58btc of the Ed25519 signature of hashData.
//!
//! Proof *sets* are supported (a `proof` array, every member signing the
//! document without any proof, every member must verify). Proof *chains*
//! (`previousProof`) are not: such a proof is rejected rather than verified
//! against the wrong bytes.
//!
//! Verification checks the cryptography and the proof's shape. What the proof
//! is *for* is the caller's decision: check [`ProofDetails::proof_purpose`],
//! `expires`, and that the verification method belongs to whoever the
//! document says issued it.

use serde_json::{Map, Value};

use crate::did_key::{resolve_verification_method, DidKey};
use crate::digest::Sha256Digest;
use crate::ed25519::{PublicKey, Signature, SigningKey};
use crate::encoding::{multibase_decode, multibase_encode};
use crate::jcs::{self, JcsError};
use crate::time::Timestamp;

/// `type` of every proof this module makes or accepts.
pub const PROOF_TYPE: &str = "DataIntegrityProof";
/// The one cryptosuite implemented here.
pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";

/// Why a proof could not be made or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataIntegrityError {
    #[error("the document must be a JSON object")]
    NotAnObject,
    #[error("the document has no proof")]
    NoProof,
    #[error("malformed proof: {0}")]
    MalformedProof(String),
    #[error("unsupported proof: type {proof_type:?}, cryptosuite {cryptosuite:?} (only DataIntegrityProof / eddsa-jcs-2022)")]
    UnsupportedCryptosuite {
        proof_type: Option<String>,
        cryptosuite: Option<String>,
    },
    #[error("proof chains (previousProof) are not supported")]
    ProofChainUnsupported,
    #[error("the proof's @context is not a prefix of the document's @context")]
    ContextMismatch,
    #[error("cannot resolve verification method {0:?}")]
    UnknownVerificationMethod(String),
    #[error("signature does not verify for verification method {0:?}")]
    InvalidSignature(String),
    #[error("the signing key does not match verification method {0:?}")]
    KeyMismatch(String),
    #[error("cannot canonicalise: {0}")]
    Canonicalization(#[from] JcsError),
}

/// What the signer states about a new proof. `type` and `cryptosuite` are
/// fixed (`DataIntegrityProof`, `eddsa-jcs-2022`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofOptions {
    /// URL of the key, e.g. a did:key verification method `did:key:z..#z..`.
    pub verification_method: String,
    /// e.g. `assertionMethod` (credentials) or `authentication`.
    pub proof_purpose: String,
    pub created: Option<Timestamp>,
    pub expires: Option<Timestamp>,
    pub id: Option<String>,
    pub domain: Option<String>,
    pub challenge: Option<String>,
    pub nonce: Option<String>,
}

impl ProofOptions {
    pub fn new(verification_method: impl Into<String>, proof_purpose: impl Into<String>) -> Self {
        ProofOptions {
            verification_method: verification_method.into(),
            proof_purpose: proof_purpose.into(),
            created: None,
            expires: None,
            id: None,
            domain: None,
            challenge: None,
            nonce: None,
        }
    }

    /// `assertionMethod` options for a did:key signer: the usual case for
    /// credentials and signed statements.
    pub fn assertion(did: &DidKey, created: Timestamp) -> Self {
        let mut options = Self::new(did.verification_method(), "assertionMethod");
        options.created = Some(created);
        options
    }

    /// The proof object without `@context` and `proofValue`, members in the
    /// order the spec's examples use.
    fn to_proof_map(&self) -> Map<String, Value> {
        let mut proof = Map::new();
        let mut put = |name: &str, value: Option<String>| {
            if let Some(value) = value {
                proof.insert(name.to_owned(), Value::String(value));
            }
        };
        put("id", self.id.clone());
        put("type", Some(PROOF_TYPE.to_owned()));
        put("cryptosuite", Some(CRYPTOSUITE.to_owned()));
        put("created", self.created.map(|t| t.format_rfc3339()));
        put("expires", self.expires.map(|t| t.format_rfc3339()));
        put("verificationMethod", Some(self.verification_method.clone()));
        put("proofPurpose", Some(self.proof_purpose.clone()));
        put("domain", self.domain.clone());
        put("challenge", self.challenge.clone());
        put("nonce", self.nonce.clone());
        proof
    }
}

/// One verified proof.
#[derive(Debug, Clone, PartialEq)]
pub struct ProofDetails {
    pub verification_method: String,
    pub proof_purpose: String,
    /// The key the verification method resolved to.
    pub public_key: PublicKey,
    pub created: Option<Timestamp>,
    pub expires: Option<Timestamp>,
    /// The proof object as it appears in the document (with `proofValue`).
    pub proof: Map<String, Value>,
}

/// The result of a successful [`verify`]: every proof on the document
/// verified; they are listed in document order.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedProof {
    first: ProofDetails,
    rest: Vec<ProofDetails>,
}

impl VerifiedProof {
    /// The first (for a single `proof` object, the only) proof.
    pub fn first(&self) -> &ProofDetails {
        &self.first
    }

    /// All proofs, in document order.
    pub fn proofs(&self) -> impl Iterator<Item = &ProofDetails> {
        std::iter::once(&self.first).chain(self.rest.iter())
    }

    pub fn len(&self) -> usize {
        1 + self.rest.len()
    }

    /// Never empty; present for API symmetry with `len`.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Whether one of the verified proofs was made by `verification_method`.
    pub fn is_signed_by(&self, verification_method: &str) -> bool {
        self.proofs()
            .any(|p| p.verification_method == verification_method)
    }
}

/// Signs `document` (a JSON object) and returns it with the proof added as
/// `proof`. If the document already has a proof (or a proof set), the new
/// proof joins the set: it signs the document without any proof.
///
/// If the verification method is a did:key, it must be `key`'s own; other
/// verification methods are taken on trust (we cannot resolve them here).
pub fn sign(
    document: &Value,
    options: ProofOptions,
    key: &SigningKey,
) -> Result<Value, DataIntegrityError> {
    let doc = document
        .as_object()
        .ok_or(DataIntegrityError::NotAnObject)?;
    if let Ok(resolved) = resolve_verification_method(&options.verification_method) {
        if resolved != key.public_key() {
            return Err(DataIntegrityError::KeyMismatch(options.verification_method));
        }
    }

    let mut unsecured = doc.clone();
    let existing = unsecured.remove("proof");

    // Create Proof step 2: the proof carries the document's @context.
    let mut proof = options.to_proof_map();
    if let Some(context) = unsecured.get("@context") {
        proof.insert("@context".to_owned(), context.clone());
    }
    let canonical_config = canonical_proof_config(&proof)?;
    let canonical_document = jcs::canonicalize(&Value::Object(unsecured))?;
    let hash = hash_data(canonical_config.as_bytes(), canonical_document.as_bytes());
    let signature = key.sign(&hash);
    proof.insert(
        "proofValue".to_owned(),
        Value::String(multibase_encode(&signature.to_bytes())),
    );

    let proof = Value::Object(proof);
    let proof_value = match existing {
        None | Some(Value::Null) => proof,
        Some(Value::Array(mut set)) => {
            set.push(proof);
            Value::Array(set)
        }
        Some(single) => Value::Array(vec![single, proof]),
    };
    let mut signed = doc.clone();
    signed.insert("proof".to_owned(), proof_value);
    Ok(Value::Object(signed))
}

/// Verifies every proof on `signed`. `resolve` maps a verification method
/// URL to its public key (`None`: unknown). For did:key verification methods
/// use [`verify_did_key`], or pass
/// `|vm| did_key::resolve_verification_method(vm).ok()`.
pub fn verify(
    signed: &Value,
    resolve: impl Fn(&str) -> Option<PublicKey>,
) -> Result<VerifiedProof, DataIntegrityError> {
    let doc = signed.as_object().ok_or(DataIntegrityError::NotAnObject)?;
    let mut unsecured = doc.clone();
    let proofs: Vec<&Value> = match doc.get("proof") {
        None | Some(Value::Null) => return Err(DataIntegrityError::NoProof),
        Some(Value::Array(set)) => set.iter().collect(),
        Some(single) => vec![single],
    };
    unsecured.remove("proof");

    let mut verified = Vec::with_capacity(proofs.len());
    for proof in proofs {
        verified.push(verify_one(&unsecured, proof, &resolve)?);
    }
    let mut iter = verified.into_iter();
    let first = iter.next().ok_or(DataIntegrityError::NoProof)?;
    Ok(VerifiedProof {
        first,
        rest: iter.collect(),
    })
}

/// [`verify`] for documents signed with did:key verification methods.
pub fn verify_did_key(signed: &Value) -> Result<VerifiedProof, DataIntegrityError> {
    verify(signed, |vm| resolve_verification_method(vm).ok())
}

fn verify_one(
    unsecured: &Map<String, Value>,
    proof: &Value,
    resolve: &impl Fn(&str) -> Option<PublicKey>,
) -> Result<ProofDetails, DataIntegrityError> {
    let proof_map = proof
        .as_object()
        .ok_or_else(|| malformed("a proof must be an object"))?;
    let mut options = proof_map.clone();
    let proof_value = match options.remove("proofValue") {
        Some(Value::String(text)) => text,
        Some(_) => return Err(malformed("proofValue must be a string")),
        None => return Err(malformed("proofValue is missing")),
    };
    if options.contains_key("previousProof") {
        return Err(DataIntegrityError::ProofChainUnsupported);
    }
    // Validates type, cryptosuite and created before anything else is done.
    let canonical_config = canonical_proof_config(&options)?;

    let verification_method = required_string(&options, "verificationMethod")?;
    let proof_purpose = required_string(&options, "proofPurpose")?;
    let expires = optional_time(&options, "expires")?;
    let created = optional_time(&options, "created")?;

    let signature_bytes =
        multibase_decode(&proof_value).map_err(|e| malformed(&format!("proofValue: {e}")))?;
    let signature = Signature::from_slice(&signature_bytes)
        .map_err(|e| malformed(&format!("proofValue: {e}")))?;

    // The proof's @context must be a prefix of the document's, and is what
    // gets hashed in its place (a verifier may have appended contexts).
    let mut document = unsecured.clone();
    if let Some(proof_context) = options.get("@context") {
        let doc_context = document
            .get("@context")
            .ok_or(DataIntegrityError::ContextMismatch)?;
        if !context_starts_with(doc_context, proof_context) {
            return Err(DataIntegrityError::ContextMismatch);
        }
        document.insert("@context".to_owned(), proof_context.clone());
    }
    let canonical_document = jcs::canonicalize(&Value::Object(document))?;
    let hash = hash_data(canonical_config.as_bytes(), canonical_document.as_bytes());

    let public_key = resolve(&verification_method).ok_or_else(|| {
        DataIntegrityError::UnknownVerificationMethod(verification_method.clone())
    })?;
    public_key
        .verify(&hash, &signature)
        .map_err(|_| DataIntegrityError::InvalidSignature(verification_method.clone()))?;

    Ok(ProofDetails {
        verification_method,
        proof_purpose,
        public_key,
        created,
        expires,
        proof: proof_map.clone(),
    })
}

/// Proof Configuration (§3.3.5): checks `type`, `cryptosuite` and `created`
/// and returns the JCS form of `proof` without `proofValue`. `proof` should
/// already carry the document's `@context` where there is one.
pub fn canonical_proof_config(proof: &Map<String, Value>) -> Result<String, DataIntegrityError> {
    let proof_type = proof.get("type").and_then(Value::as_str);
    let cryptosuite = proof.get("cryptosuite").and_then(Value::as_str);
    if proof_type != Some(PROOF_TYPE) || cryptosuite != Some(CRYPTOSUITE) {
        return Err(DataIntegrityError::UnsupportedCryptosuite {
            proof_type: proof_type.map(str::to_owned),
            cryptosuite: cryptosuite.map(str::to_owned),
        });
    }
    optional_time(proof, "created")?;
    let mut config = proof.clone();
    config.remove("proofValue");
    Ok(jcs::canonicalize(&Value::Object(config))?)
}

/// Hashing (§3.3.4): SHA-256(proof configuration) || SHA-256(document).
pub fn hash_data(canonical_proof_config: &[u8], canonical_document: &[u8]) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(Sha256Digest::of(canonical_proof_config).as_bytes());
    out[32..].copy_from_slice(Sha256Digest::of(canonical_document).as_bytes());
    out
}

fn malformed(what: &str) -> DataIntegrityError {
    DataIntegrityError::MalformedProof(what.to_owned())
}

fn required_string(map: &Map<String, Value>, name: &str) -> Result<String, DataIntegrityError> {
    match map.get(name) {
        Some(Value::String(text)) if !text.is_empty() => Ok(text.clone()),
        _ => Err(malformed(&format!("{name} must be a non-empty string"))),
    }
}

fn optional_time(
    map: &Map<String, Value>,
    name: &str,
) -> Result<Option<Timestamp>, DataIntegrityError> {
    match map.get(name) {
        None => Ok(None),
        Some(Value::String(text)) => Timestamp::parse_rfc3339(text)
            .map(Some)
            .map_err(|e| malformed(&format!("{name}: {e}"))),
        Some(_) => Err(malformed(&format!("{name} must be a date-time string"))),
    }
}

/// Whether `document`'s @context starts with every entry of `proof`'s
/// @context, in order (a single value counts as a one-entry list).
fn context_starts_with(document: &Value, proof: &Value) -> bool {
    fn as_list(value: &Value) -> &[Value] {
        match value {
            Value::Array(items) => items,
            single => std::slice::from_ref(single),
        }
    }
    let (document, proof) = (as_list(document), as_list(proof));
    proof.len() <= document.len() && document.iter().zip(proof).all(|(d, p)| d == p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn signer() -> (SigningKey, DidKey) {
        let key = SigningKey::from_seed(&[3; 32]);
        let did = DidKey::from_public_key(key.public_key());
        (key, did)
    }

    fn credential() -> Value {
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": "did:example:issuer",
            "credentialSubject": {"id": "did:example:subject", "amount": "1000"}
        })
    }

    fn created() -> Timestamp {
        Timestamp::parse_rfc3339("2026-01-15T12:34:56Z").unwrap()
    }

    #[test]
    fn sign_then_verify() {
        let (key, did) = signer();
        let signed = sign(
            &credential(),
            ProofOptions::assertion(&did, created()),
            &key,
        )
        .unwrap();
        let proof = &signed["proof"];
        assert_eq!(proof["type"], "DataIntegrityProof");
        assert_eq!(proof["cryptosuite"], "eddsa-jcs-2022");
        assert_eq!(proof["created"], "2026-01-15T12:34:56Z");
        assert_eq!(proof["@context"], credential()["@context"]);
        assert!(proof["proofValue"].as_str().unwrap().starts_with('z'));

        let verified = verify_did_key(&signed).unwrap();
        assert_eq!(verified.len(), 1);
        assert_eq!(
            verified.first().verification_method,
            did.verification_method()
        );
        assert_eq!(verified.first().proof_purpose, "assertionMethod");
        assert_eq!(verified.first().public_key, key.public_key());
        assert_eq!(verified.first().created, Some(created()));
        assert!(verified.is_signed_by(&did.verification_method()));
    }

    #[test]
    fn tampering_fails() {
        let (key, did) = signer();
        let signed = sign(
            &credential(),
            ProofOptions::assertion(&did, created()),
            &key,
        )
        .unwrap();

        let mut changed = signed.clone();
        changed["credentialSubject"]["amount"] = json!("1001");
        assert!(matches!(
            verify_did_key(&changed),
            Err(DataIntegrityError::InvalidSignature(_))
        ));

        let mut changed = signed.clone();
        changed["proof"]["created"] = json!("2026-01-15T12:34:57Z");
        assert!(matches!(
            verify_did_key(&changed),
            Err(DataIntegrityError::InvalidSignature(_))
        ));

        let mut changed = signed.clone();
        changed["proof"]["proofPurpose"] = json!("authentication");
        assert!(matches!(
            verify_did_key(&changed),
            Err(DataIntegrityError::InvalidSignature(_))
        ));

        // Another key's verification method.
        let other = DidKey::from_public_key(SigningKey::from_seed(&[4; 32]).public_key());
        let mut changed = signed.clone();
        changed["proof"]["verificationMethod"] = json!(other.verification_method());
        assert!(matches!(
            verify_did_key(&changed),
            Err(DataIntegrityError::InvalidSignature(_))
        ));
    }

    #[test]
    fn key_order_and_whitespace_do_not_matter() {
        let (key, did) = signer();
        let signed = sign(
            &credential(),
            ProofOptions::assertion(&did, created()),
            &key,
        )
        .unwrap();
        // Re-serialise with reversed member order (preserve_order is on).
        fn reverse(value: &Value) -> Value {
            match value {
                Value::Object(map) => Value::Object(
                    map.iter()
                        .rev()
                        .map(|(k, v)| (k.clone(), reverse(v)))
                        .collect(),
                ),
                Value::Array(items) => Value::Array(items.iter().map(reverse).collect()),
                other => other.clone(),
            }
        }
        let text = serde_json::to_string_pretty(&reverse(&signed)).unwrap();
        let reparsed: Value = serde_json::from_str(&text).unwrap();
        verify_did_key(&reparsed).unwrap();
    }

    #[test]
    fn proof_sets() {
        let (key, did) = signer();
        let key2 = SigningKey::from_seed(&[5; 32]);
        let did2 = DidKey::from_public_key(key2.public_key());
        let once = sign(
            &credential(),
            ProofOptions::assertion(&did, created()),
            &key,
        )
        .unwrap();
        let twice = sign(&once, ProofOptions::assertion(&did2, created()), &key2).unwrap();
        assert_eq!(twice["proof"].as_array().unwrap().len(), 2);
        let verified = verify_did_key(&twice).unwrap();
        assert_eq!(verified.len(), 2);
        assert!(verified.is_signed_by(&did.verification_method()));
        assert!(verified.is_signed_by(&did2.verification_method()));
        let thrice = sign(&twice, ProofOptions::assertion(&did, created()), &key).unwrap();
        assert_eq!(verify_did_key(&thrice).unwrap().len(), 3);

        // One bad member spoils the set.
        let mut bad = twice.clone();
        bad["proof"][1]["created"] = json!("2020-01-01T00:00:00Z");
        assert!(verify_did_key(&bad).is_err());
        let mut empty = twice.clone();
        empty["proof"] = json!([]);
        assert_eq!(verify_did_key(&empty), Err(DataIntegrityError::NoProof));
    }

    #[test]
    fn context_rules() {
        let (key, did) = signer();
        let signed = sign(
            &credential(),
            ProofOptions::assertion(&did, created()),
            &key,
        )
        .unwrap();
        // Appending a context after signing is allowed by the spec.
        let mut extended = signed.clone();
        extended["@context"]
            .as_array_mut()
            .unwrap()
            .push(json!("https://example.org/extra/v1"));
        verify_did_key(&extended).unwrap();
        // Changing the signed prefix is not.
        let mut changed = signed.clone();
        changed["@context"] = json!(["https://example.org/other/v1"]);
        assert_eq!(
            verify_did_key(&changed),
            Err(DataIntegrityError::ContextMismatch)
        );
        let mut removed = signed.clone();
        removed.as_object_mut().unwrap().remove("@context");
        assert_eq!(
            verify_did_key(&removed),
            Err(DataIntegrityError::ContextMismatch)
        );
        // A document without @context signs and verifies without one.
        let plain = sign(
            &json!({"a": 1}),
            ProofOptions::assertion(&did, created()),
            &key,
        )
        .unwrap();
        assert!(plain["proof"].get("@context").is_none());
        verify_did_key(&plain).unwrap();
    }

    #[test]
    fn malformed_proofs_are_errors_not_panics() {
        let (key, did) = signer();
        let signed = sign(
            &credential(),
            ProofOptions::assertion(&did, created()),
            &key,
        )
        .unwrap();
        let mutations: Vec<(&str, Value)> = vec![
            ("type", json!("Ed25519Signature2020")),
            ("cryptosuite", json!("eddsa-rdfc-2022")),
            ("cryptosuite", json!(null)),
            ("proofValue", json!(42)),
            ("proofValue", json!("u")),
            ("proofValue", json!("z")),
            ("proofValue", json!("z3")),
            ("created", json!("yesterday")),
            ("expires", json!(1)),
            ("verificationMethod", json!(7)),
            ("proofPurpose", json!("")),
            ("previousProof", json!("urn:uuid:1")),
        ];
        for (name, value) in mutations {
            let mut changed = signed.clone();
            changed["proof"][name] = value.clone();
            assert!(verify_did_key(&changed).is_err(), "{name} = {value}");
        }
        let mut no_value = signed.clone();
        no_value["proof"]
            .as_object_mut()
            .unwrap()
            .remove("proofValue");
        assert!(verify_did_key(&no_value).is_err());
        assert_eq!(
            verify_did_key(&credential()),
            Err(DataIntegrityError::NoProof)
        );
        assert_eq!(
            verify_did_key(&json!([1])),
            Err(DataIntegrityError::NotAnObject)
        );
        let mut not_object = signed.clone();
        not_object["proof"] = json!("z123");
        assert!(verify_did_key(&not_object).is_err());
        // Unresolvable verification method.
        assert!(matches!(
            verify(&signed, |_| None),
            Err(DataIntegrityError::UnknownVerificationMethod(_))
        ));
    }

    #[test]
    fn sign_refuses_the_wrong_did_key_and_non_objects() {
        let (key, _) = signer();
        let other = DidKey::from_public_key(SigningKey::from_seed(&[9; 32]).public_key());
        assert!(matches!(
            sign(
                &credential(),
                ProofOptions::assertion(&other, created()),
                &key
            ),
            Err(DataIntegrityError::KeyMismatch(_))
        ));
        let did = DidKey::from_public_key(key.public_key());
        assert_eq!(
            sign(&json!("x"), ProofOptions::assertion(&did, created()), &key),
            Err(DataIntegrityError::NotAnObject)
        );
        // Non-did:key verification methods are the caller's responsibility.
        let signed = sign(
            &credential(),
            ProofOptions::new("https://issuer.example/keys/1", "assertionMethod"),
            &key,
        )
        .unwrap();
        let public = key.public_key();
        let verified = verify(&signed, |vm| {
            (vm == "https://issuer.example/keys/1").then_some(public)
        })
        .unwrap();
        assert_eq!(verified.first().created, None);
    }

    #[test]
    fn optional_members_are_signed() {
        let (key, did) = signer();
        let mut options = ProofOptions::assertion(&did, created());
        options.proof_purpose = "authentication".into();
        options.challenge = Some("abc".into());
        options.domain = Some("fairtrain.example".into());
        options.nonce = Some("n-1".into());
        options.id = Some("urn:uuid:0b0c".into());
        options.expires = created().checked_add_seconds(3600);
        let signed = sign(&credential(), options, &key).unwrap();
        let verified = verify_did_key(&signed).unwrap();
        assert_eq!(
            verified.first().expires,
            created().checked_add_seconds(3600)
        );
        assert_eq!(verified.first().proof["challenge"], "abc");
        let mut changed = signed.clone();
        changed["proof"]["challenge"] = json!("abd");
        assert!(verify_did_key(&changed).is_err());
    }
}
