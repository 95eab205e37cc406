//! Field rules every signed document shares, whatever its domain: closed
//! vocabularies, `urn:uuid` ids, text, UTC times, JSON-safe integers,
//! decimals, prices and JCS hashes. One copy of each rule, so a field means
//! the same thing in every document.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::digest::Sha256Digest;
use crate::jcs;
use crate::time::Timestamp;

/// A term outside a closed vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {vocabulary} {term:?} (expected one of: {expected})")]
pub struct UnknownTerm {
    pub vocabulary: &'static str,
    pub term: String,
    pub expected: String,
}

/// A closed vocabulary as a Rust enum: serde as the exact strings, `FromStr`,
/// `Display`, `as_str` and `ALL`. Exported so every crate's closed sets of
/// codes (refusal reasons, attribution models, …) are made the same way.
#[macro_export]
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident ($label:literal) { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every term, in vocabulary order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::fields::UnknownTerm;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::fields::UnknownTerm {
                        vocabulary: $label,
                        term: text.to_owned(),
                        expected: [$($text),+].join(", "),
                    }),
                }
            }
        }
    };
}
pub use crate::vocabulary;

/// `urn:uuid:` + a lowercase RFC 9562 UUID (one spelling per id).
pub fn is_urn_uuid(text: &str) -> bool {
    let Some(uuid) = text.strip_prefix("urn:uuid:") else {
        return false;
    };
    let b = uuid.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => matches!(c, b'0'..=b'9' | b'a'..=b'f'),
        })
}

/// A random (version 4) UUID as `urn:uuid:…`, from 16 random bytes the caller
/// supplies (this crate has no RNG of its own on wasm).
pub fn urn_uuid_v4(mut random: [u8; 16]) -> String {
    random[6] = (random[6] & 0x0f) | 0x40;
    random[8] = (random[8] & 0x3f) | 0x80;
    let h = hex::encode(random);
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Printable ASCII without spaces, 1..=`max` bytes: ids, versions, labels.
pub fn is_token_text(text: &str, max: usize) -> bool {
    !text.is_empty() && text.len() <= max && text.bytes().all(|b| b.is_ascii_graphic())
}

/// Free text: 1..=`max` characters, no control characters.
pub fn is_free_text(text: &str, max: usize) -> bool {
    !text.is_empty() && text.chars().count() <= max && !text.chars().any(char::is_control)
}

/// RFC 3339 in UTC (`Z`), as the formats require; any precision (kept to
/// the millisecond).
pub fn parse_utc(text: &str) -> Option<Timestamp> {
    if !text.ends_with('Z') {
        return None;
    }
    Timestamp::parse_rfc3339(text).ok()
}

/// Whether every item is listed once (ids, hashes, terms in a signed list).
pub fn all_distinct<T: Ord>(items: impl IntoIterator<Item = T>) -> bool {
    let mut seen = BTreeSet::new();
    items.into_iter().all(|item| seen.insert(item))
}

/// The largest integer JSON (I-JSON, JCS) carries exactly: 2^53 - 1.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// SHA-256 of the JCS form of a JSON value (consent, envelope, receipt hashes).
pub fn jcs_hash(value: &Value) -> Result<Sha256Digest, jcs::JcsError> {
    Ok(Sha256Digest::of(&jcs::canonicalize_bytes(value)?))
}

/// The price per use. Amounts are decimal strings, never floats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// ISO 4217 style: three uppercase letters.
    pub currency: String,
    /// Decimal places of the currency's minor unit, 0..=6 (USD: 2).
    pub minor_units: u8,
    /// Non-negative decimal, e.g. `0.0005` (at most 18 digits after the point).
    pub per_use: String,
}

impl Price {
    /// The price rules; the error names the field that breaks one.
    pub fn check(&self) -> Result<(), &'static str> {
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err("price.currency must be three uppercase letters");
        }
        if self.minor_units > 6 {
            return Err("price.minor_units must be 0-6");
        }
        if !is_decimal(&self.per_use) {
            return Err("price.per_use must be a non-negative decimal string like \"0.0005\"");
        }
        Ok(())
    }
}

/// `digits [ "." digits ]`, no sign, no exponent, no superfluous leading
/// zero, at most 18 integer and 18 fraction digits.
pub fn is_decimal(text: &str) -> bool {
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 18 && s.bytes().all(|b| b.is_ascii_digit());
    digits(int) && (int == "0" || !int.starts_with('0')) && frac.is_none_or(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urn_uuids() {
        let id = urn_uuid_v4([0xff; 16]);
        assert_eq!(id, "urn:uuid:ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert!(is_urn_uuid(&id));
        assert!(!is_urn_uuid(
            "urn:uuid:FFFFFFFF-ffff-4fff-bfff-ffffffffffff"
        ));
        assert!(!is_urn_uuid("ffffffff-ffff-4fff-bfff-ffffffffffff"));
        assert!(!is_urn_uuid("urn:uuid:ffffffff-ffff-4fff-bfff-fffffffffff"));
        assert!(!is_urn_uuid(
            "urn:uuid:ffffffffcffffc4fffcbfffcffffffffffff"
        ));
    }

    #[test]
    fn decimals() {
        for ok in [
            "0",
            "0.0005",
            "12",
            "12.50",
            "999999999999999999.000000000000000001",
        ] {
            assert!(is_decimal(ok), "{ok}");
        }
        for bad in [
            "", ".5", "5.", "-1", "+1", "1e3", "0x1", "00", "01.5", "1.2.3", " 1", "１",
        ] {
            assert!(!is_decimal(bad), "{bad}");
        }
    }

    #[test]
    fn distinctness() {
        assert!(all_distinct([1, 2, 3]));
        assert!(!all_distinct([1, 2, 1]));
        assert!(all_distinct(Vec::<u8>::new()));
        assert!(!all_distinct(&["a".to_owned(), "a".to_owned()]));
    }

    #[test]
    fn utc_times_need_z() {
        assert!(parse_utc("2026-01-01T00:00:00Z").is_some());
        assert!(parse_utc("2026-01-01T00:00:00.000Z").is_some());
        assert!(parse_utc("2026-01-01T01:00:00+01:00").is_none());
        assert!(parse_utc("2026-01-01T00:00:00z").is_none());
        assert!(parse_utc("2026-01-01").is_none());
    }
}
