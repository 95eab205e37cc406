//! Test keys and lines. Panics on misuse: test code only.

use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::fields::urn_uuid_v4;
use fairtrain_core::key_set::PublishedKey;
use fairtrain_core::money::Atto;
use fairtrain_core::time::Timestamp;

use crate::line::{LedgerLine, LineKind};

pub fn t(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).expect("a test timestamp")
}

/// The test platform's signing key.
pub fn platform() -> SigningKey {
    SigningKey::from_seed(&[77; 32])
}

/// Another key, never published.
pub fn rogue() -> SigningKey {
    SigningKey::from_seed(&[66; 32])
}

/// The test platform's published keys (one, active since 2026-01-01).
pub fn published_keys() -> Vec<PublishedKey> {
    vec![PublishedKey::describe(
        platform().public_key(),
        true,
        t("2026-01-01T00:00:00Z"),
        None,
    )]
}

/// Creator `i`'s did:key.
pub fn creator(i: u8) -> String {
    DidKey::from_public_key(SigningKey::from_seed(&[100u8.wrapping_add(i); 32]).public_key())
        .to_string()
}

/// A urn:uuid from a small number.
pub fn uuid(n: u64) -> String {
    let mut bytes = [0u8; 16];
    bytes[8..].copy_from_slice(&n.to_be_bytes());
    urn_uuid_v4(bytes)
}

/// A USD usage line for creator `c` on asset `leaf_index` of manifest 1.
pub fn line(c: u8, leaf_index: u64, units: u64, amount: u128) -> LedgerLine {
    LedgerLine {
        event_id: format!("evt-{leaf_index}-{c}"),
        event_hash: Sha256Digest::of(&leaf_index.to_be_bytes()),
        manifest_id: uuid(1),
        leaf_index,
        creator: creator(c),
        model_id: "model-7b".into(),
        training_run_id: "run-1".into(),
        kind: LineKind::Usage,
        units,
        currency: "USD".into(),
        minor_units: 2,
        amount: Atto(amount),
        priced_at: t("2026-06-15T12:00:00Z"),
    }
}

/// Four lines: creator 1 in USD (two) and EUR (one), creator 2 in USD.
pub fn settlement_lines() -> Vec<LedgerLine> {
    let a = fairtrain_core::money::ATTO_PER_MINOR;
    let mut eur = line(1, 3, 100, 250 * a + 17);
    eur.currency = "EUR".into();
    vec![
        line(1, 0, 1000, 600 * a + 5),
        line(2, 1, 10, 40 * a),
        line(1, 2, 1000, 500 * a),
        eur,
    ]
}

/// Creator 1 carries 7 atto-cents in, creator 2 0.3 cents.
pub fn settlement_carried() -> crate::compute::CarriedBalances {
    let a = fairtrain_core::money::ATTO_PER_MINOR;
    [(1, 7), (2, 3 * a / 10)]
        .into_iter()
        .map(|(c, amount)| {
            (
                (creator(c), "USD".to_owned()),
                crate::compute::Carried {
                    minor_units: 2,
                    amount: Atto(amount),
                },
            )
        })
        .collect()
}

/// The settlement of June 2026 over [`settlement_lines`]: creator 1 is paid
/// 1100 cents and 250 euro cents, creator 2 (40.3 cents) carries everything.
pub fn settlement() -> crate::statement::SettlementFields {
    let lines = settlement_lines();
    let payouts = crate::compute::compute_payouts(
        &lines,
        &settlement_carried(),
        &crate::compute::Thresholds::default(),
    )
    .expect("the fixture settles")
    .into_iter()
    .enumerate()
    .map(|(i, p)| crate::payout::StatementPayout::new(uuid(100 + i as u64), p))
    .collect();
    crate::statement::SettlementFields::new(
        uuid(1000),
        t("2026-07-01T00:05:00Z"),
        t("2026-06-01T00:00:00Z"),
        t("2026-07-01T00:00:00Z"),
        &lines,
        payouts,
    )
    .expect("the fixture's fields")
}
