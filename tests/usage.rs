//! Usage metering at scale against the real runtime and its real local
//! Queue: 100,000 signed usage events, some reported twice, some queue
//! batches failing on purpose (after their write, so redelivery must not
//! count them again; and one report's batches until they dead-letter, then
//! replayed by the operator). The ledger must equal the exact expected sums
//! to the atto-unit; a settlement must match it; reconciliation must come
//! out clean, and then find a deliberately injected mismatch.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use fairtrain_core::key_set;
use fairtrain_core::money::ATTO_PER_MINOR;
use fairtrain_core::time::Timestamp;
use fairtrain_integration_tests::creator::{publish_policy, seed_policy};
use fairtrain_integration_tests::receiver::send_standard_now;
use fairtrain_integration_tests::usage::{
    event, market, send_report, signed_report, summary, usd_total, wait_summary,
};
use fairtrain_integration_tests::{unique, Req, Worker};
use fairtrain_settlement::verify_settlement;
use fairtrain_usage::verify_usage_receipt;
use serde_json::{json, Value};

/// 0.0005 USD per sample = 0.05 cents = 5 * 10^16 atto-cents.
const RATE_ATTO: u128 = 50_000_000_000_000_000;

fn n_events() -> usize {
    std::env::var("USAGE_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

fn fault(w: &Worker, target: &str, remaining: u32, mode: &str) {
    let r = Req::post("/v1/dev/faults")
        .bearer(&w.admin_token)
        .json(&json!({ "target": target, "remaining": remaining, "mode": mode }))
        .send(w);
    assert_eq!(r.status, 200, "{}", r.text());
}

fn dead_letters(w: &Worker) -> Vec<Value> {
    let r = Req::get("/v1/admin/dead-letters?queue=fairtrain-usage")
        .bearer(&w.admin_token)
        .send(w);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["dead_letters"].as_array().unwrap().clone()
}

fn reconcile(w: &Worker) -> Value {
    let r = Req::post("/v1/reconciliations")
        .bearer(&w.admin_token)
        .send(w);
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

#[test]
fn a_hundred_thousand_events_are_priced_exactly_once_settled_and_reconciled() {
    let w = Worker::start_with(&[("UPLOADS_PER_MINUTE", "1000")]);
    assert_eq!(publish_policy(&w, &seed_policy()).status, 201);
    let keys = key_set::verify(&Req::get("/.well-known/fairtrain/keys").send(&w).json()).unwrap();
    let m = market(&w, 3, 4, "per_sample", "0.0005");
    let model = unique("model");
    let n = n_events();
    let at = Timestamp::now();

    // Events: asset i % 12, 1-7 samples; expected amounts computed here,
    // independently of the server's pricing code.
    let mut expected: BTreeMap<usize, u128> = BTreeMap::new();
    let mut events = Vec::with_capacity(n);
    for i in 0..n {
        let (asset, creator) = m.assets[i % m.assets.len()];
        let samples = 1 + (i % 7) as u64;
        *expected.entry(creator).or_default() += u128::from(samples) * RATE_ATTO;
        let mut e = event(
            &format!("evt-{model}-{i}"),
            &m.manifest_id,
            asset,
            samples,
            &model,
            at,
        );
        e.batch_index = i as u64;
        e.training_step = i as u64;
        events.push(e);
    }
    let total: u128 = expected.values().sum();
    let reports: Vec<Value> = events
        .chunks(5000)
        .map(|c| signed_report(&m.orchestrator, c.to_vec()))
        .collect();

    // One report's queue batches fail every time (they dead-letter); any
    // batch may fail after its write (redelivered, must not count twice).
    let doomed = reports[reports.len() / 2]["id"]
        .as_str()
        .unwrap()
        .to_string();
    fault(&w, &doomed, 10_000, "before_write");
    fault(&w, "*", 8, "after_write");

    let started = Instant::now();
    let receipts: Vec<Value> = std::thread::scope(|s| {
        let handles: Vec<_> = reports
            .chunks(reports.len().div_ceil(4))
            .map(|part| {
                let w = &w;
                let o = &m.orchestrator;
                s.spawn(move || {
                    part.iter()
                        .map(|r| {
                            let reply = send_report(w, o, r);
                            assert_eq!(reply.status, 201, "{}", reply.text());
                            reply.json()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let accepted_in = started.elapsed();
    for r in &receipts {
        let fields = verify_usage_receipt(&r["receipt"], &keys).expect("the receipt verifies");
        assert!(fields.refused.is_empty(), "{:?}", fields.refused);
    }
    let accepted: usize = receipts
        .iter()
        .map(|r| {
            r["receipt"]["credentialSubject"]["accepted"]["count"]
                .as_u64()
                .unwrap() as usize
        })
        .sum();
    assert_eq!(accepted, n);

    // The same report again: the same receipt, nothing new.
    let again = send_report(&w, &m.orchestrator, &reports[0]);
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json()["receipt"], receipts[0]["receipt"]);
    // The same events in a new report (a resend after a lost answer): accepted, counted once.
    let resent = signed_report(&m.orchestrator, events[..1000].to_vec());
    let r = send_report(&w, &m.orchestrator, &resent);
    assert_eq!(r.status, 201, "{}", r.text());

    let doomed_count =
        events.len().min(5000 * (reports.len() / 2 + 1)) - 5000 * (reports.len() / 2);
    let s = wait_summary(&w, 300, |s| {
        s["events"].as_u64() == Some((n - doomed_count) as u64)
    });
    let priced_in = started.elapsed();
    eprintln!(
        "usage: {n} events accepted in {:.2} s ({:.0}/s); priced (less the dead-lettered report) {:.2} s after the first send",
        accepted_in.as_secs_f64(),
        n as f64 / accepted_in.as_secs_f64(),
        priced_in.as_secs_f64()
    );
    assert_eq!(s["conflicts"], 0);

    // The doomed report's batches are parked, not lost; the operator replays them.
    let deadline = Instant::now() + Duration::from_secs(120);
    let parked = loop {
        let letters: Vec<Value> = dead_letters(&w)
            .into_iter()
            .filter(|l| l["body"].as_str().unwrap_or("").contains(&doomed))
            .collect();
        let events_parked: usize = letters
            .iter()
            .map(|l| {
                // The parked body is the message: JSON text, stored as JSON.
                let body: Value = serde_json::from_str(l["body"].as_str().unwrap()).unwrap();
                let body: Value = serde_json::from_str(body.as_str().unwrap()).unwrap();
                body["events"].as_array().unwrap().len()
            })
            .sum();
        if events_parked == doomed_count {
            break letters;
        }
        assert!(
            Instant::now() < deadline,
            "parked {events_parked} of {doomed_count}"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    fault(&w, &doomed, 0, "before_write");
    for l in &parked {
        let r = Req::post("/v1/admin/dead-letters/replay")
            .bearer(&w.admin_token)
            .json(&json!({ "queue": "fairtrain-usage", "message_id": l["message_id"] }))
            .send(&w);
        assert_eq!(r.status, 202, "{}", r.text());
    }
    let s = wait_summary(&w, 120, |s| s["events"].as_u64() == Some(n as u64));
    // Let any straggling redelivery land, then check the sums exactly.
    std::thread::sleep(Duration::from_secs(3));
    let s2 = summary(&w);
    assert_eq!(s2["events"], s["events"]);
    assert_eq!(s2["lines"], n, "one line per event (one asset each)");
    assert_eq!(usd_total(&w), total, "the ledger total is exact");
    for (i, c) in m.creators.iter().enumerate() {
        let b = Req::get(&format!("/v1/ledger/balances/{}", c.did))
            .bearer(&w.admin_token)
            .send(&w)
            .json();
        assert_eq!(
            b["balances"][0]["accrued"]
                .as_str()
                .unwrap()
                .parse::<u128>()
                .unwrap(),
            expected[&i],
            "creator {i}"
        );
    }

    // Settlement: per creator, floor to cents, carry the fraction.
    let r = Req::post("/v1/settlements").bearer(&w.admin_token).send(&w);
    assert_eq!(r.status, 201, "{}", r.text());
    let settlement = r.json();
    let verified = verify_settlement(&settlement["statement"], &keys).expect("statement verifies");
    assert_eq!(verified.fields.line_count, n as u64);
    for (i, c) in m.creators.iter().enumerate() {
        let p = verified
            .fields
            .payouts
            .iter()
            .find(|p| p.payout.creator == c.did.to_string())
            .expect("a payout line");
        assert_eq!(p.payout.amount_minor, expected[&i] / ATTO_PER_MINOR);
        assert_eq!(p.payout.carried_out.0, expected[&i] % ATTO_PER_MINOR);
    }

    // The rail confirms every payout (signed inbound webhooks).
    let int = Req::post("/v1/integrations")
        .bearer(&w.admin_token)
        .json(&json!({ "name": "rail", "kind": "standard_webhooks" }))
        .send(&w)
        .json();
    let (int_id, secret) = (int["id"].as_str().unwrap(), int["secret"].as_str().unwrap());
    for p in &verified.fields.payouts {
        let body = json!({ "type": "payout.confirmed", "timestamp": "2026-11-22T12:00:00Z",
                           "data": { "line_id": p.line_id, "payout_id": unique("po"),
                                     "amount_minor": p.payout.amount_minor.to_string(), "currency": "USD" } });
        let r = send_standard_now(&w, int_id, secret, &body);
        assert_eq!(r.status, 200, "{}", r.text());
    }

    // Everything agrees.
    let clean = reconcile(&w);
    assert_eq!(clean["mismatch_count"], 0, "{}", clean["report"]);

    // One line's amount changed behind the ledger's back: found and reported.
    let victim = format!("evt-{model}-42");
    let r = Req::post("/v1/dev/tamper")
        .bearer(&w.admin_token)
        .json(&json!({ "event_id": victim }))
        .send(&w);
    assert_eq!(r.status, 200);
    let found = reconcile(&w);
    let mismatches = found["report"]["credentialSubject"]["mismatches"]
        .as_array()
        .unwrap();
    assert!(
        mismatches
            .iter()
            .any(|m| m["kind"] == "amount_differs"
                && m["subject"].as_str().unwrap().contains(&victim)),
        "{mismatches:#?}"
    );
    assert!(
        mismatches
            .iter()
            .any(|m| m["kind"] == "settlement_total_differs"),
        "{mismatches:#?}"
    );
    let entry = found["log_entry"].as_str().unwrap();
    let mut status = 0;
    for _ in 0..50 {
        status = Req::get(&format!("/v1/log/entries/{entry}"))
            .send(&w)
            .status;
        if status == 200 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(status, 200, "the reconciliation is in the log");
}

/// The benchmark (`scripts/bench`, not CI): usage events accepted per
/// second in 5,000-event signed reports, and how long after the last accept
/// the ledger has priced them all, next to the no-op endpoint in the same run.
#[test]
#[ignore]
fn bench_usage_accept_and_price() {
    let w = Worker::start_with(&[("UPLOADS_PER_MINUTE", "1000")]);
    assert_eq!(publish_policy(&w, &seed_policy()).status, 201);
    let m = market(&w, 3, 4, "per_sample", "0.0005");
    let threads = 4;
    // No-op baseline: GET /healthz from the same number of threads.
    let noop_n = 2000;
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..noop_n / threads {
                    assert_eq!(Req::get("/healthz").send(&w).status, 200);
                }
            });
        }
    });
    let noop_rate = noop_n as f64 / t.elapsed().as_secs_f64();
    let n = n_events();
    let model = unique("bench");
    let at = Timestamp::now();
    let events: Vec<_> = (0..n)
        .map(|i| {
            event(
                &format!("b-{model}-{i}"),
                &m.manifest_id,
                m.assets[i % 12].0,
                1 + (i % 7) as u64,
                &model,
                at,
            )
        })
        .collect();
    let reports: Vec<Value> = events
        .chunks(5000)
        .map(|c| signed_report(&m.orchestrator, c.to_vec()))
        .collect();
    let base = summary(&w)["events"].as_u64().unwrap();
    let t = Instant::now();
    std::thread::scope(|s| {
        for part in reports.chunks(reports.len().div_ceil(threads)) {
            let (w, o) = (&w, &m.orchestrator);
            s.spawn(move || {
                for r in part {
                    assert_eq!(send_report(w, o, r).status, 201);
                }
            });
        }
    });
    let accepted = t.elapsed();
    wait_summary(&w, 300, |s| s["events"].as_u64() == Some(base + n as u64));
    let priced_after = t.elapsed() - accepted;
    println!(
        "bench usage: {n} events in {} reports from {threads} threads: accepted {:.0} events/s ({:.1} reports/s); \
         all priced {:.2} s after the last accept; no-op GET /healthz {:.0} requests/s",
        reports.len(),
        n as f64 / accepted.as_secs_f64(),
        reports.len() as f64 / accepted.as_secs_f64(),
        priced_after.as_secs_f64(),
        noop_rate
    );
}
