//! Storage receipts: the platform's signed statement that it stored an
//! upload, where, under which consent, how it was routed, and where it is
//! logged.
//!
//! ```json
//! { "type": "StorageReceipt", "receipt_id": "urn:uuid:…",
//!   "object_key": "blobs/sha256/<hex>/<id>", "content_hash": "sha256:…", "size": 12345,
//!   "media_type": "image/png", "ingested_at": "…Z", "contributor": "did:key:…",
//!   "consent_id": "urn:uuid:…", "envelope_hash": "sha256:…",
//!   "route": "TRAINING_PIPELINE", "route_reason": "VALID_CONSENT",
//!   "log": { "origin": "…", "entry_hash": "sha256:…", "promise": { …LogInclusionPromise… } },
//!   "proof": { … } }
//! ```
//!
//! Signed (`eddsa-jcs-2022`) by the platform's active key; verified against
//! the published key set ([`fairtrain_core::key_set`]): the proof's verification method
//! must be a listed key's `id`, and the embedded log promise must verify the
//! same way and name the receipt's log entry.
//!
//! The receipt names its log entry (`asset.ingested`), so that entry cannot
//! name the receipt's hash; [`ReceiptFields::asset_ingested_event`] builds the
//! entry from the receipt's own fields, so a verifier can recompute it.

use serde::Deserialize;
use serde_json::{json, Value};

use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::fields::{is_free_text, is_urn_uuid, jcs_hash, parse_utc, MAX_SAFE_INTEGER};
use fairtrain_core::key_set::PublishedKey;
use fairtrain_core::signed_document::{self, SignedDocumentError};
use fairtrain_core::time::Timestamp;

use crate::envelope::is_media_type;
use crate::log_event::{self, LogEvent};
use crate::policy::{Reason, Route};

/// `type` of a receipt.
pub const RECEIPT_TYPE: &str = "StorageReceipt";
/// `type` of the log's signed inclusion promise.
pub const PROMISE_TYPE: &str = "LogInclusionPromise";
/// Where blobs live: `blobs/sha256/<hex>/<id>`.
pub const OBJECT_KEY_PREFIX: &str = "blobs/sha256/";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    #[error("malformed storage receipt: {0}")]
    Malformed(String),
    #[error("the receipt is signed by {0:?}, which is not one of the platform's published keys")]
    UnknownKey(String),
    #[error("the receipt's signature does not verify")]
    BadSignature,
    #[error("the signing key {0} was not valid when the document says it was signed")]
    KeyNotValid(String),
    #[error("the receipt's log inclusion promise does not hold: {0}")]
    LogPromise(String),
}

fn malformed(what: impl Into<String>) -> ReceiptError {
    ReceiptError::Malformed(what.into())
}

impl From<SignedDocumentError> for ReceiptError {
    fn from(e: SignedDocumentError) -> Self {
        match e {
            SignedDocumentError::Malformed(m) => ReceiptError::Malformed(m),
            SignedDocumentError::UnknownKey(k) => ReceiptError::UnknownKey(k),
            SignedDocumentError::BadSignature => ReceiptError::BadSignature,
            SignedDocumentError::KeyNotValid(k) => ReceiptError::KeyNotValid(k),
            // Receipts name no issuer: their proof is checked alone.
            other @ SignedDocumentError::IssuerMismatch => {
                ReceiptError::Malformed(other.to_string())
            }
        }
    }
}

/// Where the ingestion is logged, and the log's signed promise to include it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiptLog {
    /// The log's origin (its checkpoint's first line).
    pub origin: String,
    /// SHA-256 of the log entry (the `asset.ingested` event's bytes).
    pub entry_hash: Sha256Digest,
    /// The `LogInclusionPromise` the log signed for that entry, as it was returned.
    pub promise: Value,
}

/// Everything a receipt states. The Worker fills it and calls [`sign_receipt`].
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiptFields {
    /// `urn:uuid:…`
    pub receipt_id: String,
    /// `blobs/sha256/<hex of content_hash>/<id>` (see [`object_key`]).
    pub object_key: String,
    pub content_hash: Sha256Digest,
    pub size: u64,
    pub media_type: String,
    pub ingested_at: Timestamp,
    pub contributor: DidKey,
    pub consent_id: String,
    pub envelope_hash: Sha256Digest,
    pub route: Route,
    pub route_reason: Reason,
    pub log: ReceiptLog,
}

/// `blobs/sha256/<hex>/<id>`.
pub fn object_key(content_hash: &Sha256Digest, id: &str) -> String {
    format!("{OBJECT_KEY_PREFIX}{}/{id}", content_hash.to_hex())
}

fn object_key_ok(key: &str, content_hash: &Sha256Digest) -> bool {
    let Some(rest) = key
        .strip_prefix(OBJECT_KEY_PREFIX)
        .and_then(|r| r.strip_prefix(content_hash.to_hex().as_str()))
        .and_then(|r| r.strip_prefix('/'))
    else {
        return false;
    };
    !rest.is_empty()
        && rest.len() <= 128
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

impl ReceiptFields {
    /// The unsigned receipt.
    pub fn to_unsigned(&self) -> Value {
        let mut doc = self.core();
        doc["log"] = json!({
            "origin": self.log.origin,
            "entry_hash": self.log.entry_hash,
            "promise": self.log.promise,
        });
        doc
    }

    fn core(&self) -> Value {
        json!({
            "type": RECEIPT_TYPE,
            "receipt_id": self.receipt_id,
            "object_key": self.object_key,
            "content_hash": self.content_hash,
            "size": self.size,
            "media_type": self.media_type,
            "ingested_at": self.ingested_at.format_rfc3339(),
            "contributor": self.contributor.to_string(),
            "consent_id": self.consent_id,
            "envelope_hash": self.envelope_hash,
            "route": self.route,
            "route_reason": self.route_reason,
        })
    }

    /// The `asset.ingested` log event for this receipt (`at` = `ingested_at`).
    /// Its entry hash is what `log.entry_hash` should be.
    pub fn asset_ingested_event(&self) -> LogEvent {
        LogEvent::AssetIngested {
            v: log_event::SCHEMA_VERSION,
            at: self.ingested_at,
            asset_hash: self.content_hash,
            size: self.size,
            receipt_id: self.receipt_id.clone(),
            envelope_hash: self.envelope_hash,
            consent_id: self.consent_id.clone(),
            creator: self.contributor.to_string(),
            route: self.route.as_str().to_owned(),
        }
    }
}

/// A receipt that verified against the platform's keys.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedReceipt {
    pub fields: ReceiptFields,
    /// The platform key that signed it.
    pub signed_by: PublishedKey,
    /// When it was signed (the proof's `created`).
    pub signed_at: Timestamp,
    /// The promise's deadline for the entry to be in a signed checkpoint.
    pub include_by: Timestamp,
    /// SHA-256 of the JCS form of the whole signed receipt.
    pub receipt_hash: Sha256Digest,
}

impl VerifiedReceipt {
    /// Whether `log.entry_hash` is the hash of this receipt's `asset.ingested`
    /// event as [`ReceiptFields::asset_ingested_event`] builds it.
    pub fn log_entry_matches(&self) -> bool {
        log_event::entry(self.fields.asset_ingested_event())
            .is_ok_and(|e| e.hash == self.fields.log.entry_hash)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReceipt {
    #[serde(rename = "type")]
    kind: String,
    receipt_id: String,
    object_key: String,
    content_hash: String,
    size: u64,
    media_type: String,
    ingested_at: String,
    contributor: String,
    consent_id: String,
    envelope_hash: String,
    route: String,
    route_reason: String,
    log: RawLog,
    #[allow(dead_code)] // checked by the proof verification
    proof: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    origin: String,
    entry_hash: String,
    promise: Value,
}

/// Shape (not the signatures); the promise's `include_by` is returned too.
fn parse(doc: &Value) -> Result<(ReceiptFields, Timestamp), ReceiptError> {
    if !doc.is_object() {
        return Err(malformed("a receipt must be a JSON object"));
    }
    let raw: RawReceipt =
        serde_json::from_value(doc.clone()).map_err(|e| malformed(e.to_string()))?;
    if raw.kind != RECEIPT_TYPE {
        return Err(malformed(format!("type must be {RECEIPT_TYPE}")));
    }
    let digest = |name: &str, text: &str| -> Result<Sha256Digest, ReceiptError> {
        text.parse().map_err(|e| malformed(format!("{name}: {e}")))
    };
    let content_hash = digest("content_hash", &raw.content_hash)?;
    if !is_urn_uuid(&raw.receipt_id) || !is_urn_uuid(&raw.consent_id) {
        return Err(malformed(
            "receipt_id and consent_id must be urn:uuid:<lowercase uuid>",
        ));
    }
    if !object_key_ok(&raw.object_key, &content_hash) {
        return Err(malformed(
            "object_key must be blobs/sha256/<hex of content_hash>/<id>",
        ));
    }
    if raw.size > MAX_SAFE_INTEGER {
        return Err(malformed("size is larger than 2^53 - 1"));
    }
    if !is_media_type(&raw.media_type) {
        return Err(malformed("media_type must be a lowercase type/subtype"));
    }
    let ingested_at = parse_utc(&raw.ingested_at)
        .ok_or_else(|| malformed("ingested_at must be an RFC 3339 UTC date-time"))?;
    let contributor =
        DidKey::parse(&raw.contributor).map_err(|e| malformed(format!("contributor: {e}")))?;
    let route: Route = raw
        .route
        .parse()
        .map_err(|e| malformed(format!("route: {e}")))?;
    let route_reason: Reason = raw
        .route_reason
        .parse()
        .map_err(|e| malformed(format!("route_reason: {e}")))?;
    if !is_free_text(&raw.log.origin, 200) {
        return Err(malformed("log.origin must be 1-200 characters"));
    }
    let entry_hash = digest("log.entry_hash", &raw.log.entry_hash)?;
    let include_by = check_promise_shape(&raw.log.promise, &raw.log.origin, &entry_hash)?;
    let fields = ReceiptFields {
        receipt_id: raw.receipt_id,
        object_key: raw.object_key,
        content_hash,
        size: raw.size,
        media_type: raw.media_type,
        ingested_at,
        contributor,
        consent_id: raw.consent_id,
        envelope_hash: digest("envelope_hash", &raw.envelope_hash)?,
        route,
        route_reason,
        log: ReceiptLog {
            origin: raw.log.origin,
            entry_hash,
            promise: raw.log.promise,
        },
    };
    Ok((fields, include_by))
}

/// The promise is the log's `LogInclusionPromise`, for this log, naming this
/// entry. Returns its `include_by`.
fn check_promise_shape(
    promise: &Value,
    origin: &str,
    entry_hash: &Sha256Digest,
) -> Result<Timestamp, ReceiptError> {
    let bad = |what: &str| ReceiptError::LogPromise(what.to_owned());
    if promise.get("type").and_then(Value::as_str) != Some(PROMISE_TYPE) {
        return Err(bad("its type must be LogInclusionPromise"));
    }
    if promise.get("log").and_then(Value::as_str) != Some(origin) {
        return Err(bad("it is for another log than log.origin"));
    }
    let entry = entry_hash.to_string();
    let names_entry = promise
        .get("entries")
        .and_then(Value::as_array)
        .is_some_and(|entries| entries.iter().any(|e| e.as_str() == Some(entry.as_str())));
    if !names_entry {
        return Err(bad("it does not name log.entry_hash"));
    }
    promise
        .get("include_by")
        .and_then(Value::as_str)
        .and_then(|t| Timestamp::parse_rfc3339(t).ok())
        .ok_or_else(|| bad("include_by must be an RFC 3339 date-time"))
}

/// Signs a receipt with the platform's active key (proof `created` = `now`).
/// The result passes the same shape checks verifiers apply.
pub fn sign_receipt(
    fields: ReceiptFields,
    key: &SigningKey,
    now: Timestamp,
) -> Result<Value, ReceiptError> {
    let signed = signed_document::sign(&fields.to_unsigned(), key, now)?;
    parse(&signed)?;
    Ok(signed)
}

/// Verifies a storage receipt against the platform's published keys (from a
/// key set that [`fairtrain_core::key_set::verify`] accepted): shape, the receipt's
/// proof, and the embedded log promise's proof, both by listed keys valid at
/// the time they were made.
pub fn verify_receipt(
    doc: &Value,
    platform_keys: &[PublishedKey],
) -> Result<VerifiedReceipt, ReceiptError> {
    let (fields, include_by) = parse(doc)?;
    let (key, signed_at) = signed_document::verify_proof(doc, platform_keys)?;
    signed_document::verify_proof(&fields.log.promise, platform_keys)
        .map_err(|e| ReceiptError::LogPromise(ReceiptError::from(e).to_string()))?;
    Ok(VerifiedReceipt {
        signed_by: key.clone(),
        signed_at,
        include_by,
        receipt_hash: jcs_hash(doc).map_err(|e| malformed(e.to_string()))?,
        fields,
    })
}

/// Checks what only the uploader knows: that the receipt is for these bytes,
/// this envelope and this contributor. Returns what differs, if anything.
pub fn mismatches(
    receipt: &ReceiptFields,
    envelope: &crate::envelope::VerifiedEnvelope,
) -> Vec<&'static str> {
    let mut out = Vec::new();
    if receipt.content_hash != envelope.content_hash {
        out.push("content_hash");
    }
    if receipt.size != envelope.size {
        out.push("size");
    }
    if receipt.envelope_hash != envelope.envelope_hash {
        out.push("envelope_hash");
    }
    if receipt.contributor != envelope.contributor {
        out.push("contributor");
    }
    if receipt.consent_id != envelope.consent_id {
        out.push("consent_id");
    }
    if receipt.media_type != envelope.media_type {
        out.push("media_type");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use fairtrain_core::fields::urn_uuid_v4;

    fn t(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    fn platform() -> SigningKey {
        SigningKey::from_seed(&[20; 32])
    }

    fn published(key: &SigningKey, active: bool, from: &str, until: Option<&str>) -> PublishedKey {
        PublishedKey::describe(key.public_key(), active, t(from), until.map(t))
    }

    fn keys() -> Vec<PublishedKey> {
        vec![published(&platform(), true, "2026-01-01T00:00:00Z", None)]
    }

    const ORIGIN: &str = "fairtrain.local/log";

    /// The log's promise, as src/routes/log.rs makes it.
    fn promise(entry: &Sha256Digest, key: &SigningKey) -> Value {
        let statement = json!({
            "type": PROMISE_TYPE,
            "log": ORIGIN,
            "entries": [entry.to_string()],
            "received_at": "2026-03-01T12:00:00Z",
            "include_by": "2026-03-01T12:01:00Z",
        });
        signed_document::sign(&statement, key, t("2026-03-01T12:00:00Z")).unwrap()
    }

    fn fields() -> ReceiptFields {
        let content_hash = Sha256Digest::of(b"bytes");
        let mut f = ReceiptFields {
            receipt_id: urn_uuid_v4([4; 16]),
            object_key: object_key(&content_hash, "0f3c"),
            content_hash,
            size: 5,
            media_type: "text/plain".into(),
            ingested_at: t("2026-03-01T12:00:00Z"),
            contributor: DidKey::from_public_key(SigningKey::from_seed(&[1; 32]).public_key()),
            consent_id: urn_uuid_v4([5; 16]),
            envelope_hash: Sha256Digest::of(b"envelope"),
            route: Route::TrainingPipeline,
            route_reason: Reason::ValidConsent,
            log: ReceiptLog {
                origin: ORIGIN.into(),
                entry_hash: Sha256Digest::of(b"x"),
                promise: Value::Null,
            },
        };
        let entry = log_event::entry(f.asset_ingested_event()).unwrap();
        f.log.entry_hash = entry.hash;
        f.log.promise = promise(&entry.hash, &platform());
        f
    }

    fn signed() -> Value {
        sign_receipt(fields(), &platform(), t("2026-03-01T12:00:01Z")).unwrap()
    }

    #[test]
    fn sign_and_verify() {
        let doc = signed();
        assert_eq!(doc["route"], "TRAINING_PIPELINE");
        assert_eq!(doc["route_reason"], "VALID_CONSENT");
        let v = verify_receipt(&doc, &keys()).unwrap();
        assert_eq!(v.fields, fields());
        assert_eq!(v.signed_by, keys()[0]);
        assert_eq!(v.include_by, t("2026-03-01T12:01:00Z"));
        assert_eq!(v.receipt_hash, jcs_hash(&doc).unwrap());
        assert!(v.log_entry_matches());
        let text = serde_json::to_string_pretty(&doc).unwrap();
        verify_receipt(&serde_json::from_str(&text).unwrap(), &keys()).unwrap();
    }

    #[test]
    fn tampering_fails() {
        let doc = signed();
        for (member, value) in [
            ("size", json!(6)),
            ("route", json!("COMPLIANCE_HOLD")),
            ("ingested_at", json!("2026-03-01T12:00:02Z")),
        ] {
            let mut changed = doc.clone();
            changed[member] = value;
            assert_eq!(
                verify_receipt(&changed, &keys()),
                Err(ReceiptError::BadSignature),
                "{member}"
            );
        }
        let mut changed = doc.clone();
        changed["log"]["promise"]["include_by"] = json!("2026-03-02T12:01:00Z");
        assert_eq!(
            verify_receipt(&changed, &keys()),
            Err(ReceiptError::BadSignature)
        );
    }

    #[test]
    fn only_published_keys_count() {
        let rogue = SigningKey::from_seed(&[21; 32]);
        let forged = sign_receipt(fields(), &rogue, t("2026-03-01T12:00:01Z")).unwrap();
        assert!(matches!(
            verify_receipt(&forged, &keys()),
            Err(ReceiptError::UnknownKey(_))
        ));
        // Listing the rogue key makes the receipt verify...
        let mut both = keys();
        both.push(published(
            &rogue,
            false,
            "2026-01-01T00:00:00Z",
            Some("2027-01-01T00:00:00Z"),
        ));
        verify_receipt(&forged, &both).unwrap();
        // ...but not outside the key's validity window.
        let mut late = keys();
        late.push(published(
            &rogue,
            false,
            "2026-01-01T00:00:00Z",
            Some("2026-02-01T00:00:00Z"),
        ));
        assert!(matches!(
            verify_receipt(&forged, &late),
            Err(ReceiptError::KeyNotValid(_))
        ));
        let mut early = vec![published(&platform(), true, "2026-04-01T00:00:00Z", None)];
        assert!(matches!(
            verify_receipt(&signed(), &early),
            Err(ReceiptError::KeyNotValid(_))
        ));
        early.clear();
        assert!(matches!(
            verify_receipt(&signed(), &early),
            Err(ReceiptError::UnknownKey(_))
        ));
    }

    #[test]
    fn the_promise_must_verify_and_name_the_entry() {
        // A promise by a key the set does not list.
        let mut f = fields();
        f.log.promise = promise(&f.log.entry_hash, &SigningKey::from_seed(&[22; 32]));
        let doc = sign_receipt(f, &platform(), t("2026-03-01T12:00:01Z")).unwrap();
        assert!(matches!(
            verify_receipt(&doc, &keys()),
            Err(ReceiptError::LogPromise(_))
        ));
        // A promise for another entry.
        let mut f = fields();
        f.log.promise = promise(&Sha256Digest::of(b"another"), &platform());
        assert!(matches!(
            sign_receipt(f, &platform(), t("2026-03-01T12:00:01Z")),
            Err(ReceiptError::LogPromise(_))
        ));
        // Another log.
        let mut f = fields();
        f.log.origin = "elsewhere/log".into();
        assert!(matches!(
            sign_receipt(f, &platform(), t("2026-03-01T12:00:01Z")),
            Err(ReceiptError::LogPromise(_))
        ));
        // A log entry hash that is not this receipt's event: verifies, but says so.
        let mut f = fields();
        f.log.entry_hash = Sha256Digest::of(b"other entry");
        f.log.promise = promise(&f.log.entry_hash, &platform());
        let doc = sign_receipt(f, &platform(), t("2026-03-01T12:00:01Z")).unwrap();
        assert!(!verify_receipt(&doc, &keys()).unwrap().log_entry_matches());
    }

    #[test]
    fn shape_rules() {
        let doc = signed();
        for (member, value) in [
            ("type", json!("Receipt")),
            ("object_key", json!("blobs/sha256/00/0f3c")),
            (
                "object_key",
                json!(format!(
                    "blobs/sha256/{}/",
                    Sha256Digest::of(b"bytes").to_hex()
                )),
            ),
            (
                "object_key",
                json!(format!(
                    "blobs/sha256/{}/a/b",
                    Sha256Digest::of(b"bytes").to_hex()
                )),
            ),
            ("route", json!("TRAINING")),
            ("route_reason", json!("OK")),
            ("size", json!(-5)),
            ("receipt_id", json!("r1")),
            ("extra", json!(1)),
        ] {
            let mut changed = doc.clone();
            changed[member] = value.clone();
            assert!(
                matches!(
                    verify_receipt(&changed, &keys()),
                    Err(ReceiptError::Malformed(_))
                ),
                "{member}={value}"
            );
        }
        assert!(verify_receipt(&json!("x"), &keys()).is_err());
    }
}
