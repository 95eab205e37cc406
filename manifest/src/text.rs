//! Field rules the signed formats here share with fairtrain-core's own
//! (imported from there, so one field means one thing across every signed
//! document), plus the two only manifests need.

use std::collections::BTreeSet;

use fairtrain_core::time::Timestamp;

pub(crate) use fairtrain_core::consent::{is_decimal, is_free_text, is_token_text};

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
