//! A creator's payout in one currency for one settlement, and the
//! per-currency totals of a settlement.
//!
//! In signed statements a payout line is:
//!
//! ```json
//! { "line_id": "urn:uuid:…", "creator": "did:key:z6Mk…", "currency": "USD",
//!   "minor_units": 2, "carried_in": "7", "accrued": "1250000000000000000000",
//!   "amount_minor": "1250", "carried_out": "7", "line_count": 17 }
//! ```
//!
//! and a currency total:
//!
//! ```json
//! { "currency": "USD", "minor_units": 2, "carried_in": "7",
//!   "accrued": "1250000000000000000000", "paid_minor": "1250", "carried_out": "7" }
//! ```
//!
//! `carried_in`, `accrued` and `carried_out` are atto-units (10^-18 of a minor
//! unit); `amount_minor` and `paid_minor` are whole minor units. All are
//! decimal strings. The invariant, checked wherever a payout line is read:
//! `amount_minor * 10^18 + carried_out == carried_in + accrued`, and either
//! nothing is paid (under the minimum payout: everything is carried) or less
//! than one minor unit is carried (the floor-and-carry rule).

use std::collections::BTreeMap;

use fairtrain_core::money::{Atto, ATTO_PER_MINOR};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{malformed, SettlementError};
use crate::text::{check_currency, check_did_key, check_safe, check_urn_uuid};

/// One creator's payout in one currency, as [`crate::compute::compute_payouts`]
/// makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutLine {
    pub creator: String,
    pub currency: String,
    pub minor_units: u8,
    /// What the previous settlement carried over.
    pub carried_in: Atto,
    /// The sum of the creator's ledger lines in this currency.
    pub accrued: Atto,
    /// `carried_in + accrued` (not in the signed JSON: derived).
    pub total: Atto,
    /// Whole minor units paid: the floor of `total`, or 0 under the minimum.
    pub amount_minor: u128,
    /// What is carried to the next settlement.
    pub carried_out: Atto,
    /// How many ledger lines make up `accrued`.
    pub line_count: u64,
}

impl PayoutLine {
    /// `amount_minor` in atto-units.
    pub fn paid(&self) -> Result<Atto, SettlementError> {
        self.amount_minor
            .checked_mul(ATTO_PER_MINOR)
            .map(Atto)
            .ok_or(SettlementError::Overflow)
    }

    /// The field rules and the arithmetic (see the module docs).
    pub fn check(&self) -> Result<(), SettlementError> {
        check_did_key("creator", &self.creator)?;
        check_currency(&self.currency, self.minor_units)?;
        check_safe("line_count", self.line_count)?;
        let what = || format!("payout to {} in {}", self.creator, self.currency);
        let total = self.carried_in.checked_add(self.accrued)?;
        if total != self.total {
            return Err(SettlementError::Arithmetic(format!(
                "{}: total {} is not carried_in + accrued = {total}",
                what(),
                self.total
            )));
        }
        let out = self.paid()?.checked_add(self.carried_out)?;
        if out != total {
            return Err(SettlementError::Arithmetic(format!(
                "{}: amount_minor * 10^18 + carried_out = {out}, but carried_in + accrued = {total}",
                what()
            )));
        }
        if self.amount_minor != 0 && self.carried_out.0 >= ATTO_PER_MINOR {
            return Err(SettlementError::Arithmetic(format!(
                "{}: carries a whole minor unit or more while paying",
                what()
            )));
        }
        Ok(())
    }
}

/// A payout line as a statement lists it: with its id, the handle payment
/// rails and reconciliation refer to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementPayout {
    /// `urn:uuid:…`, chosen by the Worker.
    pub line_id: String,
    pub payout: PayoutLine,
}

impl StatementPayout {
    pub fn new(line_id: impl Into<String>, payout: PayoutLine) -> StatementPayout {
        StatementPayout {
            line_id: line_id.into(),
            payout,
        }
    }

    pub fn check(&self) -> Result<(), SettlementError> {
        check_urn_uuid("line_id", &self.line_id)?;
        self.payout.check()
    }

    pub fn to_json(&self) -> Value {
        let p = &self.payout;
        json!({
            "line_id": self.line_id,
            "creator": p.creator,
            "currency": p.currency,
            "minor_units": p.minor_units,
            "carried_in": p.carried_in,
            "accrued": p.accrued,
            "amount_minor": p.amount_minor.to_string(),
            "carried_out": p.carried_out,
            "line_count": p.line_count,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPayout {
    line_id: String,
    creator: String,
    currency: String,
    minor_units: u8,
    carried_in: Atto,
    accrued: Atto,
    amount_minor: String,
    carried_out: Atto,
    line_count: u64,
}

impl RawPayout {
    pub(crate) fn into_payout(self) -> Result<StatementPayout, SettlementError> {
        let payout = StatementPayout {
            line_id: self.line_id,
            payout: PayoutLine {
                total: self.carried_in.checked_add(self.accrued)?,
                creator: self.creator,
                currency: self.currency,
                minor_units: self.minor_units,
                carried_in: self.carried_in,
                accrued: self.accrued,
                amount_minor: minor_amount("amount_minor", &self.amount_minor)?,
                carried_out: self.carried_out,
                line_count: self.line_count,
            },
        };
        payout.check()?;
        Ok(payout)
    }
}

/// Whole minor units written as a decimal string (same rule as atto amounts:
/// digits only, no superfluous leading zero).
pub(crate) fn minor_amount(name: &str, text: &str) -> Result<u128, SettlementError> {
    text.parse::<Atto>().map(|a| a.0).map_err(|_| {
        malformed(format!(
            "{name} must be a decimal string of whole minor units"
        ))
    })
}

/// A settlement's sums in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyTotal {
    pub currency: String,
    pub minor_units: u8,
    pub carried_in: Atto,
    pub accrued: Atto,
    pub paid_minor: u128,
    pub carried_out: Atto,
}

impl CurrencyTotal {
    pub fn to_json(&self) -> Value {
        json!({
            "currency": self.currency,
            "minor_units": self.minor_units,
            "carried_in": self.carried_in,
            "accrued": self.accrued,
            "paid_minor": self.paid_minor.to_string(),
            "carried_out": self.carried_out,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCurrencyTotal {
    currency: String,
    minor_units: u8,
    carried_in: Atto,
    accrued: Atto,
    paid_minor: String,
    carried_out: Atto,
}

impl RawCurrencyTotal {
    pub(crate) fn into_total(self) -> Result<CurrencyTotal, SettlementError> {
        check_currency(&self.currency, self.minor_units)?;
        Ok(CurrencyTotal {
            paid_minor: minor_amount("paid_minor", &self.paid_minor)?,
            currency: self.currency,
            minor_units: self.minor_units,
            carried_in: self.carried_in,
            accrued: self.accrued,
            carried_out: self.carried_out,
        })
    }
}

/// The per-currency sums of `payouts`, sorted by currency. Every payout in a
/// currency must state the same minor units.
pub fn currency_totals<'a>(
    payouts: impl IntoIterator<Item = &'a PayoutLine>,
) -> Result<Vec<CurrencyTotal>, SettlementError> {
    let mut totals: BTreeMap<&str, CurrencyTotal> = BTreeMap::new();
    for p in payouts {
        let t = totals
            .entry(p.currency.as_str())
            .or_insert_with(|| CurrencyTotal {
                currency: p.currency.clone(),
                minor_units: p.minor_units,
                carried_in: Atto::ZERO,
                accrued: Atto::ZERO,
                paid_minor: 0,
                carried_out: Atto::ZERO,
            });
        if t.minor_units != p.minor_units {
            return Err(malformed(format!(
                "{} is given with {} and with {} minor units",
                p.currency, t.minor_units, p.minor_units
            )));
        }
        t.carried_in = t.carried_in.checked_add(p.carried_in)?;
        t.accrued = t.accrued.checked_add(p.accrued)?;
        t.paid_minor = t
            .paid_minor
            .checked_add(p.amount_minor)
            .ok_or(SettlementError::Overflow)?;
        t.carried_out = t.carried_out.checked_add(p.carried_out)?;
    }
    Ok(totals.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{creator, uuid};

    pub(crate) fn payout(carried_in: u128, accrued: u128, paid: u128) -> PayoutLine {
        let total = carried_in + accrued;
        PayoutLine {
            creator: creator(1),
            currency: "USD".into(),
            minor_units: 2,
            carried_in: Atto(carried_in),
            accrued: Atto(accrued),
            total: Atto(total),
            amount_minor: paid,
            carried_out: Atto(total - paid * ATTO_PER_MINOR),
            line_count: 3,
        }
    }

    #[test]
    fn the_invariant_is_checked() {
        let a = ATTO_PER_MINOR;
        payout(7, 1250 * a, 1250).check().unwrap();
        payout(7, 99 * a, 0).check().unwrap(); // under the minimum: all carried
        payout(0, 0, 0).check().unwrap();
        let mut p = payout(7, 1250 * a, 1250);
        p.amount_minor = 1251;
        assert!(matches!(p.check(), Err(SettlementError::Arithmetic(_))));
        let mut p = payout(7, 1250 * a, 1250);
        p.carried_out = Atto(8);
        assert!(matches!(p.check(), Err(SettlementError::Arithmetic(_))));
        let mut p = payout(7, 1250 * a, 1250);
        p.total = Atto(p.total.0 + 1);
        assert!(matches!(p.check(), Err(SettlementError::Arithmetic(_))));
        // Paying some and carrying a whole unit breaks the rounding rule.
        let mut p = payout(0, 1250 * a, 1249);
        p.carried_out = Atto(a);
        assert!(matches!(p.check(), Err(SettlementError::Arithmetic(_))));
        let mut p = payout(0, 0, 0);
        p.amount_minor = u128::MAX;
        assert_eq!(p.check(), Err(SettlementError::Overflow));
        let mut p = payout(0, 0, 0);
        p.creator = "someone".into();
        assert!(matches!(p.check(), Err(SettlementError::Malformed(_))));
    }

    #[test]
    fn json_round_trip() {
        let sp = StatementPayout::new(uuid(9), payout(7, 1250 * ATTO_PER_MINOR, 1250));
        let v = sp.to_json();
        assert_eq!(v["amount_minor"], "1250");
        assert_eq!(v["carried_in"], "7");
        let raw: RawPayout = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(raw.into_payout().unwrap(), sp);
        let mut bad = v.clone();
        bad["amount_minor"] = json!(1250);
        assert!(serde_json::from_value::<RawPayout>(bad).is_err());
        let mut bad = v.clone();
        bad["amount_minor"] = json!("01250");
        let raw: RawPayout = serde_json::from_value(bad).unwrap();
        assert!(raw.into_payout().is_err());
        let mut bad = v;
        bad["line_id"] = json!("line-1");
        let raw: RawPayout = serde_json::from_value(bad).unwrap();
        assert!(raw.into_payout().is_err());
    }

    #[test]
    fn totals_sum_per_currency() {
        let a = ATTO_PER_MINOR;
        let mut eur = payout(1, 5 * a, 5);
        eur.currency = "EUR".into();
        let lines = [payout(7, 1250 * a, 1250), eur.clone(), payout(3, a, 0)];
        let totals = currency_totals(&lines).unwrap();
        assert_eq!(totals.len(), 2);
        assert_eq!(totals[0].currency, "EUR");
        assert_eq!(totals[1].paid_minor, 1250);
        assert_eq!(totals[1].carried_in, Atto(10));
        assert_eq!(totals[1].accrued, Atto(1251 * a));
        assert_eq!(totals[1].carried_out, Atto(7 + 3 + a));
        let raw: RawCurrencyTotal = serde_json::from_value(totals[1].to_json()).unwrap();
        assert_eq!(raw.into_total().unwrap(), totals[1]);
        let mut odd = eur;
        odd.minor_units = 3;
        assert!(currency_totals(&[lines[1].clone(), odd]).is_err());
    }
}
