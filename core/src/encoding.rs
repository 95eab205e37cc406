//! Byte encodings used by the standards fairtrain speaks: base64 (RFC 4648),
//! base58btc, multibase and multicodec varints (multiformats, for `did:key`).
//!
//! Decoders are strict: one textual form per byte string, so that a signature
//! or key cannot be smuggled past a comparison in a second spelling.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;

/// Why a string could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodingError {
    #[error("invalid base64: {0}")]
    Base64(String),
    #[error("invalid base58btc: {0}")]
    Base58(String),
    #[error("empty multibase string")]
    EmptyMultibase,
    #[error("unsupported multibase prefix {0:?} (only 'z', base58btc, is supported)")]
    UnsupportedMultibase(char),
    #[error("truncated varint")]
    VarintTruncated,
    #[error("varint is longer than 9 bytes")]
    VarintTooLong,
    #[error("varint is not minimally encoded")]
    VarintNotMinimal,
    #[error("expected multicodec 0x{expected:x}, found 0x{found:x}")]
    WrongMulticodec { expected: u64, found: u64 },
}

/// Base64 with the standard alphabet and `=` padding (RFC 4648 §4).
pub fn base64_encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes padded standard base64. Rejects missing padding and non-zero
/// trailing bits, so each byte string has exactly one accepted spelling.
pub fn base64_decode(text: &str) -> Result<Vec<u8>, EncodingError> {
    STANDARD
        .decode(text)
        .map_err(|e| EncodingError::Base64(e.to_string()))
}

/// Base64url without padding (RFC 4648 §5, as JOSE and JWK use it).
pub fn base64url_encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes unpadded base64url; rejects `=` padding and non-zero trailing bits.
pub fn base64url_decode(text: &str) -> Result<Vec<u8>, EncodingError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|e| EncodingError::Base64(e.to_string()))
}

/// Base58 with the Bitcoin alphabet (no checksum), as multibase `z` uses it.
pub fn base58btc_encode(bytes: &[u8]) -> String {
    bs58::encode(bytes).into_string()
}

/// Decodes base58btc (no checksum).
pub fn base58btc_decode(text: &str) -> Result<Vec<u8>, EncodingError> {
    bs58::decode(text)
        .into_vec()
        .map_err(|e| EncodingError::Base58(e.to_string()))
}

/// The multibase prefix for base58btc.
pub const MULTIBASE_BASE58BTC: char = 'z';

/// Multibase, base58btc flavour: `z` followed by the base58btc text.
/// (The only multibase that did:key and Data Integrity proofs use.)
pub fn multibase_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(1 + bytes.len() * 138 / 100 + 1);
    out.push(MULTIBASE_BASE58BTC);
    out.push_str(&base58btc_encode(bytes));
    out
}

/// Decodes a multibase string. Only `z` (base58btc) is accepted: the specs we
/// implement require it, and accepting other bases would give one value
/// several spellings.
pub fn multibase_decode(text: &str) -> Result<Vec<u8>, EncodingError> {
    let mut chars = text.chars();
    match chars.next() {
        None => Err(EncodingError::EmptyMultibase),
        Some(MULTIBASE_BASE58BTC) => base58btc_decode(chars.as_str()),
        Some(other) => Err(EncodingError::UnsupportedMultibase(other)),
    }
}

/// Multicodec code of an Ed25519 public key (`ed25519-pub`).
pub const MULTICODEC_ED25519_PUB: u64 = 0xed;
/// Multicodec code of an Ed25519 private key seed (`ed25519-priv`).
pub const MULTICODEC_ED25519_PRIV: u64 = 0x1300;

/// Appends `value` as a multiformats unsigned varint (LEB128, at most 9 bytes).
pub fn varint_encode(mut value: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Reads a multiformats unsigned varint from the start of `bytes`, returning
/// the value and the number of bytes it took. The spec requires the minimal
/// encoding and caps it at 9 bytes (63 bits); both are enforced.
pub fn varint_decode(bytes: &[u8]) -> Result<(u64, usize), EncodingError> {
    let mut value: u64 = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        if i >= 9 {
            return Err(EncodingError::VarintTooLong);
        }
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            // A final zero byte after the first means a padded (non-minimal) encoding.
            if byte == 0 && i > 0 {
                return Err(EncodingError::VarintNotMinimal);
            }
            return Ok((value, i + 1));
        }
    }
    Err(EncodingError::VarintTruncated)
}

/// `varint(code) || payload`: the multicodec-prefixed form.
pub fn multicodec_encode(code: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 3);
    varint_encode(code, &mut out);
    out.extend_from_slice(payload);
    out
}

/// Splits a multicodec-prefixed byte string into its code and payload.
pub fn multicodec_decode(bytes: &[u8]) -> Result<(u64, &[u8]), EncodingError> {
    let (code, used) = varint_decode(bytes)?;
    Ok((code, &bytes[used..]))
}

/// Splits a multicodec-prefixed byte string, requiring the code `expected`.
pub fn multicodec_expect(expected: u64, bytes: &[u8]) -> Result<&[u8], EncodingError> {
    let (found, payload) = multicodec_decode(bytes)?;
    if found != expected {
        return Err(EncodingError::WrongMulticodec { expected, found });
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_rfc4648_vectors() {
        // RFC 4648 §10.
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64_encode(plain.as_bytes()), encoded);
            assert_eq!(base64_decode(encoded).unwrap(), plain.as_bytes());
            let url = encoded.trim_end_matches('=');
            assert_eq!(base64url_encode(plain.as_bytes()), url);
            assert_eq!(base64url_decode(url).unwrap(), plain.as_bytes());
        }
    }

    #[test]
    fn base64_is_strict() {
        assert!(base64_decode("Zg").is_err(), "missing padding");
        assert!(base64_decode("Zh==").is_err(), "non-zero trailing bits");
        assert!(base64_decode("Zm9v\n").is_err());
        assert!(base64url_decode("Zg==").is_err(), "padding in base64url");
        assert!(
            base64url_decode("+/8").is_err(),
            "standard alphabet in base64url"
        );
        assert_eq!(base64url_decode("-_8").unwrap(), [0xfb, 0xff]);
    }

    #[test]
    fn base58btc_vectors() {
        // draft-msporny-base58 §5 examples.
        assert_eq!(base58btc_encode(b"Hello World!"), "2NEpo7TZRRrLZSi2U");
        assert_eq!(
            base58btc_encode(b"The quick brown fox jumps over the lazy dog."),
            "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z"
        );
        assert_eq!(
            base58btc_encode(&[0, 0, 0x28, 0x7f, 0xb4, 0xcd]),
            "11233QC4"
        );
        assert_eq!(
            base58btc_decode("11233QC4").unwrap(),
            [0, 0, 0x28, 0x7f, 0xb4, 0xcd]
        );
        assert!(base58btc_decode("0OIl").is_err());
    }

    #[test]
    fn multibase_round_trip_and_rejections() {
        let bytes = b"Multibase is awesome! \\o/";
        let text = multibase_encode(bytes);
        // Example from the multibase spec (base58btc).
        assert_eq!(text, "zYAjKoNbau5KiqmHPmSxYCvn66dA1vLmwbt");
        assert_eq!(multibase_decode(&text).unwrap(), bytes);
        assert_eq!(multibase_decode(""), Err(EncodingError::EmptyMultibase));
        assert_eq!(
            multibase_decode("uTXVsdGliYXNl"),
            Err(EncodingError::UnsupportedMultibase('u'))
        );
        assert!(matches!(
            multibase_decode("z0"),
            Err(EncodingError::Base58(_))
        ));
    }

    #[test]
    fn varints() {
        let cases: [(u64, &[u8]); 6] = [
            (0, &[0x00]),
            (1, &[0x01]),
            (127, &[0x7f]),
            (128, &[0x80, 0x01]),
            (0xed, &[0xed, 0x01]),
            (0x1300, &[0x80, 0x26]),
        ];
        for (value, bytes) in cases {
            let mut out = Vec::new();
            varint_encode(value, &mut out);
            assert_eq!(out, bytes);
            assert_eq!(varint_decode(bytes).unwrap(), (value, bytes.len()));
        }
        assert_eq!(varint_decode(&[]), Err(EncodingError::VarintTruncated));
        assert_eq!(varint_decode(&[0x80]), Err(EncodingError::VarintTruncated));
        assert_eq!(
            varint_decode(&[0x81, 0x00]),
            Err(EncodingError::VarintNotMinimal)
        );
        assert_eq!(
            varint_decode(&[0xff; 10]),
            Err(EncodingError::VarintTooLong)
        );
        let mut max = Vec::new();
        varint_encode((1 << 63) - 1, &mut max);
        assert_eq!(max.len(), 9);
        assert_eq!(varint_decode(&max).unwrap(), ((1 << 63) - 1, 9));
    }

    #[test]
    fn multicodec_prefixes() {
        let prefixed = multicodec_encode(MULTICODEC_ED25519_PUB, &[1, 2, 3]);
        assert_eq!(prefixed, [0xed, 0x01, 1, 2, 3]);
        assert_eq!(
            multicodec_expect(MULTICODEC_ED25519_PUB, &prefixed).unwrap(),
            [1, 2, 3]
        );
        assert_eq!(
            multicodec_expect(MULTICODEC_ED25519_PRIV, &prefixed),
            Err(EncodingError::WrongMulticodec {
                expected: 0x1300,
                found: 0xed
            })
        );
    }
}
