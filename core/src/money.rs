//! Money: exact integers, never floats.
//!
//! Payouts are whole minor units (cents for USD). Prices can be finer than a
//! minor unit (`0.0005` USD per sample is 0.05 cents), so the ledger accrues
//! in [`Atto`]: 10^-18 of a minor unit. A price string has at most 18 digits
//! after the point and a currency at most 6 minor digits, so every price is
//! an exact whole number of atto-units, and so is every product and sum.
//!
//! The rounding rule, applied in one place ([`Atto::split_minor`]): amounts
//! accrue exactly; a payout is the floor of the accrued amount in minor units,
//! and the fraction below one minor unit is carried to the next period. Sums
//! are therefore exact across any number of events: paid + carried = accrued.
//!
//! In JSON and in D1, atto amounts are decimal strings (they exceed 2^53 and
//! SQLite's i64); minor-unit amounts are decimal strings in signed documents
//! (DESIGN.md: amounts as strings in signed JSON).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::fields::Price;

/// Atto-units (10^-18) per minor unit.
pub const ATTO_PER_MINOR: u128 = 1_000_000_000_000_000_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("not a decimal amount: {0:?}")]
    NotDecimal(String),
    #[error("amount out of range")]
    Overflow,
    #[error("currency must be three uppercase letters and minor units 0-6")]
    BadCurrency,
    #[error("{0:?} has more decimal places than 18 below the minor unit")]
    TooPrecise(String),
}

/// An exact amount in 10^-18 of a minor unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Atto(pub u128);

impl Atto {
    pub const ZERO: Atto = Atto(0);

    pub fn from_minor(minor: u64) -> Atto {
        Atto(u128::from(minor) * ATTO_PER_MINOR)
    }

    pub fn checked_add(self, other: Atto) -> Result<Atto, MoneyError> {
        self.0
            .checked_add(other.0)
            .map(Atto)
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_sub(self, other: Atto) -> Result<Atto, MoneyError> {
        self.0
            .checked_sub(other.0)
            .map(Atto)
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_mul(self, n: u128) -> Result<Atto, MoneyError> {
        self.0.checked_mul(n).map(Atto).ok_or(MoneyError::Overflow)
    }

    /// The rounding rule: whole minor units (floor) and the carried fraction.
    pub fn split_minor(self) -> (u128, Atto) {
        (self.0 / ATTO_PER_MINOR, Atto(self.0 % ATTO_PER_MINOR))
    }

    pub fn sum<I: IntoIterator<Item = Atto>>(items: I) -> Result<Atto, MoneyError> {
        items
            .into_iter()
            .try_fold(Atto::ZERO, |acc, a| acc.checked_add(a))
    }
}

impl fmt::Display for Atto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Atto {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Atto, MoneyError> {
        let ok = !s.is_empty()
            && s.len() <= 39
            && s.bytes().all(|b| b.is_ascii_digit())
            && (s == "0" || !s.starts_with('0'));
        if !ok {
            return Err(MoneyError::NotDecimal(s.to_owned()));
        }
        s.parse::<u128>()
            .map(Atto)
            .map_err(|_| MoneyError::Overflow)
    }
}

impl Serialize for Atto {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Atto {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Atto, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A price per unit of use, exact: the currency and atto-units per use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    pub currency: String,
    pub minor_units: u8,
    pub per_use: Atto,
}

impl Rate {
    /// `Price { currency: "USD", minor_units: 2, per_use: "0.0005" }` is
    /// 0.05 cents = 5 * 10^16 atto-cents per use.
    pub fn from_price(price: &Price) -> Result<Rate, MoneyError> {
        if price.currency.len() != 3
            || !price.currency.bytes().all(|b| b.is_ascii_uppercase())
            || price.minor_units > 6
        {
            return Err(MoneyError::BadCurrency);
        }
        let per_use = parse_major(&price.per_use, price.minor_units)?;
        Ok(Rate {
            currency: price.currency.clone(),
            minor_units: price.minor_units,
            per_use,
        })
    }

    /// `n` uses at this rate.
    pub fn times(&self, n: u128) -> Result<Atto, MoneyError> {
        self.per_use.checked_mul(n)
    }
}

/// A decimal amount in major units (`"12.34"`) as atto minor units.
pub fn parse_major(text: &str, minor_units: u8) -> Result<Atto, MoneyError> {
    if !crate::fields::is_decimal(text) {
        return Err(MoneyError::NotDecimal(text.to_owned()));
    }
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    // Scale = minor digits + 18 atto digits; the fraction must fit in it.
    let scale = usize::from(minor_units) + 18;
    if frac.len() > scale {
        return Err(MoneyError::TooPrecise(text.to_owned()));
    }
    let mut digits = String::with_capacity(int.len() + scale);
    digits.push_str(int);
    digits.push_str(frac);
    digits.extend(std::iter::repeat_n('0', scale - frac.len()));
    let trimmed = digits.trim_start_matches('0');
    if trimmed.is_empty() {
        return Ok(Atto::ZERO);
    }
    trimmed
        .parse::<u128>()
        .map(Atto)
        .map_err(|_| MoneyError::Overflow)
}

/// Whole minor units as a major-unit decimal string: 1234 cents → "12.34".
pub fn format_major(minor: u128, minor_units: u8) -> String {
    let digits = minor.to_string();
    let places = usize::from(minor_units);
    if places == 0 {
        return digits;
    }
    let padded = format!("{digits:0>width$}", width = places + 1);
    let (int, frac) = padded.split_at(padded.len() - places);
    format!("{int}.{frac}")
}

/// Split `total` into parts proportional to `weights`, exactly: each part is
/// the floor of its share, and the leftover atto-units go one each to the
/// largest remainders (ties to the earlier index). The parts always sum to
/// `total`; all-zero weights give all-zero parts and leave `total` unallocated
/// (the caller reports it).
pub fn allocate(total: Atto, weights: &[u128]) -> Result<Vec<Atto>, MoneyError> {
    let sum: u128 = weights
        .iter()
        .try_fold(0u128, |a, w| a.checked_add(*w))
        .ok_or(MoneyError::Overflow)?;
    if sum == 0 {
        return Ok(vec![Atto::ZERO; weights.len()]);
    }
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    let mut given: u128 = 0;
    for (i, w) in weights.iter().enumerate() {
        // total * w / sum without overflow: split total into quotient and
        // remainder by sum first.
        let (q, r) = (total.0 / sum, total.0 % sum);
        let base = q.checked_mul(*w).ok_or(MoneyError::Overflow)?;
        let extra_num = r.checked_mul(*w).ok_or(MoneyError::Overflow)?;
        let part = base + extra_num / sum;
        remainders.push((extra_num % sum, i));
        given += part;
        parts.push(Atto(part));
    }
    let mut left = total.0 - given;
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in remainders {
        if left == 0 {
            break;
        }
        parts[i].0 += 1;
        left -= 1;
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(per_use: &str, minor_units: u8) -> Price {
        Price {
            currency: "USD".into(),
            minor_units,
            per_use: per_use.into(),
        }
    }

    #[test]
    fn rates_are_exact() {
        let r = Rate::from_price(&price("0.0005", 2)).unwrap();
        assert_eq!(r.per_use, Atto(50_000_000_000_000_000));
        assert_eq!(r.times(2000).unwrap().split_minor(), (100, Atto::ZERO));
        assert_eq!(
            Rate::from_price(&price("1", 0)).unwrap().per_use,
            Atto(ATTO_PER_MINOR)
        );
        assert_eq!(
            Rate::from_price(&price("0", 2)).unwrap().per_use,
            Atto::ZERO
        );
        // 18 decimals below a whole-unit currency is the finest allowed.
        assert_eq!(
            Rate::from_price(&price("0.000000000000000001", 0))
                .unwrap()
                .per_use,
            Atto(1)
        );
        assert!(Rate::from_price(&price("1.5e3", 2)).is_err());
        assert!(Rate::from_price(&price("-1", 2)).is_err());
        assert!(Rate::from_price(&price("1", 7)).is_err());
    }

    #[test]
    fn split_carries_the_fraction() {
        let a = Atto(3 * ATTO_PER_MINOR + 7);
        assert_eq!(a.split_minor(), (3, Atto(7)));
        // A million events at 0.0005 USD: exactly 50,000 cents, no drift.
        let r = Rate::from_price(&price("0.0005", 2)).unwrap();
        let total = Atto::sum((0..1_000_000).map(|_| r.per_use)).unwrap();
        assert_eq!(total.split_minor(), (50_000, Atto::ZERO));
        // Thirds of a cent: three of them make exactly one cent.
        let third = Atto(ATTO_PER_MINOR / 3);
        let (minor, carry) = Atto::sum([third, third, third]).unwrap().split_minor();
        assert_eq!((minor, carry), (0, Atto(ATTO_PER_MINOR - 1)));
    }

    #[test]
    fn allocation_sums_exactly() {
        let parts = allocate(Atto(10), &[1, 1, 1]).unwrap();
        assert_eq!(parts, vec![Atto(4), Atto(3), Atto(3)]);
        let parts = allocate(Atto(100), &[1, 2, 7]).unwrap();
        assert_eq!(parts, vec![Atto(10), Atto(20), Atto(70)]);
        let big = Atto(u128::MAX / 3);
        let parts = allocate(big, &[u64::MAX as u128, 1, 17]).unwrap();
        assert_eq!(Atto::sum(parts).unwrap(), big);
        assert_eq!(
            allocate(Atto(5), &[0, 0]).unwrap(),
            vec![Atto::ZERO, Atto::ZERO]
        );
        // Largest remainder: 7 split 1:1:1:1 gives 2,2,2,1.
        assert_eq!(
            allocate(Atto(7), &[1, 1, 1, 1]).unwrap(),
            vec![Atto(2), Atto(2), Atto(2), Atto(1)]
        );
    }

    #[test]
    fn text_forms() {
        assert_eq!(format_major(1234, 2), "12.34");
        assert_eq!(format_major(5, 2), "0.05");
        assert_eq!(format_major(5, 0), "5");
        assert_eq!("123".parse::<Atto>().unwrap(), Atto(123));
        assert!("0123".parse::<Atto>().is_err());
        assert!("".parse::<Atto>().is_err());
        assert_eq!(serde_json::to_string(&Atto(5)).unwrap(), "\"5\"");
        assert_eq!(
            parse_major("12.34", 2).unwrap().split_minor(),
            (1234, Atto::ZERO)
        );
    }
}
