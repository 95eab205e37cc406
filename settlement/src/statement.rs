//! The settlement statement: a W3C Verifiable Credential 2.0
//! (`SettlementStatement`) signed by the platform's active key with
//! `eddsa-jcs-2022`, stating what a settlement paid and carried, per creator
//! and per currency, and committing to its ledger lines by their usage root.
//!
//! ```json
//! { "@context": ["https://www.w3.org/ns/credentials/v2"],
//!   "id": "urn:uuid:<settlement id>",
//!   "type": ["VerifiableCredential", "SettlementStatement"],
//!   "issuer": "did:key:<platform>", "validFrom": "2026-07-01T00:05:00Z",
//!   "credentialSubject": {
//!     "settlement_id": "urn:uuid:<settlement id>",
//!     "period_start": "2026-06-01T00:00:00Z", "period_end": "2026-07-01T00:00:00Z",
//!     "usage_root": "<base64 RFC 6962 root over the lines>", "line_count": 17,
//!     "currency_totals": [ { "currency": "USD", "minor_units": 2, "carried_in": "7",
//!         "accrued": "1250000000000000000000", "paid_minor": "1250", "carried_out": "7" } ],
//!     "payouts": [ { "line_id": "urn:uuid:…", "creator": "did:key:z6Mk…",
//!         "currency": "USD", "minor_units": 2, "carried_in": "7",
//!         "accrued": "1250000000000000000000", "amount_minor": "1250",
//!         "carried_out": "7", "line_count": 17 } ] },
//!   "proof": { … } }
//! ```
//!
//! Verification is strict (the document must be exactly what
//! [`SettlementFields::to_unsigned`] builds from its typed fields), the one
//! proof is by a published platform key valid when it signed, the issuer is
//! that key's did:key, and the arithmetic holds: every payout line's
//! invariant ([`crate::payout`]), payouts sorted by (creator, currency) and
//! listed once, their line counts summing to `line_count`, and
//! `currency_totals` equal to the sums of the payouts.
//!
//! With the lines at hand, [`check_statement_lines`] checks the root and each
//! payout's `accrued` and `line_count`; with the previous statement,
//! [`check_carry_chain`] checks that every balance carried out was carried in.

use std::collections::BTreeMap;

use fairtrain_consent::log_event::{self, LogEvent};
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
use crate::payout::{currency_totals, CurrencyTotal, RawCurrencyTotal, RawPayout, StatementPayout};
use crate::text::{all_distinct, check_safe, check_urn_uuid, hash, time};
use fairtrain_core::signed_document::{sign_document, verify_document, Format};

/// The credential's own type (besides `VerifiableCredential`).
pub const SETTLEMENT_STATEMENT_TYPE: &str = "SettlementStatement";

/// Everything a settlement statement states; the issuer is the signing key's
/// did:key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementFields {
    /// `urn:uuid:…`: also the credential's `id`.
    pub settlement_id: String,
    /// The credential's `validFrom`: not before `period_end`.
    pub issued_at: Timestamp,
    /// The period settled, `[period_start, period_end)`.
    pub period_start: Timestamp,
    pub period_end: Timestamp,
    /// RFC 6962 root over the settlement's ledger lines, in its order.
    pub usage_root: Hash,
    /// How many ledger lines (the usage tree's size).
    pub line_count: u64,
    /// Sorted by currency; the sums of `payouts`.
    pub currency_totals: Vec<CurrencyTotal>,
    /// Sorted by (creator, currency), each once.
    pub payouts: Vec<StatementPayout>,
}

impl SettlementFields {
    /// The fields for a settlement of `lines` (in the order given: it fixes
    /// the usage tree) whose payouts ([`crate::compute::compute_payouts`],
    /// each with its line id) are `payouts`. Computes the root, the line
    /// count and the totals, and checks the payouts against the lines.
    pub fn new(
        settlement_id: impl Into<String>,
        issued_at: Timestamp,
        period_start: Timestamp,
        period_end: Timestamp,
        lines: &[LedgerLine],
        payouts: Vec<StatementPayout>,
    ) -> Result<SettlementFields, SettlementError> {
        let fields = SettlementFields {
            settlement_id: settlement_id.into(),
            issued_at,
            period_start,
            period_end,
            usage_root: usage_root(lines)?,
            line_count: lines.len() as u64,
            currency_totals: currency_totals(payouts.iter().map(|p| &p.payout))?,
            payouts,
        };
        fields.check()?;
        check_statement_lines(&fields, lines)?;
        Ok(fields)
    }

    /// The fields from a period summed line by line ([`crate::Accumulator`]),
    /// for settlements too large to hold in memory: the root and line count
    /// come from the accumulator, the payouts from its sums.
    pub fn from_accumulated(
        settlement_id: impl Into<String>,
        issued_at: Timestamp,
        period_start: Timestamp,
        period_end: Timestamp,
        acc: &crate::compute::Accumulator,
        payouts: Vec<StatementPayout>,
    ) -> Result<SettlementFields, SettlementError> {
        let fields = SettlementFields {
            settlement_id: settlement_id.into(),
            issued_at,
            period_start,
            period_end,
            usage_root: acc.usage_root(),
            line_count: acc.line_count(),
            currency_totals: currency_totals(payouts.iter().map(|p| &p.payout))?,
            payouts,
        };
        fields.check()?;
        for p in &fields.payouts {
            let (accrued, count) = acc.accrued(&p.payout.creator, &p.payout.currency);
            if accrued != p.payout.accrued || count != p.payout.line_count {
                return Err(SettlementError::StatementMismatch(format!(
                    "payout {} does not match its lines",
                    p.line_id
                )));
            }
        }
        Ok(fields)
    }

    /// The field rules and the arithmetic (see the module docs).
    pub fn check(&self) -> Result<(), SettlementError> {
        check_urn_uuid("settlement_id", &self.settlement_id)?;
        if self.period_end <= self.period_start {
            return Err(malformed("period_end must be after period_start"));
        }
        if self.issued_at < self.period_end {
            return Err(malformed(
                "a settlement statement cannot be issued before its period ends",
            ));
        }
        check_safe("line_count", self.line_count)?;
        for p in &self.payouts {
            p.check()?;
        }
        if !all_distinct(self.payouts.iter().map(|p| p.line_id.as_str())) {
            return Err(malformed("payouts: a line_id is used twice"));
        }
        let sorted = self.payouts.windows(2).all(|w| {
            (&w[0].payout.creator, &w[0].payout.currency)
                < (&w[1].payout.creator, &w[1].payout.currency)
        });
        if !sorted {
            return Err(malformed(
                "payouts must be sorted by (creator, currency), each once",
            ));
        }
        let counted = self
            .payouts
            .iter()
            .try_fold(0u64, |n, p| n.checked_add(p.payout.line_count))
            .ok_or(SettlementError::Overflow)?;
        if counted != self.line_count {
            return Err(SettlementError::Arithmetic(format!(
                "the payouts account for {counted} lines, the statement for {}",
                self.line_count
            )));
        }
        if currency_totals(self.payouts.iter().map(|p| &p.payout))? != self.currency_totals {
            return Err(SettlementError::Arithmetic(
                "currency_totals are not the sums of the payouts".into(),
            ));
        }
        Ok(())
    }

    /// The unsigned credential, issued by `issuer`.
    pub fn to_unsigned(&self, issuer: &DidKey) -> Value {
        let subject = json!({
            "settlement_id": self.settlement_id,
            "period_start": self.period_start.format_rfc3339(),
            "period_end": self.period_end.format_rfc3339(),
            "usage_root": self.usage_root.to_base64(),
            "line_count": self.line_count,
            "currency_totals": self.currency_totals.iter().map(CurrencyTotal::to_json).collect::<Vec<_>>(),
            "payouts": self.payouts.iter().map(StatementPayout::to_json).collect::<Vec<_>>(),
        });
        json_shape::credential(
            SETTLEMENT_STATEMENT_TYPE,
            &self.settlement_id,
            issuer,
            self.issued_at,
            subject,
        )
    }

    /// The payout line with this id.
    pub fn payout(&self, line_id: &str) -> Option<&StatementPayout> {
        self.payouts.iter().find(|p| p.line_id == line_id)
    }

    /// A creator's payout lines (one per currency).
    pub fn payouts_of<'a>(&'a self, creator: &'a str) -> impl Iterator<Item = &'a StatementPayout> {
        self.payouts
            .iter()
            .filter(move |p| p.payout.creator == creator)
    }
}

/// The `settlement.made` log event for the signed statement whose
/// [`statement_hash`] is `statement_hash`.
pub fn settlement_made_event(
    fields: &SettlementFields,
    statement_hash: Sha256Digest,
    at: Timestamp,
) -> LogEvent {
    LogEvent::SettlementMade {
        v: log_event::SCHEMA_VERSION,
        at,
        settlement_id: fields.settlement_id.clone(),
        statement_hash,
        usage_root: fields.usage_root.to_base64(),
        period_start: fields.period_start,
        period_end: fields.period_end,
    }
}

/// SHA-256 of the JCS form of the signed statement: what the log entry and
/// creator statements name.
pub fn statement_hash(doc: &Value) -> Result<Sha256Digest, SettlementError> {
    fairtrain_core::fields::jcs_hash(doc).map_err(|e| malformed(e.to_string()))
}

/// A statement that verified against the platform's keys.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedSettlement {
    pub fields: SettlementFields,
    pub issuer: DidKey,
    pub signed_by: PublishedKey,
    pub signed_at: Timestamp,
    pub statement_hash: Sha256Digest,
}

/// Signs a statement with the platform's active key (proof `created` = `now`).
pub fn sign_settlement(
    fields: SettlementFields,
    key: &SigningKey,
    now: Timestamp,
) -> Result<Value, SettlementError> {
    sign_document(&FORMAT, &fields, key, now)
}

/// Verifies a signed statement against the platform's published keys (from
/// a key set [`fairtrain_core::key_set::verify`] accepted).
pub fn verify_settlement(
    doc: &Value,
    platform_keys: &[PublishedKey],
) -> Result<VerifiedSettlement, SettlementError> {
    let v = verify_document(&FORMAT, doc, platform_keys)?;
    Ok(VerifiedSettlement {
        fields: v.fields,
        issuer: v.issuer,
        signed_by: v.signed_by.clone(),
        signed_at: v.signed_at,
        statement_hash: statement_hash(doc)?,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubject {
    settlement_id: String,
    period_start: String,
    period_end: String,
    usage_root: String,
    line_count: u64,
    currency_totals: Vec<RawCurrencyTotal>,
    payouts: Vec<RawPayout>,
}

/// How a settlement statement is checked, built and read; [`fairtrain_core::signed_document`]
/// does the rest.
const FORMAT: Format<SettlementFields, DidKey, SettlementError> = Format {
    check: SettlementFields::check,
    unsigned: SettlementFields::to_unsigned,
    read,
};

fn read(doc: &Value) -> Result<(SettlementFields, DidKey), SettlementError> {
    let parsed = credential::read_credential::<RawSubject>(doc, "settlement statement")?;
    let s = parsed.subject;
    let fields = SettlementFields {
        settlement_id: s.settlement_id,
        issued_at: parsed.valid_from,
        period_start: time("period_start", &s.period_start)?,
        period_end: time("period_end", &s.period_end)?,
        usage_root: hash("usage_root", &s.usage_root)?,
        line_count: s.line_count,
        currency_totals: s
            .currency_totals
            .into_iter()
            .map(RawCurrencyTotal::into_total)
            .collect::<Result<_, _>>()?,
        payouts: s
            .payouts
            .into_iter()
            .map(RawPayout::into_payout)
            .collect::<Result<_, _>>()?,
    };
    Ok((fields, parsed.issuer))
}

/// Checks a statement against its ledger lines (in the settlement's order):
/// the usage root and line count, and each payout's `accrued` and
/// `line_count` against the lines of its creator and currency; every line
/// has its payout. (Carried balances are checked by [`check_carry_chain`].)
pub fn check_statement_lines(
    fields: &SettlementFields,
    lines: &[LedgerLine],
) -> Result<(), SettlementError> {
    let mismatch = |what: String| Err(SettlementError::StatementMismatch(what));
    if lines.len() as u64 != fields.line_count {
        return mismatch(format!(
            "{} lines given, the statement has {}",
            lines.len(),
            fields.line_count
        ));
    }
    if usage_root(lines)? != fields.usage_root {
        return mismatch("the lines do not make the statement's usage root".into());
    }
    let mut sums: BTreeMap<(&str, &str), (Atto, u64)> = BTreeMap::new();
    for line in lines {
        let (sum, n) = sums
            .entry((&line.creator, &line.currency))
            .or_insert((Atto::ZERO, 0));
        *sum = sum.checked_add(line.amount)?;
        *n += 1;
    }
    for sp in &fields.payouts {
        let p = &sp.payout;
        let (sum, n) = sums
            .remove(&(p.creator.as_str(), p.currency.as_str()))
            .unwrap_or((Atto::ZERO, 0));
        if (sum, n) != (p.accrued, p.line_count) {
            return Err(SettlementError::Arithmetic(format!(
                "payout {}: the lines sum to {sum} in {n} lines, the statement says {} in {}",
                sp.line_id, p.accrued, p.line_count
            )));
        }
    }
    if let Some((creator, currency)) = sums.keys().next() {
        return mismatch(format!("no payout for {creator}'s lines in {currency}"));
    }
    Ok(())
}

/// Checks that `next` continues `previous`: its period starts where the
/// previous one ended, and every (creator, currency) carries in exactly what
/// the previous settlement carried out (nothing dropped, nothing invented).
pub fn check_carry_chain(
    previous: &SettlementFields,
    next: &SettlementFields,
) -> Result<(), SettlementError> {
    let mismatch = |what: String| Err(SettlementError::StatementMismatch(what));
    if next.period_start != previous.period_end {
        return mismatch(format!(
            "the period starts at {}, the previous one ended at {}",
            next.period_start.format_rfc3339(),
            previous.period_end.format_rfc3339()
        ));
    }
    let mut carried: BTreeMap<(&str, &str), Atto> = previous
        .payouts
        .iter()
        .filter(|p| p.payout.carried_out != Atto::ZERO)
        .map(|p| {
            (
                (p.payout.creator.as_str(), p.payout.currency.as_str()),
                p.payout.carried_out,
            )
        })
        .collect();
    for sp in &next.payouts {
        let p = &sp.payout;
        let expected = carried
            .remove(&(p.creator.as_str(), p.currency.as_str()))
            .unwrap_or(Atto::ZERO);
        if p.carried_in != expected {
            return mismatch(format!(
                "payout {} carries in {}, the previous settlement carried out {expected}",
                sp.line_id, p.carried_in
            ));
        }
    }
    if let Some(((creator, currency), amount)) = carried.into_iter().next() {
        return mismatch(format!(
            "{creator}'s {amount} atto-units of {currency} carried out were not carried in"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{
        creator, line, platform, published_keys, rogue, settlement, settlement_lines, t, uuid,
    };

    fn signed() -> Value {
        sign_settlement(settlement(), &platform(), t("2026-07-01T00:05:00Z")).unwrap()
    }

    #[test]
    fn sign_and_verify() {
        let doc = signed();
        assert_eq!(doc["type"][1], SETTLEMENT_STATEMENT_TYPE);
        assert_eq!(doc["id"], doc["credentialSubject"]["settlement_id"]);
        let v = verify_settlement(&doc, &published_keys()).unwrap();
        assert_eq!(v.fields, settlement());
        assert_eq!(v.signed_at, t("2026-07-01T00:05:00Z"));
        assert_eq!(v.statement_hash, statement_hash(&doc).unwrap());
        assert_eq!(v.signed_by, published_keys()[0]);
        check_statement_lines(&v.fields, &settlement_lines()).unwrap();
        // Survives a text round trip, in any member order.
        let text = serde_json::to_string_pretty(&doc).unwrap();
        let again = verify_settlement(&serde_json::from_str(&text).unwrap(), &published_keys());
        assert_eq!(again.unwrap(), v);
        let event = settlement_made_event(&v.fields, v.statement_hash, t("2026-07-01T00:05:01Z"));
        let entry = log_event::entry(event).unwrap();
        let text = String::from_utf8(entry.bytes).unwrap();
        assert!(text.contains(r#""type":"settlement.made""#), "{text}");
        assert!(text.contains(&v.fields.usage_root.to_base64()));
        assert_eq!(v.fields.payouts_of(&creator(1)).count(), 2);
        let first = &v.fields.payouts[0];
        assert_eq!(v.fields.payout(&first.line_id), Some(first));
    }

    #[test]
    fn tampering_fails() {
        let doc = signed();
        for (at, value) in [
            ("/credentialSubject/payouts/0/amount_minor", json!("1")),
            ("/credentialSubject/line_count", json!(99)),
            (
                "/credentialSubject/usage_root",
                json!(fairtrain_tlog::leaf_hash(b"x").to_base64()),
            ),
            ("/validFrom", json!("2026-07-02T00:00:00Z")),
        ] {
            let mut changed = doc.clone();
            *changed.pointer_mut(at).unwrap() = value;
            assert!(
                verify_settlement(&changed, &published_keys()).is_err(),
                "{at}"
            );
        }
        let mut changed = doc.clone();
        changed["credentialSubject"]["period_start"] = json!("2026-06-02T00:00:00Z");
        assert_eq!(
            verify_settlement(&changed, &published_keys()),
            Err(SettlementError::BadSignature)
        );
    }

    #[test]
    fn shape_is_strict() {
        let doc = signed();
        for (at, value) in [
            (
                "/@context",
                json!(["https://www.w3.org/2018/credentials/v1"]),
            ),
            ("/type", json!(["VerifiableCredential", "ManifestStatus"])),
            ("/id", json!(uuid(77))),
            ("/extra", json!(1)),
            ("/credentialSubject/extra", json!(1)),
            ("/credentialSubject/payouts/0/extra", json!(1)),
            ("/credentialSubject/currency_totals/0/extra", json!(1)),
            ("/credentialSubject/line_count", json!(4.0)),
            (
                "/credentialSubject/period_end",
                json!("2026-07-01T00:00:00.000Z"),
            ),
            ("/credentialSubject/payouts/0/carried_in", json!(0)),
            ("/credentialSubject/usage_root", json!("AAAA")),
            ("/issuer", json!("did:key:z6Mk")),
        ] {
            let mut changed = doc.clone();
            match changed.pointer_mut(at) {
                Some(slot) => *slot = value,
                None => {
                    let (parent, name) = at.rsplit_once('/').unwrap();
                    changed.pointer_mut(parent).unwrap()[name] = value;
                }
            }
            assert!(
                matches!(
                    verify_settlement(&changed, &published_keys()),
                    Err(SettlementError::Malformed(_))
                ),
                "{at}"
            );
        }
        assert!(verify_settlement(&json!([]), &published_keys()).is_err());
        let mut no_proof = doc.clone();
        no_proof.as_object_mut().unwrap().remove("proof");
        assert!(verify_settlement(&no_proof, &published_keys()).is_err());
    }

    /// Signs `doc` as the platform without any of the crate's checks: a
    /// correctly signed statement whose arithmetic is wrong.
    fn resign(mut doc: Value) -> Value {
        doc.as_object_mut().unwrap().remove("proof");
        fairtrain_core::signed_document::sign(&doc, &platform(), t("2026-07-01T00:05:00Z")).unwrap()
    }

    #[test]
    fn wrong_sums_fail_even_when_signed() {
        let doc = signed();
        let a = fairtrain_core::money::ATTO_PER_MINOR;
        // Pay one cent more and carry one cent less: the line's own invariant
        // still holds only if carried_out was >= 1 cent; here it breaks.
        let mut more = doc.clone();
        more["credentialSubject"]["payouts"][0]["amount_minor"] = json!("999");
        assert!(matches!(
            verify_settlement(&resign(more), &published_keys()),
            Err(SettlementError::Arithmetic(_))
        ));
        // Totals that are not the sums.
        let mut totals = doc.clone();
        let paid = totals["credentialSubject"]["currency_totals"][0]["paid_minor"]
            .as_str()
            .unwrap()
            .parse::<u128>()
            .unwrap();
        totals["credentialSubject"]["currency_totals"][0]["paid_minor"] =
            json!((paid + 1).to_string());
        assert!(matches!(
            verify_settlement(&resign(totals), &published_keys()),
            Err(SettlementError::Arithmetic(_))
        ));
        // A line count the payouts do not account for.
        let mut count = doc.clone();
        count["credentialSubject"]["line_count"] = json!(5);
        assert!(matches!(
            verify_settlement(&resign(count), &published_keys()),
            Err(SettlementError::Arithmetic(_))
        ));
        // Accrued raised along with carried_out: the line's invariant holds,
        // the totals do not.
        let mut accrued = doc.clone();
        let p = &mut accrued["credentialSubject"]["payouts"][0];
        let up =
            |v: &Value| json!((v.as_str().unwrap().parse::<u128>().unwrap() + a / 2).to_string());
        p["accrued"] = up(&p["accrued"]);
        p["carried_out"] = up(&p["carried_out"]);
        assert!(matches!(
            verify_settlement(&resign(accrued), &published_keys()),
            Err(SettlementError::Arithmetic(_))
        ));
        // Payouts out of order.
        let mut order = doc.clone();
        order["credentialSubject"]["payouts"]
            .as_array_mut()
            .unwrap()
            .reverse();
        assert!(matches!(
            verify_settlement(&resign(order), &published_keys()),
            Err(SettlementError::Malformed(_))
        ));
    }

    #[test]
    fn only_published_platform_keys_count() {
        let forged = sign_settlement(settlement(), &rogue(), t("2026-07-01T00:05:00Z")).unwrap();
        assert!(matches!(
            verify_settlement(&forged, &published_keys()),
            Err(SettlementError::UnknownKey(_))
        ));
        let late = vec![PublishedKey::describe(
            platform().public_key(),
            true,
            t("2026-08-01T00:00:00Z"),
            None,
        )];
        assert!(matches!(
            verify_settlement(&signed(), &late),
            Err(SettlementError::KeyNotValid(_))
        ));
        // Issued in another key's name, signed by a published key.
        let mut doc = signed();
        doc["issuer"] = json!(fairtrain_core::did_key::DidKey::from_public_key(
            rogue().public_key()
        )
        .to_string());
        assert_eq!(
            verify_settlement(&resign(doc), &published_keys()),
            Err(SettlementError::IssuerMismatch)
        );
    }

    #[test]
    fn field_rules() {
        let mut f = settlement();
        f.period_end = f.period_start;
        assert!(sign_settlement(f, &platform(), t("2026-07-01T00:05:00Z")).is_err());
        let mut f = settlement();
        f.issued_at = t("2026-06-30T00:00:00Z");
        assert!(f.check().is_err());
        let mut f = settlement();
        f.settlement_id = "s-1".into();
        assert!(f.check().is_err());
        let mut f = settlement();
        let id = f.payouts[0].line_id.clone();
        f.payouts[1].line_id = id;
        assert!(f.check().is_err());
    }

    #[test]
    fn lines_must_match() {
        let f = settlement();
        let mut lines = settlement_lines();
        lines.swap(0, 1);
        assert!(matches!(
            check_statement_lines(&f, &lines),
            Err(SettlementError::StatementMismatch(_))
        ));
        let lines = settlement_lines();
        assert!(check_statement_lines(&f, &lines[1..]).is_err());
        // Same root (built over the changed lines) but sums that differ.
        let mut changed = settlement();
        let mut lines = settlement_lines();
        lines[0].amount = Atto(lines[0].amount.0 + 1);
        changed.usage_root = usage_root(&lines).unwrap();
        assert!(matches!(
            check_statement_lines(&changed, &lines),
            Err(SettlementError::Arithmetic(_))
        ));
        // A line whose creator has no payout.
        let mut lines = settlement_lines();
        lines[0] = line(9, 0, 1, lines[0].amount.0);
        changed.usage_root = usage_root(&lines).unwrap();
        assert!(check_statement_lines(&changed, &lines).is_err());
        // `new` refuses payouts that do not match the lines.
        let f = settlement();
        assert!(SettlementFields::new(
            f.settlement_id.clone(),
            f.issued_at,
            f.period_start,
            f.period_end,
            &settlement_lines()[1..],
            f.payouts.clone(),
        )
        .is_err());
    }

    #[test]
    fn carry_chain() {
        let first = settlement();
        let carried = crate::compute::carried_balances(
            &first
                .payouts
                .iter()
                .map(|p| p.payout.clone())
                .collect::<Vec<_>>(),
        );
        assert!(!carried.is_empty());
        let payouts = crate::compute::compute_payouts(&[], &carried, &crate::Thresholds::default())
            .unwrap()
            .into_iter()
            .enumerate()
            .map(|(i, p)| StatementPayout::new(uuid(500 + i as u64), p))
            .collect();
        let next = SettlementFields::new(
            uuid(2),
            t("2026-08-01T00:05:00Z"),
            first.period_end,
            t("2026-08-01T00:00:00Z"),
            &[],
            payouts,
        )
        .unwrap();
        check_carry_chain(&first, &next).unwrap();
        // A gap between the periods.
        let mut gap = next.clone();
        gap.period_start = t("2026-07-02T00:00:00Z");
        assert!(check_carry_chain(&first, &gap).is_err());
        // A balance dropped.
        let mut dropped = next.clone();
        dropped.payouts.pop();
        assert!(check_carry_chain(&first, &dropped).is_err());
        // A balance changed.
        let mut changed = next.clone();
        changed.payouts[0].payout.carried_in = Atto(changed.payouts[0].payout.carried_in.0 + 1);
        assert!(check_carry_chain(&first, &changed).is_err());
    }
}
