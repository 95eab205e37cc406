//! SHA-256 digests: the `sha256:<hex>` text form used across fairtrain's
//! JSON, a streaming hasher for uploads, and RFC 9530 `Content-Digest` /
//! `Repr-Digest` header values.

use std::fmt;
use std::str::FromStr;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

/// The prefix of the textual form.
const PREFIX: &str = "sha256:";

/// A SHA-256 digest. Text form: `sha256:` then 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Digest(pub [u8; 32]);

/// Why a `sha256:<hex>` string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestParseError {
    #[error("digest must start with \"sha256:\"")]
    MissingPrefix,
    #[error("digest must have exactly 64 hex digits after \"sha256:\", found {0}")]
    WrongLength(usize),
    #[error("digest must be lowercase hex (0-9, a-f); found {0:?} at position {1}")]
    NotLowercaseHex(char, usize),
}

impl Sha256Digest {
    /// SHA-256 of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Sha256Digest(Sha256::digest(bytes).into())
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Sha256Digest(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// The 64 lowercase hex digits, without the `sha256:` prefix.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses bare hex (no prefix), with the same strictness as [`FromStr`].
    pub fn from_hex(text: &str) -> Result<Self, DigestParseError> {
        if text.len() != 64 {
            return Err(DigestParseError::WrongLength(text.chars().count()));
        }
        // Only lowercase is accepted so that one digest has one spelling:
        // these strings are compared and used as keys (R2, D1) verbatim.
        if let Some((i, c)) = text
            .char_indices()
            .find(|&(_, c)| !matches!(c, '0'..='9' | 'a'..='f'))
        {
            return Err(DigestParseError::NotLowercaseHex(c, i));
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(text, &mut out)
            .map_err(|_| DigestParseError::WrongLength(text.len()))?;
        Ok(Sha256Digest(out))
    }

    /// `Content-Digest` / `Repr-Digest` header value for this digest (RFC 9530):
    /// `sha-256=:<base64>:`.
    pub fn to_http_header_value(&self) -> String {
        format_digest_header(self)
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(PREFIX)?;
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Sha256Digest {
    type Err = DigestParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let hex_part = text
            .strip_prefix(PREFIX)
            .ok_or(DigestParseError::MissingPrefix)?;
        Sha256Digest::from_hex(hex_part)
    }
}

impl Serialize for Sha256Digest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Sha256Digest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Incremental SHA-256, for bodies that arrive in chunks (uploads to R2).
#[derive(Clone, Default)]
pub struct Sha256Stream {
    hasher: Sha256,
    len: u64,
}

impl Sha256Stream {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, chunk: &[u8]) {
        self.hasher.update(chunk);
        self.len = self.len.saturating_add(chunk.len() as u64);
    }

    /// Bytes hashed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn finish(self) -> Sha256Digest {
        Sha256Digest(self.hasher.finalize().into())
    }
}

// ---------------------------------------------------------------------------
// RFC 9530 digest fields. The value is an RFC 8941 structured-field
// Dictionary: `sha-256=:<base64>:, sha-512=:<base64>:`, each member may carry
// parameters. We need only sha-256, but must skip whatever else a peer sends.

/// Why a `Content-Digest` / `Repr-Digest` value could not give a sha-256 digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestHeaderError {
    #[error("malformed structured-field dictionary at byte {0}: {1}")]
    Syntax(usize, &'static str),
    #[error("no sha-256 member in the digest field")]
    NoSha256,
    #[error("the sha-256 member is not a byte sequence")]
    NotByteSequence,
    #[error("the sha-256 member decodes to {0} bytes, expected 32")]
    WrongLength(usize),
}

/// The RFC 9530 algorithm key for SHA-256.
pub const HTTP_DIGEST_ALGORITHM: &str = "sha-256";

/// `sha-256=:<base64>:`, the value for a `Content-Digest` or `Repr-Digest` header.
pub fn format_digest_header(digest: &Sha256Digest) -> String {
    format!(
        "{HTTP_DIGEST_ALGORITHM}=:{}:",
        base64::engine::general_purpose::STANDARD.encode(digest.0)
    )
}

/// Extracts the sha-256 digest from a `Content-Digest` / `Repr-Digest` value.
/// Several header lines must be joined with `,` first (RFC 9110 §5.3).
/// Other algorithms and any parameters are parsed and ignored; a dictionary
/// that is not well-formed is rejected as a whole (RFC 8941 §4.2).
pub fn parse_digest_header(value: &str) -> Result<Sha256Digest, DigestHeaderError> {
    let members = parse_dictionary(value)?;
    // RFC 8941: with duplicate keys, the last one wins.
    let item = members
        .into_iter()
        .rev()
        .find(|(key, _)| key == HTTP_DIGEST_ALGORITHM)
        .map(|(_, item)| item)
        .ok_or(DigestHeaderError::NoSha256)?;
    let bytes = match item {
        Member::Bytes(bytes) => bytes,
        Member::Other => return Err(DigestHeaderError::NotByteSequence),
    };
    let array: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| DigestHeaderError::WrongLength(bytes.len()))?;
    Ok(Sha256Digest(array))
}

/// What we keep of a dictionary member's value.
enum Member {
    Bytes(Vec<u8>),
    Other,
}

/// RFC 8941 §4.2.2 (Dictionary) parser, keeping members in order.
fn parse_dictionary(input: &str) -> Result<Vec<(String, Member)>, DigestHeaderError> {
    let mut p = SfParser {
        s: input.as_bytes(),
        i: 0,
    };
    let mut members = Vec::new();
    p.skip_sp();
    if p.at_end() {
        return Ok(members);
    }
    loop {
        let key = p.parse_key()?;
        let member = if p.eat(b'=') {
            if p.peek() == Some(b'(') {
                p.parse_inner_list()?;
                Member::Other
            } else {
                let item = p.parse_bare_item()?;
                p.parse_parameters()?;
                item
            }
        } else {
            // Boolean true with parameters.
            p.parse_parameters()?;
            Member::Other
        };
        members.push((key, member));
        p.skip_ows();
        if p.at_end() {
            return Ok(members);
        }
        if !p.eat(b',') {
            return Err(p.err("expected ',' between members"));
        }
        p.skip_ows();
        if p.at_end() {
            return Err(p.err("trailing comma"));
        }
    }
}

struct SfParser<'a> {
    s: &'a [u8],
    i: usize,
}

impl SfParser<'_> {
    fn err(&self, what: &'static str) -> DigestHeaderError {
        DigestHeaderError::Syntax(self.i, what)
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn skip_sp(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }
    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    // key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )
    fn parse_key(&mut self) -> Result<String, DigestHeaderError> {
        match self.peek() {
            Some(b'a'..=b'z' | b'*') => {}
            _ => return Err(self.err("expected a key")),
        }
        let start = self.i;
        while matches!(
            self.peek(),
            Some(b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' | b'*')
        ) {
            self.i += 1;
        }
        // The bytes are ASCII by construction.
        Ok(String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    fn parse_parameters(&mut self) -> Result<(), DigestHeaderError> {
        while self.eat(b';') {
            self.skip_sp();
            self.parse_key()?;
            if self.eat(b'=') {
                self.parse_bare_item()?;
            }
        }
        Ok(())
    }

    fn parse_inner_list(&mut self) -> Result<(), DigestHeaderError> {
        if !self.eat(b'(') {
            return Err(self.err("expected '('"));
        }
        loop {
            self.skip_sp();
            if self.eat(b')') {
                return self.parse_parameters();
            }
            self.parse_bare_item()?;
            self.parse_parameters()?;
            match self.peek() {
                Some(b' ' | b')') => {}
                _ => return Err(self.err("expected ' ' or ')' in inner list")),
            }
        }
    }

    fn parse_bare_item(&mut self) -> Result<Member, DigestHeaderError> {
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => self.parse_number().map(|_| Member::Other),
            Some(b'"') => self.parse_string().map(|_| Member::Other),
            Some(b'A'..=b'Z' | b'a'..=b'z' | b'*') => {
                self.parse_token();
                Ok(Member::Other)
            }
            Some(b':') => self.parse_byte_sequence().map(Member::Bytes),
            Some(b'?') => {
                self.i += 1;
                if self.eat(b'0') || self.eat(b'1') {
                    Ok(Member::Other)
                } else {
                    Err(self.err("invalid boolean"))
                }
            }
            // RFC 9651 Date (`@` integer) and Display String (`%"..."`).
            Some(b'@') => {
                self.i += 1;
                self.parse_number().map(|_| Member::Other)
            }
            Some(b'%') => {
                self.i += 1;
                self.parse_string().map(|_| Member::Other)
            }
            _ => Err(self.err("expected an item")),
        }
    }

    fn parse_number(&mut self) -> Result<(), DigestHeaderError> {
        self.eat(b'-');
        let start = self.i;
        let mut seen_dot = false;
        let mut int_digits = 0;
        let mut frac_digits = 0;
        loop {
            match self.peek() {
                Some(b'0'..=b'9') => {
                    if seen_dot {
                        frac_digits += 1;
                    } else {
                        int_digits += 1;
                    }
                }
                Some(b'.') if !seen_dot && self.i > start => seen_dot = true,
                _ => break,
            }
            self.i += 1;
        }
        let ok = if seen_dot {
            int_digits <= 12 && (1..=3).contains(&frac_digits)
        } else {
            (1..=15).contains(&int_digits)
        };
        if ok {
            Ok(())
        } else {
            Err(self.err("invalid number"))
        }
    }

    fn parse_string(&mut self) -> Result<(), DigestHeaderError> {
        if !self.eat(b'"') {
            return Err(self.err("expected '\"'"));
        }
        loop {
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.i += 1;
                    if !(self.eat(b'"') || self.eat(b'\\')) {
                        return Err(self.err("invalid escape in string"));
                    }
                }
                Some(0x20..=0x7e) => self.i += 1,
                Some(_) => return Err(self.err("invalid character in string")),
            }
        }
    }

    fn parse_token(&mut self) {
        // tchar / ":" / "/"
        while matches!(
            self.peek(),
            Some(
                b'!'
                | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
                | b'0'..=b'9'
                | b'A'..=b'Z'
                | b'a'..=b'z'
                | b':'
                | b'/',
            )
        ) {
            self.i += 1;
        }
    }

    fn parse_byte_sequence(&mut self) -> Result<Vec<u8>, DigestHeaderError> {
        if !self.eat(b':') {
            return Err(self.err("expected ':'"));
        }
        let start = self.i;
        while matches!(
            self.peek(),
            Some(b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' | b'=')
        ) {
            self.i += 1;
        }
        let body = &self.s[start..self.i];
        if !self.eat(b':') {
            return Err(self.err("unterminated byte sequence"));
        }
        // RFC 8941 §4.2.7: parsers SHOULD NOT fail on missing padding or
        // non-zero pad bits, so decode leniently here.
        const LENIENT: GeneralPurpose = GeneralPurpose::new(
            &alphabet::STANDARD,
            GeneralPurposeConfig::new()
                .with_decode_padding_mode(DecodePaddingMode::Indifferent)
                .with_decode_allow_trailing_bits(true),
        );
        LENIENT
            .decode(body)
            .map_err(|_| DigestHeaderError::Syntax(start, "invalid base64 in byte sequence"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn fips_180_vectors() {
        assert_eq!(Sha256Digest::of(b"").to_hex(), EMPTY);
        assert_eq!(Sha256Digest::of(b"abc").to_hex(), ABC);
        assert_eq!(
            Sha256Digest::of(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").to_hex(),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
    }

    #[test]
    fn stream_matches_one_shot() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let mut stream = Sha256Stream::new();
        assert!(stream.is_empty());
        for chunk in data.chunks(777) {
            stream.update(chunk);
        }
        assert_eq!(stream.len(), 10_000);
        assert_eq!(stream.finish(), Sha256Digest::of(&data));

        // One million 'a' (FIPS 180-2 appendix B.3), fed in pieces.
        let mut stream = Sha256Stream::new();
        let block = [b'a'; 1000];
        for _ in 0..1000 {
            stream.update(&block);
        }
        assert_eq!(
            stream.finish().to_hex(),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
    }

    #[test]
    fn text_form_round_trip() {
        let text = format!("sha256:{ABC}");
        let digest: Sha256Digest = text.parse().unwrap();
        assert_eq!(digest, Sha256Digest::of(b"abc"));
        assert_eq!(digest.to_string(), text);
        assert_eq!(format!("{digest:?}"), text);
    }

    #[test]
    fn text_form_is_strict() {
        assert_eq!(
            EMPTY.parse::<Sha256Digest>(),
            Err(DigestParseError::MissingPrefix)
        );
        assert_eq!(
            format!("SHA256:{EMPTY}").parse::<Sha256Digest>(),
            Err(DigestParseError::MissingPrefix)
        );
        assert_eq!(
            format!("sha256:{}", EMPTY.to_uppercase()).parse::<Sha256Digest>(),
            Err(DigestParseError::NotLowercaseHex('E', 0))
        );
        assert_eq!(
            format!("sha256:{}", &EMPTY[..63]).parse::<Sha256Digest>(),
            Err(DigestParseError::WrongLength(63))
        );
        assert_eq!(
            format!("sha256:{EMPTY}0").parse::<Sha256Digest>(),
            Err(DigestParseError::WrongLength(65))
        );
        assert_eq!(
            format!("sha256: {}", &EMPTY[1..]).parse::<Sha256Digest>(),
            Err(DigestParseError::NotLowercaseHex(' ', 0))
        );
        // Multi-byte characters must not cause a slicing panic.
        let odd = format!("sha256:{}é", &EMPTY[..62]);
        assert!(odd.parse::<Sha256Digest>().is_err());
    }

    #[test]
    fn serde_as_string() {
        let digest = Sha256Digest::of(b"abc");
        let json = serde_json::to_string(&digest).unwrap();
        assert_eq!(json, format!("\"sha256:{ABC}\""));
        let back: Sha256Digest = serde_json::from_str(&json).unwrap();
        assert_eq!(back, digest);
        assert!(serde_json::from_str::<Sha256Digest>("\"sha256:00\"").is_err());
        assert!(serde_json::from_str::<Sha256Digest>("42").is_err());
    }

    #[test]
    fn rfc9530_example() {
        // RFC 9530 §2 (and Appendix D): the body `{"hello": "world"}`.
        let digest = Sha256Digest::of(b"{\"hello\": \"world\"}");
        let header = "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:";
        assert_eq!(format_digest_header(&digest), header);
        assert_eq!(digest.to_http_header_value(), header);
        assert_eq!(parse_digest_header(header).unwrap(), digest);
        // Several algorithms: pick sha-256 wherever it is.
        let both = "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:";
        assert_eq!(parse_digest_header(both).unwrap(), digest);
    }

    #[test]
    fn digest_header_parsing_tolerates_other_members_and_parameters() {
        let digest = Sha256Digest::of(b"{\"hello\": \"world\"}");
        let cases = [
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:;q=1",
            "md5=:CY9rzUYh03PK3k6DJie09g==:;a=?1;b=\"x\", sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
            "unixsum=30637,\tsha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
            "x=(1 2 \"a\");p, y, z=tok/en:x, w=1.5, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
            // padding omitted: RFC 8941 says parsers should accept it
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE:",
            // duplicate key: the last one wins
            "sha-256=:AAAA:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
            "  sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
        ];
        for case in cases {
            assert_eq!(parse_digest_header(case), Ok(digest), "{case}");
        }
    }

    #[test]
    fn digest_header_rejections() {
        assert_eq!(parse_digest_header(""), Err(DigestHeaderError::NoSha256));
        assert_eq!(
            parse_digest_header("sha-512=:AAAA:"),
            Err(DigestHeaderError::NoSha256)
        );
        assert_eq!(
            parse_digest_header("sha-256=:AAAA:"),
            Err(DigestHeaderError::WrongLength(3))
        );
        assert_eq!(
            parse_digest_header("sha-256=abc"),
            Err(DigestHeaderError::NotByteSequence)
        );
        assert_eq!(
            parse_digest_header("sha-256"),
            Err(DigestHeaderError::NotByteSequence)
        );
        for bad in [
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
            "SHA-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:,",
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=: x",
            "a=\"unterminated, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
            "sha-256=:X48E9q*kqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:é",
        ] {
            assert!(
                matches!(parse_digest_header(bad), Err(DigestHeaderError::Syntax(..))),
                "{bad}: {:?}",
                parse_digest_header(bad)
            );
        }
    }
}
