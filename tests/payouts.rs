//! Usage refusals, settlements with creator statements, payout instructions
//! and the rail's confirmations by webhook, carried balances, disputes, and
//! model passports, against the real runtime.

use std::sync::OnceLock;
use std::thread::sleep;
use std::time::Duration;

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::key_set::{self, PublishedKey};
use fairtrain_core::time::Timestamp;
use fairtrain_integration_tests::creator::{publish_policy, seed_policy};
use fairtrain_integration_tests::market::buyer;
use fairtrain_integration_tests::receiver::{now_s, send_standard_now, Receiver};
use fairtrain_integration_tests::usage::{
    event, licence, market, orchestrator, send_report, signed_report, wait_summary, Market,
};
use fairtrain_integration_tests::{random, unique, Req, Worker};
use fairtrain_settlement::{
    verify_creator_statement, verify_passport, verify_passport_status, verify_settlement,
    PassportState,
};
use fairtrain_usage::{AssetRefs, UsageEvent};
use serde_json::{json, Value};

fn w() -> &'static Worker {
    static W: OnceLock<Worker> = OnceLock::new();
    W.get_or_init(|| {
        let w = Worker::start_with(&[("UPLOADS_PER_MINUTE", "1000"), ("MIN_PAYOUT_MINOR", "100")]);
        assert_eq!(publish_policy(&w, &seed_policy()).status, 201);
        w
    })
}

fn keys() -> Vec<PublishedKey> {
    key_set::verify(&Req::get("/.well-known/fairtrain/keys").send(w()).json()).unwrap()
}

fn refused(receipt: &Value) -> Vec<(String, String)> {
    receipt["receipt"]["credentialSubject"]["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["event_id"].as_str().unwrap().into(),
                r["reason"].as_str().unwrap().into(),
            )
        })
        .collect()
}

fn events_recorded() -> u64 {
    Req::get("/v1/ledger/summary")
        .bearer(&w().admin_token)
        .send(w())
        .json()["events"]
        .as_u64()
        .unwrap()
}

#[test]
fn refused_events_are_refused_with_reasons_and_change_nothing() {
    let m = market(w(), 2, 2, "per_sample", "0.001");
    let model = unique("model");
    let before = Timestamp::now();
    sleep(Duration::from_millis(20));
    // Creator 1 revokes the consent behind their second asset.
    assert_eq!(m.creators[1].revoke(w(), &m.consents[3]).status, 200);
    sleep(Duration::from_millis(20));
    let after = Timestamp::now();
    let ev = |id: &str, asset: Sha256Digest, at: Timestamp| {
        event(
            &format!("{model}-{id}"),
            &m.manifest_id,
            asset,
            10,
            &model,
            at,
        )
    };
    let mut leaf = ev("leaf", m.assets[0].0, after);
    leaf.assets = AssetRefs::LeafIndexes(vec![99]);
    let mut future = ev("future", m.assets[0].0, after);
    future.timestamp = Timestamp::from_unix_seconds(now_s() + 3600).unwrap();
    let mut unknown = ev("unknown", m.assets[0].0, after);
    unknown.manifest_id = "urn:uuid:00000000-0000-4000-8000-000000000000".into();
    let events = vec![
        ev("ok", m.assets[0].0, after),
        // Used before the revocation: stands (forward-only).
        ev("before-revocation", m.assets[3].0, before),
        ev("after-revocation", m.assets[3].0, after),
        ev("not-in-manifest", Sha256Digest::of(&random::<16>()), after),
        leaf,
        future,
        unknown,
    ];
    let before_count = events_recorded();
    let r = send_report(
        w(),
        &m.orchestrator,
        &signed_report(&m.orchestrator, events),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let receipt = r.json();
    let mut got = refused(&receipt);
    got.sort();
    let mut want: Vec<(String, String)> = [
        ("after-revocation", "consent_revoked"),
        ("not-in-manifest", "asset_not_in_manifest"),
        ("leaf", "leaf_index_out_of_range"),
        ("future", "event_in_future"),
        ("unknown", "unknown_manifest"),
    ]
    .iter()
    .map(|(e, r)| (format!("{model}-{e}"), r.to_string()))
    .collect();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(
        receipt["receipt"]["credentialSubject"]["accepted"]["count"], 2,
        "{receipt}"
    );
    wait_summary(w(), 30, |s| {
        s["events"].as_u64().unwrap() >= before_count + 2
    });

    // Same event id, different content: refused as a conflict.
    let mut changed = ev("ok", m.assets[0].0, after);
    changed.samples_count = 11;
    let r = send_report(
        w(),
        &m.orchestrator,
        &signed_report(&m.orchestrator, vec![changed]),
    );
    assert_eq!(
        refused(&r.json()),
        vec![(format!("{model}-ok"), "event_id_conflict".into())]
    );

    // An expired licence: another buyer whose licence ran out.
    let b2 = buyer(w());
    let until = Timestamp::from_unix_seconds(now_s() + 2)
        .unwrap()
        .format_rfc3339();
    licence(w(), &b2, &m.manifest_id, Some(&until));
    let o2 = orchestrator(w(), &b2);
    sleep(Duration::from_secs(3));
    let late = ev("late", m.assets[0].0, Timestamp::now());
    let r = send_report(w(), &o2, &signed_report(&o2, vec![late]));
    assert_eq!(
        refused(&r.json()),
        vec![(format!("{model}-late"), "licence_expired".into())]
    );
    // No licence at all.
    let b3 = buyer(w());
    let o3 = orchestrator(w(), &b3);
    let r = send_report(
        w(),
        &o3,
        &signed_report(&o3, vec![ev("nolicence", m.assets[0].0, Timestamp::now())]),
    );
    assert_eq!(
        refused(&r.json()),
        vec![(format!("{model}-nolicence"), "no_licence".into())]
    );

    // A bad signature (a byte changed after signing) refuses the whole report.
    let mut tampered = signed_report(&m.orchestrator, vec![ev("tampered", m.assets[0].0, after)]);
    tampered["events"][0]["samples_count"] = json!(1000);
    send_report(w(), &m.orchestrator, &tampered).problem(401, "invalid-signature");
    // Signed by a key that is not the orchestrator's registered one.
    let mut stranger = fairtrain_integration_tests::usage::orchestrator(w(), &m.buyer_token);
    stranger.token = m.orchestrator.token.clone();
    send_report(
        w(),
        &stranger,
        &signed_report(&stranger, vec![ev("stranger", m.assets[0].0, after)]),
    )
    .problem(401, "invalid-signature");
    // Only orchestrators report usage.
    Req::post("/v1/usage/reports")
        .bearer(&m.buyer_token)
        .json(&signed_report(
            &m.orchestrator,
            vec![ev("buyer", m.assets[0].0, after)],
        ))
        .send(w())
        .problem(403, "forbidden");
    // None of the refused events was recorded: the model's passport counts two.
    sleep(Duration::from_secs(2));
    let passport = Req::get(&format!("/v1/models/{model}/passport"))
        .bearer(&w().admin_token)
        .send(w());
    assert_eq!(passport.status, 200, "{}", passport.text());
    let p = passport.json();
    assert_eq!(p["credentialSubject"]["totals"]["events"], 2, "{p}");
}

fn rail() -> (&'static Receiver, String, String) {
    static R: OnceLock<Receiver> = OnceLock::new();
    let receiver = R.get_or_init(Receiver::start);
    let name = unique("rail");
    let r = Req::post("/v1/webhooks/endpoints")
        .bearer(&w().admin_token)
        .json(&json!({ "url": receiver.url(&name, "ok"), "event_types": ["payout.instruction", "payout.confirmed", "reconciliation.mismatch", "usage.recorded"] }))
        .send(w());
    assert_eq!(r.status, 201, "{}", r.text());
    let ep = r.json();
    receiver.trust(
        &name,
        &[ep["secret"].as_str().unwrap()],
        ep["v1a_public_key"].as_str(),
    );
    let int = Req::post("/v1/integrations")
        .bearer(&w().admin_token)
        .json(&json!({ "name": "payment rail", "kind": "standard_webhooks" }))
        .send(w())
        .json();
    let _ = int["secret"].as_str().unwrap();
    (
        receiver,
        name,
        format!(
            "{}|{}",
            int["id"].as_str().unwrap(),
            int["secret"].as_str().unwrap()
        ),
    )
}

fn inbound(int: &str, body: Value) -> Value {
    let (id, secret) = int.split_once('|').unwrap();
    let r = send_standard_now(w(), id, secret, &body);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn report_samples(m: &Market, model: &str, asset: usize, samples: &[u64]) {
    let at = Timestamp::now();
    let events: Vec<UsageEvent> = samples
        .iter()
        .map(|s| {
            event(
                &unique(model),
                &m.manifest_id,
                m.assets[asset].0,
                *s,
                model,
                at,
            )
        })
        .collect();
    let r = send_report(
        w(),
        &m.orchestrator,
        &signed_report(&m.orchestrator, events),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert!(refused(&r.json()).is_empty());
}

fn balance_total(did: &str) -> u128 {
    let b = Req::get(&format!("/v1/ledger/balances/{did}"))
        .bearer(&w().admin_token)
        .send(w())
        .json();
    b["balances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["accrued"].as_str().unwrap().parse::<u128>().unwrap())
        .sum()
}

fn wait_accrued(did: &str, atto: u128) {
    for _ in 0..600 {
        if balance_total(did) == atto {
            return;
        }
        sleep(Duration::from_millis(100));
    }
    panic!("{did} never accrued {atto}: {}", balance_total(did));
}

const CENT: u128 = 1_000_000_000_000_000_000;

#[test]
fn settlements_pay_creators_with_statements_carry_small_balances_and_track_the_rail() {
    let _turn = settling();
    let m = market(w(), 2, 1, "per_sample", "0.0005");
    let (receiver, name, int) = rail();
    let model = unique("model");
    let (a, b) = (m.creators[0].did.to_string(), m.creators[1].did.to_string());
    // A: 2001 samples = 100.05 cents; B: 10 samples = 0.5 cents (under the 100-cent minimum).
    report_samples(&m, &model, 0, &[1000, 1000, 1]);
    report_samples(&m, &model, 1, &[10]);
    wait_accrued(&a, 2001 * CENT / 20);
    wait_accrued(&b, 10 * CENT / 20);

    let r = Req::post("/v1/settlements")
        .bearer(&w().admin_token)
        .send(w());
    assert_eq!(r.status, 201, "{}", r.text());
    let first = r.json();
    let statement = first["statement"].clone();
    let verified = verify_settlement(&statement, &keys()).unwrap();
    let pa = verified
        .fields
        .payouts
        .iter()
        .find(|p| p.payout.creator == a)
        .unwrap();
    let pb = verified
        .fields
        .payouts
        .iter()
        .find(|p| p.payout.creator == b)
        .unwrap();
    assert_eq!(pa.payout.amount_minor, 100);
    assert_eq!(pa.payout.carried_out.0, CENT / 20);
    assert_eq!(pb.payout.amount_minor, 0, "under the minimum: carried");
    assert_eq!(pb.payout.carried_out.0, CENT / 2);

    // A's statement lists each of A's usage events with an inclusion proof.
    let sid = first["settlement_id"].as_str().unwrap();
    let doc = Req::get(&format!("/v1/settlements/{sid}/creators/{a}"))
        .bearer(&w().admin_token)
        .send(w());
    assert_eq!(doc.status, 200, "{}", doc.text());
    let cs = verify_creator_statement(&doc.json(), Some(&statement), &keys()).expect("verifies");
    assert_eq!(cs.fields.lines.len(), 3);
    // A creator reads their own statement (signed request), not another's.
    let own = m.creators[0]
        .signed(
            w(),
            "GET",
            &format!("/v1/settlements/{sid}/creators/{a}"),
            None,
        )
        .send(w());
    assert_eq!(own.status, 200, "{}", own.text());
    m.creators[0]
        .signed(
            w(),
            "GET",
            &format!("/v1/settlements/{sid}/creators/{b}"),
            None,
        )
        .send(w())
        .problem(403, "forbidden");
    // A changed amount in the statement fails verification.
    let mut forged = doc.json();
    forged["credentialSubject"]["payouts"][0]["amount_minor"] = json!("1000");
    assert!(verify_creator_statement(&forged, Some(&statement), &keys()).is_err());

    // The rail gets a signed payout instruction for A only.
    let log = receiver.wait_for(&name, 30, |l| {
        l.iter()
            .any(|r| r["body"].as_str().unwrap().contains(&pa.line_id))
    });
    let instr = log
        .iter()
        .find(|r| r["body"].as_str().unwrap().contains(&pa.line_id))
        .unwrap();
    assert_eq!(instr["v1"], json!([true]));
    assert_eq!(instr["v1a"], json!(true));
    let body: Value = serde_json::from_str(instr["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["type"], "payout.instruction");
    assert_eq!(body["data"]["amount_minor"], "100");
    assert_eq!(body["data"]["amount"], "1.00");
    assert!(!log
        .iter()
        .any(|r| r["body"].as_str().unwrap().contains(&pb.line_id)));

    // The rail confirms it; the confirmation is recorded against the line and relayed.
    let applied = inbound(
        &int,
        json!({ "type": "payout.confirmed", "timestamp": "2026-11-22T12:00:00Z",
        "data": { "line_id": pa.line_id, "payout_id": "po_123", "amount_minor": "100", "currency": "USD" } }),
    );
    assert_eq!(applied["status"], "applied");
    let s = Req::get(&format!("/v1/settlements/{sid}"))
        .bearer(&w().admin_token)
        .send(w())
        .json();
    let line = s["payouts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["line_id"] == pa.line_id.as_str())
        .unwrap();
    assert_eq!(line["payout_status"], "confirmed");
    assert_eq!(line["payout_id"], "po_123");
    receiver.wait_for(&name, 30, |l| {
        l.iter()
            .any(|r| r["body"].as_str().unwrap().contains("\"payout.confirmed\""))
    });

    // B uses more: the carried half cent makes exactly one euro… dollar.
    report_samples(&m, &model, 1, &[1990]);
    wait_accrued(&b, 1990 * CENT / 20);
    let second = Req::post("/v1/settlements")
        .bearer(&w().admin_token)
        .send(w())
        .json();
    let v2 = verify_settlement(&second["statement"], &keys()).unwrap();
    assert_eq!(
        v2.fields.period_start, verified.fields.period_end,
        "periods chain"
    );
    let pb2 = v2
        .fields
        .payouts
        .iter()
        .find(|p| p.payout.creator == b)
        .unwrap();
    assert_eq!(pb2.payout.carried_in.0, CENT / 2);
    assert_eq!(pb2.payout.amount_minor, 100);
    assert_eq!(pb2.payout.carried_out.0, 0);

    // A dispute on B's payout is flagged by reconciliation.
    inbound(
        &int,
        json!({ "type": "dispute.opened", "timestamp": "2026-11-22T12:00:00Z",
        "data": { "line_id": pb2.line_id, "dispute_id": "dp_1", "reason": "creator says not received" } }),
    );
    let rec = Req::post("/v1/reconciliations")
        .bearer(&w().admin_token)
        .send(w())
        .json();
    let mismatches = rec["report"]["credentialSubject"]["mismatches"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        mismatches
            .iter()
            .any(|x| x["kind"] == "disputed" && x["subject"] == pb2.line_id.as_str()),
        "{mismatches:#?}"
    );

    // The model's passport: signed, with its manifests, totals and ledger root.
    let p = Req::get(&format!("/v1/models/{model}/passport"))
        .bearer(&m.buyer_token)
        .send(w());
    assert_eq!(p.status, 200, "{}", p.text());
    let vp = verify_passport(&p.json(), &keys()).expect("passport verifies");
    assert_eq!(vp.fields.totals.events, 5);
    assert_eq!(vp.fields.totals.samples, 4001);
    assert_eq!(vp.fields.manifests[0].manifest_id, m.manifest_id);
    assert!(vp.fields.log_checkpoint.size > 0);
    let status = |m: &Market| {
        let s = Req::get(&format!("/v1/models/{model}/passport/status"))
            .bearer(&m.buyer_token)
            .send(w());
        assert_eq!(s.status, 200, "{}", s.text());
        verify_passport_status(&s.json(), &keys()).expect("status verifies")
    };
    assert_eq!(status(&m).fields.state(), PassportState::Clean);
    // A consent behind the model is revoked: the model needs review.
    assert_eq!(m.creators[0].revoke(w(), &m.consents[0]).status, 200);
    let st = status(&m);
    assert_eq!(st.fields.state(), PassportState::NeedsReview);
    assert_eq!(st.fields.revoked[0].consent_id, m.consents[0]);
}

/// Settlements close everything open, so the tests that settle take turns.
fn settling() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn key_file(path: &std::path::Path, key: &SigningKey) {
    let did = fairtrain_core::did_key::DidKey::from_public_key(key.public_key());
    let seed = fairtrain_core::encoding::base64url_encode(&key.seed());
    std::fs::write(
        path,
        json!({ "did": did.to_string(), "seed": seed }).to_string(),
    )
    .unwrap();
}

#[test]
fn the_cli_reports_usage_and_verifies_statements_and_passports() {
    let _turn = settling();
    let m = market(w(), 1, 2, "per_sample", "0.0005");
    let dir = w().scratch(&unique("cli"));
    let orch_key = dir.join("orch.json");
    key_file(&orch_key, &m.orchestrator.key);
    let creator_key = dir.join("creator.json");
    key_file(&creator_key, &m.creators[0].key);
    let model = unique("climodel");
    let at = Timestamp::now();
    let lines: Vec<String> = (0..25)
        .map(|i| {
            let e = event(
                &format!("{model}-{i}"),
                &m.manifest_id,
                m.assets[i % 2].0,
                2000,
                &model,
                at,
            );
            serde_json::to_string(&e).unwrap()
        })
        .collect();
    let events = dir.join("usage.jsonl");
    std::fs::write(&events, lines.join("\n") + "\n").unwrap();

    let out = w()
        .cli()
        .args(["usage", "report", "--events"])
        .arg(&events)
        .arg("--key")
        .arg(&orch_key)
        .args(["--batch", "10"])
        .env("FAIRTRAIN_TOKEN", &m.orchestrator.token)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["batches"], 3, "{summary}");
    assert_eq!(summary["accepted"], 25, "{summary}");
    let did = m.creators[0].did.to_string();
    wait_accrued(&did, 25 * 2000 * CENT / 20);

    let r = Req::post("/v1/settlements")
        .bearer(&w().admin_token)
        .send(w());
    assert_eq!(r.status, 201, "{}", r.text());
    let sid = r.json()["settlement_id"].as_str().unwrap().to_string();
    // The creator fetches and verifies their statement with their own key.
    let out = w()
        .cli()
        .args([
            "payouts",
            "statement",
            &did,
            "--settlement",
            &sid,
            "--creator-key",
        ])
        .arg(&creator_key)
        .args(["--out"])
        .arg(dir.join("statement.json"))
        .args(["--settlement-out"])
        .arg(dir.join("settlement.json"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("25.00"), "the $25.00 paid: {text}");
    let verify = |f: &std::path::Path| {
        w().cli()
            .args(["payouts", "verify"])
            .arg(f)
            .arg("--settlement")
            .arg(dir.join("settlement.json"))
            .output()
            .unwrap()
    };
    assert!(verify(&dir.join("statement.json")).status.success());
    // One changed amount and the statement no longer verifies.
    let mut doc: Value =
        serde_json::from_slice(&std::fs::read(dir.join("statement.json")).unwrap()).unwrap();
    doc["credentialSubject"]["payouts"][0]["amount_minor"] = json!("2600");
    std::fs::write(dir.join("forged.json"), doc.to_string()).unwrap();
    assert!(!verify(&dir.join("forged.json")).status.success());

    // The buyer fetches the model's passport and status, verified.
    let out = w()
        .cli()
        .args(["passport", "fetch", &model, "--out"])
        .arg(dir.join("passport.json"))
        .arg("--status-out")
        .arg(dir.join("status.json"))
        .env("FAIRTRAIN_TOKEN", &m.buyer_token)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("clean"), "{text}");
    let out = w()
        .cli()
        .args(["passport", "verify"])
        .arg(dir.join("passport.json"))
        .arg("--status")
        .arg(dir.join("status.json"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn subscription_and_revenue_share_pools_are_shared_by_usage() {
    let _turn = settling();
    // $10 per licence per period, shared 3:1 by samples.
    let sub = market(w(), 2, 1, "subscription", "10.00");
    let model = unique("submodel");
    report_samples(&sub, &model, 0, &[300]);
    report_samples(&sub, &model, 1, &[100]);
    // 30% of reported revenue, shared 1:1.
    let rev = market(w(), 2, 1, "revenue_share", "0.30");
    report_samples(&rev, &model, 0, &[50]);
    report_samples(&rev, &model, 1, &[50]);
    let r = Req::post(&format!("/v1/manifests/{}/revenue", rev.manifest_id))
        .bearer(&w().admin_token)
        .json(&json!({ "amount_minor": 10001, "currency": "USD" }))
        .send(w());
    assert_eq!(r.status, 201, "{}", r.text());
    // Revenue for a manifest that is not revenue_share is refused.
    Req::post(&format!("/v1/manifests/{}/revenue", sub.manifest_id))
        .bearer(&w().admin_token)
        .json(&json!({ "amount_minor": 5, "currency": "USD" }))
        .send(w())
        .problem(422, "validation-failed");
    // Usage under these models is recorded with units and no price.
    wait_summary(w(), 30, |_| {
        [&sub.creators[0], &rev.creators[1]].iter().all(|c| {
            Req::get(&format!("/v1/ledger/balances/{}", c.did))
                .bearer(&w().admin_token)
                .send(w())
                .json()["balances"]
                .as_array()
                .is_some_and(|b| !b.is_empty())
        })
    });
    assert_eq!(balance_total(&sub.creators[0].did.to_string()), 0);

    let r = Req::post("/v1/settlements")
        .bearer(&w().admin_token)
        .send(w());
    assert_eq!(r.status, 201, "{}", r.text());
    let v = verify_settlement(&r.json()["statement"], &keys()).unwrap();
    let paid = |c: &fairtrain_integration_tests::creator::Creator| {
        let p = v
            .fields
            .payouts
            .iter()
            .find(|p| p.payout.creator == c.did.to_string())
            .unwrap();
        (p.payout.amount_minor, p.payout.carried_out.0)
    };
    assert_eq!(paid(&sub.creators[0]), (750, 0));
    assert_eq!(paid(&sub.creators[1]), (250, 0));
    // 30% of 100.01 dollars = 3000.3 cents: 1500.15 each, 0.15 carried.
    assert_eq!(paid(&rev.creators[0]), (1500, 15 * CENT / 100));
    assert_eq!(paid(&rev.creators[1]), (1500, 15 * CENT / 100));
    // The revenue is used once: the next settlement has no revenue pool.
    let next = Req::post("/v1/settlements")
        .bearer(&w().admin_token)
        .send(w())
        .json();
    let pools = next["pools"].as_array().unwrap();
    assert!(
        !pools
            .iter()
            .any(|p| p["manifest_id"] == rev.manifest_id.as_str() && p["allocated"] == true),
        "{pools:?}"
    );
}
