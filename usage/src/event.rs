//! A usage event: one training batch's use of a manifest's assets, as the
//! training orchestrator reports it.
//!
//! ```json
//! { "event_id": "run-7/e2/b137", "manifest_id": "urn:uuid:…",
//!   "asset_hashes": ["sha256:…", "sha256:…"],
//!   "batch_index": 137, "epoch": 2, "samples_count": 512,
//!   "model_id": "acme-7b", "training_run_id": "run-7", "training_step": 1200,
//!   "timestamp": "2026-03-01T12:00:00Z" }
//! ```
//!
//! Rules ([`UsageEvent::check`]; unknown members are refused when parsing):
//! - `event_id`, `model_id`, `training_run_id`: 1..=200 printable ASCII
//!   characters without spaces;
//! - `manifest_id`: `urn:uuid:<lowercase uuid>`;
//! - exactly one of `asset_hashes` (`sha256:<hex>`) or `leaf_indexes` (the
//!   assets' positions in the manifest's assets tree), 1..=64 entries, each
//!   listed once;
//! - `epoch` may be left out on input (it is then 0) and is always written;
//! - `samples_count`: 1..=1,000,000,000;
//! - every integer at most 2^53 - 1 (I-JSON, so JCS keeps it exact);
//! - `timestamp`: RFC 3339 in UTC (`Z`), kept to the millisecond.
//!
//! The canonical form ([`UsageEvent::canonical`]) is the RFC 8785 (JCS) text
//! of the event as serialised here: `epoch` present, the timestamp in core's
//! canonical spelling. It is the event's leaf in the batch tree
//! ([`crate::batch`]) and what [`UsageEvent::hash`] hashes, so two reports of
//! one event that differ only in member order, an omitted `epoch: 0` or the
//! spelling of the same instant are the same event.

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::jcs;
use fairtrain_core::time::Timestamp;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Value};

use crate::text::{
    all_distinct, is_token_text, is_urn_uuid, parse_utc, MAX_SAFE_INTEGER, MAX_TEXT_LEN,
};

/// Most assets one event may name.
pub const MAX_ASSETS_PER_EVENT: usize = 64;
/// Most samples one event may report.
pub const MAX_SAMPLES_PER_EVENT: u64 = 1_000_000_000;

/// Why an event breaks the rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EventError(pub String);

fn invalid(what: impl Into<String>) -> EventError {
    EventError(what.into())
}

/// Which assets of the manifest the batch used: by content hash or by leaf
/// index in the manifest's assets tree (`asset_hashes` / `leaf_indexes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssetRefs {
    Hashes(Vec<Sha256Digest>),
    LeafIndexes(Vec<u64>),
}

impl AssetRefs {
    pub fn len(&self) -> usize {
        match self {
            AssetRefs::Hashes(h) => h.len(),
            AssetRefs::LeafIndexes(i) => i.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One training batch's use of one manifest's assets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawEvent", into = "RawEvent")]
pub struct UsageEvent {
    pub event_id: String,
    pub manifest_id: String,
    pub assets: AssetRefs,
    pub batch_index: u64,
    pub epoch: u64,
    pub samples_count: u64,
    pub model_id: String,
    pub training_run_id: String,
    pub training_step: u64,
    pub timestamp: Timestamp,
}

/// The wire form: both asset lists optional so that "exactly one" is a rule
/// with its own message rather than an untagged-enum parse failure.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    event_id: String,
    manifest_id: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    asset_hashes: Option<Vec<Sha256Digest>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    leaf_indexes: Option<Vec<u64>>,
    batch_index: u64,
    #[serde(default)]
    epoch: u64,
    samples_count: u64,
    model_id: String,
    training_run_id: String,
    training_step: u64,
    timestamp: String,
}

/// A member that, when present, must hold a value (`null` is refused rather
/// than read as "absent").
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

impl TryFrom<RawEvent> for UsageEvent {
    type Error = EventError;

    fn try_from(raw: RawEvent) -> Result<Self, EventError> {
        let assets = match (raw.asset_hashes, raw.leaf_indexes) {
            (Some(h), None) => AssetRefs::Hashes(h),
            (None, Some(i)) => AssetRefs::LeafIndexes(i),
            _ => {
                return Err(invalid(
                    "exactly one of asset_hashes or leaf_indexes is required",
                ))
            }
        };
        let timestamp = parse_utc(&raw.timestamp)
            .ok_or_else(|| invalid("timestamp must be an RFC 3339 UTC date-time (…Z)"))?;
        Ok(UsageEvent {
            event_id: raw.event_id,
            manifest_id: raw.manifest_id,
            assets,
            batch_index: raw.batch_index,
            epoch: raw.epoch,
            samples_count: raw.samples_count,
            model_id: raw.model_id,
            training_run_id: raw.training_run_id,
            training_step: raw.training_step,
            timestamp,
        })
    }
}

impl From<UsageEvent> for RawEvent {
    fn from(e: UsageEvent) -> Self {
        let (asset_hashes, leaf_indexes) = match e.assets {
            AssetRefs::Hashes(h) => (Some(h), None),
            AssetRefs::LeafIndexes(i) => (None, Some(i)),
        };
        RawEvent {
            event_id: e.event_id,
            manifest_id: e.manifest_id,
            asset_hashes,
            leaf_indexes,
            batch_index: e.batch_index,
            epoch: e.epoch,
            samples_count: e.samples_count,
            model_id: e.model_id,
            training_run_id: e.training_run_id,
            training_step: e.training_step,
            timestamp: e.timestamp.format_rfc3339(),
        }
    }
}

impl UsageEvent {
    /// Parses one event from JSON (strict: unknown members refused) and
    /// checks it.
    pub fn from_json(value: &Value) -> Result<UsageEvent, EventError> {
        let event: UsageEvent =
            serde_json::from_value(value.clone()).map_err(|e| invalid(e.to_string()))?;
        event.check()?;
        Ok(event)
    }

    /// The field rules (see the module docs).
    pub fn check(&self) -> Result<(), EventError> {
        for (name, text) in [
            ("event_id", &self.event_id),
            ("model_id", &self.model_id),
            ("training_run_id", &self.training_run_id),
        ] {
            if !is_token_text(text, MAX_TEXT_LEN) {
                return Err(invalid(format!(
                    "{name} must be 1-{MAX_TEXT_LEN} printable ASCII characters without spaces"
                )));
            }
        }
        if !is_urn_uuid(&self.manifest_id) {
            return Err(invalid("manifest_id must be urn:uuid:<lowercase uuid>"));
        }
        let (name, distinct) = match &self.assets {
            AssetRefs::Hashes(h) => ("asset_hashes", all_distinct(h)),
            AssetRefs::LeafIndexes(i) => ("leaf_indexes", all_distinct(i)),
        };
        if self.assets.is_empty() || self.assets.len() > MAX_ASSETS_PER_EVENT {
            return Err(invalid(format!(
                "{name} must list 1 to {MAX_ASSETS_PER_EVENT} assets"
            )));
        }
        if !distinct {
            return Err(invalid(format!("{name} lists an asset twice")));
        }
        if let AssetRefs::LeafIndexes(i) = &self.assets {
            if i.iter().any(|&i| i > MAX_SAFE_INTEGER) {
                return Err(invalid("leaf_indexes must be at most 2^53 - 1"));
            }
        }
        for (name, n) in [
            ("batch_index", self.batch_index),
            ("epoch", self.epoch),
            ("training_step", self.training_step),
        ] {
            if n > MAX_SAFE_INTEGER {
                return Err(invalid(format!("{name} must be at most 2^53 - 1")));
            }
        }
        if self.samples_count == 0 || self.samples_count > MAX_SAMPLES_PER_EVENT {
            return Err(invalid(format!(
                "samples_count must be 1 to {MAX_SAMPLES_PER_EVENT}"
            )));
        }
        Ok(())
    }

    /// The event as JSON, exactly its serde form for any event that passes
    /// [`Self::check`]. Built by hand so it cannot fail: an integer above
    /// 2^53 - 1 (only possible in an unchecked event) is written as a decimal
    /// string, which JCS can carry exactly and which no checked event's form
    /// can equal.
    pub(crate) fn to_json(&self) -> Value {
        fn int(n: u64) -> Value {
            if n <= MAX_SAFE_INTEGER {
                Value::from(n)
            } else {
                Value::String(n.to_string())
            }
        }
        let mut v = json!({
            "event_id": self.event_id,
            "manifest_id": self.manifest_id,
            "batch_index": int(self.batch_index),
            "epoch": int(self.epoch),
            "samples_count": int(self.samples_count),
            "model_id": self.model_id,
            "training_run_id": self.training_run_id,
            "training_step": int(self.training_step),
            "timestamp": self.timestamp.format_rfc3339(),
        });
        let (name, list): (&str, Vec<Value>) = match &self.assets {
            AssetRefs::Hashes(h) => (
                "asset_hashes",
                h.iter().map(|d| Value::String(d.to_string())).collect(),
            ),
            AssetRefs::LeafIndexes(i) => ("leaf_indexes", i.iter().map(|&n| int(n)).collect()),
        };
        if let Some(map) = v.as_object_mut() {
            map.insert(name.to_owned(), Value::Array(list));
        }
        v
    }

    /// RFC 8785 (JCS) bytes of the event: its leaf in the batch tree.
    pub fn canonical(&self) -> Vec<u8> {
        let value = self.to_json();
        // JCS fails only on non-finite or inexact numbers and on nesting
        // deeper than 256; `to_json` has neither, so the fallback (the same
        // bytes for such a value) is never taken.
        jcs::canonicalize_bytes(&value).unwrap_or_else(|_| value.to_string().into_bytes())
    }

    /// `sha256:` of [`Self::canonical`]: what "same event" means when an id
    /// is reported twice.
    pub fn hash(&self) -> Sha256Digest {
        Sha256Digest::of(&self.canonical())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const MANIFEST: &str = "urn:uuid:00000000-0000-4000-8000-000000000001";

    pub(crate) fn t(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    pub(crate) fn event(id: &str) -> UsageEvent {
        UsageEvent {
            event_id: id.into(),
            manifest_id: MANIFEST.into(),
            assets: AssetRefs::Hashes(vec![Sha256Digest::of(b"a"), Sha256Digest::of(b"b")]),
            batch_index: 137,
            epoch: 2,
            samples_count: 512,
            model_id: "acme-7b".into(),
            training_run_id: "run-7".into(),
            training_step: 1200,
            timestamp: t("2026-03-01T12:00:00Z"),
        }
    }

    fn wire() -> Value {
        serde_json::to_value(event("e1")).unwrap()
    }

    #[test]
    fn serde_round_trip_and_shape() {
        let v = wire();
        assert_eq!(v["asset_hashes"][0], Sha256Digest::of(b"a").to_string());
        assert!(v.get("leaf_indexes").is_none());
        assert_eq!(v["timestamp"], "2026-03-01T12:00:00Z");
        assert_eq!(UsageEvent::from_json(&v).unwrap(), event("e1"));
        let mut by_leaf = event("e1");
        by_leaf.assets = AssetRefs::LeafIndexes(vec![0, 17]);
        let v = serde_json::to_value(&by_leaf).unwrap();
        assert_eq!(v["leaf_indexes"], json!([0, 17]));
        assert!(v.get("asset_hashes").is_none());
        assert_eq!(UsageEvent::from_json(&v).unwrap(), by_leaf);
    }

    #[test]
    fn epoch_defaults_to_zero_and_is_always_written() {
        let mut v = wire();
        v.as_object_mut().unwrap().remove("epoch");
        let e = UsageEvent::from_json(&v).unwrap();
        assert_eq!(e.epoch, 0);
        assert_eq!(serde_json::to_value(&e).unwrap()["epoch"], 0);
        let mut explicit = v.clone();
        explicit["epoch"] = json!(0);
        assert_eq!(
            UsageEvent::from_json(&explicit).unwrap().canonical(),
            e.canonical()
        );
        let mut null = v;
        null["epoch"] = Value::Null;
        assert!(UsageEvent::from_json(&null).is_err());
    }

    #[test]
    fn exactly_one_asset_list() {
        let mut both = wire();
        both["leaf_indexes"] = json!([1]);
        let err = UsageEvent::from_json(&both).unwrap_err();
        assert!(err.0.contains("exactly one"), "{err}");
        let mut neither = wire();
        neither.as_object_mut().unwrap().remove("asset_hashes");
        assert!(UsageEvent::from_json(&neither).is_err());
        let mut null = wire();
        null["leaf_indexes"] = Value::Null;
        assert!(UsageEvent::from_json(&null).is_err());
    }

    #[test]
    fn parse_rules() {
        let cases: Vec<(&str, Value)> = vec![
            ("extra", json!(1)),
            ("timestamp", json!("2026-03-01T13:00:00+01:00")),
            ("timestamp", json!("yesterday")),
            ("asset_hashes", json!(["md5:00"])),
            ("batch_index", json!(-1)),
            ("batch_index", json!(1.5)),
            ("samples_count", json!("5")),
            ("event_id", json!(7)),
        ];
        for (member, value) in cases {
            let mut v = wire();
            v[member] = value.clone();
            assert!(UsageEvent::from_json(&v).is_err(), "{member} = {value}");
        }
        for member in ["event_id", "manifest_id", "samples_count", "timestamp"] {
            let mut v = wire();
            v.as_object_mut().unwrap().remove(member);
            assert!(UsageEvent::from_json(&v).is_err(), "without {member}");
        }
    }

    #[test]
    fn check_rules() {
        event("e1").check().unwrap();
        let long = "x".repeat(MAX_TEXT_LEN);
        let mut ok = event(&long);
        ok.assets = AssetRefs::LeafIndexes((0..64).collect());
        ok.samples_count = MAX_SAMPLES_PER_EVENT;
        ok.batch_index = MAX_SAFE_INTEGER;
        ok.check().unwrap();

        type Change = Box<dyn Fn(&mut UsageEvent)>;
        let bad: Vec<(&str, Change)> = vec![
            ("empty id", Box::new(|e| e.event_id.clear())),
            ("long id", Box::new(|e| e.event_id = "x".repeat(201))),
            ("space in id", Box::new(|e| e.event_id = "a b".into())),
            ("model id", Box::new(|e| e.model_id = "acme 7b".into())),
            ("run id", Box::new(|e| e.training_run_id = "é".into())),
            ("manifest", Box::new(|e| e.manifest_id = "m1".into())),
            (
                "uppercase uuid",
                Box::new(|e| {
                    e.manifest_id = "urn:uuid:0000000A-0000-4000-8000-000000000001".into()
                }),
            ),
            (
                "no assets",
                Box::new(|e| e.assets = AssetRefs::Hashes(vec![])),
            ),
            (
                "no leaves",
                Box::new(|e| e.assets = AssetRefs::LeafIndexes(vec![])),
            ),
            (
                "65 assets",
                Box::new(|e| e.assets = AssetRefs::LeafIndexes((0..65).collect())),
            ),
            (
                "twice",
                Box::new(|e| e.assets = AssetRefs::LeafIndexes(vec![3, 4, 3])),
            ),
            (
                "hash twice",
                Box::new(|e| {
                    e.assets =
                        AssetRefs::Hashes(vec![Sha256Digest::of(b"a"), Sha256Digest::of(b"a")])
                }),
            ),
            (
                "big leaf",
                Box::new(|e| e.assets = AssetRefs::LeafIndexes(vec![MAX_SAFE_INTEGER + 1])),
            ),
            ("batch", Box::new(|e| e.batch_index = MAX_SAFE_INTEGER + 1)),
            ("epoch", Box::new(|e| e.epoch = u64::MAX)),
            ("step", Box::new(|e| e.training_step = MAX_SAFE_INTEGER + 1)),
            ("no samples", Box::new(|e| e.samples_count = 0)),
            (
                "too many samples",
                Box::new(|e| e.samples_count = MAX_SAMPLES_PER_EVENT + 1),
            ),
        ];
        for (what, change) in bad {
            let mut e = event("e1");
            change(&mut e);
            assert!(e.check().is_err(), "{what}");
            // And the same through the wire.
            assert!(
                UsageEvent::from_json(&serde_json::to_value(&e).unwrap()).is_err(),
                "{what}"
            );
        }
    }

    #[test]
    fn canonical_is_jcs_of_the_serde_form() {
        let e = event("e1");
        let jcs = jcs::canonicalize_bytes(&serde_json::to_value(&e).unwrap()).unwrap();
        assert_eq!(e.canonical(), jcs);
        let text = String::from_utf8(e.canonical()).unwrap();
        assert!(text.starts_with(r#"{"asset_hashes":["sha256:"#), "{text}");
        assert!(text.contains(r#""epoch":2,"event_id":"e1""#), "{text}");
        assert_eq!(e.hash(), Sha256Digest::of(text.as_bytes()));
        // Another spelling of the same instant is the same event.
        let mut v = wire();
        v["timestamp"] = json!("2026-03-01T12:00:00.000Z");
        assert_eq!(UsageEvent::from_json(&v).unwrap().hash(), e.hash());
        // Any change of content is another event.
        let mut other = event("e1");
        other.samples_count += 1;
        assert_ne!(other.hash(), e.hash());
        let mut other = event("e1");
        other.timestamp = t("2026-03-01T12:00:00.001Z");
        assert_ne!(other.hash(), e.hash());
    }

    #[test]
    fn canonical_never_fails_even_unchecked() {
        let mut huge = event("e1");
        huge.batch_index = MAX_SAFE_INTEGER + 2; // not a double
        let mut huge2 = huge.clone();
        huge2.batch_index = MAX_SAFE_INTEGER + 4;
        assert!(!huge.canonical().is_empty());
        assert_ne!(huge.canonical(), huge2.canonical());
        assert_ne!(huge.canonical(), event("e1").canonical());
    }
}
