//! Pricing one usage event by its manifest's usage policy
//! (`usage_policy.attribution_model` and `usage_policy.price`).
//!
//! Amounts are exact [`Atto`] (10^-18 of a minor unit, `fairtrain_core::money`);
//! the rate is `Rate::from_price(price)`, atto-units per use. Per model:
//!
//! | model | event's charge |
//! |---|---|
//! | `per_sample` | rate × `samples_count`, split across the event's assets |
//! | `per_batch` | rate × 1 (one batch), split across the event's assets |
//! | `per_epoch` | rate for each asset whose `first_in_epoch` flag is set, 0 for the others |
//! | `subscription`, `revenue_share` | 0 now: allocated at settlement by usage share |
//!
//! - "Split" is exact: `money::allocate` with equal weights, each asset the
//!   floor of its share and the leftover atto-units one each to the earlier
//!   assets, so the parts always add up to the total.
//! - `per_epoch` charges an asset once per (buyer, manifest, asset,
//!   `training_run_id`, `epoch`): the Worker decides which event is the first
//!   for that key (a unique key in D1; the buyer is part of it because run
//!   ids are the orchestrator's own names) and passes one flag per listed
//!   asset. The flags are ignored by the other models (pass `&[]`).
//! - `units`, for every model, is the asset's share of `samples_count`, split
//!   equally with the same rule (floor, remainder one each to the earlier
//!   assets): the usage share that subscription and revenue-share payouts are
//!   later divided by. The units of an event always add up to `samples_count`.
//!
//! Charges come back one per listed asset, in listed order.

use fairtrain_core::money::{allocate, Atto, MoneyError, Rate};
use fairtrain_manifest::terms::{AttributionModel, UsagePolicy};

use crate::event::{UsageEvent, MAX_ASSETS_PER_EVENT, MAX_SAMPLES_PER_EVENT};

/// One asset's part of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AssetCharge {
    /// The asset's share of the event's samples.
    pub units: u64,
    /// What the event owes for the asset now.
    pub amount: Atto,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error("the usage policy's price is unusable: {0}")]
    Price(MoneyError),
    #[error("the charge is too large to represent")]
    Overflow,
    #[error("an event must list 1 to {MAX_ASSETS_PER_EVENT} assets, not {0}")]
    AssetCount(usize),
    #[error("samples_count {0} is above the limit of {MAX_SAMPLES_PER_EVENT}")]
    TooManySamples(u64),
    #[error(
        "per_epoch pricing needs one first_in_epoch flag per asset: {assets} assets, {flags} flags"
    )]
    FlagCount { assets: usize, flags: usize },
}

impl From<MoneyError> for PricingError {
    fn from(e: MoneyError) -> Self {
        match e {
            MoneyError::Overflow => PricingError::Overflow,
            other => PricingError::Price(other),
        }
    }
}

/// `total` split equally into `n` parts, the remainder one each to the first
/// parts (integer largest remainder with equal weights).
pub fn split_units(total: u64, n: usize) -> Vec<u64> {
    if n == 0 {
        return Vec::new();
    }
    let n64 = n as u64;
    let (base, extra) = (total / n64, total % n64);
    (0..n64).map(|i| base + u64::from(i < extra)).collect()
}

/// Prices `event` under `policy` (rules in the module docs).
pub fn price_event(
    policy: &UsagePolicy,
    event: &UsageEvent,
    first_in_epoch: &[bool],
) -> Result<Vec<AssetCharge>, PricingError> {
    let n = event.assets.len();
    if n == 0 || n > MAX_ASSETS_PER_EVENT {
        return Err(PricingError::AssetCount(n));
    }
    if event.samples_count > MAX_SAMPLES_PER_EVENT {
        return Err(PricingError::TooManySamples(event.samples_count));
    }
    let rate = Rate::from_price(&policy.price)?;
    let equal = vec![1u128; n];
    let amounts: Vec<Atto> = match policy.attribution_model {
        AttributionModel::PerSample => {
            allocate(rate.times(u128::from(event.samples_count))?, &equal)?
        }
        AttributionModel::PerBatch => allocate(rate.times(1)?, &equal)?,
        AttributionModel::PerEpoch => {
            if first_in_epoch.len() != n {
                return Err(PricingError::FlagCount {
                    assets: n,
                    flags: first_in_epoch.len(),
                });
            }
            first_in_epoch
                .iter()
                .map(|&first| if first { rate.per_use } else { Atto::ZERO })
                .collect()
        }
        AttributionModel::Subscription | AttributionModel::RevenueShare => vec![Atto::ZERO; n],
    };
    Ok(split_units(event.samples_count, n)
        .into_iter()
        .zip(amounts)
        .map(|(units, amount)| AssetCharge { units, amount })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::tests::event;
    use crate::event::AssetRefs;
    use fairtrain_consent::consent::Use;
    use fairtrain_core::money::ATTO_PER_MINOR;
    use fairtrain_manifest::terms::Price;

    fn policy(model: AttributionModel, per_use: &str, minor_units: u8) -> UsagePolicy {
        UsagePolicy {
            allowed_uses: vec![Use::AiTraining],
            commercial: true,
            attribution_model: model,
            price: Price {
                currency: "USD".into(),
                minor_units,
                per_use: per_use.into(),
            },
        }
    }

    fn with_assets(n: u64, samples: u64) -> UsageEvent {
        let mut e = event("e1");
        e.assets = AssetRefs::LeafIndexes((0..n).collect());
        e.samples_count = samples;
        e
    }

    fn amounts(c: &[AssetCharge]) -> Vec<u128> {
        c.iter().map(|c| c.amount.0).collect()
    }

    fn units(c: &[AssetCharge]) -> Vec<u64> {
        c.iter().map(|c| c.units).collect()
    }

    /// 0.0005 USD = 0.05 cents = 5 * 10^16 atto-cents.
    const HALF_MILLI: u128 = 50_000_000_000_000_000;

    #[test]
    fn per_sample_splits_exactly() {
        let p = policy(AttributionModel::PerSample, "0.0005", 2);
        let c = price_event(&p, &with_assets(2, 512), &[]).unwrap();
        assert_eq!(units(&c), [256, 256]);
        assert_eq!(amounts(&c), [256 * HALF_MILLI, 256 * HALF_MILLI]);
        // 7 atto per sample, 5 samples, 3 assets: 35 = 12 + 12 + 11, units 2, 2, 1.
        let p = policy(AttributionModel::PerSample, "0.000000000000000007", 0);
        let c = price_event(&p, &with_assets(3, 5), &[]).unwrap();
        assert_eq!(amounts(&c), [12, 12, 11]);
        assert_eq!(units(&c), [2, 2, 1]);
        // More assets than samples: some assets get no units, but all share the charge.
        let c = price_event(&p, &with_assets(4, 1), &[]).unwrap();
        assert_eq!(units(&c), [1, 0, 0, 0]);
        assert_eq!(amounts(&c), [2, 2, 2, 1]);
    }

    #[test]
    fn per_batch_charges_one_use_per_event() {
        let p = policy(AttributionModel::PerBatch, "0.03", 2); // 3 cents per batch
        let c = price_event(&p, &with_assets(3, 1000), &[]).unwrap();
        assert_eq!(amounts(&c), [ATTO_PER_MINOR; 3]);
        assert_eq!(units(&c), [334, 333, 333]);
        let c = price_event(&p, &with_assets(1, 1_000_000), &[]).unwrap();
        assert_eq!(amounts(&c), [3 * ATTO_PER_MINOR]);
        // The samples do not matter, only the event.
        let c = price_event(&p, &with_assets(1, 1), &[]).unwrap();
        assert_eq!(amounts(&c), [3 * ATTO_PER_MINOR]);
    }

    #[test]
    fn per_epoch_charges_only_first_uses() {
        let p = policy(AttributionModel::PerEpoch, "2", 2); // 200 cents per asset-epoch
        let c = price_event(&p, &with_assets(3, 10), &[true, false, true]).unwrap();
        assert_eq!(amounts(&c), [200 * ATTO_PER_MINOR, 0, 200 * ATTO_PER_MINOR]);
        assert_eq!(units(&c), [4, 3, 3]);
        let c = price_event(&p, &with_assets(2, 10), &[false, false]).unwrap();
        assert_eq!(amounts(&c), [0, 0]);
        assert_eq!(
            price_event(&p, &with_assets(3, 10), &[true]),
            Err(PricingError::FlagCount {
                assets: 3,
                flags: 1
            })
        );
        assert!(price_event(&p, &with_assets(1, 10), &[]).is_err());
        // Other models ignore the flags.
        let ps = policy(AttributionModel::PerSample, "2", 2);
        assert_eq!(
            price_event(&ps, &with_assets(2, 10), &[true]).unwrap(),
            price_event(&ps, &with_assets(2, 10), &[]).unwrap()
        );
    }

    #[test]
    fn subscription_and_revenue_share_record_units_only() {
        for model in [
            AttributionModel::Subscription,
            AttributionModel::RevenueShare,
        ] {
            let p = policy(model, "100", 2);
            let c = price_event(&p, &with_assets(3, 7), &[]).unwrap();
            assert_eq!(amounts(&c), [0, 0, 0], "{model}");
            assert_eq!(units(&c), [3, 2, 2], "{model}");
        }
    }

    #[test]
    fn units_split_by_largest_remainder() {
        assert_eq!(split_units(10, 3), [4, 3, 3]);
        assert_eq!(split_units(11, 3), [4, 4, 3]);
        assert_eq!(split_units(9, 3), [3, 3, 3]);
        assert_eq!(split_units(2, 5), [1, 1, 0, 0, 0]);
        assert_eq!(split_units(7, 0), Vec::<u64>::new());
        // Same as money::allocate with equal weights.
        for total in [0u64, 1, 63, 64, 65, 1_000_000_007] {
            for n in [1usize, 2, 7, 64] {
                let alloc: Vec<u64> = allocate(Atto(u128::from(total)), &vec![1; n])
                    .unwrap()
                    .iter()
                    .map(|a| a.0 as u64)
                    .collect();
                assert_eq!(split_units(total, n), alloc, "{total}/{n}");
                assert_eq!(split_units(total, n).iter().sum::<u64>(), total);
            }
        }
    }

    /// Prices a million events (1 to 64 assets, varied sample counts) under
    /// `model` at `per_use` and checks the total is exactly the rate times
    /// the uses, and the units exactly the samples.
    fn a_million_events(model: AttributionModel, per_use: &str, minor: u8) {
        let p = policy(model, per_use, minor);
        let rate = Rate::from_price(&p.price).unwrap().per_use;
        let mut templates: Vec<UsageEvent> = (1..=64).map(|n| with_assets(n, 1)).collect();
        let (mut charged, mut samples, mut units_total) = (Atto::ZERO, 0u128, 0u128);
        const EVENTS: u64 = 1_000_000;
        for i in 0..EVENTS {
            let e = &mut templates[(i % 64) as usize];
            e.samples_count = 1 + (i * 7919) % 100_003;
            samples += u128::from(e.samples_count);
            for part in price_event(&p, e, &[]).unwrap() {
                charged = charged.checked_add(part.amount).unwrap();
                units_total += u128::from(part.units);
            }
        }
        let uses = match model {
            AttributionModel::PerSample => samples,
            _ => u128::from(EVENTS),
        };
        assert_eq!(charged, Atto(rate.0 * uses), "{model} at {per_use}");
        assert_eq!(units_total, samples);
    }

    // Split in three so the test harness runs them in parallel.
    #[test]
    fn a_million_events_per_sample_at_a_rate_nothing_divides() {
        a_million_events(AttributionModel::PerSample, "0.000000000000000007", 0);
    }

    #[test]
    fn a_million_events_per_sample_at_half_a_tenth_of_a_cent() {
        a_million_events(AttributionModel::PerSample, "0.0005", 2);
    }

    #[test]
    fn a_million_events_per_batch() {
        a_million_events(AttributionModel::PerBatch, "0.000000000000000007", 0);
    }

    #[test]
    fn guards() {
        // rate * samples beyond u128: an error, not a wrap.
        // The largest price (18 integer digits) is ~10^38 atto-cents per use.
        let p = policy(AttributionModel::PerSample, "999999999999999999", 2);
        assert_eq!(
            price_event(&p, &with_assets(1, 4), &[]),
            Err(PricingError::Overflow)
        );
        assert!(price_event(&p, &with_assets(2, 3), &[]).is_ok());
        // A price that is itself beyond u128 atto-units.
        let p = policy(AttributionModel::PerBatch, "999999999999999999", 6);
        assert_eq!(
            price_event(&p, &with_assets(1, 1), &[]),
            Err(PricingError::Overflow)
        );
        let too_fine = policy(AttributionModel::PerSample, "0.0000000000000000001", 0);
        assert!(matches!(
            price_event(&too_fine, &with_assets(1, 1), &[]),
            Err(PricingError::Price(_))
        ));
        let mut bad_currency = policy(AttributionModel::PerBatch, "1", 2);
        bad_currency.price.currency = "usd".into();
        assert!(matches!(
            price_event(&bad_currency, &with_assets(1, 1), &[]),
            Err(PricingError::Price(_))
        ));
        let ok = policy(AttributionModel::PerSample, "1", 2);
        assert_eq!(
            price_event(&ok, &with_assets(0, 1), &[]),
            Err(PricingError::AssetCount(0))
        );
        assert_eq!(
            price_event(&ok, &with_assets(65, 1), &[]),
            Err(PricingError::AssetCount(65))
        );
        assert_eq!(
            price_event(&ok, &with_assets(1, MAX_SAMPLES_PER_EVENT + 1), &[]),
            Err(PricingError::TooManySamples(MAX_SAMPLES_PER_EVENT + 1))
        );
        // A billion USD per sample over the most samples an event may carry
        // (10^29 atto-cents x 10^9 = 10^38, under u128::MAX) still prices.
        let big = policy(AttributionModel::PerSample, "1000000000", 2);
        let c = price_event(&big, &with_assets(64, MAX_SAMPLES_PER_EVENT), &[]).unwrap();
        assert_eq!(
            Atto::sum(c.iter().map(|c| c.amount)).unwrap(),
            Rate::from_price(&big.price)
                .unwrap()
                .times(u128::from(MAX_SAMPLES_PER_EVENT))
                .unwrap()
        );
    }
}
