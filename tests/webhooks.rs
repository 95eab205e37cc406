//! Webhooks against the real runtime (the webhook Queue included), with a
//! real receiver on 127.0.0.1 that verifies deliveries with the official
//! Standard Webhooks library and Node's crypto, not fairtrain's code; and
//! inbound events signed the same independent way.

use std::sync::OnceLock;
use std::thread::sleep;
use std::time::Duration;

use fairtrain_integration_tests::creator::{publish_policy, seed_policy, Creator, Terms};
use fairtrain_integration_tests::market::{buyer, bytes, compose, contribute, dataset, key_id};
use fairtrain_integration_tests::receiver::{
    now_s, send_standard, standard_signature, stripe_signature, Receiver,
};
use fairtrain_integration_tests::{unique, Req, Worker};
use fairtrain_webhooks::message_id;
use serde_json::{json, Value};

fn w() -> &'static Worker {
    static W: OnceLock<Worker> = OnceLock::new();
    W.get_or_init(|| {
        // Four attempts, a second apart: the spec's three days, shortened.
        let w = Worker::start_with(&[
            ("WEBHOOK_RETRY_SCHEDULE", "0,1,1,1"),
            ("UPLOADS_PER_MINUTE", "1000"),
        ]);
        assert_eq!(publish_policy(&w, &seed_policy()).status, 201);
        w
    })
}

fn receiver() -> &'static Receiver {
    static R: OnceLock<Receiver> = OnceLock::new();
    R.get_or_init(Receiver::start)
}

/// An endpoint for `url`, trusted by the receiver under `name`.
fn endpoint(name: &str, behaviour: &str, types: &[&str]) -> Value {
    let r = Req::post("/v1/webhooks/endpoints")
        .bearer(&w().admin_token)
        .json(&json!({ "url": receiver().url(name, behaviour), "event_types": types }))
        .send(w());
    assert_eq!(r.status, 201, "{}", r.text());
    let ep = r.json();
    receiver().trust(
        name,
        &[ep["secret"].as_str().unwrap()],
        ep["v1a_public_key"].as_str(),
    );
    ep
}

/// Grants a consent (a `consent.granted` event); returns its id.
fn consent_event(c: &Creator) -> String {
    c.grant(w(), &Terms::for_assets(&[&bytes("webhook")]))
}

fn records_for<'a>(log: &'a [Value], consent: &str) -> Vec<&'a Value> {
    log.iter()
        .filter(|r| {
            serde_json::from_str::<Value>(r["body"].as_str().unwrap_or("{}"))
                .map(|b| b["data"]["consent_id"] == consent)
                .unwrap_or(false)
        })
        .collect()
}

fn deliveries(ep: &str) -> Vec<Value> {
    let r = Req::get(&format!("/v1/webhooks/endpoints/{ep}/deliveries"))
        .bearer(&w().admin_token)
        .send(w());
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["deliveries"].as_array().unwrap().clone()
}

fn delivery_for<'a>(list: &'a [Value], msg: &str) -> Option<&'a Value> {
    list.iter().find(|d| d["message_id"] == msg)
}

#[test]
fn deliveries_verify_with_the_official_library_and_the_published_key() {
    let name = unique("ok");
    let ep = endpoint(&name, "ok", &["consent.granted"]);
    // The v1a key is the one the keys endpoint publishes.
    let keys = Req::get("/.well-known/fairtrain/keys").send(w()).json();
    assert_eq!(keys["webhooks"]["v1a_public_key"], ep["v1a_public_key"]);

    let c = Creator::registered(w());
    let consent = consent_event(&c);
    let log = receiver().wait_for(&name, 30, |l| !records_for(l, &consent).is_empty());
    let mine = records_for(&log, &consent);
    assert_eq!(mine.len(), 1, "{mine:#?}");
    let rec = mine[0];
    assert_eq!(rec["v1"], json!([true]), "the official library verifies v1");
    assert_eq!(rec["v1a"], json!(true), "Node's Ed25519 verifies v1a");
    assert_eq!(rec["status"], 200);
    let body: Value = serde_json::from_str(rec["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["type"], "consent.granted");
    assert_eq!(body["data"]["v"], 1);
    assert_eq!(body["data"]["creator"], c.did.to_string());
    // The id derives from the log entry the event references.
    let entry = body["data"]["log_entry"].as_str().unwrap();
    assert_eq!(rec["id"], message_id(entry));
    // No personal data: the profile (name, email) is nowhere in it.
    assert!(!rec["body"].as_str().unwrap().contains("example.com"));

    // The delivery log records the attempt.
    let list = deliveries(ep["id"].as_str().unwrap());
    let d = delivery_for(&list, rec["id"].as_str().unwrap()).expect("logged");
    assert_eq!(d["status"], "delivered");
    assert_eq!(d["attempts"], 1);
    assert_eq!(d["attempt_log"][0]["status"], 200);
    assert!(d["attempt_log"][0]["latency_ms"].as_i64().unwrap() >= 0);

    // Unsubscribed types are not sent: a revocation is not in this log.
    assert_eq!(c.revoke(w(), &consent).status, 200);
    sleep(Duration::from_secs(3));
    let revoked = receiver()
        .log(&name)
        .iter()
        .filter(|r| r["body"].as_str().unwrap_or("").contains("consent.revoked"))
        .count();
    assert_eq!(revoked, 0);
}

#[test]
fn a_failing_receiver_gets_each_event_exactly_once_after_retries() {
    let name = unique("flaky");
    let ep = endpoint(&name, "fail/2", &["consent.granted"]);
    let c = Creator::registered(w());
    let consent = consent_event(&c);
    receiver().wait_for(&name, 60, |l| {
        records_for(l, &consent).iter().any(|r| r["status"] == 200)
    });
    // Give any stray duplicate time to arrive, then count.
    sleep(Duration::from_secs(4));
    let log = receiver().log(&name);
    let mine = records_for(&log, &consent);
    let statuses: Vec<i64> = mine.iter().map(|r| r["status"].as_i64().unwrap()).collect();
    assert_eq!(statuses, vec![500, 500, 200], "{mine:#?}");
    // The same webhook-id on every attempt; each verified.
    assert!(mine
        .iter()
        .all(|r| r["id"] == mine[0]["id"] && r["v1"] == json!([true])));
    let list = deliveries(ep["id"].as_str().unwrap());
    let d = delivery_for(&list, mine[0]["id"].as_str().unwrap()).unwrap();
    assert_eq!(d["status"], "delivered");
    assert_eq!(d["attempts"], 3);
    let attempt_statuses: Vec<i64> = d["attempt_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_i64().unwrap())
        .collect();
    assert_eq!(attempt_statuses, vec![500, 500, 200]);
}

#[test]
fn retry_after_is_honoured_on_429() {
    let name = unique("throttle");
    endpoint(&name, "throttle/1/4", &["consent.granted"]);
    let c = Creator::registered(w());
    let consent = consent_event(&c);
    let log = receiver().wait_for(&name, 60, |l| {
        records_for(l, &consent).iter().any(|r| r["status"] == 200)
    });
    let mine = records_for(&log, &consent);
    assert_eq!(mine.len(), 2);
    assert_eq!(mine[0]["status"], 429);
    let gap = mine[1]["received_ms"].as_i64().unwrap() - mine[0]["received_ms"].as_i64().unwrap();
    // The schedule says 1 s; the receiver asked for 4.
    assert!(gap >= 3900, "retried after {gap} ms despite Retry-After: 4");
}

#[test]
fn gone_disables_the_endpoint() {
    let name = unique("gone");
    let ep = endpoint(&name, "gone", &["consent.granted"]);
    let id = ep["id"].as_str().unwrap();
    let c = Creator::registered(w());
    consent_event(&c);
    // Whichever consent.granted reaches it first (other tests grant too)
    // is answered 410.
    receiver().wait_for(&name, 30, |l| !l.is_empty());
    sleep(Duration::from_secs(2));
    let got = Req::get(&format!("/v1/webhooks/endpoints/{id}"))
        .bearer(&w().admin_token)
        .send(w())
        .json();
    assert_eq!(got["enabled"], false, "{got}");
    assert!(got["disabled_reason"].as_str().unwrap().contains("410"));
    // 410 is not retried: each message arrived once (a few may have been in
    // flight together when the first 410 came back).
    let seen = receiver().log(&name);
    let mut ids: Vec<&str> = seen.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "{seen:#?}");
    assert!(seen.iter().all(|r| r["status"] == 410));
    // Nothing more is sent to it.
    let later = consent_event(&c);
    sleep(Duration::from_secs(4));
    let after = receiver().log(&name);
    assert_eq!(after.len(), n, "{after:#?}");
    assert!(records_for(&after, &later).is_empty());
    // Replaying to a disabled endpoint is refused until it is re-enabled.
    let list = deliveries(id);
    let failed = list.iter().find(|d| d["status"] == "failed").unwrap();
    let r = Req::post(&format!(
        "/v1/webhooks/deliveries/{}/replay",
        failed["id"].as_str().unwrap()
    ))
    .bearer(&w().admin_token)
    .send(w());
    r.problem(409, "conflict");
}

#[test]
fn exhausted_retries_fail_the_delivery_and_replay_sends_it_again() {
    let name = unique("dead");
    // Fails 4 times: the whole (shortened) schedule.
    let ep = endpoint(&name, "fail/4", &["consent.granted"]);
    let id = ep["id"].as_str().unwrap();
    let c = Creator::registered(w());
    let since = fairtrain_integration_tests::creator::now().format_rfc3339();
    let consent = consent_event(&c);
    receiver().wait_for(&name, 60, |l| records_for(l, &consent).len() == 4);
    let msg = records_for(&receiver().log(&name), &consent)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut failed = None;
    for _ in 0..50 {
        let list = deliveries(id);
        if let Some(d) = delivery_for(&list, &msg).filter(|d| d["status"] == "failed") {
            failed = Some(d.clone());
            break;
        }
        sleep(Duration::from_millis(200));
    }
    let failed = failed.expect("the delivery fails after the last attempt");
    assert_eq!(failed["attempts"], 4);
    // Replay everything failed since before the event: the fifth request succeeds.
    let r = Req::post(&format!("/v1/webhooks/endpoints/{id}/replay"))
        .bearer(&w().admin_token)
        .json(&json!({ "since": since }))
        .send(w());
    assert_eq!(r.status, 202, "{}", r.text());
    assert!(r.json()["replayed"]
        .as_array()
        .unwrap()
        .contains(&failed["id"]));
    let log = receiver().wait_for(&name, 30, |l| {
        records_for(l, &consent).iter().any(|x| x["status"] == 200)
    });
    let mine = records_for(&log, &consent);
    assert_eq!(mine.len(), 5);
    assert!(mine.iter().all(|r| r["id"] == msg.as_str()));
}

#[test]
fn secret_rotation_keeps_deliveries_verifiable_during_the_overlap() {
    let name = unique("rotate");
    let ep = endpoint(&name, "ok", &["consent.granted"]);
    let id = ep["id"].as_str().unwrap();
    let old = ep["secret"].as_str().unwrap().to_string();
    let r = Req::post(&format!("/v1/webhooks/endpoints/{id}/rotate-secret"))
        .bearer(&w().admin_token)
        .json(&json!({ "overlap_seconds": 3600 }))
        .send(w());
    assert_eq!(r.status, 200, "{}", r.text());
    let new = r.json()["secret"].as_str().unwrap().to_string();
    assert_ne!(old, new);
    // The receiver checks each delivery against [old, new] separately.
    receiver().trust(&name, &[&old, &new], None);
    let c = Creator::registered(w());
    let during = consent_event(&c);
    let log = receiver().wait_for(&name, 30, |l| !records_for(l, &during).is_empty());
    assert_eq!(
        records_for(&log, &during)[0]["v1"],
        json!([true, true]),
        "a consumer still on the old secret and one already on the new both verify"
    );
    // Ending the overlap now: only the new secret signs.
    let r = Req::post(&format!("/v1/webhooks/endpoints/{id}/rotate-secret"))
        .bearer(&w().admin_token)
        .json(&json!({ "overlap_seconds": 0 }))
        .send(w());
    let newest = r.json()["secret"].as_str().unwrap().to_string();
    receiver().trust(&name, &[&old, &new, &newest], None);
    let after = consent_event(&c);
    let log = receiver().wait_for(&name, 30, |l| !records_for(l, &after).is_empty());
    assert_eq!(
        records_for(&log, &after)[0]["v1"],
        json!([false, false, true]),
        "a rotation without overlap ends every older secret at once"
    );
    let live = Req::get(&format!("/v1/webhooks/endpoints/{id}/secret"))
        .bearer(&w().admin_token)
        .send(w())
        .json();
    assert_eq!(live["secrets"], json!([newest]));
}

#[test]
fn endpoint_management_refuses_bad_input() {
    let admin = &w().admin_token;
    for (body, pointer) in [
        (
            json!({ "url": "http://10.0.0.1/hook", "event_types": ["*"] }),
            "/url",
        ),
        (
            json!({ "url": "http://169.254.169.254/latest", "event_types": ["*"] }),
            "/url",
        ),
        (
            json!({ "url": "ftp://example.com/", "event_types": ["*"] }),
            "/url",
        ),
        (
            json!({ "url": receiver().url("x", "ok"), "event_types": [] }),
            "/event_types",
        ),
        (
            json!({ "url": receiver().url("x", "ok"), "event_types": ["license.purchased"] }),
            "/event_types",
        ),
        (
            json!({ "url": receiver().url("x", "ok"), "event_types": ["no.such"] }),
            "/event_types",
        ),
    ] {
        let r = Req::post("/v1/webhooks/endpoints")
            .bearer(admin)
            .json(&body)
            .send(w());
        let p = r.problem(422, "validation-failed");
        assert_eq!(p["errors"][0]["pointer"], pointer, "{body} -> {p}");
    }
    // Only the operator manages endpoints.
    let buyer_token = buyer(w());
    Req::get("/v1/webhooks/endpoints")
        .bearer(&buyer_token)
        .send(w())
        .problem(403, "forbidden");
    Req::get("/v1/webhooks/endpoints")
        .send(w())
        .problem(401, "unauthenticated");
    let types = Req::get("/v1/webhooks/event-types")
        .bearer(admin)
        .send(w())
        .json();
    for t in [
        "consent.granted",
        "consent.revoked",
        "asset.ingested",
        "asset.routed",
        "manifest.published",
        "manifest.status_changed",
        "usage.recorded",
        "settlement.closed",
        "payout.instruction",
        "payout.confirmed",
        "reconciliation.mismatch",
        "key.rotated",
    ] {
        assert!(
            types["outbound"].as_array().unwrap().contains(&json!(t)),
            "{t}"
        );
    }
}

// ---- inbound ----

fn integration(kind: &str) -> (String, String) {
    let r = Req::post("/v1/integrations")
        .bearer(&w().admin_token)
        .json(&json!({ "name": unique("market"), "kind": kind }))
        .send(w());
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    (
        v["id"].as_str().unwrap().into(),
        v["secret"].as_str().unwrap().into(),
    )
}

fn inbound_events(integration: &str) -> Vec<Value> {
    Req::get(&format!("/v1/integrations/{integration}/events"))
        .bearer(&w().admin_token)
        .send(w())
        .json()["events"]
        .as_array()
        .unwrap()
        .clone()
}

/// A published manifest with one asset.
fn manifest() -> String {
    let c = Creator::registered(w());
    contribute(
        w(),
        &c,
        &bytes("inbound"),
        "public_posts",
        "US",
        vec!["ai_training"],
    );
    let r = compose(w(), dataset(&c));
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["manifest_id"].as_str().unwrap().to_string()
}

fn can_read(token: &str, manifest: &str) -> u16 {
    Req::get(&format!("/v1/manifests/{manifest}"))
        .bearer(token)
        .send(w())
        .status
}

fn purchase(buyer_token: &str, manifest: &str) -> Value {
    json!({ "type": "license.purchased", "timestamp": "2026-11-22T10:00:00Z",
            "data": { "buyer": key_id(buyer_token), "manifest_id": manifest } })
}

#[test]
fn a_licence_purchased_inbound_lets_the_buyer_fetch_the_manifest_once() {
    let manifest = manifest();
    let buyer_token = buyer(w());
    assert_eq!(can_read(&buyer_token, &manifest), 403);
    let (int, secret) = integration("standard_webhooks");
    let msg = format!("msg_{}", unique("buy").replace('-', ""));
    let r = send_standard(
        w(),
        &int,
        &secret,
        &msg,
        now_s(),
        &purchase(&buyer_token, &manifest),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let applied = r.json();
    assert_eq!(applied["status"], "applied");
    let licence = applied["subject"].as_str().unwrap().to_string();
    assert_eq!(can_read(&buyer_token, &manifest), 200);
    // The applied event is in the transparency log.
    let entry = applied["log_entry"].as_str().unwrap();
    let mut logged = 0;
    for _ in 0..50 {
        logged = Req::get(&format!("/v1/log/entries/{entry}"))
            .send(w())
            .status;
        if logged == 200 {
            break;
        }
        sleep(Duration::from_millis(100));
    }
    assert_eq!(logged, 200);

    // The operator revokes the licence; the marketplace redelivers the
    // purchase (same id, fresh timestamp): acknowledged, not applied again.
    let del = Req::new("DELETE", &format!("/v1/licenses/{licence}"))
        .bearer(&w().admin_token)
        .send(w());
    assert_eq!(del.status, 200, "{}", del.text());
    assert_eq!(can_read(&buyer_token, &manifest), 403);
    let again = send_standard(
        w(),
        &int,
        &secret,
        &msg,
        now_s(),
        &purchase(&buyer_token, &manifest),
    );
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json()["status"], "duplicate");
    assert_eq!(again.json()["subject"], licence.as_str());
    assert_eq!(
        can_read(&buyer_token, &manifest),
        403,
        "a replayed id changes nothing"
    );
    assert_eq!(inbound_events(&int).len(), 1);
}

#[test]
fn bad_or_stale_signatures_change_nothing() {
    let manifest = manifest();
    let buyer_token = buyer(w());
    let (int, secret) = integration("standard_webhooks");
    let (_, other_secret) = integration("standard_webhooks");
    let body = purchase(&buyer_token, &manifest);
    // Signed with another integration's secret.
    let r = send_standard(w(), &int, &other_secret, "msg_wrongkey", now_s(), &body);
    let p = r.problem(401, "webhook-signature");
    assert_eq!(p["reason"], "no_matching_signature");
    // Ten minutes old (tolerance is five).
    let r = send_standard(w(), &int, &secret, "msg_stale", now_s() - 600, &body);
    assert_eq!(r.problem(401, "webhook-signature")["reason"], "too_old");
    // Correctly signed, then one byte of the body changed.
    let raw = body.to_string();
    let ts = now_s();
    let sig = standard_signature(&secret, "msg_tampered", ts, raw.as_bytes());
    let tampered = raw.replace("license.purchased", "license.purchasee");
    let r = Req::post(&format!("/v1/inbound/{int}"))
        .header("Content-Type", "application/json")
        .header("webhook-id", "msg_tampered")
        .header("webhook-timestamp", &ts.to_string())
        .header("webhook-signature", &sig)
        .body(tampered.into_bytes())
        .send(w());
    r.problem(401, "webhook-signature");
    // No signature at all.
    let r = Req::post(&format!("/v1/inbound/{int}"))
        .json(&body)
        .send(w());
    assert_eq!(
        r.problem(401, "webhook-signature")["reason"],
        "missing_header"
    );
    assert_eq!(can_read(&buyer_token, &manifest), 403);
    assert!(inbound_events(&int).is_empty());
    // A well-signed event with bad data is refused, and not recorded.
    let bad = json!({ "type": "license.purchased", "timestamp": "2026-11-22T10:00:00Z",
                      "data": { "buyer": key_id(&buyer_token), "manifest_id": "urn:uuid:00000000-0000-4000-8000-000000000000" } });
    let r = send_standard(w(), &int, &secret, "msg_nomanifest", now_s(), &bad);
    assert!(r.status == 404 || r.status == 422, "{}", r.text());
    assert!(inbound_events(&int).is_empty());
}

#[test]
fn a_stripe_style_processor_is_verified_by_stripe_signature() {
    let manifest = manifest();
    let buyer_token = buyer(w());
    let (int, secret) = integration("stripe");
    let event = json!({ "id": unique("evt"), "type": "checkout.session.completed",
                        "data": { "object": { "id": "cs_1", "metadata": { "buyer": key_id(&buyer_token), "manifest_id": manifest } } } });
    let raw = event.to_string();
    let send = |sig: &str| {
        Req::post(&format!("/v1/inbound/{int}"))
            .header("Content-Type", "application/json")
            .header("Stripe-Signature", sig)
            .body(raw.clone().into_bytes())
            .send(w())
    };
    let r = send(&stripe_signature(
        "whsec_not_the_secret",
        now_s(),
        raw.as_bytes(),
    ));
    r.problem(401, "webhook-signature");
    let r = send(&stripe_signature(&secret, now_s() - 400, raw.as_bytes()));
    assert_eq!(r.problem(401, "webhook-signature")["reason"], "too_old");
    assert_eq!(can_read(&buyer_token, &manifest), 403);
    let r = send(&stripe_signature(&secret, now_s(), raw.as_bytes()));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["status"], "applied");
    assert_eq!(can_read(&buyer_token, &manifest), 200);
    // Stripe's own event id is the idempotency key.
    let r = send(&stripe_signature(&secret, now_s(), raw.as_bytes()));
    assert_eq!(r.json()["status"], "duplicate");
    // Types fairtrain does not act on are acknowledged.
    let other =
        json!({ "id": unique("evt"), "type": "customer.created", "data": { "object": {} } });
    let raw2 = other.to_string();
    let r = Req::post(&format!("/v1/inbound/{int}"))
        .header("Content-Type", "application/json")
        .header(
            "Stripe-Signature",
            &stripe_signature(&secret, now_s(), raw2.as_bytes()),
        )
        .body(raw2.into_bytes())
        .send(w());
    assert_eq!(r.json()["status"], "ignored");
}
