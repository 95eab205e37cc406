//! A usage report: the events a training orchestrator sends in one request,
//! signed with the orchestrator's own key.
//!
//! ```json
//! { "id": "urn:uuid:…", "orchestrator": "did:key:z6Mk…", "created": "…Z",
//!   "events": [ { …a usage event, see crate::event… } ],
//!   "proof": { "type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022",
//!              "created": "…Z", "verificationMethod": "did:key:z6Mk…#z6Mk…",
//!              "proofPurpose": "assertionMethod", "proofValue": "z…" } }
//! ```
//!
//! Rules ([`verify_report`]): unknown members are refused; exactly one W3C
//! Data Integrity proof (`eddsa-jcs-2022`, `assertionMethod`) whose
//! verification method is the `orchestrator` did:key's own; `id` a
//! `urn:uuid`; `created` RFC 3339 UTC; 1..=[`MAX_EVENTS_PER_REPORT`] events,
//! each valid ([`crate::event`]) and each `event_id` once in the report.
//!
//! Order of checks: the envelope (members, the did:key, the proof's shape
//! and signer), then the signature, then the report's fields and events. So
//! a sender who cannot sign learns nothing about the events' validity, and a
//! signed report with a bad event is a client error that names the event.
//!
//! Callers should parse the request body with `fairtrain_core::jcs::parse_strict`
//! (duplicate member names refused) before calling [`verify_report`].

use fairtrain_core::data_integrity::{self, DataIntegrityError, ProofOptions};
use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::fields::jcs_hash;
use fairtrain_core::time::Timestamp;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::event::UsageEvent;
use crate::text::{is_urn_uuid, parse_utc};

/// Most events one report may carry.
pub const MAX_EVENTS_PER_REPORT: usize = 5000;
/// The proof purpose a report's proof must state.
pub const ASSERTION_METHOD: &str = "assertionMethod";

/// Why a report was refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// The document or one of its report-level fields is malformed (400).
    #[error("malformed usage report: {0}")]
    Malformed(String),
    /// Event `index` (0-based, report order) breaks the event rules or
    /// repeats an earlier `event_id` (400).
    #[error("malformed usage report: events[{index}]: {detail}")]
    InvalidEvent { index: usize, detail: String },
    /// The proof's signature does not verify (401).
    #[error("the usage report's signature does not verify")]
    BadSignature,
    /// The proof is not by the did:key named in `orchestrator` (401).
    #[error("the usage report is not signed by its orchestrator's key: {0}")]
    WrongSigner(String),
}

impl ReportError {
    /// Whether the report's signature (or signer) is what is wrong, rather
    /// than its contents.
    pub fn is_signature_error(&self) -> bool {
        match self {
            ReportError::Malformed(_) | ReportError::InvalidEvent { .. } => false,
            ReportError::BadSignature | ReportError::WrongSigner(_) => true,
        }
    }
}

fn malformed(what: impl Into<String>) -> ReportError {
    ReportError::Malformed(what.into())
}

/// A report's contents (without its proof).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageReport {
    /// `urn:uuid:…`, chosen by the orchestrator.
    pub id: String,
    /// The orchestrator's did:key (`did:key:z6Mk…`), whose key signs.
    pub orchestrator: String,
    pub created: Timestamp,
    pub events: Vec<UsageEvent>,
}

impl UsageReport {
    /// The report-level rules and every event's.
    pub fn check(&self) -> Result<(), ReportError> {
        self.check_header()?;
        check_events(&self.events)
    }

    fn check_header(&self) -> Result<DidKey, ReportError> {
        if !is_urn_uuid(&self.id) {
            return Err(malformed("id must be urn:uuid:<lowercase uuid>"));
        }
        orchestrator_did(&self.orchestrator)
    }

    /// The unsigned document (what the orchestrator's proof signs).
    pub fn to_unsigned(&self) -> Value {
        json!({
            "id": self.id,
            "orchestrator": self.orchestrator,
            "created": self.created.format_rfc3339(),
            "events": self.events.iter().map(UsageEvent::to_json).collect::<Vec<_>>(),
        })
    }
}

/// The did:key in its one spelling.
fn orchestrator_did(text: &str) -> Result<DidKey, ReportError> {
    let did = DidKey::parse(text).map_err(|e| malformed(format!("orchestrator: {e}")))?;
    if did.to_string() != text {
        return Err(malformed(
            "orchestrator: not the canonical did:key spelling",
        ));
    }
    Ok(did)
}

fn check_events(events: &[UsageEvent]) -> Result<(), ReportError> {
    if events.is_empty() || events.len() > MAX_EVENTS_PER_REPORT {
        return Err(malformed(format!(
            "events must list 1 to {MAX_EVENTS_PER_REPORT} events"
        )));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (index, event) in events.iter().enumerate() {
        event
            .check()
            .map_err(|e| ReportError::InvalidEvent { index, detail: e.0 })?;
        if !seen.insert(event.event_id.as_str()) {
            return Err(ReportError::InvalidEvent {
                index,
                detail: format!(
                    "event_id {:?} appears earlier in the report",
                    event.event_id
                ),
            });
        }
    }
    Ok(())
}

/// A report whose signature and contents verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedReport {
    pub report: UsageReport,
    /// `sha256:` of the JCS of the whole signed document (proof included):
    /// what the usage receipt names.
    pub report_hash: Sha256Digest,
}

/// Signs `report` with `key`, which must be the orchestrator's (proof
/// `created` = `created`). Refuses a report that would not verify.
pub fn sign_report(
    report: &UsageReport,
    key: &SigningKey,
    created: Timestamp,
) -> Result<Value, ReportError> {
    report.check()?;
    let did = DidKey::from_public_key(key.public_key());
    if did.to_string() != report.orchestrator {
        return Err(ReportError::WrongSigner(did.verification_method()));
    }
    data_integrity::sign(
        &report.to_unsigned(),
        ProofOptions::assertion(&did, created),
        key,
    )
    .map_err(|e| malformed(e.to_string()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReport {
    id: String,
    orchestrator: String,
    created: String,
    events: Vec<Value>,
    #[serde(rename = "proof")]
    _proof: Value,
}

/// Verifies a signed usage report (see the module docs for the rules).
pub fn verify_report(doc: &Value) -> Result<VerifiedReport, ReportError> {
    if !doc.is_object() {
        return Err(malformed("a usage report must be a JSON object"));
    }
    let raw: RawReport =
        serde_json::from_value(doc.clone()).map_err(|e| malformed(e.to_string()))?;
    let did = orchestrator_did(&raw.orchestrator)?;
    check_proof(doc, &did)?;

    let created = parse_utc(&raw.created)
        .ok_or_else(|| malformed("created must be an RFC 3339 UTC date-time (…Z)"))?;
    if raw.events.is_empty() || raw.events.len() > MAX_EVENTS_PER_REPORT {
        return Err(malformed(format!(
            "events must list 1 to {MAX_EVENTS_PER_REPORT} events"
        )));
    }
    let events = raw
        .events
        .iter()
        .enumerate()
        .map(|(index, v)| {
            UsageEvent::from_json(v).map_err(|e| ReportError::InvalidEvent { index, detail: e.0 })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let report = UsageReport {
        id: raw.id,
        orchestrator: raw.orchestrator,
        created,
        events,
    };
    report.check()?;
    Ok(VerifiedReport {
        report,
        report_hash: jcs_hash(doc).map_err(|e| malformed(e.to_string()))?,
    })
}

/// Exactly one `assertionMethod` proof, by `did`'s verification method, that
/// verifies.
fn check_proof(doc: &Value, did: &DidKey) -> Result<(), ReportError> {
    let proof = match doc.get("proof") {
        Some(Value::Object(p)) => p,
        Some(Value::Array(_)) => {
            return Err(malformed("exactly one proof is allowed, not a proof set"))
        }
        _ => return Err(malformed("proof must be an object")),
    };
    let vm = did.verification_method();
    match proof.get("verificationMethod").and_then(Value::as_str) {
        None => return Err(malformed("proof.verificationMethod is missing")),
        Some(found) if found != vm => return Err(ReportError::WrongSigner(found.to_owned())),
        Some(_) => {}
    }
    if proof.get("proofPurpose").and_then(Value::as_str) != Some(ASSERTION_METHOD) {
        return Err(malformed("proof.proofPurpose must be assertionMethod"));
    }
    let key = did.public_key();
    data_integrity::verify(doc, |v| (v == vm).then_some(key))
        .map(|_| ())
        .map_err(|e| match e {
            DataIntegrityError::InvalidSignature(_) | DataIntegrityError::ContextMismatch => {
                ReportError::BadSignature
            }
            DataIntegrityError::UnknownVerificationMethod(v) => ReportError::WrongSigner(v),
            other => malformed(other.to_string()),
        })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::event::tests::{event, t};
    use crate::event::AssetRefs;

    pub(crate) fn orchestrator() -> SigningKey {
        SigningKey::from_seed(&[31; 32])
    }

    pub(crate) fn report(n: usize) -> UsageReport {
        UsageReport {
            id: "urn:uuid:00000000-0000-4000-8000-00000000000a".into(),
            orchestrator: DidKey::from_public_key(orchestrator().public_key()).to_string(),
            created: t("2026-03-01T12:00:05Z"),
            events: (0..n).map(|i| event(&format!("e{i}"))).collect(),
        }
    }

    pub(crate) fn signed(n: usize) -> Value {
        sign_report(&report(n), &orchestrator(), t("2026-03-01T12:00:06Z")).unwrap()
    }

    #[test]
    fn sign_and_verify() {
        let doc = signed(3);
        assert_eq!(doc["proof"]["proofPurpose"], "assertionMethod");
        assert_eq!(
            doc["proof"]["verificationMethod"],
            DidKey::from_public_key(orchestrator().public_key()).verification_method()
        );
        let v = verify_report(&doc).unwrap();
        assert_eq!(v.report, report(3));
        assert_eq!(v.report_hash, jcs_hash(&doc).unwrap());
        // Member order and whitespace do not matter.
        let text = serde_json::to_string_pretty(&doc).unwrap();
        assert_eq!(verify_report(&serde_json::from_str(&text).unwrap()), Ok(v));
    }

    #[test]
    fn orchestrator_may_send_epochless_events() {
        // The orchestrator signs its own JSON; `epoch` left out is fine.
        let mut unsigned = report(1).to_unsigned();
        unsigned["events"][0]
            .as_object_mut()
            .unwrap()
            .remove("epoch");
        let did = DidKey::from_public_key(orchestrator().public_key());
        let doc = data_integrity::sign(
            &unsigned,
            ProofOptions::assertion(&did, t("2026-03-01T12:00:06Z")),
            &orchestrator(),
        )
        .unwrap();
        let v = verify_report(&doc).unwrap();
        assert_eq!(v.report.events[0].epoch, 0);
    }

    #[test]
    fn tampering_is_a_bad_signature() {
        let doc = signed(2);
        for (pointer, value) in [
            ("/events/1/samples_count", json!(513)),
            ("/created", json!("2026-03-01T12:00:07Z")),
            (
                "/events/0/asset_hashes/0",
                json!(Sha256Digest::of(b"z").to_string()),
            ),
        ] {
            let mut changed = doc.clone();
            *changed.pointer_mut(pointer).unwrap() = value;
            let err = verify_report(&changed).unwrap_err();
            assert_eq!(err, ReportError::BadSignature, "{pointer}");
            assert!(err.is_signature_error());
        }
        let mut changed = doc.clone();
        changed["proof"]["proofValue"] = json!("z1111");
        assert!(verify_report(&changed).is_err());
    }

    #[test]
    fn only_the_orchestrators_key_counts() {
        let rogue = SigningKey::from_seed(&[32; 32]);
        // Signing refuses a key that is not the orchestrator's.
        assert!(matches!(
            sign_report(&report(1), &rogue, t("2026-03-01T12:00:06Z")),
            Err(ReportError::WrongSigner(_))
        ));
        // A report in the orchestrator's name, signed by another key.
        let rogue_did = DidKey::from_public_key(rogue.public_key());
        let forged = data_integrity::sign(
            &report(1).to_unsigned(),
            ProofOptions::assertion(&rogue_did, t("2026-03-01T12:00:06Z")),
            &rogue,
        )
        .unwrap();
        let err = verify_report(&forged).unwrap_err();
        assert!(matches!(err, ReportError::WrongSigner(_)), "{err:?}");
        assert!(err.is_signature_error());
        // Renaming the orchestrator after signing breaks the signature or signer.
        let mut renamed = signed(1);
        renamed["orchestrator"] = json!(rogue_did.to_string());
        assert!(matches!(
            verify_report(&renamed),
            Err(ReportError::WrongSigner(_))
        ));
    }

    #[test]
    fn proof_shape() {
        let doc = signed(1);
        let mut set = doc.clone();
        set["proof"] = json!([doc["proof"].clone()]);
        assert!(matches!(
            verify_report(&set),
            Err(ReportError::Malformed(_))
        ));
        let mut none = doc.clone();
        none.as_object_mut().unwrap().remove("proof");
        assert!(matches!(
            verify_report(&none),
            Err(ReportError::Malformed(_))
        ));
        let mut purpose = doc.clone();
        purpose["proof"]["proofPurpose"] = json!("authentication");
        assert!(matches!(
            verify_report(&purpose),
            Err(ReportError::Malformed(_))
        ));
        let mut suite = doc.clone();
        suite["proof"]["cryptosuite"] = json!("eddsa-rdfc-2022");
        assert!(matches!(
            verify_report(&suite),
            Err(ReportError::Malformed(_))
        ));
        let mut vm = doc;
        vm["proof"]
            .as_object_mut()
            .unwrap()
            .remove("verificationMethod");
        assert!(matches!(verify_report(&vm), Err(ReportError::Malformed(_))));
    }

    /// Signs whatever document it is given, so the field rules are reached.
    fn resign(mut doc: Value) -> Value {
        doc.as_object_mut().unwrap().remove("proof");
        let did = DidKey::from_public_key(orchestrator().public_key());
        data_integrity::sign(
            &doc,
            ProofOptions::assertion(&did, t("2026-03-01T12:00:06Z")),
            &orchestrator(),
        )
        .unwrap()
    }

    #[test]
    fn report_level_rules() {
        let doc = signed(2);
        for (member, value) in [
            ("id", json!("report-1")),
            ("created", json!("2026-03-01T13:00:05+01:00")),
            ("created", json!(5)),
            ("events", json!([])),
            ("events", json!({})),
            ("extra", json!(1)),
        ] {
            let mut changed = doc.clone();
            changed[member] = value.clone();
            let err = verify_report(&resign(changed)).unwrap_err();
            assert!(matches!(err, ReportError::Malformed(_)), "{member}={value}");
            assert!(!err.is_signature_error());
        }
        let mut no_id = doc.clone();
        no_id.as_object_mut().unwrap().remove("id");
        assert!(matches!(
            verify_report(&resign(no_id)),
            Err(ReportError::Malformed(_))
        ));
        let mut bad_did = doc.clone();
        bad_did["orchestrator"] = json!("did:web:example.com");
        assert!(matches!(
            verify_report(&bad_did),
            Err(ReportError::Malformed(_))
        ));
        assert!(matches!(
            verify_report(&json!([1])),
            Err(ReportError::Malformed(_))
        ));
    }

    #[test]
    fn event_errors_name_the_event() {
        let doc = signed(3);
        let mut changed = doc.clone();
        changed["events"][2]["samples_count"] = json!(0);
        assert_eq!(
            verify_report(&resign(changed)).unwrap_err(),
            ReportError::InvalidEvent {
                index: 2,
                detail: "samples_count must be 1 to 1000000000".into()
            }
        );
        let mut changed = doc.clone();
        changed["events"][1]["gpu"] = json!("h100");
        let err = verify_report(&resign(changed)).unwrap_err();
        assert!(
            matches!(err, ReportError::InvalidEvent { index: 1, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("events[1]"), "{err}");
        assert!(!err.is_signature_error());
        let mut changed = doc;
        changed["events"][2]["event_id"] = json!("e0");
        assert!(matches!(
            verify_report(&resign(changed)),
            Err(ReportError::InvalidEvent { index: 2, .. })
        ));
    }

    #[test]
    fn event_count_limits() {
        let mut r = report(1);
        let base = r.events[0].clone();
        r.events = (0..MAX_EVENTS_PER_REPORT)
            .map(|i| {
                let mut e = base.clone();
                e.event_id = format!("e{i}");
                e.assets = AssetRefs::LeafIndexes(vec![i as u64]);
                e
            })
            .collect();
        let doc = sign_report(&r, &orchestrator(), t("2026-03-01T12:00:06Z")).unwrap();
        assert_eq!(
            verify_report(&doc).unwrap().report.events.len(),
            MAX_EVENTS_PER_REPORT
        );
        let mut more = r.clone();
        let mut extra = base;
        extra.event_id = "one-more".into();
        more.events.push(extra);
        assert!(matches!(
            sign_report(&more, &orchestrator(), t("2026-03-01T12:00:06Z")),
            Err(ReportError::Malformed(_))
        ));
        let mut empty = r;
        empty.events.clear();
        assert!(matches!(empty.check(), Err(ReportError::Malformed(_))));
    }

    #[test]
    fn signing_checks_the_report() {
        let mut r = report(2);
        r.events[1].event_id = "e0".into();
        assert!(matches!(
            sign_report(&r, &orchestrator(), t("2026-03-01T12:00:06Z")),
            Err(ReportError::InvalidEvent { index: 1, .. })
        ));
        let mut r = report(1);
        r.id = "nope".into();
        assert!(sign_report(&r, &orchestrator(), t("2026-03-01T12:00:06Z")).is_err());
    }
}
