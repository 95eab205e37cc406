//! A small marketplace for tests: contributions under chosen terms, dataset
//! compositions, buyers and licences.

use serde_json::{json, Value};

use crate::creator::{Creator, Terms};
use crate::{random, unique, Reply, Req, Worker};

pub fn bytes(tag: &str) -> Vec<u8> {
    let mut b = format!("manifest asset {tag} ").into_bytes();
    b.extend_from_slice(&random::<32>());
    b
}

/// Upload `data` under a consent with these terms; returns the receipt.
pub fn contribute(
    w: &Worker,
    c: &Creator,
    data: &[u8],
    scope: &'static str,
    jurisdiction: &'static str,
    uses: Vec<&'static str>,
) -> (Value, String) {
    let mut t = Terms::for_assets(&[data]);
    t.scopes = vec![scope];
    t.jurisdiction = jurisdiction;
    t.uses = uses;
    let consent = c.grant(w, &t);
    let r = c.upload(w, data, &consent, scope);
    assert_eq!(r.status, 201, "{}", r.text());
    (r.json(), consent)
}

pub fn compose(w: &Worker, body: Value) -> Reply {
    Req::post("/v1/manifests")
        .bearer(&w.admin_token)
        .json(&body)
        .send(w)
}

pub fn dataset(creator: &Creator) -> Value {
    json!({
        "name": unique("dataset"),
        "license": { "type": "commercial", "terms": "Training only; no redistribution." },
        "usage_policy": { "allowed_uses": ["ai_training"], "commercial": true, "attribution_model": "per_sample",
                          "price": { "currency": "USD", "minor_units": 2, "per_use": "0.0005" } },
        "data_residency": ["US"],
        "filter": { "creator": creator.did.to_string() },
    })
}

pub fn buyer(w: &Worker) -> String {
    let r = Req::post("/v1/admin/api-keys")
        .bearer(&w.admin_token)
        .json(&json!({ "role": "buyer", "label": unique("buyer") }))
        .send(w);
    assert_eq!(r.status, 201);
    r.json()["token"].as_str().unwrap().to_string()
}

pub fn key_id(token: &str) -> String {
    fairtrain_core::api_key::parse_id(token)
        .unwrap()
        .to_string()
}

pub fn license(w: &Worker, buyer_token: &str, manifest_id: &str) {
    let r = Req::post("/v1/licenses")
        .bearer(&w.admin_token)
        .json(&json!({ "buyer": key_id(buyer_token), "manifest_id": manifest_id }))
        .send(w);
    assert_eq!(r.status, 201, "{}", r.text());
}
