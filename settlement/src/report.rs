//! The reconciliation report: a W3C Verifiable Credential 2.0
//! (`ReconciliationReport`) signed by the platform, recording which checks a
//! reconciliation run made and every [`Mismatch`] it found (none: clean).
//!
//! ```json
//! { "@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:uuid:<reconciliation id>",
//!   "type": ["VerifiableCredential", "ReconciliationReport"],
//!   "issuer": "did:key:<platform>", "validFrom": "<checked_at>",
//!   "credentialSubject": {
//!     "reconciliation_id": "urn:uuid:…", "settlement_id": "urn:uuid:…",
//!     "checked_at": "…Z", "checks_run": ["receipts_vs_ledger", "payout_lines"],
//!     "mismatches": [ { "kind": "payout_unconfirmed", "subject": "urn:uuid:…",
//!                       "expected": "1250 USD confirmed", "found": "no confirmation" } ] },
//!   "proof": { … } }
//! ```
//!
//! `settlement_id` is absent for a run not tied to one settlement.
//! `checks_run` lists each check once (1..=200 printable ASCII each, at
//! least one check).

use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::json_shape;
use fairtrain_core::key_set::PublishedKey;
use fairtrain_core::time::Timestamp;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::credential;
use crate::error::{malformed, SettlementError};
use crate::reconcile::Mismatch;
use crate::text::{all_distinct, check_token, check_urn_uuid, time};
use fairtrain_core::signed_document::{sign_document, verify_document, Format};

/// The credential's own type (besides `VerifiableCredential`).
pub const RECONCILIATION_REPORT_TYPE: &str = "ReconciliationReport";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFields {
    /// `urn:uuid:…`: also the credential's `id`.
    pub reconciliation_id: String,
    pub settlement_id: Option<String>,
    /// Also the credential's `validFrom`.
    pub checked_at: Timestamp,
    pub checks_run: Vec<String>,
    pub mismatches: Vec<Mismatch>,
}

impl ReportFields {
    pub fn is_clean(&self) -> bool {
        self.mismatches.is_empty()
    }

    pub fn check(&self) -> Result<(), SettlementError> {
        check_urn_uuid("reconciliation_id", &self.reconciliation_id)?;
        if let Some(id) = &self.settlement_id {
            check_urn_uuid("settlement_id", id)?;
        }
        if self.checks_run.is_empty() {
            return Err(malformed("checks_run must name at least one check"));
        }
        for name in &self.checks_run {
            check_token("checks_run", name)?;
        }
        if !all_distinct(&self.checks_run) {
            return Err(malformed("checks_run lists a check twice"));
        }
        self.mismatches.iter().try_for_each(Mismatch::check)
    }

    pub fn to_unsigned(&self, issuer: &DidKey) -> Value {
        let mut subject = json!({
            "reconciliation_id": self.reconciliation_id,
            "checked_at": self.checked_at.format_rfc3339(),
            "checks_run": self.checks_run,
            "mismatches": self.mismatches,
        });
        if let (Some(id), Some(object)) = (&self.settlement_id, subject.as_object_mut()) {
            object.insert("settlement_id".into(), json!(id));
        }
        json_shape::credential(
            RECONCILIATION_REPORT_TYPE,
            &self.reconciliation_id,
            issuer,
            self.checked_at,
            subject,
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedReport {
    pub fields: ReportFields,
    pub issuer: DidKey,
    pub signed_by: PublishedKey,
    pub signed_at: Timestamp,
}

/// SHA-256 of the JCS form of the signed report: what a log entry about the
/// run names.
pub fn report_hash(doc: &Value) -> Result<Sha256Digest, SettlementError> {
    fairtrain_core::fields::jcs_hash(doc).map_err(|e| malformed(e.to_string()))
}

pub fn sign_report(
    fields: ReportFields,
    key: &SigningKey,
    now: Timestamp,
) -> Result<Value, SettlementError> {
    sign_document(&FORMAT, &fields, key, now)
}

pub fn verify_report(
    doc: &Value,
    platform_keys: &[PublishedKey],
) -> Result<VerifiedReport, SettlementError> {
    let v = verify_document(&FORMAT, doc, platform_keys)?;
    Ok(VerifiedReport {
        fields: v.fields,
        issuer: v.issuer,
        signed_by: v.signed_by.clone(),
        signed_at: v.signed_at,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubject {
    reconciliation_id: String,
    #[serde(default)]
    settlement_id: Option<String>,
    checked_at: String,
    checks_run: Vec<String>,
    mismatches: Vec<Mismatch>,
}

/// How a reconciliation report is checked, built and read; [`fairtrain_core::signed_document`]
/// does the rest.
const FORMAT: Format<ReportFields, DidKey, SettlementError> = Format {
    check: ReportFields::check,
    unsigned: ReportFields::to_unsigned,
    read,
};

fn read(doc: &Value) -> Result<(ReportFields, DidKey), SettlementError> {
    let parsed = credential::read_credential::<RawSubject>(doc, "reconciliation report")?;
    let s = parsed.subject;
    let fields = ReportFields {
        reconciliation_id: s.reconciliation_id,
        settlement_id: s.settlement_id,
        checked_at: time("checked_at", &s.checked_at)?,
        checks_run: s.checks_run,
        mismatches: s.mismatches,
    };
    Ok((fields, parsed.issuer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{platform, published_keys, rogue, t, uuid};
    use crate::reconcile::MismatchKind;

    fn fields(settlement: bool, mismatches: usize) -> ReportFields {
        ReportFields {
            reconciliation_id: uuid(5000),
            settlement_id: settlement.then(|| uuid(1000)),
            checked_at: t("2026-07-02T03:00:00Z"),
            checks_run: vec!["receipts_vs_ledger".into(), "payout_lines".into()],
            mismatches: (0..mismatches)
                .map(|i| {
                    Mismatch::new(
                        MismatchKind::PayoutUnconfirmed,
                        uuid(100 + i as u64),
                        "1100 USD confirmed",
                        "no confirmation",
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn sign_verify_and_tamper() {
        for (s, n) in [(true, 0), (false, 2)] {
            let doc = sign_report(fields(s, n), &platform(), t("2026-07-02T03:00:01Z")).unwrap();
            let v = verify_report(&doc, &published_keys()).unwrap();
            assert_eq!(v.fields, fields(s, n));
            assert_eq!(v.fields.is_clean(), n == 0);
            assert_eq!(
                report_hash(&doc).unwrap(),
                fairtrain_core::fields::jcs_hash(&doc).unwrap()
            );
            assert_eq!(doc["credentialSubject"].get("settlement_id").is_some(), s);
            assert_eq!(doc["validFrom"], doc["credentialSubject"]["checked_at"]);
            let mut changed = doc.clone();
            changed["credentialSubject"]["checks_run"] = json!(["payout_lines"]);
            assert_eq!(
                verify_report(&changed, &published_keys()),
                Err(SettlementError::BadSignature)
            );
        }
        // Hiding a mismatch breaks the signature.
        let doc = sign_report(fields(true, 2), &platform(), t("2026-07-02T03:00:01Z")).unwrap();
        let mut hidden = doc.clone();
        hidden["credentialSubject"]["mismatches"]
            .as_array_mut()
            .unwrap()
            .pop();
        assert_eq!(
            verify_report(&hidden, &published_keys()),
            Err(SettlementError::BadSignature)
        );
        let forged = sign_report(fields(true, 0), &rogue(), t("2026-07-02T03:00:01Z")).unwrap();
        assert!(matches!(
            verify_report(&forged, &published_keys()),
            Err(SettlementError::UnknownKey(_))
        ));
    }

    #[test]
    fn strict_shape_and_rules() {
        let doc = sign_report(fields(true, 1), &platform(), t("2026-07-02T03:00:01Z")).unwrap();
        for (parent, name, value) in [
            ("/credentialSubject", "extra", json!(1)),
            ("/credentialSubject", "settlement_id", json!(null)),
            ("/credentialSubject/mismatches/0", "kind", json!("weird")),
            ("/credentialSubject/mismatches/0", "note", json!("x")),
            (
                "/credentialSubject",
                "checked_at",
                json!("2026-07-02T03:00:00.000Z"),
            ),
            ("", "validFrom", json!("2026-07-02T04:00:00Z")),
        ] {
            let mut changed = doc.clone();
            changed.pointer_mut(parent).unwrap()[name] = value;
            changed.as_object_mut().unwrap().remove("proof");
            let resigned = fairtrain_core::signed_document::sign(
                &changed,
                &platform(),
                t("2026-07-02T03:00:01Z"),
            )
            .unwrap();
            assert!(
                matches!(
                    verify_report(&resigned, &published_keys()),
                    Err(SettlementError::Malformed(_))
                ),
                "{parent}/{name}"
            );
        }
        let mut f = fields(true, 0);
        f.checks_run.clear();
        assert!(sign_report(f, &platform(), t("2026-07-02T03:00:01Z")).is_err());
        let mut f = fields(true, 0);
        f.checks_run.push("payout_lines".into());
        assert!(f.check().is_err());
        let mut f = fields(true, 0);
        f.settlement_id = Some("s1".into());
        assert!(f.check().is_err());
        let mut f = fields(true, 1);
        f.mismatches[0].found = String::new();
        assert!(f.check().is_err());
    }
}
