//! `application/x-www-form-urlencoded` parsing and the re-encoding RFC 9421 §2.2.8 applies to
//! `@query-param` names and values, so that the signer and the verifier agree on one ASCII form
//! however the query was escaped (`+` or `%20`, `%2d` or `-`).

/// The `(name, value)` pairs of a query, decoded (WHATWG URL "application/x-www-form-urlencoded
/// parsing": split on `&`, skip empty pieces, split at the first `=`, `+` is a space,
/// percent-decode, UTF-8 decode with replacement).
pub fn parse(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            (decode(name), decode(value))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => match (b.get(i + 1).and_then(hex), b.get(i + 2).and_then(hex)) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                // A `%` not followed by two hex digits stays as it is (WHATWG percent-decode).
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: &u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Percent-encodes UTF-8 bytes with the application/x-www-form-urlencoded percent-encode set:
/// only ASCII alphanumerics and `*-._` stay as they are. Spaces become `%20`, not `+`, as in
/// RFC 9421 §2.2.8's example (`with+plus+whitespace` signs as `with%20plus%20whitespace`).
pub fn encode(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'.' | b'_') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xf)] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_decodes() {
        assert_eq!(
            parse("a=1&&b&c=x+y%2d%zz&=v&d=%C3%A7"),
            [
                ("a".into(), "1".into()),
                ("b".into(), "".into()),
                ("c".into(), "x y-%zz".into()),
                ("".into(), "v".into()),
                ("d".into(), "\u{e7}".into()),
            ]
        );
    }

    #[test]
    fn encode_keeps_only_the_safe_set() {
        assert_eq!(encode(b"aZ09*-._"), "aZ09*-._");
        assert_eq!(encode(b" !~/+%\n"), "%20%21%7E%2F%2B%25%0A");
    }
}
