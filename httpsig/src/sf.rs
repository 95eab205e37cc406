//! The part of RFC 8941 (Structured Field Values) that RFC 9421 needs: Dictionaries whose
//! members are Inner Lists (`Signature-Input`) or Byte Sequences (`Signature`), Parameters,
//! and the serialisation of Inner Lists and component identifiers.
//!
//! Hand-written rather than the `sfv` crate: we need a few hundred lines of it, `sfv` pulls in
//! indexmap, hashbrown and a proc-macro (ref-cast), adds ~57 KB to a release wasm, and its
//! current release needs a newer Rust than the workspace's MSRV.
//!
//! It is stricter than RFC 8941 in one way: a repeated Dictionary key or Parameter key is an
//! error instead of "last one wins". RFC 9421 §4 requires unique signature labels, and a header
//! that reads differently to a parser that keeps the first value is a confusion risk.
//! The RFC 9651 extensions (Dates, Display Strings) are not accepted: RFC 9421 uses RFC 8941.

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

/// RFC 8941 §3.3.1: integers have at most 15 digits.
pub const MAX_INTEGER: i64 = 999_999_999_999_999;

/// Standard alphabet, encoder pads; the decoder accepts missing padding and non-zero pad bits,
/// as RFC 8941 §4.2.7 says parsers SHOULD.
const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Why a structured field could not be parsed or serialised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason} (at byte {offset})")]
pub struct SfError {
    pub offset: usize,
    pub reason: &'static str,
}

fn err<T>(offset: usize, reason: &'static str) -> Result<T, SfError> {
    Err(SfError { offset, reason })
}

/// An RFC 8941 bare item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BareItem {
    Integer(i64),
    /// A Decimal in thousandths: RFC 8941 allows at most three fractional digits, so this is exact.
    Decimal(i64),
    String(String),
    Token(String),
    ByteSeq(Vec<u8>),
    Boolean(bool),
}

/// Ordered parameters; keys are unique (checked on insert and on parse).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parameters(Vec<(String, BareItem)>);

impl Parameters {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a parameter; a key that is not an RFC 8941 key or is already present is refused.
    pub fn push(&mut self, key: &str, value: BareItem) -> Result<(), SfError> {
        if !is_key(key) {
            return err(0, "invalid parameter key");
        }
        if self.get(key).is_some() {
            return err(0, "duplicate parameter key");
        }
        self.0.push((key.to_owned(), value));
        Ok(())
    }

    pub fn get(&self, key: &str) -> Option<&BareItem> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &BareItem)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub bare: BareItem,
    pub params: Parameters,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InnerList {
    pub items: Vec<Item>,
    pub params: Parameters,
}

/// A Dictionary member's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Member {
    Item(Item),
    InnerList(InnerList),
}

/// An ordered Dictionary with unique keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dictionary(Vec<(String, Member)>);

impl Dictionary {
    pub fn get(&self, key: &str) -> Option<&Member> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Member)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing (RFC 8941 §4.2)

/// Parses a whole field value as a Dictionary (RFC 8941 §4.2, §4.2.2).
pub fn parse_dictionary(input: &str) -> Result<Dictionary, SfError> {
    let mut p = Parser::new(input)?;
    p.skip_sp();
    let dict = p.dictionary()?;
    p.skip_sp();
    if !p.at_end() {
        return err(p.pos, "trailing characters");
    }
    Ok(dict)
}

/// Parses a whole field value as a single Item (RFC 8941 §4.2.3); used for component identifiers.
pub fn parse_item(input: &str) -> Result<Item, SfError> {
    let mut p = Parser::new(input)?;
    p.skip_sp();
    let item = p.item()?;
    p.skip_sp();
    if !p.at_end() {
        return err(p.pos, "trailing characters");
    }
    Ok(item)
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(input: &'a str) -> Result<Self, SfError> {
        // Field values are ASCII; RFC 8941 §4.2 step 1.
        if let Some(i) = input.bytes().position(|b| !b.is_ascii()) {
            return err(i, "non-ASCII character");
        }
        Ok(Self {
            s: input.as_bytes(),
            pos: 0,
        })
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    fn skip_sp(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn dictionary(&mut self) -> Result<Dictionary, SfError> {
        let mut members: Vec<(String, Member)> = Vec::new();
        while !self.at_end() {
            let key_at = self.pos;
            let key = self.key()?;
            let member = if self.peek() == Some(b'=') {
                self.pos += 1;
                self.item_or_inner_list()?
            } else {
                Member::Item(Item {
                    bare: BareItem::Boolean(true),
                    params: self.parameters()?,
                })
            };
            if members.iter().any(|(k, _)| *k == key) {
                return err(key_at, "duplicate dictionary key");
            }
            members.push((key, member));
            self.skip_ows();
            if self.at_end() {
                break;
            }
            if self.peek() != Some(b',') {
                return err(self.pos, "expected ',' between dictionary members");
            }
            self.pos += 1;
            self.skip_ows();
            if self.at_end() {
                return err(self.pos, "trailing ',' in dictionary");
            }
        }
        Ok(Dictionary(members))
    }

    fn item_or_inner_list(&mut self) -> Result<Member, SfError> {
        if self.peek() == Some(b'(') {
            Ok(Member::InnerList(self.inner_list()?))
        } else {
            Ok(Member::Item(self.item()?))
        }
    }

    fn inner_list(&mut self) -> Result<InnerList, SfError> {
        // Caller saw '('.
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_sp();
            match self.peek() {
                None => return err(self.pos, "unterminated inner list"),
                Some(b')') => {
                    self.pos += 1;
                    let params = self.parameters()?;
                    return Ok(InnerList { items, params });
                }
                Some(_) => {
                    items.push(self.item()?);
                    if !matches!(self.peek(), Some(b' ' | b')')) {
                        return err(self.pos, "expected ' ' or ')' in inner list");
                    }
                }
            }
        }
    }

    fn item(&mut self) -> Result<Item, SfError> {
        let bare = self.bare_item()?;
        let params = self.parameters()?;
        Ok(Item { bare, params })
    }

    fn parameters(&mut self) -> Result<Parameters, SfError> {
        let mut params = Parameters::new();
        while self.peek() == Some(b';') {
            self.pos += 1;
            self.skip_sp();
            let key_at = self.pos;
            let key = self.key()?;
            let value = if self.peek() == Some(b'=') {
                self.pos += 1;
                self.bare_item()?
            } else {
                BareItem::Boolean(true)
            };
            if params.get(&key).is_some() {
                return err(key_at, "duplicate parameter key");
            }
            params.0.push((key, value));
        }
        Ok(params)
    }

    fn key(&mut self) -> Result<String, SfError> {
        let start = self.pos;
        match self.peek() {
            Some(c) if c.is_ascii_lowercase() || c == b'*' => self.pos += 1,
            _ => return err(self.pos, "expected a key"),
        }
        while matches!(self.peek(), Some(c) if is_key_char(c)) {
            self.pos += 1;
        }
        Ok(self.slice(start))
    }

    fn slice(&self, start: usize) -> String {
        // Input was checked to be ASCII, so every byte is a char.
        self.s[start..self.pos].iter().map(|&b| b as char).collect()
    }

    fn bare_item(&mut self) -> Result<BareItem, SfError> {
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'"') => self.string(),
            Some(b':') => self.byte_seq(),
            Some(b'?') => self.boolean(),
            Some(c) if c.is_ascii_alphabetic() || c == b'*' => Ok(self.token()),
            _ => err(self.pos, "expected a bare item"),
        }
    }

    /// RFC 8941 §4.2.4.
    fn number(&mut self) -> Result<BareItem, SfError> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return err(self.pos, "expected a digit");
        }
        let digits_start = self.pos;
        let mut dot: Option<usize> = None;
        while let Some(c) = self.peek() {
            match c {
                b'0'..=b'9' => self.pos += 1,
                b'.' if dot.is_none() => {
                    if self.pos - digits_start > 12 {
                        return err(self.pos, "decimal has more than 12 integer digits");
                    }
                    dot = Some(self.pos);
                    self.pos += 1;
                }
                _ => break,
            }
            let len = self.pos - digits_start;
            if dot.is_none() && len > 15 {
                return err(start, "integer has more than 15 digits");
            }
            if dot.is_some() && len > 16 {
                return err(start, "decimal is too long");
            }
        }
        let text = &self.s[digits_start..self.pos];
        let sign = if negative { -1 } else { 1 };
        match dot {
            None => Ok(BareItem::Integer(sign * digits_value(text))),
            Some(d) => {
                let int_part = &self.s[digits_start..d];
                let frac = &self.s[d + 1..self.pos];
                if frac.is_empty() {
                    return err(self.pos, "decimal ends with '.'");
                }
                if frac.len() > 3 {
                    return err(d, "decimal has more than 3 fractional digits");
                }
                let scale = [100, 10, 1][frac.len() - 1];
                let milli = digits_value(int_part) * 1000 + digits_value(frac) * scale;
                Ok(BareItem::Decimal(sign * milli))
            }
        }
    }

    /// RFC 8941 §4.2.5.
    fn string(&mut self) -> Result<BareItem, SfError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return err(self.pos, "unterminated string");
            };
            self.pos += 1;
            match c {
                b'\\' => match self.peek() {
                    Some(e @ (b'"' | b'\\')) => {
                        self.pos += 1;
                        out.push(e as char);
                    }
                    _ => return err(self.pos, "invalid escape in string"),
                },
                b'"' => return Ok(BareItem::String(out)),
                0x20..=0x7e => out.push(c as char),
                _ => return err(self.pos - 1, "invalid character in string"),
            }
        }
    }

    /// RFC 8941 §4.2.6.
    fn token(&mut self) -> BareItem {
        let start = self.pos;
        self.pos += 1;
        while matches!(self.peek(), Some(c) if is_tchar(c) || c == b':' || c == b'/') {
            self.pos += 1;
        }
        BareItem::Token(self.slice(start))
    }

    /// RFC 8941 §4.2.7.
    fn byte_seq(&mut self) -> Result<BareItem, SfError> {
        self.pos += 1;
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='))
        {
            self.pos += 1;
        }
        if self.peek() != Some(b':') {
            return err(self.pos, "invalid byte sequence");
        }
        let encoded = &self.s[start..self.pos];
        self.pos += 1;
        B64.decode(encoded)
            .map(BareItem::ByteSeq)
            .map_err(|_| SfError {
                offset: start,
                reason: "invalid base64 in byte sequence",
            })
    }

    /// RFC 8941 §4.2.8.
    fn boolean(&mut self) -> Result<BareItem, SfError> {
        self.pos += 1;
        let value = match self.peek() {
            Some(b'1') => true,
            Some(b'0') => false,
            _ => return err(self.pos, "invalid boolean"),
        };
        self.pos += 1;
        Ok(BareItem::Boolean(value))
    }
}

/// Value of at most 15 ASCII digits (callers bound the length, so no overflow).
fn digits_value(digits: &[u8]) -> i64 {
    digits
        .iter()
        .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'))
}

fn is_key_char(c: u8) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'_' | b'-' | b'.' | b'*')
}

/// RFC 9110 tchar.
pub(crate) fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'!' | b'#'
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
        )
}

/// Whether `s` is an RFC 8941 key (also the syntax of signature labels).
pub fn is_key(s: &str) -> bool {
    let b = s.as_bytes();
    match b.first() {
        Some(&c) if c.is_ascii_lowercase() || c == b'*' => b[1..].iter().all(|&c| is_key_char(c)),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Serialising (RFC 8941 §4.1)

/// Serialises a Dictionary (RFC 8941 §4.1.2).
pub fn serialize_dictionary(dict: &Dictionary) -> Result<String, SfError> {
    let mut out = String::new();
    for (i, (key, member)) in dict.0.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_key(key, &mut out)?;
        match member {
            Member::Item(Item {
                bare: BareItem::Boolean(true),
                params,
            }) => write_params(params, &mut out)?,
            Member::Item(item) => {
                out.push('=');
                write_item(item, &mut out)?;
            }
            Member::InnerList(list) => {
                out.push('=');
                write_inner_list(list, &mut out)?;
            }
        }
    }
    Ok(out)
}

impl Dictionary {
    /// Appends a member; a key that is not an RFC 8941 key or is already present is refused.
    pub fn push(&mut self, key: &str, member: Member) -> Result<(), SfError> {
        if !is_key(key) {
            return err(0, "invalid dictionary key");
        }
        if self.get(key).is_some() {
            return err(0, "duplicate dictionary key");
        }
        self.0.push((key.to_owned(), member));
        Ok(())
    }
}

/// Serialises an Inner List with its parameters (RFC 8941 §4.1.1.1).
pub fn serialize_inner_list(list: &InnerList) -> Result<String, SfError> {
    let mut out = String::new();
    write_inner_list(list, &mut out)?;
    Ok(out)
}

/// Serialises an Item with its parameters (RFC 8941 §4.1.3).
pub fn serialize_item(item: &Item) -> Result<String, SfError> {
    let mut out = String::new();
    write_item(item, &mut out)?;
    Ok(out)
}

fn write_inner_list(list: &InnerList, out: &mut String) -> Result<(), SfError> {
    out.push('(');
    for (i, item) in list.items.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_item(item, out)?;
    }
    out.push(')');
    write_params(&list.params, out)
}

fn write_item(item: &Item, out: &mut String) -> Result<(), SfError> {
    write_bare_item(&item.bare, out)?;
    write_params(&item.params, out)
}

fn write_params(params: &Parameters, out: &mut String) -> Result<(), SfError> {
    for (key, value) in &params.0 {
        out.push(';');
        write_key(key, out)?;
        if *value != BareItem::Boolean(true) {
            out.push('=');
            write_bare_item(value, out)?;
        }
    }
    Ok(())
}

fn write_key(key: &str, out: &mut String) -> Result<(), SfError> {
    if !is_key(key) {
        return err(0, "invalid key");
    }
    out.push_str(key);
    Ok(())
}

fn write_bare_item(item: &BareItem, out: &mut String) -> Result<(), SfError> {
    match item {
        BareItem::Integer(i) => {
            if !(-MAX_INTEGER..=MAX_INTEGER).contains(i) {
                return err(0, "integer out of range");
            }
            out.push_str(&i.to_string());
        }
        BareItem::Decimal(milli) => {
            // At most 12 integer digits (RFC 8941 §4.1.5).
            if milli.unsigned_abs() / 1000 > 999_999_999_999 {
                return err(0, "decimal out of range");
            }
            if *milli < 0 {
                out.push('-');
            }
            let abs = milli.unsigned_abs();
            out.push_str(&(abs / 1000).to_string());
            out.push('.');
            let frac = format!("{:03}", abs % 1000);
            let trimmed = frac.trim_end_matches('0');
            out.push_str(if trimmed.is_empty() { "0" } else { trimmed });
        }
        BareItem::String(s) => {
            out.push('"');
            for c in s.chars() {
                match c {
                    '"' | '\\' => {
                        out.push('\\');
                        out.push(c);
                    }
                    ' '..='~' => out.push(c),
                    _ => return err(0, "string has a character outside %x20-7E"),
                }
            }
            out.push('"');
        }
        BareItem::Token(t) => {
            let b = t.as_bytes();
            let ok = match b.first() {
                Some(&c) if c.is_ascii_alphabetic() || c == b'*' => b[1..]
                    .iter()
                    .all(|&c| is_tchar(c) || c == b':' || c == b'/'),
                _ => false,
            };
            if !ok {
                return err(0, "invalid token");
            }
            out.push_str(t);
        }
        BareItem::ByteSeq(bytes) => {
            out.push(':');
            out.push_str(&B64.encode(bytes));
            out.push(':');
        }
        BareItem::Boolean(b) => out.push_str(if *b { "?1" } else { "?0" }),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(input: &str) -> String {
        serialize_dictionary(&parse_dictionary(input).expect("parses")).expect("serialises")
    }

    #[test]
    fn signature_input_shape() {
        let d = parse_dictionary(
            r#"sig1=("@method" "@query-param";name="Pet");created=1618884473;keyid="k", sig2=()"#,
        )
        .unwrap();
        assert_eq!(d.keys().collect::<Vec<_>>(), ["sig1", "sig2"]);
        let Some(Member::InnerList(list)) = d.get("sig1") else {
            panic!("inner list expected")
        };
        assert_eq!(list.items.len(), 2);
        assert_eq!(
            list.items[1].params.get("name"),
            Some(&BareItem::String("Pet".into()))
        );
        assert_eq!(
            list.params.get("created"),
            Some(&BareItem::Integer(1618884473))
        );
    }

    #[test]
    fn whitespace_is_canonicalised() {
        // RFC 9421 §2.1.1's example of strict re-serialisation.
        assert_eq!(
            roundtrip("a=1,    b=2;x=1;y=2,   c=(a   b   c)"),
            "a=1, b=2;x=1;y=2, c=(a b c)"
        );
        assert_eq!(roundtrip("a=1 ,\tb"), "a=1, b");
    }

    #[test]
    fn bare_items() {
        assert_eq!(
            roundtrip(r#"a=-12, b=1.50, c="q\"\\", d=tok/x:y, e=:AQID:, f=?0, g"#),
            r#"a=-12, b=1.5, c="q\"\\", d=tok/x:y, e=:AQID:, f=?0, g"#
        );
        assert_eq!(roundtrip("a=-0.001"), "a=-0.001");
        assert_eq!(roundtrip("a=999999999999999"), "a=999999999999999");
        // Unpadded base64 is accepted and re-serialised padded.
        assert_eq!(roundtrip("a=:AQ:"), "a=:AQ==:");
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "a=",
            "a=1,",
            "a=1 b=2",
            "A=1",
            "a=(1 2",
            "a=(1,2)",
            "a=\"unterminated",
            "a=\"bad\\n\"",
            "a=1000000000000000",
            "a=1.2345",
            "a=1.",
            "a=1234567890123.1",
            "a=:not base64!:",
            "a=:AQID",
            "a=?2",
            "a=1, a=2",
            "a=1;x;x",
            "a=\"é\"",
            "a=@1",
            "a=%\"x\"",
        ] {
            assert!(parse_dictionary(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn top_level_edges() {
        // RFC 8941: an empty value is an empty dictionary (callers treat it as missing) and
        // surrounding spaces are discarded.
        assert!(parse_dictionary("").unwrap().is_empty());
        assert_eq!(roundtrip("  a=1 "), "a=1");
    }

    #[test]
    fn serialiser_refuses_what_it_cannot_represent() {
        let item = |bare| Item {
            bare,
            params: Parameters::new(),
        };
        assert!(serialize_item(&item(BareItem::String("line\nbreak".into()))).is_err());
        assert!(serialize_item(&item(BareItem::Integer(MAX_INTEGER + 1))).is_err());
        assert!(serialize_item(&item(BareItem::Token("1abc".into()))).is_err());
        let mut p = Parameters::new();
        assert!(p.push("Bad", BareItem::Boolean(true)).is_err());
        assert!(p.push("ok", BareItem::Boolean(true)).is_ok());
        assert!(p.push("ok", BareItem::Boolean(false)).is_err());
    }

    #[test]
    fn item_parse() {
        let item = parse_item(r#""@query-param";name="var""#).unwrap();
        assert_eq!(item.bare, BareItem::String("@query-param".into()));
        assert!(parse_item(r#""a" "b""#).is_err());
    }
}
