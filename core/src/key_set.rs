//! The platform's published key set (`GET /.well-known/fairtrain/keys`):
//! its shape, shared by the Worker that builds it and every verifier.
//!
//! Each key is a Multikey verification method with its did:key, RFC 7638
//! thumbprint and JWK, a status and a validity window. The set carries an
//! `eddsa-jcs-2022` Data Integrity proof by every key the platform still holds.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::data_integrity::{self, DataIntegrityError};
use crate::did_key::DidKey;
use crate::ed25519::PublicKey;
use crate::time::Timestamp;

pub const ACTIVE: &str = "active";
pub const RETIRED: &str = "retired";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedKey {
    /// RFC 7638 JWK thumbprint.
    pub kid: String,
    /// The verification method: `did:key:z…#z…`.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub controller: String,
    #[serde(rename = "publicKeyMultibase")]
    pub public_key_multibase: String,
    #[serde(rename = "publicKeyJwk")]
    pub public_key_jwk: Value,
    /// `active` (signs new documents) or `retired` (verifies old ones).
    pub status: String,
    pub valid_from: String,
    #[serde(default)]
    pub valid_until: Option<String>,
}

impl PublishedKey {
    pub fn describe(
        key: PublicKey,
        active: bool,
        valid_from: Timestamp,
        valid_until: Option<Timestamp>,
    ) -> PublishedKey {
        let did = DidKey::from_public_key(key);
        PublishedKey {
            kid: key.key_id(),
            id: did.verification_method(),
            kind: "Multikey".into(),
            controller: did.to_string(),
            public_key_multibase: did.public_key_multibase(),
            public_key_jwk: key.to_jwk(),
            status: if active { ACTIVE } else { RETIRED }.into(),
            valid_from: valid_from.format_rfc3339(),
            valid_until: valid_until.map(|t| t.format_rfc3339()),
        }
    }

    /// The public key, after checking every representation of it agrees.
    pub fn public_key(&self) -> Result<PublicKey, KeySetError> {
        let bad = |what: &str| KeySetError::Inconsistent(self.kid.clone(), what.to_string());
        let did = DidKey::from_public_key_multibase(&self.public_key_multibase)
            .map_err(|_| bad("publicKeyMultibase"))?;
        let key = did.public_key();
        if self.id != did.verification_method() {
            return Err(bad("id"));
        }
        if self.controller != did.to_string() {
            return Err(bad("controller"));
        }
        if self.kid != key.key_id() {
            return Err(bad("kid"));
        }
        if PublicKey::from_jwk(&self.public_key_jwk).ok() != Some(key) {
            return Err(bad("publicKeyJwk"));
        }
        if self.kind != "Multikey" || !matches!(self.status.as_str(), ACTIVE | RETIRED) {
            return Err(bad("type or status"));
        }
        Timestamp::parse_rfc3339(&self.valid_from).map_err(|_| bad("valid_from"))?;
        if let Some(t) = &self.valid_until {
            Timestamp::parse_rfc3339(t).map_err(|_| bad("valid_until"))?;
        }
        Ok(key)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeySetError {
    #[error("the key set is not of the published shape: {0}")]
    Shape(String),
    #[error("key {0}: its {1} does not match its public key")]
    Inconsistent(String, String),
    #[error("the key set must have exactly one active key, and name it in `active` and `issuer`")]
    Active,
    #[error("the active key has not signed the key set")]
    ActiveUnsigned,
    #[error("a proof is by a key the set does not list, or does not verify: {0}")]
    Proof(#[from] DataIntegrityError),
}

/// Verify a published key set offline: every key consistent, exactly one
/// active, every proof by a listed key and valid, the active key among the
/// signers. Returns the keys.
pub fn verify(doc: &Value) -> Result<Vec<PublishedKey>, KeySetError> {
    let keys: Vec<PublishedKey> =
        serde_json::from_value(doc.get("keys").cloned().unwrap_or(Value::Null))
            .map_err(|e| KeySetError::Shape(format!("keys: {e}")))?;
    let mut listed = Vec::with_capacity(keys.len());
    for k in &keys {
        listed.push((k.id.clone(), k.public_key()?));
    }
    let active: Vec<&PublishedKey> = keys.iter().filter(|k| k.status == ACTIVE).collect();
    let [active] = active.as_slice() else {
        return Err(KeySetError::Active);
    };
    if doc.get("active").and_then(Value::as_str) != Some(active.kid.as_str())
        || doc.get("issuer").and_then(Value::as_str) != Some(active.controller.as_str())
    {
        return Err(KeySetError::Active);
    }
    // Only keys the set itself lists may sign it.
    let proofs = data_integrity::verify(doc, |vm| {
        listed.iter().find(|(id, _)| id == vm).map(|(_, k)| *k)
    })?;
    if !proofs.is_signed_by(&active.id) {
        return Err(KeySetError::ActiveUnsigned);
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data_integrity::ProofOptions;
    use crate::ed25519::SigningKey;
    use serde_json::json;

    fn signed_set(active: &SigningKey, retired: &SigningKey, sign_with: &[&SigningKey]) -> Value {
        let t = Timestamp::parse_rfc3339("2026-01-01T00:00:00Z").unwrap();
        let keys = vec![
            PublishedKey::describe(retired.public_key(), false, t, Some(t)),
            PublishedKey::describe(active.public_key(), true, t, None),
        ];
        let mut doc = json!({ "issuer": keys[1].controller, "active": keys[1].kid, "keys": keys });
        for k in sign_with {
            let did = DidKey::from_public_key(k.public_key());
            doc = data_integrity::sign(&doc, ProofOptions::assertion(&did, t), k).unwrap();
        }
        doc
    }

    #[test]
    fn a_set_signed_by_its_keys_verifies() {
        let (a, r) = (
            SigningKey::from_seed(&[1; 32]),
            SigningKey::from_seed(&[2; 32]),
        );
        let keys = verify(&signed_set(&a, &r, &[&a, &r])).unwrap();
        assert_eq!(keys.len(), 2);
        assert!(
            verify(&signed_set(&a, &r, &[&a])).is_ok(),
            "a retired key may have lost its seed"
        );
    }

    #[test]
    fn tampering_unsigned_or_foreign_signatures_fail() {
        let (a, r, x) = (
            SigningKey::from_seed(&[1; 32]),
            SigningKey::from_seed(&[2; 32]),
            SigningKey::from_seed(&[3; 32]),
        );
        assert!(matches!(
            verify(&signed_set(&a, &r, &[&r])),
            Err(KeySetError::ActiveUnsigned)
        ));
        assert!(matches!(
            verify(&signed_set(&a, &r, &[&a, &x])),
            Err(KeySetError::Proof(_))
        ));
        assert!(matches!(
            verify(&signed_set(&a, &r, &[])),
            Err(KeySetError::Proof(_))
        ));
        let mut doc = signed_set(&a, &r, &[&a]);
        doc["keys"][0]["valid_until"] = json!("2027-01-01T00:00:00Z");
        assert!(matches!(verify(&doc), Err(KeySetError::Proof(_))));
        let mut doc = signed_set(&a, &r, &[&a]);
        doc["keys"][1]["kid"] = json!("not-the-thumbprint");
        assert!(matches!(verify(&doc), Err(KeySetError::Inconsistent(..))));
        let mut doc = signed_set(&a, &r, &[&a]);
        doc["keys"][0]["status"] = json!("active");
        assert!(matches!(verify(&doc), Err(KeySetError::Active)));
    }
}
