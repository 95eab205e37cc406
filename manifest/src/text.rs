//! Field rules the signed formats here share. fairtrain-core has the same
//! rules for its own formats but keeps them crate-private (`consent::
//! is_free_text`, `is_token_text`, `parse_utc`, `is_decimal`); these follow
//! them exactly, so one field means one thing across every signed document.

use std::collections::BTreeSet;

use fairtrain_core::time::Timestamp;

/// Free text: 1..=`max` characters, no control characters.
pub(crate) fn is_free_text(text: &str, max: usize) -> bool {
    !text.is_empty() && text.chars().count() <= max && !text.chars().any(char::is_control)
}

/// Printable ASCII without spaces, 1..=`max` bytes: ids, labels.
pub(crate) fn is_token_text(text: &str, max: usize) -> bool {
    !text.is_empty() && text.len() <= max && text.bytes().all(|b| b.is_ascii_graphic())
}

/// `digits [ "." digits ]`, no sign, no exponent, no superfluous leading
/// zero, at most 18 integer and 18 fraction digits (amounts are strings).
pub(crate) fn is_decimal(text: &str) -> bool {
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 18 && s.bytes().all(|b| b.is_ascii_digit());
    digits(int) && (int == "0" || !int.starts_with('0')) && frac.is_none_or(digits)
}

/// A timestamp in its one canonical spelling ([`Timestamp::format_rfc3339`]:
/// UTC, `Z`, milliseconds only when not zero), so a signed document can be
/// rebuilt exactly from its typed fields.
pub(crate) fn parse_canonical_time(text: &str) -> Option<Timestamp> {
    Timestamp::parse_rfc3339(text)
        .ok()
        .filter(|t| t.format_rfc3339() == text)
}

/// Whether every item is listed once.
pub(crate) fn all_distinct<T: Ord>(items: &[T]) -> bool {
    let mut seen = BTreeSet::new();
    items.iter().all(|item| seen.insert(item))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_follow_core() {
        for ok in ["0", "0.0005", "12", "12.50"] {
            assert!(is_decimal(ok), "{ok}");
        }
        for bad in ["", ".5", "5.", "-1", "1e3", "00", "01.5", "1.2.3", " 1"] {
            assert!(!is_decimal(bad), "{bad}");
        }
    }

    #[test]
    fn times_have_one_spelling() {
        assert!(parse_canonical_time("2026-01-01T00:00:00Z").is_some());
        assert!(parse_canonical_time("2026-01-01T00:00:00.250Z").is_some());
        for other in [
            "2026-01-01T00:00:00.000Z",
            "2026-01-01T01:00:00+01:00",
            "2026-01-01t00:00:00z",
            "2026-01-01T00:00:00.25Z",
        ] {
            assert!(parse_canonical_time(other).is_none(), "{other}");
        }
    }
}
