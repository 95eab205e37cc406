//! The strict check every platform-signed document uses (manifests and their
//! status, usage receipts, settlement statements, passports, reports): the
//! verifier reads the document's typed fields, rebuilds the whole document
//! from them, and refuses it unless what it received (without its proof) is
//! exactly that, so nothing unsigned, duplicated or spelt two ways rides
//! along. One copy of the comparison, so every format reports a difference
//! the same way: as a JSON pointer and what was expected there. With it, the
//! pieces those formats share: the canonical time spelling that makes the
//! rebuild exact, and the W3C VC 2.0 envelope of the platform's credentials.
//!
//! ```json
//! { "@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:uuid:…",
//!   "type": ["VerifiableCredential", "<Type>"], "issuer": "did:key:<platform>",
//!   "validFrom": "…Z", "credentialSubject": { … }, "proof": { … } }
//! ```

use serde::Deserialize;
use serde_json::{json, Value};

use crate::did_key::DidKey;
use crate::time::Timestamp;

/// The VC 2.0 base context, the only `@context` these credentials have.
pub const VC_CONTEXT_V2: &str = "https://www.w3.org/ns/credentials/v2";

/// Where `found` first differs from `expected`, as a JSON pointer and what
/// was expected there (`None`: identical). Members are compared by name (their
/// order does not count); arrays of the same length item by item, so the
/// pointer names the first item that differs.
pub fn difference(expected: &Value, found: &Value, at: &str) -> Option<String> {
    match (expected, found) {
        (Value::Object(e), Value::Object(f)) => {
            for (name, ev) in e {
                let path = format!("{at}/{name}");
                match f.get(name) {
                    None => return Some(format!("{path} is missing")),
                    Some(fv) => {
                        if let Some(d) = difference(ev, fv, &path) {
                            return Some(d);
                        }
                    }
                }
            }
            let extra = f.keys().find(|name| !e.contains_key(*name))?;
            Some(format!("{at}/{extra} is not allowed"))
        }
        (Value::Array(e), Value::Array(f)) if e.len() == f.len() => e
            .iter()
            .zip(f)
            .enumerate()
            .find_map(|(i, (ev, fv))| difference(ev, fv, &format!("{at}/{i}"))),
        _ if expected == found => None,
        _ => Some(format!(
            "{} must be {expected}",
            if at.is_empty() { "/" } else { at }
        )),
    }
}

/// Where the signed document `doc`, without its `proof` member, first
/// differs from `expected` (the unsigned document its typed fields build).
pub fn unsigned_difference(expected: &Value, doc: &Value) -> Option<String> {
    let mut unsigned = doc.clone();
    if let Some(object) = unsigned.as_object_mut() {
        object.remove("proof");
    }
    difference(expected, &unsigned, "")
}

/// A timestamp in its one canonical spelling ([`Timestamp::format_rfc3339`]:
/// UTC, `Z`, milliseconds only when not zero), so a signed document can be
/// rebuilt exactly from its typed fields.
pub fn parse_canonical_time(text: &str) -> Option<Timestamp> {
    Timestamp::parse_rfc3339(text)
        .ok()
        .filter(|t| t.format_rfc3339() == text)
}

/// The unsigned credential of type `kind` (besides `VerifiableCredential`)
/// with the subject `subject`.
pub fn credential(
    kind: &str,
    id: &str,
    issuer: &DidKey,
    valid_from: Timestamp,
    subject: Value,
) -> Value {
    json!({
        "@context": [VC_CONTEXT_V2],
        "id": id,
        "type": ["VerifiableCredential", kind],
        "issuer": issuer.to_string(),
        "validFrom": valid_from.format_rfc3339(),
        "credentialSubject": subject,
    })
}

/// A signed [`credential`] read strictly: unknown members are refused, the
/// subject has its format's typed shape `S`. `@context`, `type` and the
/// proof are not read: the proof is checked on its own, the rest when the
/// whole document is compared with the one its fields rebuild
/// ([`unsigned_difference`]).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credential<S> {
    #[serde(rename = "@context")]
    _context: Value,
    pub id: String,
    #[serde(rename = "type")]
    _types: Value,
    pub issuer: String,
    #[serde(rename = "validFrom")]
    pub valid_from: String,
    #[serde(rename = "credentialSubject")]
    pub subject: S,
    #[serde(rename = "proof")]
    _proof: Value,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn differences_name_the_place() {
        let e = json!({"a": {"b": 1}, "c": [1]});
        assert_eq!(difference(&e, &e.clone(), ""), None);
        assert_eq!(
            difference(&e, &json!({"c": [1], "a": {"b": 1}}), ""),
            None,
            "member order does not count"
        );
        assert_eq!(
            difference(&e, &json!({"a": {"b": 2}, "c": [1]}), "").as_deref(),
            Some("/a/b must be 1")
        );
        assert_eq!(
            difference(&e, &json!({"a": {"b": 1}}), "").as_deref(),
            Some("/c is missing")
        );
        assert_eq!(
            difference(&e, &json!({"a": {"b": 1}, "c": [1], "d": 0}), "").as_deref(),
            Some("/d is not allowed")
        );
        assert_eq!(
            difference(&json!(1), &json!(2), "").as_deref(),
            Some("/ must be 1")
        );
        let e = json!({"a": [1, {"b": "x"}]});
        assert_eq!(
            difference(&e, &json!({"a": [1, {"b": "y"}]}), "").as_deref(),
            Some("/a/1/b must be \"x\"")
        );
        assert_eq!(
            difference(&e, &json!({"a": [1]}), "").as_deref(),
            Some("/a must be [1,{\"b\":\"x\"}]")
        );
        assert_eq!(
            difference(&e, &json!({"a": [1.0, {"b": "x"}]}), "").as_deref(),
            Some("/a/0 must be 1")
        );
    }

    #[test]
    fn the_proof_is_left_out() {
        let expected = json!({"a": [1, {"b": "x"}]});
        assert_eq!(
            unsigned_difference(&expected, &json!({"a": [1, {"b": "x"}], "proof": {}})),
            None
        );
        for bad in [
            json!({"a": [1, {"b": "y"}]}),
            json!({"a": [1, {"b": "x", "c": 1}]}),
            json!({"a": [1]}),
            json!({"a": [1.0, {"b": "x"}]}),
            json!({}),
            json!({"a": [1, {"b": "x"}], "z": 0}),
            json!([]),
        ] {
            assert!(unsigned_difference(&expected, &bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn credentials_are_read_strictly() {
        let issuer =
            DidKey::from_public_key(crate::ed25519::SigningKey::from_seed(&[1; 32]).public_key());
        let at = parse_canonical_time("2026-01-01T00:00:00Z").unwrap();
        let id = "urn:uuid:00000000-0000-4000-8000-000000000000";
        let mut doc = credential("Example", id, &issuer, at, json!({"n": 1}));
        assert_eq!(doc["type"], json!(["VerifiableCredential", "Example"]));
        doc["proof"] = json!({});
        let read: Credential<Value> = serde_json::from_value(doc.clone()).unwrap();
        assert_eq!(
            (read.id.as_str(), read.issuer, read.valid_from.as_str()),
            (id, issuer.to_string(), "2026-01-01T00:00:00Z")
        );
        assert_eq!(read.subject, json!({"n": 1}));
        let mut extra = doc.clone();
        extra["validUntil"] = json!("2027-01-01T00:00:00Z");
        assert!(serde_json::from_value::<Credential<Value>>(extra).is_err());
        let mut unsigned = doc;
        unsigned.as_object_mut().unwrap().remove("proof");
        assert!(serde_json::from_value::<Credential<Value>>(unsigned).is_err());
    }

    #[test]
    fn canonical_times_have_one_spelling() {
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
