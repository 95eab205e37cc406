//! The one number syntax every C2SP text format here uses: ASCII decimal,
//! no sign, no leading zeroes (except `0` itself), fitting in a u64.

pub(crate) fn parse_u64(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if bytes.len() > 1 && bytes[0] == b'0' {
        return None;
    }
    // Only digits remain, so the one possible failure is overflow.
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::parse_u64;

    #[test]
    fn canonical_only() {
        assert_eq!(parse_u64("0"), Some(0));
        assert_eq!(parse_u64("20852163"), Some(20_852_163));
        assert_eq!(parse_u64("18446744073709551615"), Some(u64::MAX));
        for bad in [
            "",
            "00",
            "01",
            "+1",
            "-0",
            " 1",
            "1 ",
            "1_000",
            "18446744073709551616",
            "１",
        ] {
            assert_eq!(parse_u64(bad), None, "{bad:?}");
        }
    }
}
