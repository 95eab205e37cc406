//! Field rules the documents here share: fairtrain-core's where core has
//! them (imported, so one field means one thing across every signed document
//! and each rule has one copy), wrapped to name the field in this crate's
//! errors.

use fairtrain_core::did_key::DidKey;
use fairtrain_core::fields::{is_urn_uuid, MAX_SAFE_INTEGER};
use fairtrain_core::json_shape::parse_canonical_time;
use fairtrain_core::time::Timestamp;
use fairtrain_tlog::Hash;

use crate::error::{malformed, SettlementError};

pub(crate) use fairtrain_core::fields::{all_distinct, is_free_text, is_token_text};

/// Longest id or label (event ids, model ids, run ids): the log's text limit.
pub(crate) const MAX_ID_LEN: usize = 200;

/// ISO 4217 style: three uppercase letters; minor units 0..=6 (core::money).
pub(crate) fn check_currency(currency: &str, minor_units: u8) -> Result<(), SettlementError> {
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(malformed(format!(
            "currency {currency:?} must be three uppercase letters"
        )));
    }
    if minor_units > 6 {
        return Err(malformed(format!("{currency}: minor_units must be 0-6")));
    }
    Ok(())
}

pub(crate) fn check_urn_uuid(name: &str, id: &str) -> Result<(), SettlementError> {
    if is_urn_uuid(id) {
        Ok(())
    } else {
        Err(malformed(format!(
            "{name} must be urn:uuid:<lowercase uuid>"
        )))
    }
}

pub(crate) fn check_token(name: &str, text: &str) -> Result<(), SettlementError> {
    if is_token_text(text, MAX_ID_LEN) {
        Ok(())
    } else {
        Err(malformed(format!(
            "{name} must be 1-{MAX_ID_LEN} printable ASCII characters without spaces"
        )))
    }
}

/// A did:key in its one spelling (creators are compared as text).
pub(crate) fn check_did_key(name: &str, text: &str) -> Result<(), SettlementError> {
    match DidKey::parse(text) {
        Ok(did) if did.to_string() == text => Ok(()),
        _ => Err(malformed(format!("{name} must be an Ed25519 did:key"))),
    }
}

/// Integers in signed JSON are numbers only up to 2^53 - 1 (I-JSON, JCS).
pub(crate) fn check_safe(name: &str, n: u64) -> Result<(), SettlementError> {
    if n <= MAX_SAFE_INTEGER {
        Ok(())
    } else {
        Err(malformed(format!("{name} must be at most 2^53 - 1")))
    }
}

/// A timestamp in its one canonical spelling ([`Timestamp::format_rfc3339`]),
/// so a signed document can be rebuilt exactly from its typed fields.
pub(crate) fn time(name: &str, text: &str) -> Result<Timestamp, SettlementError> {
    parse_canonical_time(text).ok_or_else(|| {
        malformed(format!(
            "{name} must be an RFC 3339 UTC date-time in canonical form (e.g. 2026-01-15T12:34:56Z)"
        ))
    })
}

pub(crate) fn hash(name: &str, text: &str) -> Result<Hash, SettlementError> {
    Hash::from_base64(text).map_err(|e| malformed(format!("{name}: {e}")))
}

/// Whether the items are in strictly ascending order (sorted and distinct).
pub(crate) fn strictly_ascending<T: Ord>(items: &[T]) -> bool {
    items.windows(2).all(|w| w[0] < w[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert!(check_currency("USD", 2).is_ok());
        for (c, m) in [("usd", 2), ("US", 2), ("USDT", 2), ("USD", 7), ("U$D", 2)] {
            assert!(check_currency(c, m).is_err(), "{c} {m}");
        }
        assert!(check_token("id", "run-1").is_ok());
        assert!(check_token("id", "run 1").is_err());
        assert!(check_token("id", "").is_err());
        assert!(check_token("id", &"x".repeat(201)).is_err());
        assert!(check_did_key("c", "did:key:nope").is_err());
        assert!(check_safe("n", MAX_SAFE_INTEGER).is_ok());
        assert!(check_safe("n", MAX_SAFE_INTEGER + 1).is_err());
        assert!(time("t", "2026-01-01T00:00:00Z").is_ok());
        assert!(time("t", "2026-01-01T00:00:00.000Z").is_err());
        assert!(time("t", "2026-01-01T01:00:00+01:00").is_err());
        assert!(all_distinct([1, 2, 3]));
        assert!(!all_distinct([1, 2, 1]));
        assert!(strictly_ascending(&[1, 2, 3]));
        assert!(!strictly_ascending(&[1, 1]));
    }
}
