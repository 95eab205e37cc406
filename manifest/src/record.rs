//! Asset records: one per asset in a manifest, and the leaves of its tree.
//!
//! ```json
//! { "content_hash": "sha256:…", "size": 12345, "media_type": "image/png",
//!   "creator": "did:key:…", "consent_id": "urn:uuid:…", "consent_hash": "sha256:…",
//!   "receipt_id": "urn:uuid:…", "log_entry_hash": "sha256:…" }
//! ```
//!
//! The Merkle leaf is the RFC 6962 leaf hash of the record's JCS (RFC 8785)
//! bytes. Records are parsed strictly (unknown members refused, digests and
//! DIDs in their one spelling), so a parsed record has exactly one canonical
//! form and one leaf hash.

use fairtrain_consent::envelope::is_media_type;
use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::fields::{is_urn_uuid, MAX_SAFE_INTEGER};
use fairtrain_tlog::{leaf_hash, Hash};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetRecord {
    /// SHA-256 of the asset's bytes.
    pub content_hash: Sha256Digest,
    pub size: u64,
    /// Lowercase `type/subtype`.
    pub media_type: String,
    /// The contributor's did:key (who signed the consent), as text: parsing
    /// a did:key decompresses a curve point, which would dominate verifying
    /// large manifests. [`AssetRecord::check`] checks its form; a verifier
    /// compares it with the consent's verified creator
    /// ([`crate::bundle::check_record`]), or parses it ([`AssetRecord::creator_did`]).
    pub creator: String,
    /// The consent token's `id` (`urn:uuid:…`).
    pub consent_id: String,
    /// SHA-256 of the JCS form of the signed consent token.
    pub consent_hash: Sha256Digest,
    /// The storage receipt's `receipt_id` (`urn:uuid:…`).
    pub receipt_id: String,
    /// SHA-256 of the asset's `asset.ingested` log entry.
    pub log_entry_hash: Sha256Digest,
}

/// A record whose fields break the format's rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("asset record {content_hash}: {what}")]
pub struct RecordError {
    pub content_hash: Sha256Digest,
    pub what: String,
}

impl AssetRecord {
    /// The rules serde cannot express: ids are `urn:uuid:<lowercase uuid>`,
    /// the media type is lowercase `type/subtype`, the size fits JSON exactly.
    pub fn check(&self) -> Result<(), RecordError> {
        let bad = |what: &str| {
            Err(RecordError {
                content_hash: self.content_hash,
                what: what.to_owned(),
            })
        };
        if !is_urn_uuid(&self.consent_id) || !is_urn_uuid(&self.receipt_id) {
            return bad("consent_id and receipt_id must be urn:uuid:<lowercase uuid>");
        }
        if !is_did_key_text(&self.creator) {
            return bad("creator must be an Ed25519 did:key");
        }
        if !is_media_type(&self.media_type) {
            return bad("media_type must be a lowercase type/subtype");
        }
        if self.size > MAX_SAFE_INTEGER {
            return bad("size is larger than 2^53 - 1");
        }
        Ok(())
    }

    /// The creator's did:key, parsed.
    pub fn creator_did(&self) -> Result<DidKey, RecordError> {
        DidKey::parse(&self.creator).map_err(|e| RecordError {
            content_hash: self.content_hash,
            what: format!("creator: {e}"),
        })
    }

    /// The record's JCS (RFC 8785) bytes, after [`AssetRecord::check`].
    ///
    /// Written directly, as this is the hot path of composing and verifying
    /// large manifests (5-10 times faster than through a `Value`): the
    /// members in JCS order (sorted by name), and every value is one JCS
    /// writes as is, because `check` admits only ASCII that needs no escape
    /// (hex, ids, did:key base58, media-type token characters) and sizes up
    /// to 2^53 - 1 (plain digits). Tests compare it with
    /// `fairtrain_core::jcs` on every kind of value.
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, RecordError> {
        self.check()?;
        Ok(format!(
            concat!(
                r#"{{"consent_hash":"{}","consent_id":"{}","content_hash":"{}","#,
                r#""creator":"{}","log_entry_hash":"{}","media_type":"{}","#,
                r#""receipt_id":"{}","size":{}}}"#
            ),
            self.consent_hash,
            self.consent_id,
            self.content_hash,
            self.creator,
            self.log_entry_hash,
            self.media_type,
            self.receipt_id,
            self.size
        )
        .into_bytes())
    }

    /// The record's Merkle leaf: RFC 6962 `leaf_hash` of its JCS bytes.
    pub fn leaf_hash(&self) -> Result<Hash, RecordError> {
        Ok(leaf_hash(&self.canonical_bytes()?))
    }
}

/// `did:key:z6Mk…` with only base58btc characters after the `z`: the form
/// of an Ed25519 did:key, without decoding it.
fn is_did_key_text(text: &str) -> bool {
    const BASE58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    text.len() <= 64
        && text
            .strip_prefix("did:key:z6Mk")
            .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| BASE58.contains(&b)))
}

/// The leaf hashes of `records`, in order.
pub fn leaf_hashes(records: &[AssetRecord]) -> Result<Vec<Hash>, RecordError> {
    records.iter().map(AssetRecord::leaf_hash).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use fairtrain_core::ed25519::SigningKey;
    use fairtrain_core::fields::urn_uuid_v4;
    use fairtrain_core::jcs;
    use serde_json::json;

    fn record() -> AssetRecord {
        AssetRecord {
            content_hash: Sha256Digest::of(b"asset"),
            size: 5,
            media_type: "image/png".into(),
            creator: DidKey::from_public_key(SigningKey::from_seed(&[1; 32]).public_key())
                .to_string(),
            consent_id: urn_uuid_v4([2; 16]),
            consent_hash: Sha256Digest::of(b"consent"),
            receipt_id: urn_uuid_v4([3; 16]),
            log_entry_hash: Sha256Digest::of(b"entry"),
        }
    }

    #[test]
    fn leaf_is_the_leaf_hash_of_the_jcs_bytes() {
        let r = record();
        let text = serde_json::to_value(&r).unwrap();
        let jcs = jcs::canonicalize(&text).unwrap();
        assert_eq!(r.canonical_bytes().unwrap(), jcs.as_bytes());
        assert!(jcs.starts_with(r#"{"consent_hash":"sha256:"#));
        assert_eq!(r.leaf_hash().unwrap(), leaf_hash(jcs.as_bytes()));
        let back: AssetRecord = serde_json::from_value(text).unwrap();
        assert_eq!(back, r);
        assert_eq!(r.creator_did().unwrap().to_string(), r.creator);
    }

    #[test]
    fn direct_canonical_form_is_jcs() {
        let mut r = record();
        for (media_type, size) in [
            ("image/png", 0),
            ("application/vnd.a+b", 1),
            ("x-a!#$%&'*+-.^_`|~0/y-9", MAX_SAFE_INTEGER),
            ("text/plain", 1_000_000_000_000),
        ] {
            r.media_type = media_type.into();
            r.size = size;
            r.check().unwrap();
            let via_jcs = jcs::canonicalize_serialize(&r).unwrap();
            assert_eq!(
                String::from_utf8(r.canonical_bytes().unwrap()).unwrap(),
                via_jcs
            );
        }
    }

    #[test]
    fn strict_shape() {
        let doc = serde_json::to_value(record()).unwrap();
        for (member, value) in [
            ("extra", json!(1)),
            ("content_hash", json!("sha256:AB")),
            ("size", json!(-1)),
            ("size", json!(1.5)),
        ] {
            let mut changed = doc.clone();
            changed[member] = value;
            assert!(serde_json::from_value::<AssetRecord>(changed).is_err());
        }
        for change in [
            |r: &mut AssetRecord| r.consent_id = "consent-1".into(),
            |r: &mut AssetRecord| r.receipt_id = "urn:uuid:X".into(),
            |r: &mut AssetRecord| r.media_type = "Image/PNG".into(),
            |r: &mut AssetRecord| r.creator = "did:example:x".into(),
            |r: &mut AssetRecord| r.creator = "did:key:z6Mk0OIl".into(),
            |r: &mut AssetRecord| r.creator.push('"'),
            |r: &mut AssetRecord| r.size = MAX_SAFE_INTEGER + 1,
        ] {
            let mut r = record();
            change(&mut r);
            assert!(r.leaf_hash().is_err());
        }
    }
}
