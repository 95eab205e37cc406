//! The settlement arithmetic: pure, exact, and the same in the Worker (which
//! settles) and the CLI (which re-checks).
//!
//! Input: the period's [`LedgerLine`]s, the balances carried in from the
//! previous settlement per (creator, currency), and the minimum payout per
//! currency in minor units ([`Thresholds`], [`DEFAULT_MIN_PAYOUT_MINOR`] when
//! a currency has none). Output: one [`PayoutLine`] per (creator, currency),
//! sorted by creator then currency:
//!
//! ```text
//! total        = carried_in + accrued            (accrued = sum of the lines)
//! amount_minor = floor(total / 10^18)   if that reaches the minimum, else 0
//! carried_out  = total - amount_minor * 10^18
//! ```
//!
//! so `amount_minor * 10^18 + carried_out == carried_in + accrued` on every
//! line, and nothing is created or lost over any number of periods
//! (core::money's floor-and-carry rule, applied in [`Atto::split_minor`]).
//!
//! Pools (subscription fees, revenue shares) are split by usage with
//! [`allocate_pool`]: exact, largest remainders (core::money::allocate).

use std::collections::{BTreeMap, BTreeSet};

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::money::{allocate, Atto};
use fairtrain_tlog::hash::root_of_leaf_hashes;
use fairtrain_tlog::Hash;

use crate::error::{malformed, SettlementError};
use crate::line::LedgerLine;
use crate::payout::PayoutLine;
use crate::text::{check_currency, check_did_key};

/// The minimum payout, in minor units, of a currency without its own.
pub const DEFAULT_MIN_PAYOUT_MINOR: u128 = 100;

/// Minimum payouts in minor units: below it, a balance is carried, not paid
/// (rails charge per transfer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thresholds {
    /// For currencies not in `per_currency`.
    pub default_minor: u128,
    /// Currency code → minimum in that currency's minor units.
    pub per_currency: BTreeMap<String, u128>,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            default_minor: DEFAULT_MIN_PAYOUT_MINOR,
            per_currency: BTreeMap::new(),
        }
    }
}

impl Thresholds {
    pub fn for_currency(&self, currency: &str) -> u128 {
        self.per_currency
            .get(currency)
            .copied()
            .unwrap_or(self.default_minor)
    }
}

/// A balance carried between settlements. The minor units travel with it so
/// a balance can be settled in a period with no new lines in its currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Carried {
    pub minor_units: u8,
    pub amount: Atto,
}

/// (creator did:key, currency) → carried balance.
pub type CarriedBalances = BTreeMap<(String, String), Carried>;

#[derive(Default)]
struct Accrual {
    minor_units: u8,
    carried_in: Atto,
    accrued: Atto,
    line_count: u64,
}

/// A settlement's lines taken one at a time, so a period of any size is
/// settled without holding its lines: per (creator, currency) sums, the usage
/// tree's leaf hashes, and each line's key (as a hash) to refuse duplicates.
pub struct Accumulator {
    minor_units: BTreeMap<String, u8>,
    accruals: BTreeMap<(String, String), Accrual>,
    keys: BTreeSet<[u8; 32]>,
    leaves: Vec<Hash>,
}

impl Accumulator {
    /// Starts from the balances carried into the period.
    pub fn new(carried_in: &CarriedBalances) -> Result<Accumulator, SettlementError> {
        let mut acc = Accumulator {
            minor_units: BTreeMap::new(),
            accruals: BTreeMap::new(),
            keys: BTreeSet::new(),
            leaves: Vec::new(),
        };
        for ((creator, currency), carried) in carried_in {
            check_did_key("carried balance creator", creator)?;
            check_currency(currency, carried.minor_units)?;
            // A zero balance with no new lines has nothing to settle.
            if carried.amount == Atto::ZERO {
                continue;
            }
            same_minor_units(&mut acc.minor_units, currency, carried.minor_units)?;
            acc.accruals.insert(
                (creator.clone(), currency.clone()),
                Accrual {
                    minor_units: carried.minor_units,
                    carried_in: carried.amount,
                    ..Accrual::default()
                },
            );
        }
        Ok(acc)
    }

    /// Adds the next line (lines must come in the usage tree's order).
    pub fn add(&mut self, line: &LedgerLine) -> Result<(), SettlementError> {
        line.check()?;
        let key = Sha256Digest::of(line.key().to_string().as_bytes());
        if !self.keys.insert(key.to_bytes()) {
            return Err(SettlementError::DuplicateLine(line.key().to_string()));
        }
        same_minor_units(&mut self.minor_units, &line.currency, line.minor_units)?;
        self.leaves.push(line.leaf_hash()?);
        let a = self
            .accruals
            .entry((line.creator.clone(), line.currency.clone()))
            .or_insert_with(|| Accrual {
                minor_units: line.minor_units,
                ..Accrual::default()
            });
        a.accrued = a.accrued.checked_add(line.amount)?;
        a.line_count += 1;
        Ok(())
    }

    /// The usage tree's root over the lines added, in order.
    pub fn usage_root(&self) -> Hash {
        root_of_leaf_hashes(&self.leaves)
    }

    pub fn line_count(&self) -> u64 {
        self.leaves.len() as u64
    }

    /// What the lines added accrued for a creator in a currency, and how many.
    pub fn accrued(&self, creator: &str, currency: &str) -> (Atto, u64) {
        self.accruals
            .get(&(creator.to_owned(), currency.to_owned()))
            .map(|a| (a.accrued, a.line_count))
            .unwrap_or((Atto::ZERO, 0))
    }

    /// The payout lines (see the module docs), sorted by (creator, currency).
    pub fn payouts(&self, thresholds: &Thresholds) -> Result<Vec<PayoutLine>, SettlementError> {
        self.accruals
            .iter()
            .map(|((creator, currency), a)| {
                let total = a.carried_in.checked_add(a.accrued)?;
                let (whole, fraction) = total.split_minor();
                let (amount_minor, carried_out) = if whole >= thresholds.for_currency(currency) {
                    (whole, fraction)
                } else {
                    (0, total)
                };
                Ok(PayoutLine {
                    creator: creator.clone(),
                    currency: currency.clone(),
                    minor_units: a.minor_units,
                    carried_in: a.carried_in,
                    accrued: a.accrued,
                    total,
                    amount_minor,
                    carried_out,
                    line_count: a.line_count,
                })
            })
            .collect()
    }
}

/// The payout lines of a settlement (see the module docs). Refuses invalid
/// lines, two lines with one [`crate::line::LineKey`], a currency given with
/// different minor units, and overflow.
pub fn compute_payouts(
    lines: &[LedgerLine],
    carried_in: &CarriedBalances,
    thresholds: &Thresholds,
) -> Result<Vec<PayoutLine>, SettlementError> {
    let mut acc = Accumulator::new(carried_in)?;
    for line in lines {
        acc.add(line)?;
    }
    acc.payouts(thresholds)
}

/// One currency, one number of minor units, across a settlement.
fn same_minor_units(
    known: &mut BTreeMap<String, u8>,
    currency: &str,
    units: u8,
) -> Result<(), SettlementError> {
    let first = *known.entry(currency.to_owned()).or_insert(units);
    if first == units {
        Ok(())
    } else {
        Err(malformed(format!(
            "{currency} is given with {first} and with {units} minor units"
        )))
    }
}

/// The balances `payouts` carry to the next settlement (non-zero ones).
pub fn carried_balances(payouts: &[PayoutLine]) -> CarriedBalances {
    payouts
        .iter()
        .filter(|p| p.carried_out != Atto::ZERO)
        .map(|p| {
            (
                (p.creator.clone(), p.currency.clone()),
                Carried {
                    minor_units: p.minor_units,
                    amount: p.carried_out,
                },
            )
        })
        .collect()
}

/// Splits `pool` among creators by their usage `units`, exactly: the parts
/// sum to `pool`, each is the floor of its share plus at most one atto-unit
/// (largest remainders, ties to the earlier creator). Results are in the
/// order given. A non-zero pool with no usage is refused
/// ([`SettlementError::NothingToAllocate`]) rather than silently kept.
pub fn allocate_pool(
    pool: Atto,
    weights: &[(String, u64)],
) -> Result<Vec<(String, Atto)>, SettlementError> {
    let mut seen = BTreeSet::new();
    for (creator, _) in weights {
        check_did_key("pool creator", creator)?;
        if !seen.insert(creator.as_str()) {
            return Err(malformed(format!("{creator} is listed twice in the pool")));
        }
    }
    let units: Vec<u128> = weights.iter().map(|(_, u)| u128::from(*u)).collect();
    if pool != Atto::ZERO && units.iter().all(|u| *u == 0) {
        return Err(SettlementError::NothingToAllocate(pool.to_string()));
    }
    let parts = allocate(pool, &units)?;
    Ok(weights
        .iter()
        .zip(parts)
        .map(|((creator, _), part)| (creator.clone(), part))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{creator, line};
    use fairtrain_core::money::ATTO_PER_MINOR;

    const A: u128 = ATTO_PER_MINOR;

    fn carried(c: u8, currency: &str, minor_units: u8, amount: u128) -> CarriedBalances {
        [(
            (creator(c), currency.to_owned()),
            Carried {
                minor_units,
                amount: Atto(amount),
            },
        )]
        .into_iter()
        .collect()
    }

    #[test]
    fn floor_carry_and_threshold() {
        // Creator 1: 2000 uses at 0.05 cents = 100 cents, plus 0.3 cent carried.
        // Creator 2: 99.5 cents: under the default minimum of 100, all carried.
        let lines = vec![
            line(1, 0, 1000, 50 * A),
            line(1, 1, 1000, 50 * A),
            line(2, 2, 1990, 99 * A + A / 2),
        ];
        let out = compute_payouts(
            &lines,
            &carried(1, "USD", 2, 3 * A / 10),
            &Thresholds::default(),
        )
        .unwrap();
        assert_eq!(out.len(), 2);
        let (p1, p2) = if out[0].creator == creator(1) {
            (&out[0], &out[1])
        } else {
            (&out[1], &out[0])
        };
        assert!(out[0].creator < out[1].creator);
        assert_eq!(p1.accrued, Atto(100 * A));
        assert_eq!(p1.amount_minor, 100);
        assert_eq!(p1.carried_out, Atto(3 * A / 10));
        assert_eq!(p1.line_count, 2);
        assert_eq!(p2.amount_minor, 0);
        assert_eq!(p2.carried_out, Atto(99 * A + A / 2));
        for p in &out {
            p.check().unwrap();
        }
        // A threshold of 0 pays every whole minor unit.
        let mut t = Thresholds::default();
        t.per_currency.insert("USD".into(), 0);
        let out = compute_payouts(&lines, &BTreeMap::new(), &t).unwrap();
        assert!(out.iter().all(|p| p.carried_out.0 < A));
        assert_eq!(out.iter().map(|p| p.amount_minor).sum::<u128>(), 199);
    }

    #[test]
    fn carried_only_balances_settle_and_zero_ones_vanish() {
        let t = Thresholds {
            default_minor: 1,
            per_currency: BTreeMap::new(),
        };
        let mut c = carried(3, "JPY", 0, 5 * A + 1);
        c.extend(carried(4, "USD", 2, 0));
        let out = compute_payouts(&[], &c, &t).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(
            (out[0].amount_minor, out[0].carried_out, out[0].line_count),
            (5, Atto(1), 0)
        );
        assert_eq!(out[0].minor_units, 0);
        assert_eq!(carried_balances(&out), carried(3, "JPY", 0, 1));
    }

    #[test]
    fn refusals() {
        let t = Thresholds::default();
        let none = BTreeMap::new();
        let l = line(1, 0, 10, 5);
        assert!(matches!(
            compute_payouts(&[l.clone(), l.clone()], &none, &t),
            Err(SettlementError::DuplicateLine(_))
        ));
        // The same event for another asset is another line.
        let mut other_asset = l.clone();
        other_asset.leaf_index = 1;
        assert!(compute_payouts(&[l.clone(), other_asset], &none, &t).is_ok());
        let mut odd = line(2, 1, 10, 5);
        odd.minor_units = 3;
        assert!(matches!(
            compute_payouts(&[l.clone(), odd], &none, &t),
            Err(SettlementError::Malformed(_))
        ));
        assert!(matches!(
            compute_payouts(std::slice::from_ref(&l), &carried(1, "USD", 3, 1), &t),
            Err(SettlementError::Malformed(_))
        ));
        let mut bad = l.clone();
        bad.currency = "usd".into();
        assert!(compute_payouts(&[bad], &none, &t).is_err());
        let mut bad_carry = carried(1, "USD", 2, 1);
        bad_carry.insert(
            ("not a did".into(), "USD".into()),
            Carried {
                minor_units: 2,
                amount: Atto(1),
            },
        );
        assert!(compute_payouts(&[], &bad_carry, &t).is_err());
        let huge = line(1, 1, 10, u128::MAX);
        assert_eq!(
            compute_payouts(&[l, huge], &none, &t),
            Err(SettlementError::Overflow)
        );
    }

    /// A small deterministic generator (Knuth's MMIX LCG): no new dependency.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 16
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        /// Amounts of every size: sub-atto-ish, fractions of a cent, dollars.
        fn amount(&mut self) -> u128 {
            match self.below(4) {
                0 => u128::from(self.below(1000)),
                1 => u128::from(self.next()) * 1000,
                2 => u128::from(self.below(500)) * A,
                _ => u128::from(self.next()) * u128::from(self.below(1 << 20)),
            }
        }
    }

    #[test]
    fn invariants_hold_for_many_random_inputs() {
        let currencies = [("USD", 2u8), ("EUR", 2), ("JPY", 0), ("BHD", 3)];
        let mut rng = Lcg(20260615);
        for round in 0..400 {
            let n_lines = rng.below(60) as usize;
            let lines: Vec<LedgerLine> = (0..n_lines)
                .map(|i| {
                    let (cur, mu) = currencies[rng.below(4) as usize];
                    let mut l = line(rng.below(6) as u8, i as u64, rng.below(5000), rng.amount());
                    l.currency = cur.into();
                    l.minor_units = mu;
                    l
                })
                .collect();
            let mut carry = CarriedBalances::new();
            for _ in 0..rng.below(8) {
                let (cur, mu) = currencies[rng.below(4) as usize];
                carry.insert(
                    (creator(rng.below(8) as u8), cur.into()),
                    Carried {
                        minor_units: mu,
                        amount: Atto(rng.amount()),
                    },
                );
            }
            let mut thresholds = Thresholds {
                default_minor: u128::from(rng.below(300)),
                per_currency: BTreeMap::new(),
            };
            if rng.below(2) == 0 {
                thresholds
                    .per_currency
                    .insert("JPY".into(), u128::from(rng.below(3)));
            }
            let out = compute_payouts(&lines, &carry, &thresholds).unwrap();

            // Sorted by (creator, currency), one line each.
            assert!(out
                .windows(2)
                .all(|w| (&w[0].creator, &w[0].currency) < (&w[1].creator, &w[1].currency)));
            for p in &out {
                p.check().unwrap();
                let paid = Atto(p.amount_minor * A);
                assert_eq!(
                    paid.checked_add(p.carried_out).unwrap(),
                    p.carried_in.checked_add(p.accrued).unwrap(),
                    "round {round}"
                );
                let (whole, _) = p.total.split_minor();
                if whole >= thresholds.for_currency(&p.currency) {
                    assert_eq!(p.amount_minor, whole);
                    assert!(p.carried_out.0 < A);
                } else {
                    assert_eq!((p.amount_minor, p.carried_out), (0, p.total));
                }
            }
            // Sums over the output equal sums over the input, per currency.
            for (cur, _) in currencies {
                let sum = |it: &mut dyn Iterator<Item = Atto>| Atto::sum(it).unwrap();
                let in_lines =
                    sum(&mut lines.iter().filter(|l| l.currency == cur).map(|l| l.amount));
                let in_carry = sum(&mut carry
                    .iter()
                    .filter(|(k, _)| k.1 == cur)
                    .map(|(_, c)| c.amount));
                let mine: Vec<&PayoutLine> = out.iter().filter(|p| p.currency == cur).collect();
                assert_eq!(sum(&mut mine.iter().map(|p| p.accrued)), in_lines);
                assert_eq!(sum(&mut mine.iter().map(|p| p.carried_in)), in_carry);
                let paid: u128 = mine.iter().map(|p| p.amount_minor).sum();
                let carried_out = sum(&mut mine.iter().map(|p| p.carried_out));
                assert_eq!(
                    Atto(paid * A).checked_add(carried_out).unwrap(),
                    in_lines.checked_add(in_carry).unwrap()
                );
            }
            assert_eq!(
                out.iter().map(|p| p.line_count).sum::<u64>(),
                n_lines as u64
            );
            // The next period starts from what this one carried.
            let next = compute_payouts(&[], &carried_balances(&out), &thresholds).unwrap();
            let carried_total =
                |ps: &[PayoutLine]| Atto::sum(ps.iter().map(|p| p.carried_in)).unwrap();
            assert_eq!(
                carried_total(&next),
                Atto::sum(out.iter().map(|p| p.carried_out)).unwrap()
            );
        }
    }

    #[test]
    fn pools_split_exactly() {
        let w = vec![(creator(1), 1), (creator(2), 1), (creator(3), 1)];
        let parts = allocate_pool(Atto(10), &w).unwrap();
        assert_eq!(
            parts.iter().map(|(_, a)| a.0).collect::<Vec<_>>(),
            vec![4, 3, 3]
        );
        assert_eq!(parts[2].0, creator(3));
        let mut rng = Lcg(7);
        for _ in 0..200 {
            let pool = Atto(rng.amount());
            let w: Vec<(String, u64)> = (0..1 + rng.below(9) as u8)
                .map(|c| (creator(c), rng.below(1_000_000) + 1))
                .collect();
            let parts = allocate_pool(pool, &w).unwrap();
            assert_eq!(Atto::sum(parts.iter().map(|(_, a)| *a)).unwrap(), pool);
        }
        assert_eq!(
            allocate_pool(Atto(5), &[(creator(1), 0)]),
            Err(SettlementError::NothingToAllocate("5".into()))
        );
        assert_eq!(
            allocate_pool(Atto(5), &[]),
            Err(SettlementError::NothingToAllocate("5".into()))
        );
        assert_eq!(
            allocate_pool(Atto::ZERO, &[(creator(1), 0)]).unwrap(),
            vec![(creator(1), Atto::ZERO)]
        );
        assert!(allocate_pool(Atto(5), &[(creator(1), 1), (creator(1), 2)]).is_err());
        assert!(allocate_pool(Atto(5), &[("x".into(), 1)]).is_err());
    }
}
