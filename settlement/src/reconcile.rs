//! Reconciliation: small pure checks the Worker's reconciliation job runs
//! on data it loaded (receipts, ledger lines, manifests, settlements, payment
//! rail confirmations), each returning the [`Mismatch`]es it finds.
//!
//! ```json
//! { "kind": "payout_amount_differs", "subject": "urn:uuid:<payout line id>",
//!   "expected": "1250 USD", "found": "1200 USD" }
//! ```
//!
//! Kinds (snake_case codes, stable: dashboards and alerts key on them):
//! - `accepted_not_in_ledger`: a usage receipt accepted an event the ledger lacks;
//! - `ledger_without_acceptance`: a ledger line whose event no receipt accepted;
//! - `amount_differs`: a line's amount differs from re-pricing its event;
//! - `asset_not_in_manifest`: usage of an asset the manifest does not list;
//! - `settlement_total_differs`: a payout line is not the sum of its lines plus
//!   what was carried in (or breaks the floor-and-carry rule);
//! - `payout_amount_differs`: the rail confirmed another amount or currency;
//! - `payout_unconfirmed`, `payout_failed`, `disputed`: the rail's outcome.
//!
//! `subject` names what is wrong (a payout line id, an event id, a line's
//! key); `expected` and `found` are short human-readable values.

use std::collections::BTreeSet;

use fairtrain_core::money::Atto;
use serde::{Deserialize, Serialize};

use crate::error::{malformed, SettlementError};
use crate::line::LedgerLine;
use crate::payout::StatementPayout;
use crate::text::is_free_text;

/// Longest `subject`, `expected` or `found`.
pub const MAX_MISMATCH_TEXT: usize = 1000;

fairtrain_core::vocabulary! {
    /// What disagrees.
    MismatchKind ("mismatch kind") {
        AcceptedNotInLedger = "accepted_not_in_ledger",
        LedgerWithoutAcceptance = "ledger_without_acceptance",
        AmountDiffers = "amount_differs",
        AssetNotInManifest = "asset_not_in_manifest",
        SettlementTotalDiffers = "settlement_total_differs",
        PayoutAmountDiffers = "payout_amount_differs",
        PayoutUnconfirmed = "payout_unconfirmed",
        PayoutFailed = "payout_failed",
        Disputed = "disputed",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mismatch {
    pub kind: MismatchKind,
    pub subject: String,
    pub expected: String,
    pub found: String,
}

impl Mismatch {
    pub fn new(
        kind: MismatchKind,
        subject: impl Into<String>,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Mismatch {
        Mismatch {
            kind,
            subject: subject.into(),
            expected: expected.into(),
            found: found.into(),
        }
    }

    /// `subject`, `expected` and `found`: 1..=1000 characters, no control
    /// characters.
    pub fn check(&self) -> Result<(), SettlementError> {
        for (name, text) in [
            ("subject", &self.subject),
            ("expected", &self.expected),
            ("found", &self.found),
        ] {
            if !is_free_text(text, MAX_MISMATCH_TEXT) {
                return Err(malformed(format!(
                    "mismatch {name} must be 1-{MAX_MISMATCH_TEXT} characters without control characters"
                )));
            }
        }
        Ok(())
    }
}

/// Checks a payout line against the ledger lines it was computed from and
/// the balance carried into it: same creator and currency, `carried_in`,
/// `accrued` and `line_count` as the lines say, and the floor-and-carry
/// invariant. The first difference, as `settlement_total_differs`.
pub fn check_payout_line(
    payout: &StatementPayout,
    lines_for_it: &[LedgerLine],
    carried_in: Atto,
) -> Option<Mismatch> {
    let p = &payout.payout;
    let differs = |expected: String, found: String| {
        Some(Mismatch::new(
            MismatchKind::SettlementTotalDiffers,
            &payout.line_id,
            expected,
            found,
        ))
    };
    if let Some(other) = lines_for_it
        .iter()
        .find(|l| l.creator != p.creator || l.currency != p.currency)
    {
        return differs(
            format!("lines of {} in {}", p.creator, p.currency),
            format!(
                "line {} of {} in {}",
                other.event_id, other.creator, other.currency
            ),
        );
    }
    if p.carried_in != carried_in {
        return differs(
            format!("carried_in {carried_in}"),
            format!("carried_in {}", p.carried_in),
        );
    }
    let n = lines_for_it.len() as u64;
    let Ok(sum) = Atto::sum(lines_for_it.iter().map(|l| l.amount)) else {
        return differs("a representable sum".into(), "an overflowing sum".into());
    };
    if (p.accrued, p.line_count) != (sum, n) {
        return differs(
            format!("accrued {sum} in {n} lines"),
            format!("accrued {} in {} lines", p.accrued, p.line_count),
        );
    }
    if let Err(e) = p.check() {
        return differs(
            "amount_minor * 10^18 + carried_out = carried_in + accrued".into(),
            e.to_string(),
        );
    }
    None
}

/// Checks what a payment rail confirmed against the payout line:
/// `payout_amount_differs` when the amount or currency is not the line's.
pub fn check_confirmation(
    payout: &StatementPayout,
    confirmed_amount_minor: u128,
    currency: &str,
) -> Option<Mismatch> {
    let p = &payout.payout;
    if (p.amount_minor, p.currency.as_str()) == (confirmed_amount_minor, currency) {
        return None;
    }
    Some(Mismatch::new(
        MismatchKind::PayoutAmountDiffers,
        &payout.line_id,
        format!("{} {}", p.amount_minor, p.currency),
        format!("{confirmed_amount_minor} {currency}"),
    ))
}

/// What a payment rail has said about a payout line (via its webhooks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RailOutcome {
    /// Nothing yet.
    Pending,
    Confirmed {
        amount_minor: u128,
        currency: String,
    },
    Failed {
        reason: String,
    },
    Disputed {
        reason: String,
    },
}

/// The mismatch, if any, a rail outcome makes for a payout line. A line
/// that pays nothing (under the minimum) needs no transfer.
pub fn check_rail_outcome(payout: &StatementPayout, outcome: &RailOutcome) -> Option<Mismatch> {
    let expected = format!(
        "{} {} confirmed",
        payout.payout.amount_minor, payout.payout.currency
    );
    let mismatch =
        |kind, found: String| Some(Mismatch::new(kind, &payout.line_id, &expected, found));
    match outcome {
        RailOutcome::Pending if payout.payout.amount_minor == 0 => None,
        RailOutcome::Pending => mismatch(MismatchKind::PayoutUnconfirmed, "no confirmation".into()),
        RailOutcome::Confirmed {
            amount_minor,
            currency,
        } => check_confirmation(payout, *amount_minor, currency),
        RailOutcome::Failed { reason } => {
            mismatch(MismatchKind::PayoutFailed, format!("failed: {reason}"))
        }
        RailOutcome::Disputed { reason } => {
            mismatch(MismatchKind::Disputed, format!("disputed: {reason}"))
        }
    }
}

/// Checks a line's amount against re-pricing its event (`amount_differs`).
pub fn check_line_price(line: &LedgerLine, repriced: Atto) -> Option<Mismatch> {
    (line.amount != repriced).then(|| {
        Mismatch::new(
            MismatchKind::AmountDiffers,
            line.key().to_string(),
            format!("{repriced} atto {}", line.currency),
            format!("{} atto {}", line.amount, line.currency),
        )
    })
}

/// Compares two sets of ids: each id expected but not found is a
/// `kind_missing` mismatch, each found but not expected a `kind_extra` one
/// (`None`: that direction is not a problem, e.g. manifest assets nobody
/// used). Duplicates count once; the result is sorted by kind, then id.
///
/// E.g. receipts against the ledger:
/// `compare_sets(accepted, ledger, Some(AcceptedNotInLedger), Some(LedgerWithoutAcceptance))`;
/// usage against a manifest: `compare_sets(manifest_assets, used_assets, None, Some(AssetNotInManifest))`.
pub fn compare_sets<E, F>(
    expected_ids: E,
    found_ids: F,
    kind_missing: Option<MismatchKind>,
    kind_extra: Option<MismatchKind>,
) -> Vec<Mismatch>
where
    E: IntoIterator,
    E::Item: AsRef<str>,
    F: IntoIterator,
    F::Item: AsRef<str>,
{
    let expected: BTreeSet<String> = expected_ids
        .into_iter()
        .map(|s| s.as_ref().to_owned())
        .collect();
    let found: BTreeSet<String> = found_ids
        .into_iter()
        .map(|s| s.as_ref().to_owned())
        .collect();
    let mut out: Vec<Mismatch> = Vec::new();
    if let Some(kind) = kind_missing {
        out.extend(
            expected
                .difference(&found)
                .map(|id| Mismatch::new(kind, id, "present", "missing")),
        );
    }
    if let Some(kind) = kind_extra {
        out.extend(
            found
                .difference(&expected)
                .map(|id| Mismatch::new(kind, id, "absent", "present")),
        );
    }
    out.sort_by(|a, b| (a.kind, &a.subject).cmp(&(b.kind, &b.subject)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{creator, settlement, settlement_carried, settlement_lines};
    use serde_json::json;

    #[test]
    fn kinds_are_snake_case_codes() {
        for kind in MismatchKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.as_str()));
        }
        let m = Mismatch::new(MismatchKind::PayoutFailed, "x", "a", "b");
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            json!({"kind": "payout_failed", "subject": "x", "expected": "a", "found": "b"})
        );
        assert!(m.check().is_ok());
        assert!(Mismatch::new(MismatchKind::Disputed, "", "a", "b")
            .check()
            .is_err());
        assert!(Mismatch::new(MismatchKind::Disputed, "x", "a\n", "b")
            .check()
            .is_err());
    }

    #[test]
    fn payout_lines_against_their_lines() {
        let s = settlement();
        let lines = settlement_lines();
        let carried = settlement_carried();
        for sp in &s.payouts {
            let p = &sp.payout;
            let mine: Vec<LedgerLine> = lines
                .iter()
                .filter(|l| l.creator == p.creator && l.currency == p.currency)
                .cloned()
                .collect();
            let carry = carried
                .get(&(p.creator.clone(), p.currency.clone()))
                .map_or(Atto::ZERO, |c| c.amount);
            assert_eq!(check_payout_line(sp, &mine, carry), None);
            // A line missing, a carry that differs, a line of someone else.
            if !mine.is_empty() {
                let m = check_payout_line(sp, &mine[1..], carry).unwrap();
                assert_eq!(m.kind, MismatchKind::SettlementTotalDiffers);
                assert_eq!(m.subject, sp.line_id);
            }
            assert!(check_payout_line(sp, &mine, Atto(carry.0 + 1)).is_some());
            let mut foreign = mine.clone();
            foreign.push(crate::fixture::line(7, 99, 1, 0));
            assert!(check_payout_line(sp, &foreign, carry).is_some());
            // Wrong arithmetic on the payout itself.
            let mut bad = sp.clone();
            bad.payout.amount_minor += 1;
            assert!(check_payout_line(&bad, &mine, carry).is_some());
        }
    }

    #[test]
    fn confirmations_and_rail_outcomes() {
        let s = settlement();
        let paid = s
            .payouts
            .iter()
            .find(|p| p.payout.creator == creator(1) && p.payout.currency == "USD")
            .unwrap();
        assert_eq!(paid.payout.amount_minor, 1100);
        assert_eq!(check_confirmation(paid, 1100, "USD"), None);
        let m = check_confirmation(paid, 1000, "USD").unwrap();
        assert_eq!(
            (m.kind, m.expected.as_str(), m.found.as_str()),
            (MismatchKind::PayoutAmountDiffers, "1100 USD", "1000 USD")
        );
        assert!(check_confirmation(paid, 1100, "EUR").is_some());
        let confirmed = RailOutcome::Confirmed {
            amount_minor: 1100,
            currency: "USD".into(),
        };
        assert_eq!(check_rail_outcome(paid, &confirmed), None);
        let kinds: Vec<_> = [
            RailOutcome::Pending,
            RailOutcome::Failed {
                reason: "account closed".into(),
            },
            RailOutcome::Disputed {
                reason: "chargeback".into(),
            },
        ]
        .iter()
        .map(|o| check_rail_outcome(paid, o).unwrap().kind)
        .collect();
        assert_eq!(
            kinds,
            vec![
                MismatchKind::PayoutUnconfirmed,
                MismatchKind::PayoutFailed,
                MismatchKind::Disputed
            ]
        );
        let unpaid = s
            .payouts
            .iter()
            .find(|p| p.payout.amount_minor == 0)
            .unwrap();
        assert_eq!(check_rail_outcome(unpaid, &RailOutcome::Pending), None);
    }

    #[test]
    fn repricing_and_sets() {
        let line = &settlement_lines()[0];
        assert_eq!(check_line_price(line, line.amount), None);
        let m = check_line_price(line, Atto(1)).unwrap();
        assert_eq!(m.kind, MismatchKind::AmountDiffers);
        assert!(m.subject.contains(&line.event_id));

        let out = compare_sets(
            ["a", "b", "c", "c"],
            vec!["b".to_string(), "d".to_string()],
            Some(MismatchKind::AcceptedNotInLedger),
            Some(MismatchKind::LedgerWithoutAcceptance),
        );
        let got: Vec<(MismatchKind, &str)> =
            out.iter().map(|m| (m.kind, m.subject.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (MismatchKind::AcceptedNotInLedger, "a"),
                (MismatchKind::AcceptedNotInLedger, "c"),
                (MismatchKind::LedgerWithoutAcceptance, "d"),
            ]
        );
        let only_extra = compare_sets(
            ["a"],
            ["a", "z"],
            None,
            Some(MismatchKind::AssetNotInManifest),
        );
        assert_eq!(
            only_extra,
            vec![Mismatch::new(
                MismatchKind::AssetNotInManifest,
                "z",
                "absent",
                "present"
            )]
        );
        assert!(compare_sets(
            ["a"],
            ["a"],
            Some(MismatchKind::Disputed),
            Some(MismatchKind::Disputed)
        )
        .is_empty());
    }
}
