//! Verifying a delivery, as the spec's "Verifying signatures" asks: the
//! timestamp within a tolerance of now (both directions, default 5 minutes),
//! each `v1` compared in constant time, `v1a` checked with a strict Ed25519
//! verifier, and any one matching signature among several is enough.
//!
//! Strictness, where the spec leaves room:
//! - `webhook-id` must be visible ASCII without `.` (see [`is_valid_message_id`]).
//! - `webhook-timestamp` must be canonical decimal seconds (no sign, no
//!   leading zeros), so the text signed is the number checked.
//! - `webhook-signature` must be space-separated `version,signature` entries,
//!   at most [`MAX_SIGNATURES`]; anything else is [`VerifyError::Malformed`].
//!   Entries of unknown versions (`v2,…`), and `v1`/`v1a` entries whose value
//!   is not a well-formed signature, are skipped, as the official libraries
//!   do, so they can only fail to match.

use fairtrain_core::ed25519::Signature;
use fairtrain_core::encoding::base64_decode;

use super::secret::VerifyingKey;
use super::sign::{is_valid_message_id, SignatureVersion};
use super::{DEFAULT_TOLERANCE_SECS, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP};

/// Most entries accepted in one `webhook-signature` value (each `v1a` costs an
/// Ed25519 verification per key).
pub const MAX_SIGNATURES: usize = 16;

/// Why a delivery was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("missing header `{0}`")]
    MissingHeader(&'static str),
    #[error("the timestamp is not a whole number of seconds since the epoch")]
    BadTimestamp,
    #[error("the timestamp is {age} s old; at most {tolerance} s is accepted")]
    TooOld { age: u64, tolerance: u64 },
    #[error("the timestamp is {ahead} s in the future; at most {tolerance} s is accepted")]
    TooNew { ahead: u64, tolerance: u64 },
    #[error("no signature matches")]
    NoMatchingSignature,
    #[error("malformed: {0}")]
    Malformed(&'static str),
}

impl VerifyError {
    /// A stable snake_case code for logs and JSON.
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::MissingHeader(_) => "missing_header",
            VerifyError::BadTimestamp => "bad_timestamp",
            VerifyError::TooOld { .. } => "too_old",
            VerifyError::TooNew { .. } => "too_new",
            VerifyError::NoMatchingSignature => "no_matching_signature",
            VerifyError::Malformed(_) => "malformed",
        }
    }
}

/// The three webhook headers as received (names are case-insensitive).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookHeaders {
    pub id: Option<String>,
    pub timestamp: Option<String>,
    pub signature: Option<String>,
}

impl WebhookHeaders {
    pub fn new(id: &str, timestamp: &str, signature: &str) -> Self {
        WebhookHeaders {
            id: Some(id.to_string()),
            timestamp: Some(timestamp.to_string()),
            signature: Some(signature.to_string()),
        }
    }

    /// From `(name, value)` pairs. A webhook header given twice is refused:
    /// which copy was signed would be a guess.
    pub fn from_pairs<K, V, I>(pairs: I) -> Result<Self, VerifyError>
    where
        K: AsRef<str>,
        V: AsRef<str>,
        I: IntoIterator<Item = (K, V)>,
    {
        let mut out = WebhookHeaders::default();
        for (name, value) in pairs {
            let slot = match name.as_ref().to_ascii_lowercase().as_str() {
                HEADER_ID => &mut out.id,
                HEADER_TIMESTAMP => &mut out.timestamp,
                HEADER_SIGNATURE => &mut out.signature,
                _ => continue,
            };
            if slot.is_some() {
                return Err(VerifyError::Malformed("a webhook header appears twice"));
            }
            *slot = Some(value.as_ref().to_string());
        }
        Ok(out)
    }

    /// From a lookup function (e.g. the Worker's `Headers::get`), asked for
    /// the lower-case names.
    pub fn from_lookup(mut get: impl FnMut(&str) -> Option<String>) -> Self {
        WebhookHeaders {
            id: get(HEADER_ID),
            timestamp: get(HEADER_TIMESTAMP),
            signature: get(HEADER_SIGNATURE),
        }
    }
}

/// One `version,signature` entry of a `webhook-signature` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureEntry<'a> {
    pub version: &'a str,
    pub signature: &'a str,
}

/// Splits a `webhook-signature` value into its entries, refusing anything
/// that is not `version,signature` separated by single spaces.
pub fn parse_signature_header(value: &str) -> Result<Vec<SignatureEntry<'_>>, VerifyError> {
    let value = value.trim_matches(|c| c == ' ' || c == '\t');
    if value.is_empty() {
        return Err(VerifyError::Malformed("empty webhook-signature"));
    }
    let mut entries = Vec::new();
    for entry in value.split(' ') {
        if entries.len() == MAX_SIGNATURES {
            return Err(VerifyError::Malformed("too many signatures"));
        }
        let (version, signature) = entry.split_once(',').ok_or(VerifyError::Malformed(
            "a signature entry is not `version,signature`",
        ))?;
        let version_ok = !version.is_empty()
            && version
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let signature_ok =
            !signature.is_empty() && signature.bytes().all(|b| b.is_ascii_graphic() && b != b',');
        if !version_ok || !signature_ok {
            return Err(VerifyError::Malformed(
                "a signature entry is not `version,signature`",
            ));
        }
        entries.push(SignatureEntry { version, signature });
    }
    Ok(entries)
}

/// Parses a `webhook-timestamp`: canonical decimal Unix seconds.
pub fn parse_timestamp(text: &str) -> Result<i64, VerifyError> {
    let canonical = !text.is_empty()
        && text.len() <= 18
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if !canonical {
        return Err(VerifyError::BadTimestamp);
    }
    text.parse().map_err(|_| VerifyError::BadTimestamp)
}

/// Checks `timestamp` against `now` (both Unix seconds): refused if more than
/// `tolerance` seconds old or ahead; exactly `tolerance` is accepted.
pub fn check_tolerance(timestamp: i64, now: i64, tolerance: u64) -> Result<(), VerifyError> {
    let diff = i128::from(now) - i128::from(timestamp);
    let saturate = |d: i128| u64::try_from(d).unwrap_or(u64::MAX);
    if diff > i128::from(tolerance) {
        Err(VerifyError::TooOld {
            age: saturate(diff),
            tolerance,
        })
    } else if -diff > i128::from(tolerance) {
        Err(VerifyError::TooNew {
            ahead: saturate(-diff),
            tolerance,
        })
    } else {
        Ok(())
    }
}

/// A delivery that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The `webhook-id`: the idempotency key.
    pub id: String,
    /// The `webhook-timestamp` (Unix seconds).
    pub timestamp: i64,
    /// Which scheme matched.
    pub version: SignatureVersion,
    /// Which of the verifier's keys matched.
    pub key_index: usize,
}

/// Verifies deliveries against a set of trusted keys (several during the
/// consumer's own key rotation).
#[derive(Debug, Clone)]
pub struct Verifier {
    keys: Vec<VerifyingKey>,
    tolerance: Option<u64>,
}

impl Verifier {
    /// A verifier for one key, with the default 5-minute tolerance.
    pub fn new(key: impl Into<VerifyingKey>) -> Self {
        Verifier {
            keys: vec![key.into()],
            tolerance: Some(DEFAULT_TOLERANCE_SECS),
        }
    }

    /// A verifier trusting any of `keys`.
    pub fn with_keys(keys: Vec<VerifyingKey>) -> Self {
        Verifier {
            keys,
            tolerance: Some(DEFAULT_TOLERANCE_SECS),
        }
    }

    /// The timestamp tolerance in seconds; `None` skips the check (only for
    /// re-checking a saved delivery offline: it removes replay protection).
    pub fn tolerance(mut self, tolerance: Option<u64>) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Verifies the raw `body` (exactly the bytes received: never re-serialised
    /// JSON) against `headers` at `now` (Unix seconds).
    pub fn verify(
        &self,
        headers: &WebhookHeaders,
        body: &[u8],
        now: i64,
    ) -> Result<Verified, VerifyError> {
        let id = headers
            .id
            .as_deref()
            .ok_or(VerifyError::MissingHeader(HEADER_ID))?;
        let ts_text = headers
            .timestamp
            .as_deref()
            .ok_or(VerifyError::MissingHeader(HEADER_TIMESTAMP))?;
        let sig_value = headers
            .signature
            .as_deref()
            .ok_or(VerifyError::MissingHeader(HEADER_SIGNATURE))?;
        if !is_valid_message_id(id) {
            return Err(VerifyError::Malformed("webhook-id"));
        }
        let timestamp = parse_timestamp(ts_text)?;
        let entries = parse_signature_header(sig_value)?;
        if let Some(tolerance) = self.tolerance {
            check_tolerance(timestamp, now, tolerance)?;
        }

        // Decode the candidates once; malformed ones simply cannot match.
        let mut macs: Vec<Vec<u8>> = Vec::new();
        let mut sigs: Vec<Signature> = Vec::new();
        for entry in &entries {
            match SignatureVersion::from_tag(entry.version) {
                Some(SignatureVersion::V1) => {
                    if let Ok(mac) = base64_decode(entry.signature) {
                        if mac.len() == 32 {
                            macs.push(mac);
                        }
                    }
                }
                Some(SignatureVersion::V1a) => {
                    if let Some(sig) = base64_decode(entry.signature)
                        .ok()
                        .and_then(|b| Signature::from_slice(&b).ok())
                    {
                        sigs.push(sig);
                    }
                }
                None => {}
            }
        }

        let mut content: Option<Vec<u8>> = None;
        for (key_index, key) in self.keys.iter().enumerate() {
            let matched = match key {
                VerifyingKey::Hmac(secret) => {
                    if macs.is_empty() {
                        continue;
                    }
                    let expected = secret.mac(id, ts_text, body);
                    // Check every candidate (no early exit on the comparison).
                    macs.iter()
                        .fold(false, |any, mac| {
                            fairtrain_core::ct::eq(mac, &expected) | any
                        })
                        .then_some(SignatureVersion::V1)
                }
                VerifyingKey::Ed25519(public) => {
                    if sigs.is_empty() {
                        continue;
                    }
                    let content = content.get_or_insert_with(|| {
                        let mut c = Vec::with_capacity(id.len() + ts_text.len() + body.len() + 2);
                        c.extend_from_slice(id.as_bytes());
                        c.push(b'.');
                        c.extend_from_slice(ts_text.as_bytes());
                        c.push(b'.');
                        c.extend_from_slice(body);
                        c
                    });
                    sigs.iter()
                        .any(|sig| public.public_key().verify(content, sig).is_ok())
                        .then_some(SignatureVersion::V1a)
                }
            };
            if let Some(version) = matched {
                return Ok(Verified {
                    id: id.to_string(),
                    timestamp,
                    version,
                    key_index,
                });
            }
        }
        Err(VerifyError::NoMatchingSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::{SigningKey, WebhookPublicKey, WebhookSecret, WebhookSigningKey};
    use crate::sign::sign;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: i64 = 1614265330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const V1: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    const V1A: &str = "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==";
    const WHPK: &str = "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=";
    /// A signature that does not match (from the official libraries' tests).
    const WRONG: &str = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";

    fn hmac() -> Verifier {
        Verifier::new(WebhookSecret::parse(SECRET).unwrap())
    }

    fn headers(sig: &str) -> WebhookHeaders {
        WebhookHeaders::new(ID, &TS.to_string(), sig)
    }

    #[test]
    fn official_vector_verifies() {
        let ok = hmac().verify(&headers(V1), BODY, TS).unwrap();
        assert_eq!(ok.id, ID);
        assert_eq!(ok.timestamp, TS);
        assert_eq!(ok.version, SignatureVersion::V1);
        // Tampering with any signed part fails.
        assert_eq!(
            hmac().verify(&headers(V1), br#"{"test": 2432232315}"#, TS),
            Err(VerifyError::NoMatchingSignature)
        );
        let mut other_id = headers(V1);
        other_id.id = Some("msg_p5jXN8AQM9LWM0D4loKWxJel".into());
        assert_eq!(
            hmac().verify(&other_id, BODY, TS),
            Err(VerifyError::NoMatchingSignature)
        );
        let mut other_ts = headers(V1);
        other_ts.timestamp = Some((TS + 1).to_string());
        assert_eq!(
            hmac().verify(&other_ts, BODY, TS),
            Err(VerifyError::NoMatchingSignature)
        );
    }

    #[test]
    fn spec_example_header_with_both_schemes() {
        // The spec's example header carries a v1 and a v1a entry; each
        // consumer finds its own.
        let both = format!("{V1} {V1A}");
        assert_eq!(
            hmac().verify(&headers(&both), BODY, TS).unwrap().version,
            SignatureVersion::V1
        );
        let ed = Verifier::new(WebhookPublicKey::parse(WHPK).unwrap());
        assert_eq!(
            ed.verify(&headers(&both), BODY, TS).unwrap().version,
            SignatureVersion::V1a
        );
        assert_eq!(
            ed.verify(&headers(V1), BODY, TS),
            Err(VerifyError::NoMatchingSignature)
        );
    }

    #[test]
    fn v1a_round_trip_and_tampering() {
        let sk = WebhookSigningKey::from_seed(&[42u8; 32]);
        let ed = Verifier::new(sk.public_key());
        let h = sign(&[SigningKey::from(sk.clone())], "msg_x", TS, b"{\"a\":1}").unwrap();
        let wh = WebhookHeaders::from_pairs(h.to_pairs()).unwrap();
        assert!(ed.verify(&wh, b"{\"a\":1}", TS).is_ok());
        assert_eq!(
            ed.verify(&wh, b"{\"a\":2}", TS),
            Err(VerifyError::NoMatchingSignature)
        );
        // Flip one bit of the signature.
        let mut sig = base64_decode(&h.signature[4..]).unwrap();
        sig[10] ^= 1;
        let flipped = format!("v1a,{}", fairtrain_core::encoding::base64_encode(&sig));
        assert_eq!(
            ed.verify(
                &WebhookHeaders::new("msg_x", &TS.to_string(), &flipped),
                b"{\"a\":1}",
                TS
            ),
            Err(VerifyError::NoMatchingSignature)
        );
        // Another key's public key does not verify it.
        let other = Verifier::new(WebhookSigningKey::from_seed(&[43u8; 32]).public_key());
        assert_eq!(
            other.verify(&wh, b"{\"a\":1}", TS),
            Err(VerifyError::NoMatchingSignature)
        );
        // A v1 entry computed as if the public key were an HMAC secret
        // does not pass as v1a.
        let fake = WebhookSecret::from_bytes(&sk.public_key().public_key().to_bytes())
            .unwrap()
            .sign("msg_x", TS, b"{\"a\":1}");
        assert_eq!(
            ed.verify(
                &WebhookHeaders::new("msg_x", &TS.to_string(), &fake),
                b"{\"a\":1}",
                TS
            ),
            Err(VerifyError::NoMatchingSignature)
        );
    }

    #[test]
    fn rotation_either_key_verifies() {
        let old = WebhookSecret::from_random(&[1u8; 32]).unwrap();
        let new = WebhookSecret::from_random(&[2u8; 32]).unwrap();
        let h = sign(
            &[SigningKey::from(new.clone()), SigningKey::from(old.clone())],
            "msg_rot",
            TS,
            b"{}",
        )
        .unwrap();
        let wh = WebhookHeaders::from_pairs(h.to_pairs()).unwrap();
        assert!(Verifier::new(old.clone()).verify(&wh, b"{}", TS).is_ok());
        assert!(Verifier::new(new.clone()).verify(&wh, b"{}", TS).is_ok());
        let third = WebhookSecret::from_random(&[3u8; 32]).unwrap();
        assert_eq!(
            Verifier::new(third.clone()).verify(&wh, b"{}", TS),
            Err(VerifyError::NoMatchingSignature)
        );
        // A consumer holding two keys learns which one matched.
        let both = Verifier::with_keys(vec![third.into(), old.into()]);
        assert_eq!(both.verify(&wh, b"{}", TS).unwrap().key_index, 1);
    }

    #[test]
    fn official_multi_signature_case() {
        // From the official libraries: unknown versions and wrong v1 entries
        // around the valid one do not stop it verifying.
        let sigs = [
            WRONG,
            "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
            V1,
            WRONG,
        ]
        .join(" ");
        assert!(hmac().verify(&headers(&sigs), BODY, TS).is_ok());
    }

    #[test]
    fn tolerance_edges() {
        let v = hmac();
        assert!(v.verify(&headers(V1), BODY, TS + 300).is_ok());
        assert!(v.verify(&headers(V1), BODY, TS - 300).is_ok());
        assert_eq!(
            v.verify(&headers(V1), BODY, TS + 301),
            Err(VerifyError::TooOld {
                age: 301,
                tolerance: 300
            })
        );
        assert_eq!(
            v.verify(&headers(V1), BODY, TS - 301),
            Err(VerifyError::TooNew {
                ahead: 301,
                tolerance: 300
            })
        );
        let strict = hmac().tolerance(Some(0));
        assert!(strict.verify(&headers(V1), BODY, TS).is_ok());
        assert!(strict.verify(&headers(V1), BODY, TS + 1).is_err());
        let off = hmac().tolerance(None);
        assert!(off.verify(&headers(V1), BODY, 4_000_000_000).is_ok());
        assert!(check_tolerance(i64::MIN + 1, i64::MAX, 300).is_err());
    }

    #[test]
    fn missing_and_malformed_headers() {
        let v = hmac();
        let ts = TS.to_string();
        let cases: [(WebhookHeaders, VerifyError); 3] = [
            (
                WebhookHeaders {
                    id: None,
                    ..headers(V1)
                },
                VerifyError::MissingHeader("webhook-id"),
            ),
            (
                WebhookHeaders {
                    timestamp: None,
                    ..headers(V1)
                },
                VerifyError::MissingHeader("webhook-timestamp"),
            ),
            (
                WebhookHeaders {
                    signature: None,
                    ..headers(V1)
                },
                VerifyError::MissingHeader("webhook-signature"),
            ),
        ];
        for (h, e) in cases {
            assert_eq!(v.verify(&h, BODY, TS), Err(e));
        }
        for bad in [
            "hello",
            "",
            "-1614265330",
            "+1614265330",
            "01614265330",
            "1614265330.0",
            " 1614265330",
            "99999999999999999999",
        ] {
            assert_eq!(
                v.verify(&WebhookHeaders::new(ID, bad, V1), BODY, TS),
                Err(VerifyError::BadTimestamp),
                "{bad:?}"
            );
        }
        for bad in [
            "",
            "   ",
            "v1",
            "v1,",
            ",abc",
            "v1,abc  v1,def",
            "V1,abc",
            "v1,a,b",
            "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        ] {
            assert!(
                matches!(
                    v.verify(&WebhookHeaders::new(ID, &ts, bad), BODY, TS),
                    Err(VerifyError::Malformed(_))
                ),
                "{bad:?}"
            );
        }
        let many = vec![WRONG; MAX_SIGNATURES + 1].join(" ");
        assert!(matches!(
            v.verify(&headers(&many), BODY, TS),
            Err(VerifyError::Malformed(_))
        ));
        for bad_id in ["msg.1", "", "msg 1"] {
            assert!(matches!(
                v.verify(&WebhookHeaders::new(bad_id, &ts, V1), BODY, TS),
                Err(VerifyError::Malformed(_))
            ));
        }
        // Well-formed entries whose values are not signatures never match.
        for nomatch in [
            "v1,dawfeoifkpqwoekfpqoekf",
            "v1,g0hM9SsE",
            "v1a,AAAA",
            "v2,anything",
        ] {
            assert_eq!(
                v.verify(&headers(nomatch), BODY, TS),
                Err(VerifyError::NoMatchingSignature),
                "{nomatch:?}"
            );
        }
        // The official libraries' "partial signature" case.
        assert!(v.verify(&headers(&V1[..8]), BODY, TS).is_err());
        // Surrounding whitespace (HTTP optional whitespace) is tolerated.
        assert!(v.verify(&headers(&format!(" {V1} ")), BODY, TS).is_ok());
    }

    #[test]
    fn header_pairs_are_case_insensitive_and_unique() {
        let h = WebhookHeaders::from_pairs([
            ("Webhook-Id", ID),
            ("WEBHOOK-TIMESTAMP", "1614265330"),
            ("webhook-signature", V1),
            ("content-type", "application/json"),
        ])
        .unwrap();
        assert!(hmac().verify(&h, BODY, TS).is_ok());
        assert!(matches!(
            WebhookHeaders::from_pairs([("webhook-id", "a"), ("Webhook-ID", "b")]),
            Err(VerifyError::Malformed(_))
        ));
        let looked_up = WebhookHeaders::from_lookup(|name| match name {
            "webhook-id" => Some(ID.to_string()),
            "webhook-timestamp" => Some("1614265330".to_string()),
            "webhook-signature" => Some(V1.to_string()),
            _ => None,
        });
        assert_eq!(looked_up, h);
    }

    #[test]
    fn error_codes() {
        assert_eq!(
            VerifyError::NoMatchingSignature.code(),
            "no_matching_signature"
        );
        assert_eq!(
            VerifyError::MissingHeader("webhook-id").to_string(),
            "missing header `webhook-id`"
        );
    }
}
