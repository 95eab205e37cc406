//! A ledger line: one priced share of one usage event for one creator, and
//! the usage tree over a settlement's lines.
//!
//! ```json
//! { "event_id": "evt-000123", "event_hash": "sha256:…",
//!   "manifest_id": "urn:uuid:…", "leaf_index": 42, "creator": "did:key:z6Mk…",
//!   "model_id": "model-7b", "training_run_id": "run-2026-06",
//!   "kind": "usage", "units": 2000, "currency": "USD", "minor_units": 2,
//!   "amount": "100000000000000000000", "priced_at": "2026-06-01T12:00:00Z" }
//! ```
//!
//! `amount` is exact, in atto-units (10^-18) of the currency's minor unit, as
//! a decimal string (it exceeds 2^53); `leaf_index` is the asset's index in
//! the manifest's assets tree; `kind` is `usage` (priced per use),
//! `subscription` or `revenue_share` (a share of a pool, see
//! [`crate::compute::allocate_pool`]).
//!
//! A line's leaf in the usage tree is its JCS form ([`LedgerLine::canonical`]);
//! a settlement's `usage_root` is the RFC 6962 root over its lines' leaves in
//! the order the settlement lists them, so each line has an inclusion proof a
//! creator can check against the signed statement.

use std::fmt;

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::jcs;
use fairtrain_core::money::Atto;
use fairtrain_core::time::Timestamp;
use fairtrain_tlog::hash::root_of_leaf_hashes;
use fairtrain_tlog::{inclusion_proof, leaf_hash, verify_inclusion, Hash, MemoryTree, ProofError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{malformed, SettlementError};
use crate::text::{check_currency, check_did_key, check_safe, check_token, check_urn_uuid};

fairtrain_core::vocabulary! {
    /// How a line's amount arose: `units` uses at the manifest's per-use
    /// price, or a share of a subscription fee or revenue pool, by usage.
    LineKind ("line kind") {
        Usage = "usage",
        Subscription = "subscription",
        RevenueShare = "revenue_share",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerLine {
    /// The usage event (or pool) this share comes from: 1..=200 printable
    /// ASCII characters, no spaces.
    pub event_id: String,
    /// SHA-256 of the signed usage event (or pool record).
    pub event_hash: Sha256Digest,
    /// `urn:uuid:…` of the manifest the asset was licensed through.
    pub manifest_id: String,
    /// The asset's index in that manifest (at most 2^53 - 1).
    pub leaf_index: u64,
    /// The creator paid: a did:key.
    pub creator: String,
    pub model_id: String,
    pub training_run_id: String,
    pub kind: LineKind,
    /// Uses (samples) priced, or the usage weight of a pool share (at most 2^53 - 1).
    pub units: u64,
    pub currency: String,
    pub minor_units: u8,
    /// Exact atto-units of a minor unit.
    pub amount: Atto,
    pub priced_at: Timestamp,
}

/// What makes a line unique: one share of one event, for one asset of one
/// manifest, for one creator, of one kind. Two lines with one key would pay
/// a share twice.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineKey {
    pub event_id: String,
    pub kind: LineKind,
    pub manifest_id: String,
    pub leaf_index: u64,
    pub creator: String,
}

impl fmt::Display for LineKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}) for asset {} of {} to {}",
            self.event_id, self.kind, self.leaf_index, self.manifest_id, self.creator
        )
    }
}

impl LedgerLine {
    /// The field rules.
    pub fn check(&self) -> Result<(), SettlementError> {
        check_token("event_id", &self.event_id)?;
        check_urn_uuid("manifest_id", &self.manifest_id)?;
        check_safe("leaf_index", self.leaf_index)?;
        check_did_key("creator", &self.creator)?;
        check_token("model_id", &self.model_id)?;
        check_token("training_run_id", &self.training_run_id)?;
        check_safe("units", self.units)?;
        check_currency(&self.currency, self.minor_units)
    }

    pub fn key(&self) -> LineKey {
        LineKey {
            event_id: self.event_id.clone(),
            kind: self.kind,
            manifest_id: self.manifest_id.clone(),
            leaf_index: self.leaf_index,
            creator: self.creator.clone(),
        }
    }

    pub fn to_json(&self) -> Value {
        // Every field serialises (strings, small integers, Display types).
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Reads a line strictly: the known members only, each by its rule, in
    /// its one spelling (a time written `…00.000Z` is refused, not rewritten,
    /// so the leaf is the line as given).
    pub fn from_json(value: &Value) -> Result<LedgerLine, SettlementError> {
        let line: LedgerLine = serde_json::from_value(value.clone())
            .map_err(|e| malformed(format!("ledger line: {e}")))?;
        line.check()?;
        if line.to_json() != *value {
            return Err(malformed(
                "ledger line: a member is not in its canonical spelling",
            ));
        }
        Ok(line)
    }

    /// The JCS (RFC 8785) bytes of the line: its leaf in the usage tree.
    pub fn canonical(&self) -> Result<Vec<u8>, SettlementError> {
        self.check()?;
        jcs::canonicalize_serialize(self)
            .map(String::into_bytes)
            .map_err(|e| malformed(e.to_string()))
    }

    /// RFC 6962 leaf hash of [`Self::canonical`].
    pub fn leaf_hash(&self) -> Result<Hash, SettlementError> {
        Ok(leaf_hash(&self.canonical()?))
    }
}

/// The RFC 6962 tree over a settlement's lines, in order. Build it once to
/// prove many lines.
#[derive(Debug, Clone)]
pub struct UsageTree {
    tree: MemoryTree,
}

impl UsageTree {
    pub fn new(lines: &[LedgerLine]) -> Result<UsageTree, SettlementError> {
        let mut tree = MemoryTree::new();
        for line in lines {
            tree.push_leaf_hash(line.leaf_hash()?);
        }
        Ok(UsageTree { tree })
    }

    /// Number of lines.
    pub fn size(&self) -> u64 {
        self.tree.size()
    }

    pub fn root(&self) -> Hash {
        self.tree.root()
    }

    /// The inclusion proof of line `index`.
    pub fn proof(&self, index: u64) -> Result<Vec<Hash>, SettlementError> {
        inclusion_proof(index, self.size(), &self.tree).map_err(|e| match e {
            ProofError::IndexOutOfRange { index, size } => {
                malformed(format!("line {index} is not in a tree of {size} lines"))
            }
            other => malformed(other.to_string()),
        })
    }
}

/// The usage root over `lines` in the given order (the empty tree's root,
/// SHA-256 of nothing, for no lines).
pub fn usage_root(lines: &[LedgerLine]) -> Result<Hash, SettlementError> {
    let leaves = lines
        .iter()
        .map(LedgerLine::leaf_hash)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(root_of_leaf_hashes(&leaves))
}

/// The inclusion proof of `lines[index]` in the tree of `lines`.
pub fn line_proof(lines: &[LedgerLine], index: u64) -> Result<Vec<Hash>, SettlementError> {
    UsageTree::new(lines)?.proof(index)
}

/// Whether `line` is at `index` in the usage tree of `tree_size` lines with
/// root `root`.
pub fn verify_line_proof(
    line: &LedgerLine,
    index: u64,
    tree_size: u64,
    proof: &[Hash],
    root: &Hash,
) -> bool {
    line.leaf_hash()
        .is_ok_and(|leaf| verify_inclusion(index, tree_size, &leaf, proof, root).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{creator, line};
    use serde_json::json;

    #[test]
    fn canonical_leaf_and_json_round_trip() {
        let l = line(1, 0, 2000, 5);
        let text = String::from_utf8(l.canonical().unwrap()).unwrap();
        assert!(
            text.starts_with(r#"{"amount":"5","creator":"did:key:"#),
            "{text}"
        );
        assert!(text.contains(r#""kind":"usage""#));
        assert_eq!(LedgerLine::from_json(&l.to_json()).unwrap(), l);
        // Member order does not matter to the leaf.
        let reordered: Value =
            serde_json::from_str(&serde_json::to_string_pretty(&l.to_json()).unwrap()).unwrap();
        assert_eq!(
            LedgerLine::from_json(&reordered).unwrap().leaf_hash(),
            l.leaf_hash()
        );
    }

    #[test]
    fn field_rules() {
        let ok = line(1, 0, 2000, 5);
        let mutations: Vec<(&str, Value)> = vec![
            ("event_id", json!("evt 1")),
            ("event_id", json!("")),
            ("event_hash", json!("sha256:AB")),
            ("manifest_id", json!("manifest-1")),
            ("leaf_index", json!(1u64 << 53)),
            ("leaf_index", json!(-1)),
            ("leaf_index", json!(1.0)),
            ("creator", json!("Jane Doe")),
            ("model_id", json!("x".repeat(201))),
            ("training_run_id", json!("")),
            ("kind", json!("bonus")),
            ("units", json!("7")),
            ("currency", json!("usd")),
            ("minor_units", json!(7)),
            ("amount", json!(5)),
            ("amount", json!("05")),
            ("amount", json!("-5")),
            ("priced_at", json!("2026-06-01T12:00:00.000Z")),
            ("priced_at", json!("yesterday")),
            ("extra", json!(1)),
        ];
        for (name, value) in mutations {
            let mut doc = ok.to_json();
            doc[name] = value.clone();
            assert!(LedgerLine::from_json(&doc).is_err(), "{name} = {value}");
        }
        let mut bad = ok.clone();
        bad.creator = "did:key:z6Mk".into();
        assert!(bad.canonical().is_err());
        assert!(usage_root(&[bad]).is_err());
        let mut doc = ok.to_json();
        doc.as_object_mut().unwrap().remove("units");
        assert!(LedgerLine::from_json(&doc).is_err());
        assert_eq!(ok.creator, creator(1));
    }

    #[test]
    fn proofs() {
        let lines: Vec<LedgerLine> = (0..11u64).map(|i| line((i % 3) as u8, i, 10, 7)).collect();
        let root = usage_root(&lines).unwrap();
        let tree = UsageTree::new(&lines).unwrap();
        assert_eq!(tree.root(), root);
        assert_eq!(tree.size(), 11);
        for (i, l) in lines.iter().enumerate() {
            let i = i as u64;
            let proof = line_proof(&lines, i).unwrap();
            assert!(verify_line_proof(l, i, 11, &proof, &root));
            // Another index, root or line fails. (The size is bound by the
            // signed statement: an inclusion proof alone may fit two sizes.)
            assert!(!verify_line_proof(l, (i + 1) % 11, 11, &proof, &root));
            assert!(!verify_line_proof(l, i, 11, &proof[1..], &root));
            assert!(!verify_line_proof(l, i, 11, &proof, &leaf_hash(b"x")));
            let mut tampered = l.clone();
            tampered.amount = Atto(l.amount.0 + 1);
            assert!(!verify_line_proof(&tampered, i, 11, &proof, &root));
        }
        assert!(line_proof(&lines, 11).is_err());
        assert_eq!(usage_root(&[]).unwrap(), fairtrain_tlog::EMPTY_ROOT);
        // Order matters: the root commits to the settlement's order.
        let mut swapped = lines.clone();
        swapped.swap(0, 1);
        assert_ne!(usage_root(&swapped).unwrap(), root);
    }
}
