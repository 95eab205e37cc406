//! JSON Canonicalization Scheme (JCS, RFC 8785): the byte string fairtrain
//! signs and hashes for every JSON document.
//!
//! - object members are sorted by their names' UTF-16 code units (§3.2.3);
//!   `serde_json` is built with `preserve_order`, so we sort here explicitly;
//! - strings are escaped as ECMAScript `JSON.stringify` does (§3.2.2.2);
//! - numbers are serialised as ECMAScript `Number.prototype.toString` does
//!   (§3.2.2.3), from the shortest round-trip digits of the IEEE double.
//!
//! RFC 8785 requires I-JSON input (§3.1). An integer that a double cannot hold
//! exactly (beyond 2^53 and not a multiple of the spacing there) would be
//! silently changed by canonicalisation, so the signed bytes would not say
//! what the document says: we reject it instead ([`JcsError::InexactInteger`]).
//! Keep amounts and other large integers as strings in signed JSON.
//! Fractional numbers are taken as the double they already are.

use std::fmt::Write as _;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Why a value could not be canonicalised (or strictly parsed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JcsError {
    #[error("number {0} is not a finite IEEE 754 double")]
    NonFiniteNumber(String),
    #[error("integer {0} cannot be represented exactly as an IEEE 754 double (I-JSON, RFC 7493 §2.2); send it as a string")]
    InexactInteger(String),
    #[error("JSON nesting deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("duplicate object member name {0:?}")]
    DuplicateKey(String),
    #[error("invalid JSON: {0}")]
    Parse(String),
    #[error("value cannot be represented as JSON: {0}")]
    Serialize(String),
}

/// Deepest nesting accepted (serde_json's own parser stops at 128).
pub const MAX_DEPTH: usize = 256;

/// The canonical form of `value` as a string.
pub fn canonicalize(value: &Value) -> Result<String, JcsError> {
    let mut out = String::new();
    write_value(value, &mut out, 0)?;
    Ok(out)
}

/// The canonical form of `value` as UTF-8 bytes (what gets hashed or signed).
pub fn canonicalize_bytes(value: &Value) -> Result<Vec<u8>, JcsError> {
    canonicalize(value).map(String::into_bytes)
}

/// Canonical form of any serialisable value (via `serde_json::Value`).
pub fn canonicalize_serialize<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, JcsError> {
    let value = serde_json::to_value(value).map_err(|e| JcsError::Serialize(e.to_string()))?;
    canonicalize(&value)
}

/// Parses JSON text as RFC 8785 §3.1 requires of JCS input: duplicate member
/// names are an error (`serde_json` would silently keep the last one, so two
/// parsers could disagree about what was signed). Trailing data is an error too.
pub fn parse_strict(text: &str) -> Result<Value, JcsError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let StrictValue(value) =
        StrictValue::deserialize(&mut de).map_err(|e| strict_error(e.to_string()))?;
    de.end().map_err(|e| JcsError::Parse(e.to_string()))?;
    Ok(value)
}

/// Like [`parse_strict`], for bytes (must be UTF-8).
pub fn parse_strict_slice(bytes: &[u8]) -> Result<Value, JcsError> {
    let text = std::str::from_utf8(bytes).map_err(|e| JcsError::Parse(e.to_string()))?;
    parse_strict(text)
}

/// ECMAScript `Number.prototype.toString()` of a finite double (ECMA-262
/// §6.1.6.1.20), which is what JCS writes for numbers. `-0` becomes `0`.
pub fn format_number(x: f64) -> Result<String, JcsError> {
    if !x.is_finite() {
        return Err(JcsError::NonFiniteNumber(x.to_string()));
    }
    let mut out = String::new();
    write_number(x, &mut out);
    Ok(out)
}

fn write_value(value: &Value, out: &mut String, depth: usize) -> Result<(), JcsError> {
    if depth > MAX_DEPTH {
        return Err(JcsError::TooDeep);
    }
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_json_number(n, out)?,
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out, depth + 1)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            // §3.2.3: compare names as arrays of UTF-16 code units. This is not
            // the same as UTF-8 byte order for characters above U+FFFF.
            members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (name, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(name, out);
                out.push(':');
                write_value(item, out, depth + 1)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn write_json_number(n: &Number, out: &mut String) -> Result<(), JcsError> {
    // Integers are checked for exact representability (see the module docs).
    if let Some(u) = n.as_u64() {
        let f = u as f64;
        // 2^64 itself does not fit a u64; `as` would saturate and hide it.
        if f >= 18_446_744_073_709_551_616.0 || f as u64 != u {
            return Err(JcsError::InexactInteger(u.to_string()));
        }
        write_number(f, out);
        return Ok(());
    }
    if let Some(i) = n.as_i64() {
        let f = i as f64;
        if f >= 9_223_372_036_854_775_808.0 || f as i64 != i {
            return Err(JcsError::InexactInteger(i.to_string()));
        }
        write_number(f, out);
        return Ok(());
    }
    match n.as_f64() {
        Some(f) if f.is_finite() => {
            write_number(f, out);
            Ok(())
        }
        _ => Err(JcsError::NonFiniteNumber(n.to_string())),
    }
}

/// Number::toString for a finite double: the shortest digit string that
/// round-trips, the closest such one, ties to even (ECMA-262's `s`, `k`, `n`),
/// laid out by ECMAScript's rules. The digits come from `zmij` (Schubfach;
/// already serde_json's float formatter). Rust's own `{:e}` is not usable:
/// it breaks ties upward (RFC 8785 Appendix B, 0x43143ff3c1cb0959).
fn write_number(x: f64, out: &mut String) {
    if x == 0.0 {
        // Both +0 and -0.
        out.push('0');
        return;
    }
    if x < 0.0 {
        out.push('-');
    }
    let mut buffer = zmij::Buffer::new();
    let (digits, n) = decimal_digits(buffer.format_finite(x.abs()));
    let k = digits.len() as i64; // number of significant digits

    if k <= n && n <= 21 {
        // Integer: the digits then n-k zeros.
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        // Decimal point inside the digits.
        let (int, frac) = digits.split_at(n as usize);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else if -6 < n && n <= 0 {
        // Small: 0.000ddd
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(&digits);
    } else {
        // Exponential: d[.ddd]e±N
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        out.push(if n - 1 < 0 { '-' } else { '+' });
        // Writing to a String cannot fail.
        let _ = write!(out, "{}", (n - 1).unsigned_abs());
    }
}

/// Splits a positive decimal numeral (`123.45`, `1.2e-7`, `1e+21`, `0.001`)
/// into its significant digits (no leading or trailing zeros) and `n`, the
/// position of the decimal point relative to them: value = 0.DIGITS × 10^n.
/// Independent of how the formatter chooses to lay the number out.
fn decimal_digits(text: &str) -> (String, i64) {
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.trim_start_matches('+').parse::<i64>().unwrap_or(0)),
        None => (text, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: String = int.chars().chain(frac.chars()).collect();
    let mut n = int.len() as i64 + exponent;
    let leading = digits.len() - digits.trim_start_matches('0').len();
    digits.drain(..leading);
    n -= leading as i64;
    let kept = digits.trim_end_matches('0').len();
    digits.truncate(kept);
    if digits.is_empty() {
        // Not reached for x != 0; keep the output well-formed regardless.
        return ("0".to_owned(), 1);
    }
    (digits, n)
}

/// JSON.stringify's QuoteJSONString (ECMA-262 §25.5.2.3) for a Rust string
/// (which cannot hold lone surrogates, so those cases do not arise).
fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{0c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

// --- strict parsing --------------------------------------------------------

/// Marker so the duplicate-key error survives the trip through serde's
/// string-typed custom errors.
const DUPLICATE_MARKER: &str = "\u{0}jcs-duplicate-key\u{0}";

fn strict_error(message: String) -> JcsError {
    match message.strip_prefix(DUPLICATE_MARKER) {
        Some(rest) => {
            // serde_json appends " at line L column C"; keep only the name.
            let name = rest.split(DUPLICATE_MARKER).next().unwrap_or(rest);
            JcsError::DuplicateKey(name.to_owned())
        }
        None => JcsError::Parse(message),
    }
}

struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = StrictValue;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Number(v.into())))
    }
    fn visit_u64<E>(self, v: u64) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Number(v.into())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<StrictValue, E> {
        Number::from_f64(v)
            .map(|n| StrictValue(Value::Number(n)))
            .ok_or_else(|| E::custom("number is not finite"))
    }
    fn visit_str<E>(self, v: &str) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::String(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::String(v)))
    }
    fn visit_unit<E>(self) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Null))
    }
    fn visit_none<E>(self) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<StrictValue, D::Error> {
        StrictValue::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StrictValue, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(StrictValue(Value::Array(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<StrictValue, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(de::Error::custom(format_args!(
                    "{DUPLICATE_MARKER}{key}{DUPLICATE_MARKER}"
                )));
            }
            let StrictValue(item) = access.next_value()?;
            map.insert(key, item);
        }
        Ok(StrictValue(Value::Object(map)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bits(hex: u64) -> f64 {
        f64::from_bits(hex)
    }

    #[test]
    fn rfc8785_section_3_2_2_example() {
        // RFC 8785 §3.2.2: numbers, strings and literals.
        let input = r#"{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"#;
        let expected = "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"\u{20ac}$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
        let value = parse_strict(input).unwrap();
        assert_eq!(canonicalize(&value).unwrap(), expected);
    }

    #[test]
    fn rfc8785_section_3_2_3_sorting() {
        // RFC 8785 §3.2.3: UTF-16 code-unit order puts U+1F600 (a surrogate
        // pair D83D DE00) before U+FB33, unlike code-point or UTF-8 order.
        let input = r#"{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}"#;
        let value = parse_strict(input).unwrap();
        assert_eq!(
            canonicalize(&value).unwrap(),
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\"\u{f6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20ac}\":\"Euro Sign\",\"\u{1f600}\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}"
        );
    }

    #[test]
    fn rfc8785_appendix_b_numbers() {
        // RFC 8785 Appendix B: IEEE 754 bit pattern -> JCS text.
        let table: &[(u64, &str)] = &[
            (0x0000000000000000, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
            (0x43143ff3c1cb0959, "1424953923781206.2"),
        ];
        for &(hex, expected) in table {
            assert_eq!(format_number(bits(hex)).unwrap(), expected, "{hex:016x}");
        }
        // NaN and Infinity are errors.
        assert!(format_number(bits(0x7fffffffffffffff)).is_err());
        assert!(format_number(bits(0x7ff0000000000000)).is_err());
        assert!(format_number(f64::NEG_INFINITY).is_err());
    }

    #[test]
    fn number_layout_boundaries() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1"),
            (-1.5, "-1.5"),
            (100.0, "100"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (1.5e21, "1.5e+21"),
            (123456789012345680000.0, "123456789012345680000"),
            (0.1, "0.1"),
            (1e-6, "0.000001"),
            (1.5e-6, "0.0000015"),
            (1e-7, "1e-7"),
            (1.25e-7, "1.25e-7"),
            (5e-324, "5e-324"),
        ];
        for &(x, expected) in cases {
            assert_eq!(format_number(x).unwrap(), expected, "{x:e}");
        }
    }

    #[test]
    fn decimal_digit_extraction() {
        assert_eq!(
            decimal_digits("1424953923781206.2"),
            ("14249539237812062".into(), 16)
        );
        assert_eq!(decimal_digits("1e+21"), ("1".into(), 22));
        assert_eq!(decimal_digits("1e21"), ("1".into(), 22));
        assert_eq!(
            decimal_digits("9.999999999999997e-7"),
            ("9999999999999997".into(), -6)
        );
        assert_eq!(decimal_digits("0.00012"), ("12".into(), -3));
        assert_eq!(decimal_digits("1200"), ("12".into(), 4));
        assert_eq!(decimal_digits("5E-324"), ("5".into(), -323));
    }

    #[test]
    fn integers_must_be_exact_doubles() {
        let ok = [
            (json!(0), "0"),
            (json!(-1), "-1"),
            (json!(9007199254740992u64), "9007199254740992"),
            (json!(9007199254740994u64), "9007199254740994"),
            (json!(-9007199254740992i64), "-9007199254740992"),
            (json!(1u64 << 63), "9223372036854776000"),
            (json!(i64::MIN), "-9223372036854776000"),
            (json!(u64::MAX - 2047), "18446744073709550000"),
        ];
        for (value, expected) in ok {
            assert_eq!(canonicalize(&value).unwrap(), expected);
        }
        for value in [
            json!(9007199254740993u64),
            json!(-9007199254740993i64),
            json!(u64::MAX),
            json!(i64::MAX),
        ] {
            assert!(
                matches!(canonicalize(&value), Err(JcsError::InexactInteger(_))),
                "{value}"
            );
        }
    }

    #[test]
    fn string_escapes() {
        let value = json!("\u{0}\u{1f}\u{7f}\u{8}\t\n\u{c}\r\"\\/</script>\u{2028}");
        assert_eq!(
            canonicalize(&value).unwrap(),
            "\"\\u0000\\u001f\u{7f}\\b\\t\\n\\f\\r\\\"\\\\/</script>\u{2028}\""
        );
    }

    #[test]
    fn nested_and_empty_structures() {
        let value = json!({"b": [], "a": {}, "c": [{"z": 1, "y": [true, null]}]});
        assert_eq!(
            canonicalize(&value).unwrap(),
            r#"{"a":{},"b":[],"c":[{"y":[true,null],"z":1}]}"#
        );
        assert_eq!(
            canonicalize_bytes(&value).unwrap(),
            canonicalize(&value).unwrap().into_bytes()
        );
    }

    #[test]
    fn too_deep_is_an_error_not_a_crash() {
        let mut value = json!(1);
        for _ in 0..(MAX_DEPTH + 5) {
            value = json!([value]);
        }
        assert_eq!(canonicalize(&value), Err(JcsError::TooDeep));
    }

    #[test]
    fn strict_parse_rejects_duplicates_and_trailing_data() {
        assert_eq!(
            parse_strict(r#"{"a":1,"b":{"x":1,"x":2}}"#),
            Err(JcsError::DuplicateKey("x".into()))
        );
        // Same name once escaped and once not is still a duplicate.
        assert_eq!(
            parse_strict(r#"{"a":1,"\u0061":2}"#),
            Err(JcsError::DuplicateKey("a".into()))
        );
        assert!(matches!(parse_strict("{} x"), Err(JcsError::Parse(_))));
        assert!(matches!(parse_strict("[1,]"), Err(JcsError::Parse(_))));
        assert!(matches!(
            parse_strict(r#""\ud800""#),
            Err(JcsError::Parse(_))
        ));
        assert!(matches!(parse_strict("1e400"), Err(JcsError::Parse(_))));
        assert!(matches!(
            parse_strict_slice(b"\"\xff\""),
            Err(JcsError::Parse(_))
        ));
        assert_eq!(
            parse_strict(r#" {"a": [1, 2.5, "x", null, false]} "#).unwrap(),
            json!({"a": [1, 2.5, "x", null, false]})
        );
    }

    #[test]
    fn serialize_helper() {
        #[derive(serde::Serialize)]
        struct S {
            z: u32,
            a: &'static str,
        }
        assert_eq!(
            canonicalize_serialize(&S { z: 1, a: "x" }).unwrap(),
            r#"{"a":"x","z":1}"#
        );
    }
}
