//! A creator's statement for one settlement: the creator's payout lines and
//! every ledger line behind them, each with its inclusion proof in the
//! settlement's usage tree. Signed by the platform (W3C VC 2.0,
//! `CreatorStatement`, `eddsa-jcs-2022`), so a creator can check offline that
//! each amount is the sum of usage the platform committed to publicly (the
//! usage root is in the signed settlement statement and its log entry).
//!
//! ```json
//! { "@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:uuid:…",
//!   "type": ["VerifiableCredential", "CreatorStatement"],
//!   "issuer": "did:key:<platform>", "validFrom": "…Z",
//!   "credentialSubject": {
//!     "id": "did:key:<creator>",
//!     "settlement_id": "urn:uuid:…",
//!     "statement_hash": "sha256:<JCS hash of the signed settlement statement>",
//!     "usage_root": "<base64>", "tree_size": 17,
//!     "payouts": [ { "line_id": "urn:uuid:…", "creator": "did:key:<creator>", … } ],
//!     "lines": [ { "index": 3, "line": { <LedgerLine> }, "proof": ["<base64>", …] } ] },
//!   "proof": { … } }
//! ```
//!
//! `payouts` are the creator's payout lines in the settlement, one per
//! currency, sorted by currency, exactly as the statement lists them; `lines`
//! are all the creator's ledger lines, by ascending index.
//!
//! Verification ([`verify_creator_statement`]): strict shape, the platform's
//! signature, every line's inclusion in `usage_root`, every line and payout
//! the subject creator's, and per currency the lines' sum and count equal to
//! the payout's `accrued` and `line_count`. Given the settlement statement
//! too, it must verify and agree: its hash, id, root, size and the creator's
//! payout lines.

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
use crate::line::{verify_line_proof, LedgerLine, UsageTree};
use crate::payout::{RawPayout, StatementPayout};
use crate::statement::{
    check_statement_lines, verify_settlement, SettlementFields, VerifiedSettlement,
};
use crate::text::{
    all_distinct, check_did_key, check_safe, check_urn_uuid, hash, strictly_ascending,
};
use fairtrain_core::signed_document::{sign_document, verify_document, Format};

/// The credential's own type (besides `VerifiableCredential`).
pub const CREATOR_STATEMENT_TYPE: &str = "CreatorStatement";

/// A ledger line with its place in the usage tree and the proof of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvenLine {
    pub index: u64,
    pub line: LedgerLine,
    pub proof: Vec<Hash>,
}

impl ProvenLine {
    fn to_json(&self) -> Value {
        json!({
            "index": self.index,
            "line": self.line.to_json(),
            "proof": self.proof.iter().map(Hash::to_base64).collect::<Vec<_>>(),
        })
    }
}

/// Everything a creator statement states; the issuer is the signing key's
/// did:key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatorStatementFields {
    /// `urn:uuid:…`: the credential's `id`.
    pub statement_id: String,
    /// The credential's `validFrom`.
    pub issued_at: Timestamp,
    /// The creator's did:key: the credential subject's `id`.
    pub creator: String,
    pub settlement_id: String,
    /// [`crate::statement::statement_hash`] of the signed settlement statement.
    pub statement_hash: Sha256Digest,
    pub usage_root: Hash,
    /// The settlement's line count.
    pub tree_size: u64,
    /// The creator's payout lines, sorted by currency.
    pub payouts: Vec<StatementPayout>,
    /// The creator's ledger lines, by ascending index.
    pub lines: Vec<ProvenLine>,
}

impl CreatorStatementFields {
    /// The statement for `creator` in the settlement `settlement` (whose
    /// signed form hashes to `statement_hash`) over its `lines`, in the
    /// settlement's order. Refuses lines that are not the statement's, and a
    /// creator the settlement pays nothing to and carries nothing for.
    pub fn build(
        statement_id: impl Into<String>,
        issued_at: Timestamp,
        creator: impl Into<String>,
        settlement: &SettlementFields,
        statement_hash: Sha256Digest,
        lines: &[LedgerLine],
    ) -> Result<CreatorStatementFields, SettlementError> {
        check_statement_lines(settlement, lines)?;
        let creator = creator.into();
        let tree = UsageTree::new(lines)?;
        let mut proven = Vec::new();
        for (index, line) in (0u64..).zip(lines) {
            if line.creator == creator {
                proven.push(ProvenLine {
                    index,
                    line: line.clone(),
                    proof: tree.proof(index)?,
                });
            }
        }
        let fields = CreatorStatementFields {
            statement_id: statement_id.into(),
            issued_at,
            payouts: settlement.payouts_of(&creator).cloned().collect(),
            creator,
            settlement_id: settlement.settlement_id.clone(),
            statement_hash,
            usage_root: settlement.usage_root,
            tree_size: settlement.line_count,
            lines: proven,
        };
        fields.check()?;
        Ok(fields)
    }

    /// Everything that can be checked without the settlement statement (see
    /// the module docs).
    pub fn check(&self) -> Result<(), SettlementError> {
        check_urn_uuid("id", &self.statement_id)?;
        check_urn_uuid("settlement_id", &self.settlement_id)?;
        check_did_key("credentialSubject.id", &self.creator)?;
        check_safe("tree_size", self.tree_size)?;
        if self.payouts.is_empty() {
            return Err(SettlementError::StatementMismatch(
                "the settlement has no payout line for this creator".into(),
            ));
        }
        let mut expected: BTreeMap<&str, (Atto, u64)> = BTreeMap::new();
        for sp in &self.payouts {
            sp.check()?;
            if sp.payout.creator != self.creator {
                return Err(malformed(format!(
                    "payout {} is another creator's",
                    sp.line_id
                )));
            }
            expected.insert(&sp.payout.currency, (Atto::ZERO, 0));
        }
        let currencies: Vec<&str> = self
            .payouts
            .iter()
            .map(|p| p.payout.currency.as_str())
            .collect();
        if !strictly_ascending(&currencies)
            || !all_distinct(self.payouts.iter().map(|p| p.line_id.as_str()))
        {
            return Err(malformed(
                "payouts must be sorted by currency, one per currency",
            ));
        }
        let mut previous: Option<u64> = None;
        for p in &self.lines {
            if previous.is_some_and(|i| p.index <= i) {
                return Err(malformed(
                    "lines must be in ascending index order, each once",
                ));
            }
            previous = Some(p.index);
            p.line.check()?;
            if p.line.creator != self.creator {
                return Err(SettlementError::ForeignLine { index: p.index });
            }
            if !verify_line_proof(&p.line, p.index, self.tree_size, &p.proof, &self.usage_root) {
                return Err(SettlementError::NotIncluded { index: p.index });
            }
            let Some((sum, n)) = expected.get_mut(p.line.currency.as_str()) else {
                return Err(SettlementError::Arithmetic(format!(
                    "line {} is in {}, which has no payout",
                    p.index, p.line.currency
                )));
            };
            *sum = sum.checked_add(p.line.amount)?;
            *n += 1;
        }
        for sp in &self.payouts {
            let p = &sp.payout;
            let (sum, n) = expected
                .get(p.currency.as_str())
                .copied()
                .unwrap_or((Atto::ZERO, 0));
            if (sum, n) != (p.accrued, p.line_count) {
                return Err(SettlementError::Arithmetic(format!(
                    "payout {}: the lines sum to {sum} in {n} lines, the payout says {} in {}",
                    sp.line_id, p.accrued, p.line_count
                )));
            }
        }
        Ok(())
    }

    /// The unsigned credential, issued by `issuer`.
    pub fn to_unsigned(&self, issuer: &DidKey) -> Value {
        let subject = json!({
            "id": self.creator,
            "settlement_id": self.settlement_id,
            "statement_hash": self.statement_hash,
            "usage_root": self.usage_root.to_base64(),
            "tree_size": self.tree_size,
            "payouts": self.payouts.iter().map(StatementPayout::to_json).collect::<Vec<_>>(),
            "lines": self.lines.iter().map(ProvenLine::to_json).collect::<Vec<_>>(),
        });
        json_shape::credential(
            CREATOR_STATEMENT_TYPE,
            &self.statement_id,
            issuer,
            self.issued_at,
            subject,
        )
    }

    /// Whether it agrees with the settlement statement it names.
    pub fn check_against(&self, settlement: &VerifiedSettlement) -> Result<(), SettlementError> {
        let s = &settlement.fields;
        let mismatch = |what: &str| Err(SettlementError::StatementMismatch(what.to_owned()));
        if self.statement_hash != settlement.statement_hash {
            return mismatch("statement_hash is not the settlement statement's hash");
        }
        if self.settlement_id != s.settlement_id {
            return mismatch("settlement_id");
        }
        if self.usage_root != s.usage_root || self.tree_size != s.line_count {
            return mismatch("usage_root or tree_size");
        }
        if !self.payouts.iter().eq(s.payouts_of(&self.creator)) {
            return mismatch("the payout lines are not the statement's for this creator");
        }
        Ok(())
    }
}

/// A creator statement that verified.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedCreatorStatement {
    pub fields: CreatorStatementFields,
    pub issuer: DidKey,
    pub signed_by: PublishedKey,
    pub signed_at: Timestamp,
    /// The settlement statement, when one was given to check against.
    pub settlement: Option<VerifiedSettlement>,
}

/// Signs a creator statement with the platform's active key.
pub fn sign_creator_statement(
    fields: CreatorStatementFields,
    key: &SigningKey,
    now: Timestamp,
) -> Result<Value, SettlementError> {
    sign_document(&FORMAT, &fields, key, now)
}

/// Verifies a creator statement (see the module docs); with
/// `settlement_statement`, also that statement and their agreement.
pub fn verify_creator_statement(
    doc: &Value,
    settlement_statement: Option<&Value>,
    platform_keys: &[PublishedKey],
) -> Result<VerifiedCreatorStatement, SettlementError> {
    let v = verify_document(&FORMAT, doc, platform_keys)?;
    let settlement = match settlement_statement {
        None => None,
        Some(s) => {
            let verified = verify_settlement(s, platform_keys)?;
            v.fields.check_against(&verified)?;
            Some(verified)
        }
    };
    Ok(VerifiedCreatorStatement {
        fields: v.fields,
        issuer: v.issuer,
        signed_by: v.signed_by.clone(),
        signed_at: v.signed_at,
        settlement,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubject {
    id: String,
    settlement_id: String,
    statement_hash: Sha256Digest,
    usage_root: String,
    tree_size: u64,
    payouts: Vec<RawPayout>,
    lines: Vec<RawProvenLine>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvenLine {
    index: u64,
    line: LedgerLine,
    proof: Vec<String>,
}

/// How a creator statement is checked, built and read; [`fairtrain_core::signed_document`]
/// does the rest.
const FORMAT: Format<CreatorStatementFields, DidKey, SettlementError> = Format {
    check: CreatorStatementFields::check,
    unsigned: CreatorStatementFields::to_unsigned,
    read,
};

fn read(doc: &Value) -> Result<(CreatorStatementFields, DidKey), SettlementError> {
    let parsed = credential::read_credential::<RawSubject>(doc, "creator statement")?;
    let s = parsed.subject;
    let fields = CreatorStatementFields {
        statement_id: parsed.id,
        issued_at: parsed.valid_from,
        creator: s.id,
        settlement_id: s.settlement_id,
        statement_hash: s.statement_hash,
        usage_root: hash("usage_root", &s.usage_root)?,
        tree_size: s.tree_size,
        payouts: s
            .payouts
            .into_iter()
            .map(RawPayout::into_payout)
            .collect::<Result<_, _>>()?,
        lines: s
            .lines
            .into_iter()
            .map(|l| {
                Ok(ProvenLine {
                    index: l.index,
                    line: l.line,
                    proof: l
                        .proof
                        .iter()
                        .map(|h| hash("proof", h))
                        .collect::<Result<_, SettlementError>>()?,
                })
            })
            .collect::<Result<_, SettlementError>>()?,
    };
    Ok((fields, parsed.issuer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{
        creator, platform, published_keys, rogue, settlement, settlement_lines, t, uuid,
    };
    use crate::statement::sign_settlement;

    fn settlement_doc() -> Value {
        sign_settlement(settlement(), &platform(), t("2026-07-01T00:05:00Z")).unwrap()
    }

    fn fields_for(c: u8) -> CreatorStatementFields {
        let doc = settlement_doc();
        let hash = crate::statement::statement_hash(&doc).unwrap();
        CreatorStatementFields::build(
            uuid(3000),
            t("2026-07-02T00:00:00Z"),
            creator(c),
            &settlement(),
            hash,
            &settlement_lines(),
        )
        .unwrap()
    }

    fn signed(c: u8) -> Value {
        sign_creator_statement(fields_for(c), &platform(), t("2026-07-02T00:00:00Z")).unwrap()
    }

    /// Signs `doc` as the platform without any of the crate's checks.
    fn resign(mut doc: Value) -> Value {
        doc.as_object_mut().unwrap().remove("proof");
        fairtrain_core::signed_document::sign(&doc, &platform(), t("2026-07-02T00:00:00Z")).unwrap()
    }

    #[test]
    fn sign_and_verify_with_and_without_the_settlement() {
        for c in [1, 2] {
            let doc = signed(c);
            let v = verify_creator_statement(&doc, None, &published_keys()).unwrap();
            assert_eq!(v.fields, fields_for(c));
            assert!(v.settlement.is_none());
            let sdoc = settlement_doc();
            let v = verify_creator_statement(&doc, Some(&sdoc), &published_keys()).unwrap();
            assert_eq!(v.settlement.unwrap().fields, settlement());
        }
        let f = fields_for(1);
        assert_eq!(
            f.lines.iter().map(|l| l.index).collect::<Vec<_>>(),
            vec![0, 2, 3]
        );
        assert_eq!(f.payouts.len(), 2);
        assert_eq!(f.tree_size, 4);
        let doc = signed(1);
        assert_eq!(doc["credentialSubject"]["id"], creator(1));
        let text = serde_json::to_string_pretty(&doc).unwrap();
        assert!(verify_creator_statement(
            &serde_json::from_str(&text).unwrap(),
            None,
            &published_keys()
        )
        .is_ok());
    }

    #[test]
    fn a_creator_without_payout_gets_no_statement() {
        let doc = settlement_doc();
        let hash = crate::statement::statement_hash(&doc).unwrap();
        assert!(matches!(
            CreatorStatementFields::build(
                uuid(1),
                t("2026-07-02T00:00:00Z"),
                creator(9),
                &settlement(),
                hash,
                &settlement_lines()
            ),
            Err(SettlementError::StatementMismatch(_))
        ));
    }

    #[test]
    fn tampered_lines_fail_even_when_signed() {
        let doc = signed(1);
        // Changed after signing: the line is no longer the one in the tree
        // (checked before the signature), and the signature fails too.
        let mut changed = doc.clone();
        changed["credentialSubject"]["lines"][0]["line"]["units"] = json!(999);
        assert_eq!(
            verify_creator_statement(&changed, None, &published_keys()),
            Err(SettlementError::NotIncluded { index: 0 })
        );
        let mut later = doc.clone();
        later["validFrom"] = json!("2026-07-03T00:00:00Z");
        assert_eq!(
            verify_creator_statement(&later, None, &published_keys()),
            Err(SettlementError::BadSignature)
        );
        // Signed, but the line is not in the tree.
        assert_eq!(
            verify_creator_statement(&resign(changed), None, &published_keys()),
            Err(SettlementError::NotIncluded { index: 0 })
        );
        // A wrong proof hash, and a wrong index.
        let mut changed = doc.clone();
        changed["credentialSubject"]["lines"][1]["proof"][0] =
            json!(fairtrain_tlog::leaf_hash(b"x").to_base64());
        assert_eq!(
            verify_creator_statement(&resign(changed), None, &published_keys()),
            Err(SettlementError::NotIncluded { index: 2 })
        );
        let mut changed = doc.clone();
        changed["credentialSubject"]["lines"][1]["index"] = json!(1);
        assert_eq!(
            verify_creator_statement(&resign(changed), None, &published_keys()),
            Err(SettlementError::NotIncluded { index: 1 })
        );
        // A line dropped: the payout's sum and count no longer match.
        let mut changed = doc.clone();
        changed["credentialSubject"]["lines"]
            .as_array_mut()
            .unwrap()
            .remove(1);
        assert!(matches!(
            verify_creator_statement(&resign(changed), None, &published_keys()),
            Err(SettlementError::Arithmetic(_))
        ));
        // Out of order.
        let mut changed = doc.clone();
        changed["credentialSubject"]["lines"]
            .as_array_mut()
            .unwrap()
            .swap(0, 1);
        assert!(matches!(
            verify_creator_statement(&resign(changed), None, &published_keys()),
            Err(SettlementError::Malformed(_))
        ));
    }

    #[test]
    fn foreign_lines_and_wrong_sums_fail() {
        // Creator 2's statement with creator 1's line 0 (a true line, with
        // its true proof) added.
        let one = signed(1);
        let mut two = signed(2);
        let foreign = one["credentialSubject"]["lines"][0].clone();
        two["credentialSubject"]["lines"]
            .as_array_mut()
            .unwrap()
            .insert(0, foreign);
        assert_eq!(
            verify_creator_statement(&resign(two), None, &published_keys()),
            Err(SettlementError::ForeignLine { index: 0 })
        );
        // A payout whose accrued is raised, carried_out along with it (its
        // own invariant holds: it pays nothing).
        let mut two = signed(2);
        let p = &mut two["credentialSubject"]["payouts"][0];
        p["accrued"] = json!("40000000000000000001");
        p["carried_out"] = json!("40300000000000000001");
        assert!(matches!(
            verify_creator_statement(&resign(two), None, &published_keys()),
            Err(SettlementError::Arithmetic(_))
        ));
        // Another creator's payout.
        let mut one = signed(1);
        one["credentialSubject"]["payouts"][0]["creator"] = json!(creator(2));
        assert!(matches!(
            verify_creator_statement(&resign(one), None, &published_keys()),
            Err(SettlementError::Malformed(_))
        ));
    }

    #[test]
    fn must_agree_with_the_settlement_statement() {
        let sdoc = settlement_doc();
        let doc = signed(1);
        // Another hash.
        let mut changed = doc.clone();
        changed["credentialSubject"]["statement_hash"] = json!(Sha256Digest::of(b"x"));
        assert!(
            verify_creator_statement(&resign(changed.clone()), None, &published_keys()).is_ok()
        );
        assert!(matches!(
            verify_creator_statement(&resign(changed), Some(&sdoc), &published_keys()),
            Err(SettlementError::StatementMismatch(_))
        ));
        // A payout line dropped (its lines with it): self-consistent, but not
        // what the settlement says.
        let mut changed = doc.clone();
        let eur = changed["credentialSubject"]["payouts"]
            .as_array_mut()
            .unwrap()
            .remove(0);
        assert_eq!(eur["currency"], "EUR");
        changed["credentialSubject"]["lines"]
            .as_array_mut()
            .unwrap()
            .pop();
        let changed = resign(changed);
        assert!(verify_creator_statement(&changed, None, &published_keys()).is_ok());
        assert!(matches!(
            verify_creator_statement(&changed, Some(&sdoc), &published_keys()),
            Err(SettlementError::StatementMismatch(_))
        ));
        // A tampered settlement statement.
        let mut bad = sdoc.clone();
        bad["credentialSubject"]["period_start"] = json!("2026-05-01T00:00:00Z");
        assert_eq!(
            verify_creator_statement(&doc, Some(&bad), &published_keys()),
            Err(SettlementError::BadSignature)
        );
    }

    #[test]
    fn wrong_key_and_strict_shape() {
        let forged =
            sign_creator_statement(fields_for(1), &rogue(), t("2026-07-02T00:00:00Z")).unwrap();
        assert!(matches!(
            verify_creator_statement(&forged, None, &published_keys()),
            Err(SettlementError::UnknownKey(_))
        ));
        let doc = signed(1);
        for (parent, name, value) in [
            ("/credentialSubject", "extra", json!(1)),
            ("/credentialSubject/lines/0", "note", json!("x")),
            ("/credentialSubject/lines/0/line", "note", json!("x")),
            (
                "/credentialSubject/lines/0/line",
                "priced_at",
                json!("2026-06-15T12:00:00.000Z"),
            ),
            ("/credentialSubject/lines/0", "proof", json!(["AAAA"])),
            ("/credentialSubject", "tree_size", json!(-1)),
            (
                "",
                "type",
                json!(["VerifiableCredential", "SettlementStatement"]),
            ),
        ] {
            let mut changed = doc.clone();
            changed.pointer_mut(parent).unwrap()[name] = value;
            assert!(
                matches!(
                    verify_creator_statement(&resign(changed), None, &published_keys()),
                    Err(SettlementError::Malformed(_))
                ),
                "{parent}/{name}"
            );
        }
    }
}
