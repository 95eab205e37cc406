//! The usage receipt: the platform's signed answer to a usage report, a W3C
//! Verifiable Credential 2.0 (`UsageReceipt`) with one `eddsa-jcs-2022`
//! proof by a published platform key.
//!
//! ```json
//! { "@context": ["https://www.w3.org/ns/credentials/v2"],
//!   "id": "urn:uuid:<receipt id>", "type": ["VerifiableCredential", "UsageReceipt"],
//!   "issuer": "did:key:<platform>", "validFrom": "…Z",
//!   "credentialSubject": {
//!     "report_id": "urn:uuid:…", "report_hash": "sha256:…",
//!     "orchestrator": "did:key:…", "received_at": "…Z",
//!     "accepted": { "count": 2, "event_ids": ["e1", "e2"], "batch_root": "<base64>" },
//!     "refused": [ { "event_id": "e3", "reason": "consent_revoked", "detail": "…" } ] },
//!   "proof": { … } }
//! ```
//!
//! - `report_hash` is the report's hash ([`crate::report::VerifiedReport`]);
//! - every event of the report is either accepted or refused, once; the
//!   accepted ones are listed in report order, and `batch_root` is the
//!   [`crate::batch`] root of those events (`null` when none was accepted);
//! - `detail` is 1..=[`MAX_DETAIL_LEN`] characters without control characters.
//!
//! Verification is strict, like the manifest's: the document must be exactly
//! what [`UsageReceiptFields::to_unsigned`] builds from its typed fields (plus
//! the proof, times in their canonical spelling), the proof is by a published
//! platform key valid when it signed, and the issuer is that key's did:key.
//!
//! The log gets one `usage.recorded` entry per manifest the accepted events
//! touch, naming the receipt and carrying that manifest's batch root
//! ([`usage_recorded_events`]).

use std::collections::BTreeSet;

use fairtrain_consent::log_event::{self, LogEvent};
use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::json_shape::{credential, Credential};
use fairtrain_core::key_set::PublishedKey;
use fairtrain_core::signed_document::{
    sign_document, verify_document, Format, SignedDocumentError,
};
use fairtrain_core::time::Timestamp;
use fairtrain_tlog::Hash;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::batch::{batch_root, manifest_batches, ManifestBatch};
use crate::event::UsageEvent;
use crate::refusal::RefusalReason;
use crate::report::{VerifiedReport, MAX_EVENTS_PER_REPORT};
use crate::text::{
    all_distinct, is_free_text, is_token_text, is_urn_uuid, parse_canonical_time, MAX_TEXT_LEN,
};

/// The credential's own type (besides `VerifiableCredential`).
pub const USAGE_RECEIPT_TYPE: &str = "UsageReceipt";
/// Longest `refused[].detail`, in characters.
pub const MAX_DETAIL_LEN: usize = 500;

/// Why a usage receipt was refused, or could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsageReceiptError {
    #[error("malformed usage receipt: {0}")]
    Malformed(String),
    #[error("signed by {0:?}, which is not one of the platform's published keys")]
    UnknownKey(String),
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the signing key {0} was not valid when the document says it was signed")]
    KeyNotValid(String),
    #[error("the issuer is not the did:key of the key that signed")]
    IssuerMismatch,
    #[error("the receipt does not match the report: {0}")]
    ReportMismatch(String),
}

fn malformed(what: impl Into<String>) -> UsageReceiptError {
    UsageReceiptError::Malformed(what.into())
}

fn mismatch(what: impl Into<String>) -> UsageReceiptError {
    UsageReceiptError::ReportMismatch(what.into())
}

impl From<SignedDocumentError> for UsageReceiptError {
    fn from(e: SignedDocumentError) -> Self {
        match e {
            SignedDocumentError::Malformed(m) => UsageReceiptError::Malformed(m),
            SignedDocumentError::UnknownKey(k) => UsageReceiptError::UnknownKey(k),
            SignedDocumentError::BadSignature => UsageReceiptError::BadSignature,
            SignedDocumentError::KeyNotValid(k) => UsageReceiptError::KeyNotValid(k),
            SignedDocumentError::IssuerMismatch => UsageReceiptError::IssuerMismatch,
        }
    }
}

/// An event the platform did not record, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefusedEvent {
    pub event_id: String,
    pub reason: RefusalReason,
    pub detail: String,
}

impl RefusedEvent {
    /// Refused with the reason's default detail.
    pub fn new(event_id: impl Into<String>, reason: RefusalReason) -> Self {
        RefusedEvent {
            event_id: event_id.into(),
            reason,
            detail: reason.default_detail().to_owned(),
        }
    }
}

/// Everything a usage receipt states; the issuer is the signing key's did:key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageReceiptFields {
    /// `urn:uuid:…`: the credential's `id`.
    pub receipt_id: String,
    /// The credential's `validFrom`.
    pub issued_at: Timestamp,
    pub report_id: String,
    pub report_hash: Sha256Digest,
    /// The orchestrator's did:key.
    pub orchestrator: String,
    /// When the Worker took the report in.
    pub received_at: Timestamp,
    /// In report order.
    pub accepted_event_ids: Vec<String>,
    /// [`batch_root`] of the accepted events; `None` exactly when none was.
    pub batch_root: Option<Hash>,
    pub refused: Vec<RefusedEvent>,
}

impl UsageReceiptFields {
    /// The receipt for `report` where `refused` lists the events not
    /// recorded: every other event is accepted, in report order, and the
    /// batch root is computed from them.
    pub fn for_report(
        receipt_id: impl Into<String>,
        report: &VerifiedReport,
        received_at: Timestamp,
        issued_at: Timestamp,
        refused: Vec<RefusedEvent>,
    ) -> Result<Self, UsageReceiptError> {
        let events = &report.report.events;
        let in_report: BTreeSet<&str> = events.iter().map(|e| e.event_id.as_str()).collect();
        if let Some(r) = refused
            .iter()
            .find(|r| !in_report.contains(r.event_id.as_str()))
        {
            return Err(mismatch(format!(
                "refused event {:?} is not in the report",
                r.event_id
            )));
        }
        if !all_distinct(refused.iter().map(|r| &r.event_id)) {
            return Err(mismatch("an event is refused twice"));
        }
        let refused_ids: BTreeSet<&str> = refused.iter().map(|r| r.event_id.as_str()).collect();
        let accepted: Vec<&UsageEvent> = events
            .iter()
            .filter(|e| !refused_ids.contains(e.event_id.as_str()))
            .collect();
        let fields = UsageReceiptFields {
            receipt_id: receipt_id.into(),
            issued_at,
            report_id: report.report.id.clone(),
            report_hash: report.report_hash,
            orchestrator: report.report.orchestrator.clone(),
            received_at,
            accepted_event_ids: accepted.iter().map(|e| e.event_id.clone()).collect(),
            batch_root: (!accepted.is_empty()).then(|| batch_root(&accepted)),
            refused,
        };
        fields.check()?;
        Ok(fields)
    }

    /// The field rules (shared by signing and verifying).
    pub fn check(&self) -> Result<(), UsageReceiptError> {
        for (name, id) in [
            ("id", &self.receipt_id),
            ("credentialSubject.report_id", &self.report_id),
        ] {
            if !is_urn_uuid(id) {
                return Err(malformed(format!(
                    "{name} must be urn:uuid:<lowercase uuid>"
                )));
            }
        }
        match DidKey::parse(&self.orchestrator) {
            Ok(did) if did.to_string() == self.orchestrator => {}
            _ => return Err(malformed("orchestrator must be a did:key")),
        }
        let ids = self
            .accepted_event_ids
            .iter()
            .chain(self.refused.iter().map(|r| &r.event_id));
        if !ids.clone().all(|id| is_token_text(id, MAX_TEXT_LEN)) {
            return Err(malformed(format!(
                "event ids must be 1-{MAX_TEXT_LEN} printable ASCII characters without spaces"
            )));
        }
        let total = self.accepted_event_ids.len() + self.refused.len();
        if total == 0 || total > MAX_EVENTS_PER_REPORT {
            return Err(malformed(format!(
                "a receipt covers 1 to {MAX_EVENTS_PER_REPORT} events"
            )));
        }
        if !all_distinct(ids) {
            return Err(malformed("an event id is listed twice"));
        }
        if self.batch_root.is_some() == self.accepted_event_ids.is_empty() {
            return Err(malformed(
                "batch_root must be null exactly when no event was accepted",
            ));
        }
        if !self
            .refused
            .iter()
            .all(|r| is_free_text(&r.detail, MAX_DETAIL_LEN))
        {
            return Err(malformed(format!(
                "refused[].detail must be 1-{MAX_DETAIL_LEN} characters without control characters"
            )));
        }
        Ok(())
    }

    /// The unsigned credential, issued by `issuer`.
    pub fn to_unsigned(&self, issuer: &DidKey) -> Value {
        let subject = json!({
            "report_id": self.report_id,
            "report_hash": self.report_hash.to_string(),
            "orchestrator": self.orchestrator,
            "received_at": self.received_at.format_rfc3339(),
            "accepted": {
                "count": self.accepted_event_ids.len(),
                "event_ids": self.accepted_event_ids,
                "batch_root": self.batch_root.map(|r| r.to_base64()),
            },
            "refused": self.refused,
        });
        credential(
            USAGE_RECEIPT_TYPE,
            &self.receipt_id,
            issuer,
            self.issued_at,
            subject,
        )
    }

    /// Checks the receipt against the report it answers (id, hash,
    /// orchestrator, every event accepted or refused once, accepted ones in
    /// report order, the batch root) and returns the accepted events.
    pub fn accepted_events<'a>(
        &self,
        report: &'a VerifiedReport,
    ) -> Result<Vec<&'a UsageEvent>, UsageReceiptError> {
        let r = &report.report;
        if self.report_id != r.id
            || self.report_hash != report.report_hash
            || self.orchestrator != r.orchestrator
        {
            return Err(mismatch(
                "report_id, report_hash or orchestrator is another report's",
            ));
        }
        let accepted_ids: BTreeSet<&str> =
            self.accepted_event_ids.iter().map(String::as_str).collect();
        let accepted: Vec<&UsageEvent> = r
            .events
            .iter()
            .filter(|e| accepted_ids.contains(e.event_id.as_str()))
            .collect();
        let in_order = accepted
            .iter()
            .map(|e| &e.event_id)
            .eq(self.accepted_event_ids.iter());
        if !in_order {
            return Err(mismatch(
                "accepted.event_ids are not the report's events in report order",
            ));
        }
        let in_report: BTreeSet<&str> = r.events.iter().map(|e| e.event_id.as_str()).collect();
        let covered = r.events.len() == accepted.len() + self.refused.len()
            && self
                .refused
                .iter()
                .all(|x| in_report.contains(x.event_id.as_str()));
        if !covered {
            return Err(mismatch(
                "not every event of the report is accepted or refused exactly once",
            ));
        }
        let root = (!accepted.is_empty()).then(|| batch_root(&accepted));
        if root != self.batch_root {
            return Err(mismatch(
                "batch_root is not the root of the accepted events",
            ));
        }
        Ok(accepted)
    }
}

/// Signs a usage receipt with the platform's active key (proof `created` =
/// `now`). The result passes the checks [`verify_usage_receipt`] applies to
/// its shape.
pub fn sign_usage_receipt(
    fields: &UsageReceiptFields,
    key: &SigningKey,
    now: Timestamp,
) -> Result<Value, UsageReceiptError> {
    sign_document(&FORMAT, fields, key, now)
}

/// Verifies a usage receipt against the platform's published keys (from a
/// key set `fairtrain_core::key_set::verify` accepted).
pub fn verify_usage_receipt(
    doc: &Value,
    platform_keys: &[PublishedKey],
) -> Result<UsageReceiptFields, UsageReceiptError> {
    Ok(verify_document(&FORMAT, doc, platform_keys)?.fields)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubject {
    report_id: String,
    report_hash: String,
    orchestrator: String,
    received_at: String,
    accepted: RawAccepted,
    refused: Vec<RefusedEvent>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccepted {
    #[serde(rename = "count")]
    _count: Value,
    event_ids: Vec<String>,
    batch_root: Option<String>,
}

fn time(name: &str, text: &str) -> Result<Timestamp, UsageReceiptError> {
    parse_canonical_time(text).ok_or_else(|| {
        malformed(format!(
            "{name} must be an RFC 3339 UTC date-time in canonical form"
        ))
    })
}

/// How a usage receipt is checked, built and read;
/// [`fairtrain_core::signed_document`] does the rest.
const FORMAT: Format<UsageReceiptFields, DidKey, UsageReceiptError> = Format {
    check: UsageReceiptFields::check,
    unsigned: UsageReceiptFields::to_unsigned,
    read,
};

/// The typed fields and the issuer, read strictly.
fn read(doc: &Value) -> Result<(UsageReceiptFields, DidKey), UsageReceiptError> {
    if !doc.is_object() {
        return Err(malformed("a usage receipt must be a JSON object"));
    }
    let raw: Credential<RawSubject> =
        serde_json::from_value(doc.clone()).map_err(|e| malformed(e.to_string()))?;
    let issuer = DidKey::parse(&raw.issuer).map_err(|e| malformed(format!("issuer: {e}")))?;
    let s = raw.subject;
    let fields = UsageReceiptFields {
        receipt_id: raw.id,
        issued_at: time("validFrom", &raw.valid_from)?,
        report_id: s.report_id,
        report_hash: s
            .report_hash
            .parse()
            .map_err(|e| malformed(format!("report_hash: {e}")))?,
        orchestrator: s.orchestrator,
        received_at: time("received_at", &s.received_at)?,
        accepted_event_ids: s.accepted.event_ids,
        batch_root: s
            .accepted
            .batch_root
            .map(|r| Hash::from_base64(&r))
            .transpose()
            .map_err(|e| malformed(format!("accepted.batch_root: {e}")))?,
        refused: s.refused,
    };
    Ok((fields, issuer))
}

/// The `usage.recorded` log event for one manifest's accepted events.
pub fn usage_recorded_event(
    fields: &UsageReceiptFields,
    batch: &ManifestBatch<'_>,
    at: Timestamp,
) -> LogEvent {
    LogEvent::UsageRecorded {
        v: log_event::SCHEMA_VERSION,
        at,
        receipt_id: fields.receipt_id.clone(),
        manifest_id: batch.manifest_id.clone(),
        batch_root: batch.root.to_base64(),
        event_count: batch.event_count(),
    }
}

/// One `usage.recorded` event per manifest the receipt's accepted events
/// touch (in order of first appearance in the report), each with that
/// manifest's batch root. Empty when nothing was accepted.
pub fn usage_recorded_events(
    fields: &UsageReceiptFields,
    report: &VerifiedReport,
    at: Timestamp,
) -> Result<Vec<LogEvent>, UsageReceiptError> {
    let accepted = fields.accepted_events(report)?;
    Ok(manifest_batches(&accepted)
        .iter()
        .map(|b| usage_recorded_event(fields, b, at))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::tests::t;
    use crate::report::tests::signed;
    use crate::report::verify_report;

    const OTHER_MANIFEST: &str = "urn:uuid:00000000-0000-4000-8000-000000000002";

    fn platform() -> SigningKey {
        SigningKey::from_seed(&[41; 32])
    }

    fn keys() -> Vec<PublishedKey> {
        vec![PublishedKey::describe(
            platform().public_key(),
            true,
            t("2026-01-01T00:00:00Z"),
            None,
        )]
    }

    fn report() -> VerifiedReport {
        verify_report(&signed(4)).unwrap()
    }

    fn fields(refused: Vec<RefusedEvent>) -> UsageReceiptFields {
        UsageReceiptFields::for_report(
            "urn:uuid:00000000-0000-4000-8000-0000000000bb",
            &report(),
            t("2026-03-01T12:00:07Z"),
            t("2026-03-01T12:00:08Z"),
            refused,
        )
        .unwrap()
    }

    fn some_refused() -> UsageReceiptFields {
        fields(vec![
            RefusedEvent::new("e1", RefusalReason::ConsentRevoked),
            RefusedEvent {
                event_id: "e3".into(),
                reason: RefusalReason::EventIdConflict,
                detail: "e3 was reported on 2026-02-28 with other content".into(),
            },
        ])
    }

    fn sign(f: &UsageReceiptFields) -> Value {
        sign_usage_receipt(f, &platform(), t("2026-03-01T12:00:08Z")).unwrap()
    }

    #[test]
    fn built_from_the_report() {
        let f = some_refused();
        assert_eq!(f.accepted_event_ids, ["e0", "e2"]);
        let r = report();
        let events = &r.report.events;
        assert_eq!(f.batch_root, Some(batch_root(&[&events[0], &events[2]])));
        assert_eq!(f.report_hash, r.report_hash);
        assert_eq!(f.accepted_events(&r).unwrap().len(), 2);
        // All refused: no root.
        let all = fields(
            (0..4)
                .map(|i| RefusedEvent::new(format!("e{i}"), RefusalReason::NoLicense))
                .collect(),
        );
        assert_eq!(all.batch_root, None);
        assert!(all.accepted_event_ids.is_empty());
        // Refusing an event the report does not have, or one twice.
        let build = |refused| {
            UsageReceiptFields::for_report(
                "urn:uuid:00000000-0000-4000-8000-0000000000bb",
                &r,
                t("2026-03-01T12:00:07Z"),
                t("2026-03-01T12:00:08Z"),
                refused,
            )
        };
        assert!(matches!(
            build(vec![RefusedEvent::new("e9", RefusalReason::NoLicense)]),
            Err(UsageReceiptError::ReportMismatch(_))
        ));
        assert!(matches!(
            build(vec![
                RefusedEvent::new("e1", RefusalReason::NoLicense),
                RefusedEvent::new("e1", RefusalReason::UseNotAllowed)
            ]),
            Err(UsageReceiptError::ReportMismatch(_))
        ));
    }

    #[test]
    fn sign_and_verify() {
        for f in [some_refused(), fields(vec![])] {
            let doc = sign(&f);
            assert_eq!(doc["type"][1], USAGE_RECEIPT_TYPE);
            assert_eq!(
                doc["credentialSubject"]["accepted"]["count"],
                f.accepted_event_ids.len()
            );
            assert_eq!(verify_usage_receipt(&doc, &keys()).unwrap(), f);
            let text = serde_json::to_string_pretty(&doc).unwrap();
            assert_eq!(
                verify_usage_receipt(&serde_json::from_str(&text).unwrap(), &keys()).unwrap(),
                f
            );
        }
        let doc = sign(&some_refused());
        assert_eq!(
            doc["credentialSubject"]["refused"][0]["reason"],
            "consent_revoked"
        );
        let none = fields(
            (0..4)
                .map(|i| RefusedEvent::new(format!("e{i}"), RefusalReason::NoLicense))
                .collect(),
        );
        let doc = sign(&none);
        assert_eq!(
            doc["credentialSubject"]["accepted"]["batch_root"],
            Value::Null
        );
        assert_eq!(verify_usage_receipt(&doc, &keys()).unwrap(), none);
    }

    #[test]
    fn tampering_fails() {
        let doc = sign(&some_refused());
        let mut changed = doc.clone();
        changed["credentialSubject"]["refused"][0]["reason"] = json!("no_licence");
        assert_eq!(
            verify_usage_receipt(&changed, &keys()),
            Err(UsageReceiptError::BadSignature)
        );
        let mut changed = doc.clone();
        changed["credentialSubject"]["received_at"] = json!("2026-03-01T12:00:09Z");
        assert_eq!(
            verify_usage_receipt(&changed, &keys()),
            Err(UsageReceiptError::BadSignature)
        );
        // Moving an event from refused to accepted changes the count: the
        // rebuild catches the count, the signature the rest.
        let mut changed = doc;
        changed["credentialSubject"]["accepted"]["event_ids"] = json!(["e0", "e1", "e2"]);
        assert!(matches!(
            verify_usage_receipt(&changed, &keys()),
            Err(UsageReceiptError::Malformed(_))
        ));
        changed["credentialSubject"]["accepted"]["count"] = json!(3);
        // e1 is now both accepted and refused.
        assert!(matches!(
            verify_usage_receipt(&changed, &keys()),
            Err(UsageReceiptError::Malformed(_))
        ));
    }

    #[test]
    fn shape_is_strict() {
        let doc = sign(&some_refused());
        let cases: Vec<(&str, Value)> = vec![
            (
                "/@context",
                json!(["https://www.w3.org/2018/credentials/v1"]),
            ),
            ("/type", json!(["VerifiableCredential", "Receipt"])),
            ("/id", json!("receipt-1")),
            ("/validFrom", json!("2026-03-01T12:00:08.000Z")),
            ("/extra", json!(1)),
            ("/credentialSubject/id", json!("did:key:x")),
            ("/credentialSubject/report_id", json!("r1")),
            ("/credentialSubject/report_hash", json!("sha256:00")),
            (
                "/credentialSubject/orchestrator",
                json!("did:web:example.com"),
            ),
            (
                "/credentialSubject/received_at",
                json!("2026-03-01T13:00:07+01:00"),
            ),
            ("/credentialSubject/accepted/count", json!(3)),
            ("/credentialSubject/accepted/count", json!("2")),
            ("/credentialSubject/accepted/batch_root", json!(null)),
            ("/credentialSubject/accepted/batch_root", json!("AAAA")),
            ("/credentialSubject/accepted/event_ids", json!(["e0", "e0"])),
            ("/credentialSubject/accepted/extra", json!(1)),
            ("/credentialSubject/refused/0/reason", json!("bored")),
            ("/credentialSubject/refused/0/detail", json!("")),
            ("/credentialSubject/refused/0/detail", json!("a\nb")),
            (
                "/credentialSubject/refused/0/detail",
                json!("x".repeat(501)),
            ),
            ("/credentialSubject/refused/0/note", json!("x")),
        ];
        for (pointer, value) in cases {
            let mut changed = doc.clone();
            let (parent, name) = pointer.rsplit_once('/').unwrap();
            changed
                .pointer_mut(parent)
                .unwrap()
                .as_object_mut()
                .unwrap()
                .insert(name.to_owned(), value.clone());
            assert!(
                matches!(
                    verify_usage_receipt(&changed, &keys()),
                    Err(UsageReceiptError::Malformed(_))
                ),
                "{pointer} = {value}"
            );
        }
        for removed in [
            "/credentialSubject/accepted/batch_root",
            "/credentialSubject/refused",
            "/proof",
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
                verify_usage_receipt(&changed, &keys()).is_err(),
                "{removed}"
            );
        }
        assert!(verify_usage_receipt(&json!("receipt"), &keys()).is_err());
    }

    #[test]
    fn field_rules_refuse_signing() {
        let mut f = some_refused();
        f.batch_root = None;
        assert!(sign_usage_receipt(&f, &platform(), t("2026-03-01T12:00:08Z")).is_err());
        let mut f = fields(
            (0..4)
                .map(|i| RefusedEvent::new(format!("e{i}"), RefusalReason::NoLicense))
                .collect(),
        );
        f.batch_root = Some(Hash::default());
        assert!(sign_usage_receipt(&f, &platform(), t("2026-03-01T12:00:08Z")).is_err());
        let mut f = some_refused();
        f.receipt_id = "r".into();
        assert!(sign_usage_receipt(&f, &platform(), t("2026-03-01T12:00:08Z")).is_err());
        let mut f = some_refused();
        f.accepted_event_ids.clear();
        f.refused.clear();
        f.batch_root = None;
        assert!(f.check().is_err());
        let mut f = some_refused();
        f.accepted_event_ids.push("e 9".into());
        assert!(f.check().is_err());
    }

    #[test]
    fn only_published_platform_keys_count() {
        let rogue = SigningKey::from_seed(&[42; 32]);
        let forged =
            sign_usage_receipt(&some_refused(), &rogue, t("2026-03-01T12:00:08Z")).unwrap();
        assert!(matches!(
            verify_usage_receipt(&forged, &keys()),
            Err(UsageReceiptError::UnknownKey(_))
        ));
        let late = vec![PublishedKey::describe(
            platform().public_key(),
            true,
            t("2026-04-01T00:00:00Z"),
            None,
        )];
        assert!(matches!(
            verify_usage_receipt(&sign(&some_refused()), &late),
            Err(UsageReceiptError::KeyNotValid(_))
        ));
        // Issued in another key's name, signed by the published key.
        let rogue_did = DidKey::from_public_key(rogue.public_key());
        let doc = fairtrain_core::signed_document::sign(
            &some_refused().to_unsigned(&rogue_did),
            &platform(),
            t("2026-03-01T12:00:08Z"),
        )
        .unwrap();
        assert_eq!(
            verify_usage_receipt(&doc, &keys()),
            Err(UsageReceiptError::IssuerMismatch)
        );
    }

    #[test]
    fn receipt_checked_against_its_report() {
        let r = report();
        let f = some_refused();
        assert!(f.accepted_events(&r).is_ok());
        let mut other_hash = f.clone();
        other_hash.report_hash = Sha256Digest::of(b"another report");
        assert!(matches!(
            other_hash.accepted_events(&r),
            Err(UsageReceiptError::ReportMismatch(_))
        ));
        let mut reordered = f.clone();
        reordered.accepted_event_ids.reverse();
        assert!(reordered.accepted_events(&r).is_err());
        let mut missing = f.clone();
        missing.refused.pop();
        assert!(missing.accepted_events(&r).is_err());
        let mut wrong_root = f.clone();
        wrong_root.batch_root = Some(batch_root(&[&r.report.events[0]]));
        assert!(wrong_root.accepted_events(&r).is_err());
    }

    #[test]
    fn one_log_entry_per_manifest() {
        // Events 1 and 3 are for another manifest; event 2 is refused.
        let mut r = report();
        r.report.events[1].manifest_id = OTHER_MANIFEST.into();
        r.report.events[3].manifest_id = OTHER_MANIFEST.into();
        let f = UsageReceiptFields::for_report(
            "urn:uuid:00000000-0000-4000-8000-0000000000bb",
            &r,
            t("2026-03-01T12:00:07Z"),
            t("2026-03-01T12:00:08Z"),
            vec![RefusedEvent::new("e2", RefusalReason::ConsentExpired)],
        )
        .unwrap();
        let at = t("2026-03-01T12:00:09Z");
        let entries = usage_recorded_events(&f, &r, at).unwrap();
        let e = &r.report.events;
        let expected = [
            (e[0].manifest_id.clone(), batch_root(&[&e[0]]), 1),
            (OTHER_MANIFEST.to_owned(), batch_root(&[&e[1], &e[3]]), 2),
        ];
        assert_eq!(entries.len(), 2);
        for (entry, (manifest, root, count)) in entries.iter().zip(expected) {
            assert_eq!(
                *entry,
                LogEvent::UsageRecorded {
                    v: log_event::SCHEMA_VERSION,
                    at,
                    receipt_id: f.receipt_id.clone(),
                    manifest_id: manifest,
                    batch_root: root.to_base64(),
                    event_count: count,
                }
            );
            // Each is a valid log entry.
            log_event::entry(entry.clone()).unwrap();
        }
        // Nothing accepted: no entries.
        let none = UsageReceiptFields::for_report(
            "urn:uuid:00000000-0000-4000-8000-0000000000bb",
            &r,
            t("2026-03-01T12:00:07Z"),
            t("2026-03-01T12:00:08Z"),
            (0..4)
                .map(|i| RefusedEvent::new(format!("e{i}"), RefusalReason::NoLicense))
                .collect(),
        )
        .unwrap();
        assert!(usage_recorded_events(&none, &r, at).unwrap().is_empty());
        // A receipt for another report is refused.
        let other = verify_report(&signed(2)).unwrap();
        assert!(usage_recorded_events(&f, &other, at).is_err());
    }
}
