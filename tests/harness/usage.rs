//! A training market for usage tests: creators with assets in a priced
//! manifest, a licensed buyer, and an orchestrator with its own signing key
//! that reports signed usage.

use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::fields::urn_uuid_v4;
use fairtrain_core::time::Timestamp;
use fairtrain_usage::{sign_report, AssetRefs, UsageEvent, UsageReport};
use serde_json::{json, Value};

use crate::creator::Creator;
use crate::market::{buyer, bytes, compose, contribute, key_id};
use crate::{random, unique, Reply, Req, Worker};

pub struct Market {
    pub creators: Vec<Creator>,
    /// (asset hash, index of its creator in `creators`), in upload order.
    pub assets: Vec<(Sha256Digest, usize)>,
    /// consent id of each asset, same order.
    pub consents: Vec<String>,
    pub manifest_id: String,
    pub buyer_token: String,
    pub orchestrator: Orchestrator,
}

pub struct Orchestrator {
    pub token: String,
    pub key: SigningKey,
    pub did: DidKey,
}

/// An orchestrator API key acting for `buyer_token`, with a fresh signing key.
pub fn orchestrator(w: &Worker, buyer_token: &str) -> Orchestrator {
    let key = SigningKey::from_seed(&random());
    let did = DidKey::from_public_key(key.public_key());
    let r = Req::post("/v1/admin/api-keys")
        .bearer(&w.admin_token)
        .json(&json!({ "role": "orchestrator", "label": unique("orch"), "signing_key": did.to_string(),
                       "acts_for": key_id(buyer_token) }))
        .send(w);
    assert_eq!(r.status, 201, "{}", r.text());
    Orchestrator {
        token: r.json()["token"].as_str().unwrap().to_string(),
        key,
        did,
    }
}

pub fn licence(w: &Worker, buyer_token: &str, manifest_id: &str, expires_at: Option<&str>) {
    let r = Req::post("/v1/licenses")
        .bearer(&w.admin_token)
        .json(&json!({ "buyer": key_id(buyer_token), "manifest_id": manifest_id, "expires_at": expires_at }))
        .send(w);
    assert_eq!(r.status, 201, "{}", r.text());
}

/// `creators` creators with `per_creator` assets each, in one manifest priced
/// `per_use` USD per the given attribution model, licensed to a buyer.
pub fn market(
    w: &Worker,
    creators: usize,
    per_creator: usize,
    model: &str,
    per_use: &str,
) -> Market {
    let mut cs = Vec::new();
    let mut assets = Vec::new();
    let mut consents = Vec::new();
    for i in 0..creators {
        let c = Creator::registered(w);
        for _ in 0..per_creator {
            let data = bytes("usage");
            let (_, consent) = contribute(w, &c, &data, "public_posts", "US", vec!["ai_training"]);
            assets.push((Sha256Digest::of(&data), i));
            consents.push(consent);
        }
        cs.push(c);
    }
    let r = compose(
        w,
        json!({
            "name": unique("training set"),
            "license": { "type": "commercial" },
            "usage_policy": { "allowed_uses": ["ai_training"], "commercial": true, "attribution_model": model,
                              "price": { "currency": "USD", "minor_units": 2, "per_use": per_use } },
            "data_residency": ["US"],
            "assets": assets.iter().map(|(h, _)| h.to_string()).collect::<Vec<_>>(),
        }),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let manifest_id = r.json()["manifest_id"].as_str().unwrap().to_string();
    let buyer_token = buyer(w);
    licence(w, &buyer_token, &manifest_id, None);
    let orchestrator = orchestrator(w, &buyer_token);
    Market {
        creators: cs,
        assets,
        consents,
        manifest_id,
        buyer_token,
        orchestrator,
    }
}

/// One event using one asset.
pub fn event(
    id: &str,
    manifest_id: &str,
    asset: Sha256Digest,
    samples: u64,
    model: &str,
    at: Timestamp,
) -> UsageEvent {
    UsageEvent {
        event_id: id.to_string(),
        manifest_id: manifest_id.to_string(),
        assets: AssetRefs::Hashes(vec![asset]),
        batch_index: 0,
        epoch: 0,
        samples_count: samples,
        model_id: model.to_string(),
        training_run_id: "run-1".to_string(),
        training_step: 0,
        timestamp: at,
    }
}

/// A report of `events`, signed by `o`.
pub fn signed_report(o: &Orchestrator, events: Vec<UsageEvent>) -> Value {
    let report = UsageReport {
        id: urn_uuid_v4(random()),
        orchestrator: o.did.to_string(),
        created: Timestamp::now(),
        events,
    };
    sign_report(&report, &o.key, Timestamp::now()).expect("sign report")
}

pub fn send_report(w: &Worker, o: &Orchestrator, report: &Value) -> Reply {
    Req::post("/v1/usage/reports")
        .bearer(&o.token)
        .json(report)
        .send(w)
}

/// The ledger summary (operator).
pub fn summary(w: &Worker) -> Value {
    let r = Req::get("/v1/ledger/summary")
        .bearer(&w.admin_token)
        .send(w);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

/// Polls until `done(summary)`, or panics after `secs`.
pub fn wait_summary(w: &Worker, secs: u64, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        let s = summary(w);
        if done(&s) {
            return s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "ledger did not get there in {secs} s: {s}"
        );
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

/// The exact USD total of the ledger, in atto-cents.
pub fn usd_total(w: &Worker) -> u128 {
    let r = Req::get("/v1/ledger/summary?totals=true")
        .bearer(&w.admin_token)
        .send(w);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["totals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["currency"] == "USD")
        .map(|t| t["amount"].as_str().unwrap().parse().unwrap())
        .unwrap_or(0)
}
