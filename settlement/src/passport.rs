//! The model passport: a W3C Verifiable Credential 2.0 (`ModelPassport`)
//! signed by the platform, stating what a model was trained on (the signed
//! manifests, by hash), in which training runs, how much use it made and what
//! that accrued to creators, committing to the model's ledger lines by their
//! RFC 6962 root, and anchored to a checkpoint of the transparency log.
//!
//! ```json
//! { "@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:uuid:<passport id>",
//!   "type": ["VerifiableCredential", "ModelPassport"],
//!   "issuer": "did:key:<platform>", "validFrom": "…Z",
//!   "credentialSubject": {
//!     "model_id": "model-7b",
//!     "manifests": [ { "manifest_id": "urn:uuid:…", "snapshot_id": "urn:uuid:…",
//!                      "manifest_hash": "sha256:…" } ],
//!     "training_runs": ["run-2026-06"],
//!     "totals": { "events": 12, "samples": 24000,
//!                 "amounts": [ { "currency": "USD", "minor_units": 2,
//!                                "accrued": "1200000000000000000000" } ] },
//!     "usage_ledger_root": "<base64>", "usage_line_count": 40,
//!     "log_checkpoint": { "origin": "fairtrain.example/log", "size": 1234,
//!                         "root_hash": "<base64>" } },
//!   "proof": { … } }
//! ```
//!
//! `manifests` are listed once each by manifest id, `training_runs` once
//! each; `amounts` are sorted by currency. `events` and `samples` are the
//! Worker's counts of usage events and samples; with the lines at hand
//! [`check_passport_lines`] checks the root, line count, amounts, and that
//! every line is the model's, in a listed run and manifest.

use std::collections::BTreeMap;

use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::json_shape;
use fairtrain_core::key_set::PublishedKey;
use fairtrain_core::money::Atto;
use fairtrain_core::time::Timestamp;
use fairtrain_tlog::Hash;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::credential;
use crate::error::{malformed, SettlementError};
use crate::line::{usage_root, LedgerLine};
use crate::text::{
    all_distinct, check_currency, check_safe, check_token, check_urn_uuid, hash, is_free_text,
    strictly_ascending,
};
use fairtrain_core::signed_document::{sign_document, verify_document, Format};

/// The credential's own type (besides `VerifiableCredential`).
pub const MODEL_PASSPORT_TYPE: &str = "ModelPassport";

/// A manifest the model was trained on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassportManifest {
    pub manifest_id: String,
    pub snapshot_id: String,
    /// The signed manifest's JCS hash (`fairtrain_manifest::manifest_hash`).
    pub manifest_hash: Sha256Digest,
}

/// What the model's lines accrued in one currency.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmountTotal {
    pub currency: String,
    pub minor_units: u8,
    pub accrued: Atto,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassportTotals {
    /// Usage events reported (at most 2^53 - 1).
    pub events: u64,
    /// Samples used (at most 2^53 - 1).
    pub samples: u64,
    /// Sorted by currency.
    pub amounts: Vec<AmountTotal>,
}

/// The log checkpoint the passport is anchored to (C2SP tlog-checkpoint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogCheckpointRef {
    pub origin: String,
    pub size: u64,
    pub root_hash: Hash,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassportFields {
    /// `urn:uuid:…`: the credential's `id` (a new one per issue).
    pub passport_id: String,
    pub issued_at: Timestamp,
    pub model_id: String,
    pub manifests: Vec<PassportManifest>,
    pub training_runs: Vec<String>,
    pub totals: PassportTotals,
    /// RFC 6962 root over the model's ledger lines in the order given.
    pub usage_ledger_root: Hash,
    pub usage_line_count: u64,
    pub log_checkpoint: LogCheckpointRef,
}

/// What `lines` accrued per currency, sorted by currency.
pub fn amounts_by_currency(lines: &[LedgerLine]) -> Result<Vec<AmountTotal>, SettlementError> {
    let mut sums: BTreeMap<&str, AmountTotal> = BTreeMap::new();
    for line in lines {
        line.check()?;
        let t = sums.entry(&line.currency).or_insert_with(|| AmountTotal {
            currency: line.currency.clone(),
            minor_units: line.minor_units,
            accrued: Atto::ZERO,
        });
        if t.minor_units != line.minor_units {
            return Err(malformed(format!(
                "{} is given with {} and with {} minor units",
                line.currency, t.minor_units, line.minor_units
            )));
        }
        t.accrued = t.accrued.checked_add(line.amount)?;
    }
    Ok(sums.into_values().collect())
}

impl PassportFields {
    pub fn check(&self) -> Result<(), SettlementError> {
        check_urn_uuid("id", &self.passport_id)?;
        check_token("model_id", &self.model_id)?;
        for m in &self.manifests {
            check_urn_uuid("manifest_id", &m.manifest_id)?;
            check_urn_uuid("snapshot_id", &m.snapshot_id)?;
        }
        if !all_distinct(self.manifests.iter().map(|m| m.manifest_id.as_str())) {
            return Err(malformed("manifests lists a manifest twice"));
        }
        for run in &self.training_runs {
            check_token("training_runs", run)?;
        }
        if !all_distinct(&self.training_runs) {
            return Err(malformed("training_runs lists a run twice"));
        }
        check_safe("totals.events", self.totals.events)?;
        check_safe("totals.samples", self.totals.samples)?;
        for a in &self.totals.amounts {
            check_currency(&a.currency, a.minor_units)?;
        }
        let currencies: Vec<&str> = self
            .totals
            .amounts
            .iter()
            .map(|a| a.currency.as_str())
            .collect();
        if !strictly_ascending(&currencies) {
            return Err(malformed(
                "totals.amounts must be sorted by currency, each once",
            ));
        }
        check_safe("usage_line_count", self.usage_line_count)?;
        if !is_free_text(&self.log_checkpoint.origin, 255) {
            return Err(malformed("log_checkpoint.origin must be 1-255 characters"));
        }
        check_safe("log_checkpoint.size", self.log_checkpoint.size)
    }

    pub fn to_unsigned(&self, issuer: &DidKey) -> Value {
        let subject = json!({
            "model_id": self.model_id,
            "manifests": self.manifests,
            "training_runs": self.training_runs,
            "totals": self.totals,
            "usage_ledger_root": self.usage_ledger_root.to_base64(),
            "usage_line_count": self.usage_line_count,
            "log_checkpoint": {
                "origin": self.log_checkpoint.origin,
                "size": self.log_checkpoint.size,
                "root_hash": self.log_checkpoint.root_hash.to_base64(),
            },
        });
        json_shape::credential(
            MODEL_PASSPORT_TYPE,
            &self.passport_id,
            issuer,
            self.issued_at,
            subject,
        )
    }
}

/// Checks a passport against the model's ledger lines (in the order the root
/// was built over): root, count, amounts, and every line the model's, in a
/// listed training run and manifest.
pub fn check_passport_lines(
    fields: &PassportFields,
    lines: &[LedgerLine],
) -> Result<(), SettlementError> {
    let mismatch = |what: String| Err(SettlementError::StatementMismatch(what));
    if lines.len() as u64 != fields.usage_line_count
        || usage_root(lines)? != fields.usage_ledger_root
    {
        return mismatch("the lines do not make the passport's usage ledger root".into());
    }
    for line in lines {
        if line.model_id != fields.model_id {
            return mismatch(format!("line {} is another model's", line.event_id));
        }
        if !fields.training_runs.contains(&line.training_run_id) {
            return mismatch(format!(
                "line {}'s training run is not listed",
                line.event_id
            ));
        }
        if !fields
            .manifests
            .iter()
            .any(|m| m.manifest_id == line.manifest_id)
        {
            return mismatch(format!("line {}'s manifest is not listed", line.event_id));
        }
    }
    if amounts_by_currency(lines)? != fields.totals.amounts {
        return Err(SettlementError::Arithmetic(
            "totals.amounts are not the sums of the lines".into(),
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedPassport {
    pub fields: PassportFields,
    pub issuer: DidKey,
    pub signed_by: PublishedKey,
    pub signed_at: Timestamp,
}

pub fn sign_passport(
    fields: PassportFields,
    key: &SigningKey,
    now: Timestamp,
) -> Result<Value, SettlementError> {
    sign_document(&FORMAT, &fields, key, now)
}

pub fn verify_passport(
    doc: &Value,
    platform_keys: &[PublishedKey],
) -> Result<VerifiedPassport, SettlementError> {
    let v = verify_document(&FORMAT, doc, platform_keys)?;
    Ok(VerifiedPassport {
        fields: v.fields,
        issuer: v.issuer,
        signed_by: v.signed_by.clone(),
        signed_at: v.signed_at,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubject {
    model_id: String,
    manifests: Vec<PassportManifest>,
    training_runs: Vec<String>,
    totals: PassportTotals,
    usage_ledger_root: String,
    usage_line_count: u64,
    log_checkpoint: RawCheckpoint,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheckpoint {
    origin: String,
    size: u64,
    root_hash: String,
}

/// How a model passport is checked, built and read; [`fairtrain_core::signed_document`]
/// does the rest.
const FORMAT: Format<PassportFields, DidKey, SettlementError> = Format {
    check: PassportFields::check,
    unsigned: PassportFields::to_unsigned,
    read,
};

fn read(doc: &Value) -> Result<(PassportFields, DidKey), SettlementError> {
    let parsed = credential::read_credential::<RawSubject>(doc, "model passport")?;
    let s = parsed.subject;
    let fields = PassportFields {
        passport_id: parsed.id,
        issued_at: parsed.valid_from,
        model_id: s.model_id,
        manifests: s.manifests,
        training_runs: s.training_runs,
        totals: s.totals,
        usage_ledger_root: hash("usage_ledger_root", &s.usage_ledger_root)?,
        usage_line_count: s.usage_line_count,
        log_checkpoint: LogCheckpointRef {
            origin: s.log_checkpoint.origin,
            size: s.log_checkpoint.size,
            root_hash: hash("log_checkpoint.root_hash", &s.log_checkpoint.root_hash)?,
        },
    };
    Ok((fields, parsed.issuer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{platform, published_keys, rogue, settlement_lines, t, uuid};

    fn fields() -> PassportFields {
        let lines = settlement_lines();
        PassportFields {
            passport_id: uuid(4000),
            issued_at: t("2026-07-02T00:00:00Z"),
            model_id: "model-7b".into(),
            manifests: vec![PassportManifest {
                manifest_id: uuid(1),
                snapshot_id: uuid(2),
                manifest_hash: Sha256Digest::of(b"manifest"),
            }],
            training_runs: vec!["run-1".into()],
            totals: PassportTotals {
                events: 4,
                samples: lines.iter().map(|l| l.units).sum(),
                amounts: amounts_by_currency(&lines).unwrap(),
            },
            usage_ledger_root: usage_root(&lines).unwrap(),
            usage_line_count: lines.len() as u64,
            log_checkpoint: LogCheckpointRef {
                origin: "fairtrain.example/log".into(),
                size: 1234,
                root_hash: fairtrain_tlog::leaf_hash(b"cp"),
            },
        }
    }

    fn signed() -> Value {
        sign_passport(fields(), &platform(), t("2026-07-02T00:00:00Z")).unwrap()
    }

    #[test]
    fn sign_verify_and_check_lines() {
        let doc = signed();
        assert_eq!(doc["type"][1], MODEL_PASSPORT_TYPE);
        assert_eq!(
            doc["credentialSubject"]["totals"]["amounts"][0]["currency"],
            "EUR"
        );
        let v = verify_passport(&doc, &published_keys()).unwrap();
        assert_eq!(v.fields, fields());
        check_passport_lines(&v.fields, &settlement_lines()).unwrap();
        let mut lines = settlement_lines();
        lines.pop();
        assert!(check_passport_lines(&v.fields, &lines).is_err());
        let mut other = fields();
        other.training_runs = vec!["run-2".into()];
        assert!(check_passport_lines(&other, &settlement_lines()).is_err());
        let mut other = fields();
        other.manifests[0].manifest_id = uuid(9);
        assert!(check_passport_lines(&other, &settlement_lines()).is_err());
        let mut other = fields();
        other.model_id = "model-x".into();
        assert!(check_passport_lines(&other, &settlement_lines()).is_err());
        let mut other = fields();
        other.totals.amounts[0].accrued = Atto(1);
        assert!(matches!(
            check_passport_lines(&other, &settlement_lines()),
            Err(SettlementError::Arithmetic(_))
        ));
    }

    #[test]
    fn tampering_wrong_key_and_shape() {
        let doc = signed();
        let mut changed = doc.clone();
        changed["credentialSubject"]["totals"]["samples"] = json!(1);
        assert_eq!(
            verify_passport(&changed, &published_keys()),
            Err(SettlementError::BadSignature)
        );
        let forged = sign_passport(fields(), &rogue(), t("2026-07-02T00:00:00Z")).unwrap();
        assert!(matches!(
            verify_passport(&forged, &published_keys()),
            Err(SettlementError::UnknownKey(_))
        ));
        for (parent, name, value) in [
            ("/credentialSubject", "extra", json!(1)),
            (
                "/credentialSubject/totals",
                "events",
                json!(9007199254740992u64),
            ),
            ("/credentialSubject/totals/amounts/0", "accrued", json!(5)),
            (
                "/credentialSubject/log_checkpoint",
                "root_hash",
                json!("AAAA"),
            ),
            (
                "/credentialSubject/manifests/0",
                "manifest_hash",
                json!("sha256:00"),
            ),
            (
                "/credentialSubject",
                "training_runs",
                json!(["run-1", "run-1"]),
            ),
        ] {
            let mut changed = doc.clone();
            changed.pointer_mut(parent).unwrap()[name] = value;
            changed.as_object_mut().unwrap().remove("proof");
            let resigned = fairtrain_core::signed_document::sign(
                &changed,
                &platform(),
                t("2026-07-02T00:00:00Z"),
            )
            .unwrap();
            assert!(
                matches!(
                    verify_passport(&resigned, &published_keys()),
                    Err(SettlementError::Malformed(_))
                ),
                "{parent}/{name}"
            );
        }
        let mut f = fields();
        f.totals.amounts.reverse();
        assert!(sign_passport(f, &platform(), t("2026-07-02T00:00:00Z")).is_err());
        let mut f = fields();
        f.manifests.push(f.manifests[0].clone());
        assert!(sign_passport(f, &platform(), t("2026-07-02T00:00:00Z")).is_err());
    }
}
