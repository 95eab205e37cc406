//! RFC 8785 (JCS) against the reference test data of cyberphone/json-canonicalization
//! (vectors/jcs/, see vectors/README.md).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use fairtrain_core::digest::Sha256Stream;
use fairtrain_core::jcs;
use serde_json::Value;

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/jcs")
}

#[test]
fn reference_inputs_canonicalize_to_reference_outputs() {
    let mut names: Vec<_> = std::fs::read_dir(vectors().join("input"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(
        names.len(),
        6,
        "arrays, french, structures, unicode, values, weird"
    );
    for name in names {
        let input = std::fs::read(vectors().join("input").join(&name)).unwrap();
        let expected = std::fs::read(vectors().join("output").join(&name)).unwrap();
        let value = jcs::parse_strict_slice(&input).unwrap();
        let canonical = jcs::canonicalize_bytes(&value).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&canonical),
            String::from_utf8_lossy(&expected),
            "{name:?}"
        );
        // Canonicalisation is idempotent.
        let again = jcs::canonicalize_bytes(&jcs::parse_strict_slice(&canonical).unwrap()).unwrap();
        assert_eq!(again, canonical, "{name:?}");
    }
}

/// The deterministic ES6 number test sequence of the reference repository
/// (es6-numbers.json): generate its first `lines` lines with our formatter and
/// compare the SHA-256 of the text with the published one.
fn es6_sequence_hash(lines: usize) -> (String, u64) {
    let spec: Value =
        serde_json::from_slice(&std::fs::read(vectors().join("es6-numbers.json")).unwrap())
            .unwrap();
    let statics: Vec<u64> = spec["static_u64s"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| u64::from_str_radix(v.as_str().unwrap(), 16).unwrap())
        .collect();
    let serial_start = u64::from_str_radix(spec["serial"]["start"].as_str().unwrap(), 16).unwrap();
    let serial_count = spec["serial"]["count"].as_u64().unwrap();

    let mut values = statics
        .into_iter()
        .chain((0..serial_count).map(|i| serial_start + i))
        .chain(RandomDoubles::default());

    let mut hasher = Sha256Stream::new();
    let mut line = String::new();
    for _ in 0..lines {
        let bits = values.next().unwrap();
        line.clear();
        write!(line, "{bits:x},").unwrap();
        line.push_str(&jcs::format_number(f64::from_bits(bits)).unwrap());
        line.push('\n');
        hasher.update(line.as_bytes());
    }
    let len = hasher.len();
    (hasher.finish().to_hex(), len)
}

/// Doubles read little-endian from a SHA-256 chain starting at 32 zero bytes,
/// skipping zeros and non-finite values.
#[derive(Default)]
struct RandomDoubles {
    block: [u8; 32],
    pending: Vec<u64>,
}

impl Iterator for RandomDoubles {
    type Item = u64;
    fn next(&mut self) -> Option<u64> {
        loop {
            if self.pending.is_empty() {
                self.block = fairtrain_core::digest::Sha256Digest::of(&self.block).to_bytes();
                self.pending = self
                    .block
                    .chunks_exact(8)
                    .rev()
                    .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
                    .collect();
            }
            let bits = self.pending.pop()?;
            let f = f64::from_bits(bits);
            if f != 0.0 && f.is_finite() {
                return Some(bits);
            }
        }
    }
}

fn expected_hash(lines: usize) -> (String, u64) {
    let spec: Value =
        serde_json::from_slice(&std::fs::read(vectors().join("es6-numbers.json")).unwrap())
            .unwrap();
    let row = spec["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["lines"].as_u64() == Some(lines as u64))
        .unwrap();
    (
        row["sha256"].as_str().unwrap().to_owned(),
        row["bytes"].as_u64().unwrap(),
    )
}

#[test]
fn es6_numbers_first_100k() {
    for lines in [1_000, 10_000, 100_000] {
        assert_eq!(
            es6_sequence_hash(lines),
            expected_hash(lines),
            "{lines} lines"
        );
    }
}

/// About a minute in a debug build, seconds with `--release`:
/// `cargo test -p fairtrain-core --release -- --ignored`.
#[test]
#[ignore]
fn es6_numbers_first_10m() {
    for lines in [1_000_000, 10_000_000] {
        assert_eq!(
            es6_sequence_hash(lines),
            expected_hash(lines),
            "{lines} lines"
        );
    }
}
