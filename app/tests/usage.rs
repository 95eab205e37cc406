//! Usage, natively: accepting signed reports (every refusal reason, the
//! orchestrator's key and buyer, idempotency by report id), and pricing
//! into the ledger exactly once under redelivery, reordering, faults and
//! conflicting content, per-epoch charges once per key.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use fairtrain_app::consents;
use fairtrain_app::faults::Fault;
use fairtrain_app::ledger;
use fairtrain_app::memory::MemoryPlatform;
use fairtrain_app::platform::{Config, UsageStore};
use fairtrain_app::reconciliation;
use fairtrain_app::usage::store::{EpochClaim, EpochKey, PricedMessage};
use fairtrain_app::usage::{self, Accepted, UsageMessage};
use fairtrain_app::Kind;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::money::ATTO_PER_MINOR;
use fairtrain_core::principal::{Principal, Role};
use fairtrain_manifest::terms::AttributionModel;
use fairtrain_settlement::LineKind;
use fairtrain_usage::{verify_usage_receipt, AssetRefs, UsageEvent};
use proptest::prelude::*;
use serde_json::Value;
use support::market::*;
use support::*;

/// 0.0005 USD per sample = 0.05 cents = 5 * 10^16 atto-cents.
const RATE: u128 = 50_000_000_000_000_000;
/// 2 USD per asset and epoch.
const EPOCH_RATE: u128 = 200 * ATTO_PER_MINOR;

const EARLIER: &str = "2026-03-01T10:00:00Z";

fn per_sample() -> Market {
    market(2, 2, AttributionModel::PerSample, "0.0005")
}

/// Each creator's ledger total, by did.
fn ledger_by_creator(p: &MemoryPlatform) -> BTreeMap<String, u128> {
    let mut out = BTreeMap::new();
    for l in &p.state.borrow().usage.ledger {
        *out.entry(l.line.creator.clone()).or_default() += l.line.amount.0;
    }
    out
}

fn counts(p: &MemoryPlatform) -> fairtrain_app::usage::store::UsageCounts {
    run(p.usage_counts()).unwrap()
}

#[test]
fn an_accepted_report_is_queued_logged_stored_and_answered_the_same_way_again() {
    let m = per_sample();
    let events = vec![
        m.event("e1", &[0], 10, EARLIER),
        m.event("e2", &[1, 2], 7, EARLIER),
    ];
    let raw = m.report(events);
    let orchestrator = &m.orchestrator.principal;
    let Accepted::Recorded(r) = run(usage::accept(&m.p, orchestrator, &raw)).unwrap() else {
        panic!("a new report")
    };
    let keys = m.p.keys().unwrap().keys;
    let fields = verify_usage_receipt(&r.receipt, &keys).expect("the receipt verifies");
    assert_eq!(fields.accepted_event_ids, ["e1", "e2"]);
    assert!(fields.refused.is_empty());
    assert_eq!(r.log.entries.len(), 1, "one usage.recorded per manifest");
    assert_eq!(logged(&m.p, "usage.recorded").len(), 1);
    assert_eq!(r.log.promise["type"], "LogInclusionPromise");
    let json = serde_json::to_value(&r).unwrap();
    let members: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(members, ["receipt", "log"]);

    let messages = take_messages(&m.p);
    assert_eq!(messages.len(), 1);
    let queued = &messages[0].events;
    assert_eq!(queued.len(), 2);
    assert_eq!(queued[1].batch_leaf, 1);
    let leaves: Vec<(u64, String)> = queued[1]
        .assets
        .iter()
        .map(|a| (a.leaf, a.creator.clone()))
        .collect();
    assert_eq!(leaves, [(1, m.creator_did(1)), (2, m.creator_did(2))]);

    // The same report again: the same answer, nothing queued or logged again.
    let Accepted::AlreadyRecorded(again) = run(usage::accept(&m.p, orchestrator, &raw)).unwrap()
    else {
        panic!("the same report is answered as before")
    };
    assert_eq!(again.receipt, r.receipt);
    assert_eq!(again.log.entries, r.log.entries);
    assert!(take_messages(&m.p).is_empty());
    assert_eq!(logged(&m.p, "usage.recorded").len(), 1);

    // Its orchestrator and the staff read it back; another orchestrator does not.
    let id = fields.report_id;
    let read = run(usage::read_report(&m.p, orchestrator, &id)).unwrap();
    assert_eq!(read.receipt, r.receipt);
    let auditor = who(Role::Auditor, "a1");
    run(usage::read_report(&m.p, &auditor, &id)).unwrap();
    let other = who(Role::Orchestrator, "o2");
    let e = run(usage::read_report(&m.p, &other, &id)).unwrap_err();
    assert_eq!(e.kind, Kind::NotFound);
}

#[test]
fn a_different_report_under_a_known_id_is_a_conflict() {
    let m = per_sample();
    let o = &m.orchestrator;
    let id = fairtrain_core::fields::urn_uuid_v4([5; 16]);
    let first = signed_as(o, &id, vec![m.event("e1", &[0], 10, EARLIER)]);
    run(usage::accept(&m.p, &o.principal, &first)).unwrap();
    let other = signed_as(o, &id, vec![m.event("e1", &[0], 11, EARLIER)]);
    let e = run(usage::accept(&m.p, &o.principal, &other)).unwrap_err();
    assert_eq!(e.kind, Kind::Conflict);
    assert_eq!(
        e.detail,
        "a different report was already received with this id"
    );
}

#[test]
fn reports_that_do_not_verify_or_come_from_the_wrong_key_are_refused_whole() {
    let m = per_sample();
    let events = || vec![m.event("e1", &[0], 10, EARLIER)];
    let accept = |who: &Principal, raw: &[u8]| run(usage::accept(&m.p, who, raw)).unwrap_err();
    let me = &m.orchestrator.principal;

    let mut doc: Value = serde_json::from_slice(&m.report(events())).unwrap();
    doc["events"][0]["samples_count"] = 1000.into();
    let e = accept(me, &serde_json::to_vec(&doc).unwrap());
    assert_eq!(e.kind, Kind::DocumentSignature);

    let stranger = Orchestrator::new(ORCHESTRATOR, 91);
    let e = accept(me, &signed(&stranger, events()));
    assert_eq!(e.kind, Kind::DocumentSignature);
    assert!(e.detail.contains("registered signing key"), "{}", e.detail);

    let e = accept(&who(Role::Orchestrator, "nobody"), &m.report(events()));
    assert_eq!(e.kind, Kind::Forbidden);

    let lone = Orchestrator::new("o000000000000002", 92);
    key(
        &m.p,
        "o000000000000002",
        Role::Orchestrator,
        Some(lone.did.to_string()),
        None,
    );
    let e = accept(&lone.principal, &signed(&lone, events()));
    assert_eq!(e.kind, Kind::Forbidden);
    assert_eq!(e.detail, "this orchestrator acts for no buyer");

    let e = accept(me, b"{\"id\": ");
    assert_eq!(e.kind, Kind::BadRequest);

    assert!(take_messages(&m.p).is_empty());
    assert_eq!(counts(&m.p).reports, 0);
    assert!(logged(&m.p, "usage.recorded").is_empty());
}

#[test]
fn each_refusal_reason_is_given_and_refused_events_change_nothing() {
    let m = per_sample();
    let mut no_training = policy(AttributionModel::PerSample, "0.0005");
    no_training.allowed_uses = vec![fairtrain_consent::consent::Use::DataMining];
    let inference_only = m.publish(2, no_training);
    m.license(BUYER, &inference_only, PUBLISHED, None);

    let unknown = event(
        "unknown",
        &fairtrain_core::fields::urn_uuid_v4([1; 16]),
        AssetRefs::LeafIndexes(vec![0]),
        10,
        EARLIER,
    );
    let not_in_manifest = event(
        "not-in-manifest",
        &m.manifest_id,
        AssetRefs::Hashes(vec![Sha256Digest::of(b"someone else's")]),
        10,
        EARLIER,
    );
    let by_hash = event(
        "by-hash",
        &m.manifest_id,
        AssetRefs::Hashes(vec![m.assets[3].hash]),
        10,
        EARLIER,
    );
    let events = vec![
        m.event("ok", &[0], 10, EARLIER),
        by_hash,
        unknown,
        not_in_manifest,
        m.event("leaf", &[0, 99], 10, EARLIER),
        m.event("future", &[0], 10, "2026-03-01T12:05:01Z"),
        m.event("soon", &[0], 10, "2026-03-01T12:05:00Z"),
        m.event("before-manifest", &[0], 10, "2026-01-31T23:59:59Z"),
        event(
            "not-training",
            &inference_only,
            AssetRefs::LeafIndexes(vec![0]),
            10,
            EARLIER,
        ),
    ];
    let receipt = m.record(events);
    assert_eq!(
        refused(&receipt),
        [
            ("before-manifest", "event_before_manifest"),
            ("future", "event_in_future"),
            ("leaf", "leaf_index_out_of_range"),
            ("not-in-manifest", "asset_not_in_manifest"),
            ("not-training", "use_not_allowed"),
            ("unknown", "unknown_manifest"),
        ]
        .map(|(e, r)| (e.to_string(), r.to_string()))
    );
    assert_eq!(receipt["credentialSubject"]["accepted"]["count"], 3);
    let c = counts(&m.p);
    assert_eq!((c.events, c.lines, c.conflicts), (3, 3, 0));

    // The same id with other content, once recorded: a conflict, refused.
    let receipt = m.record(vec![m.event("ok", &[0], 11, EARLIER)]);
    assert_eq!(
        refused(&receipt),
        [("ok".to_string(), "event_id_conflict".to_string())]
    );
    assert_eq!(counts(&m.p).events, 3);
}

#[test]
fn consent_is_judged_at_the_time_of_use_forward_only() {
    let m = per_sample();
    // Creator 1 revokes the consent behind asset 2 at NOW.
    let c = &m.creators[1];
    let id = &m.assets[2].consent_id;
    run(consents::revoke(&m.p, &c.did(), id, &c.revocation(id, NOW))).unwrap();
    m.p.advance_seconds(3600);
    let receipt = m.record(vec![
        m.event("before", &[2], 10, "2026-03-01T11:59:59.999Z"),
        m.event("at", &[2], 10, NOW),
        m.event("after", &[2], 10, "2026-03-01T12:00:01Z"),
        m.event("other-asset", &[3], 10, "2026-03-01T12:00:01Z"),
    ]);
    assert_eq!(
        refused(&receipt),
        [("after", "consent_revoked"), ("at", "consent_revoked")]
            .map(|(e, r)| (e.to_string(), r.to_string()))
    );

    // Consents are valid from 2026-01-01 to 2027-01-01 (exclusive).
    let early = m.publish(3, policy(AttributionModel::PerSample, "0.0005"));
    m.p.state
        .borrow_mut()
        .manifests
        .manifests
        .get_mut(&early)
        .unwrap()
        .created_at = t("2025-06-01T00:00:00Z");
    m.license(BUYER, &early, "2025-06-01T00:00:00Z", None);
    let on_early = |id: &str, at: &str| event(id, &early, AssetRefs::LeafIndexes(vec![0]), 1, at);
    m.p.set_now(t("2027-02-01T00:00:00Z"));
    let receipt = m.record(vec![
        on_early("not-yet", "2025-12-31T23:59:59Z"),
        on_early("first-day", "2026-01-01T00:00:00Z"),
        on_early("last-moment", "2026-12-31T23:59:59.999Z"),
        on_early("expired", "2027-01-01T00:00:00Z"),
    ]);
    assert_eq!(
        refused(&receipt),
        [
            ("expired", "consent_expired"),
            ("not-yet", "consent_not_yet_valid")
        ]
        .map(|(e, r)| (e.to_string(), r.to_string()))
    );
}

#[test]
fn licenses_are_judged_at_the_time_of_use() {
    let m = per_sample();
    // A second buyer whose license ran out, a third whose was revoked, a
    // fourth with none; each with its orchestrator.
    let buyers = [
        ("b000000000000002", "o000000000000002", 92),
        ("b000000000000003", "o000000000000003", 93),
        ("b000000000000004", "o000000000000004", 94),
    ];
    let mut orchestrators = Vec::new();
    for (buyer, orch, seed) in buyers {
        key(&m.p, buyer, Role::Buyer, None, None);
        let o = Orchestrator::new(orch, seed);
        key(
            &m.p,
            orch,
            Role::Orchestrator,
            Some(o.did.to_string()),
            Some(buyer),
        );
        orchestrators.push(o);
    }
    m.license(
        buyers[0].0,
        &m.manifest_id,
        PUBLISHED,
        Some("2026-03-01T11:00:00Z"),
    );
    let revoked = m.license(buyers[1].0, &m.manifest_id, PUBLISHED, None);
    m.p.set_now(t("2026-03-01T11:00:00Z"));
    run(fairtrain_app::licenses::revoke(&m.p, &revoked)).unwrap();
    m.p.set_now(t(NOW));

    let report = |o: &Orchestrator, events: Vec<UsageEvent>| {
        let Accepted::Recorded(r) =
            run(usage::accept(&m.p, &o.principal, &signed(o, events))).unwrap()
        else {
            panic!()
        };
        refused(&r.receipt)
    };
    let two = |prefix: &str| {
        vec![
            m.event(&format!("{prefix}-before"), &[0], 1, "2026-03-01T10:59:59Z"),
            m.event(&format!("{prefix}-after"), &[0], 1, "2026-03-01T11:00:00Z"),
        ]
    };
    assert_eq!(
        report(&orchestrators[0], two("expired")),
        [("expired-after".to_string(), "licence_expired".to_string())]
    );
    assert_eq!(
        report(&orchestrators[1], two("revoked")),
        [("revoked-after".to_string(), "licence_revoked".to_string())]
    );
    assert_eq!(
        report(&orchestrators[2], two("none")),
        [
            ("none-after".to_string(), "no_licence".to_string()),
            ("none-before".to_string(), "no_licence".to_string())
        ]
    );
    // Used before the license was granted.
    let later = m.publish(4, policy(AttributionModel::PerSample, "0.0005"));
    m.license(BUYER, &later, "2026-02-15T00:00:00Z", None);
    let early = event(
        "early",
        &later,
        AssetRefs::LeafIndexes(vec![0]),
        1,
        "2026-02-10T00:00:00Z",
    );
    let Accepted::Recorded(r) = m.accept(vec![early]).unwrap() else {
        panic!()
    };
    assert_eq!(
        refused(&r.receipt),
        [("early".to_string(), "no_licence".to_string())]
    );
}

#[test]
fn per_sample_and_per_batch_pricing_is_exact_to_the_atto_unit() {
    let m = per_sample();
    // 7 samples over two assets: 35 * 10^16 split 17.5 each.
    m.record(vec![
        m.event("e1", &[0], 10, EARLIER),
        m.event("e2", &[1, 2], 7, EARLIER),
    ]);
    let by = ledger_by_creator(&m.p);
    assert_eq!(by[&m.creator_did(0)], 10 * RATE + 7 * RATE / 2);
    assert_eq!(by[&m.creator_did(2)], 7 * RATE / 2);
    let units: Vec<u64> =
        m.p.state
            .borrow()
            .usage
            .ledger
            .iter()
            .map(|l| l.line.units)
            .collect();
    assert_eq!(units, [10, 4, 3]);

    let batch = m.publish(2, policy(AttributionModel::PerBatch, "0.03"));
    m.license(BUYER, &batch, PUBLISHED, None);
    m.record(vec![event(
        "b1",
        &batch,
        AssetRefs::LeafIndexes(vec![0, 1, 3]),
        1000,
        EARLIER,
    )]);
    let s = run(ledger::summary(&m.p, true)).unwrap();
    let usd = &s.totals.as_ref().unwrap()[0];
    assert_eq!(usd.currency, "USD");
    assert_eq!(
        usd.amount,
        (17 * RATE + 3 * ATTO_PER_MINOR).to_string(),
        "0.85 cents and a 3-cent batch"
    );
    assert_eq!((usd.whole_minor.as_str(), usd.lines), ("3", 6));
    assert_eq!(usd.fraction, (85 * ATTO_PER_MINOR / 100).to_string());
}

#[test]
fn per_epoch_charges_each_asset_once_per_run_and_epoch_whatever_the_order() {
    let m = market(2, 2, AttributionModel::PerEpoch, "2");
    let e = |id: &str, leaves: &[u64], run: &str, epoch: u64| {
        let mut e = m.event(id, leaves, 10, EARLIER);
        e.training_run_id = run.into();
        e.epoch = epoch;
        e
    };
    // Two reports, priced in the opposite order of acceptance.
    m.accept(vec![e("a", &[0, 1], "r", 0), e("b", &[1, 2], "r", 0)])
        .unwrap();
    m.accept(vec![
        e("c", &[0], "r", 1),
        e("d", &[0, 1], "r2", 0),
        e("e", &[1, 2, 3], "r", 0),
    ])
    .unwrap();
    let mut messages = take_messages(&m.p);
    messages.reverse();
    for outcome in deliver(&m.p, &messages) {
        outcome.unwrap();
    }
    // Keys: (r,0,{0,1,2,3}), (r,1,0), (r2,0,{0,1}): seven charges.
    let s = m.p.state.borrow();
    let charged: Vec<(String, u64)> = s
        .usage
        .ledger
        .iter()
        .filter(|l| l.line.amount.0 > 0)
        .map(|l| (l.line.event_id.clone(), l.line.leaf_index))
        .collect();
    assert_eq!(charged.len(), 7, "{charged:?}");
    assert!(s
        .usage
        .ledger
        .iter()
        .all(|l| l.line.amount.0 == 0 || l.line.amount.0 == EPOCH_RATE));
    // The later report was priced first: it holds (r,0,1), (r,0,2), (r,0,3).
    for (event, leaf) in [
        ("e", 1),
        ("e", 2),
        ("e", 3),
        ("c", 0),
        ("d", 0),
        ("d", 1),
        ("a", 0),
    ] {
        assert!(
            charged.contains(&(event.to_string(), leaf)),
            "{event}/{leaf} in {charged:?}"
        );
    }
    assert_eq!(s.usage.ledger.len(), 10, "one line per asset of each event");
    drop(s);
    // Redelivered: nothing changes.
    for outcome in deliver(&m.p, &messages) {
        outcome.unwrap();
    }
    assert_eq!(counts(&m.p).lines, 10);
    // Reconciliation asks the same rule of the stored claims: clean.
    let r = run(reconciliation::run(&m.p)).unwrap();
    assert_eq!(r.mismatch_count, 0, "{}", r.report);
}

#[test]
fn a_claim_on_a_key_held_meanwhile_writes_nothing_and_says_so() {
    let m = market(1, 1, AttributionModel::PerEpoch, "2");
    m.record(vec![m.event("first", &[0], 1, EARLIER)]);
    let before = counts(&m.p);
    let late = m.event("late", &[0], 1, EARLIER);
    let key = EpochKey {
        manifest_id: m.manifest_id.clone(),
        training_run_id: "run-1".into(),
        epoch: 0,
        leaf: 0,
    };
    let recorded = fairtrain_app::usage::store::RecordedEvent {
        event_hash: late.hash(),
        event: late,
        report_id: "urn:uuid:r".into(),
        batch_leaf: 0,
    };
    let priced = PricedMessage {
        events: vec![recorded],
        lines: vec![],
        claims: vec![EpochClaim {
            key: key.clone(),
            event_id: "late".into(),
        }],
    };
    let e = run(m.p.record_priced(&priced, at(&m.p))).unwrap_err();
    assert_eq!(e.kind, Kind::Conflict);
    assert_eq!(counts(&m.p), before, "nothing written");
    let held = run(m.p.epoch_claims(&[key])).unwrap();
    assert_eq!(held[0].event_id, "first");
}

#[test]
fn faults_and_redeliveries_count_nothing_twice() {
    let m = per_sample();
    m.accept(vec![m.event("e1", &[0], 3, EARLIER)]).unwrap();
    m.accept(vec![m.event("e2", &[1, 3], 5, EARLIER)]).unwrap();
    let messages = take_messages(&m.p);
    let doomed = messages[1].report_id.clone();
    m.p.inject_fault("*", 1, Fault::AfterWrite);
    m.p.inject_fault(&doomed, 2, Fault::BeforeWrite);
    let first = deliver(&m.p, &messages);
    assert_eq!(
        first[0].as_ref().unwrap_err().detail,
        "injected fault after the write"
    );
    assert_eq!(
        first[1].as_ref().unwrap_err().detail,
        "injected fault before the write"
    );
    assert_eq!(counts(&m.p).events, 1, "written, though it failed after");
    let second = deliver(&m.p, &messages);
    assert!(second[0].is_ok());
    assert!(second[1].is_err(), "still failing before its write");
    assert_eq!(counts(&m.p).lines, 1);
    for outcome in deliver(&m.p, &messages) {
        outcome.unwrap();
    }
    let c = counts(&m.p);
    assert_eq!((c.events, c.lines, c.conflicts), (2, 3, 0));
    let total: u128 = ledger_by_creator(&m.p).values().sum();
    assert_eq!(total, 8 * RATE);
}

#[test]
fn an_event_id_seen_again_with_other_content_is_set_aside_as_a_conflict() {
    let m = per_sample();
    // Both accepted before either is priced; the second is priced first.
    m.accept(vec![m.event("e1", &[0], 10, EARLIER)]).unwrap();
    m.accept(vec![
        m.event("e1", &[2], 11, EARLIER),
        m.event("e2", &[2], 1, EARLIER),
    ])
    .unwrap();
    let mut messages = take_messages(&m.p);
    messages.reverse();
    for outcome in deliver(&m.p, &messages) {
        outcome.unwrap();
    }
    let c = counts(&m.p);
    assert_eq!((c.events, c.conflicts, c.lines), (2, 1, 2));
    let by = ledger_by_creator(&m.p);
    assert_eq!(by.get(&m.creator_did(0)), None, "the first content lost");
    assert_eq!(by[&m.creator_did(2)], 12 * RATE);
}

#[test]
fn a_large_report_travels_in_messages_under_the_limit_and_is_priced_once() {
    let m = per_sample();
    let events: Vec<UsageEvent> = (0..3000)
        .map(|i| m.event(&format!("big-{i}"), &[i % 4], 1 + i % 7, EARLIER))
        .collect();
    m.accept(events).unwrap();
    let texts = m.p.state.borrow().queued.usage.clone();
    assert!(texts.len() > 1, "{} messages", texts.len());
    assert!(texts
        .iter()
        .all(|t| t.len() <= fairtrain_app::usage::message::MAX_MESSAGE_BYTES));
    for outcome in drain(&m.p) {
        outcome.unwrap();
    }
    let expected: u128 = (0..3000u128).map(|i| (1 + i % 7) * RATE).sum();
    assert_eq!(ledger_by_creator(&m.p).values().sum::<u128>(), expected);
    assert_eq!(counts(&m.p).events, 3000);
}

// ---- Exactly once, whatever the queue does -------------------------------

#[derive(Debug, Clone)]
struct Ev {
    per_epoch: bool,
    leaves: Vec<u64>,
    samples: u64,
    run: u8,
    epoch: u64,
    /// Reported again, in a later report: 0 no, 1 the same, 2 other content.
    again: u8,
}

fn ev() -> impl Strategy<Value = Ev> {
    (
        any::<bool>(),
        prop::collection::btree_set(0u64..6, 1..=3),
        1u64..1000,
        0u8..2,
        0u64..3,
        0u8..3,
    )
        .prop_map(|(per_epoch, leaves, samples, run, epoch, again)| Ev {
            per_epoch,
            leaves: leaves.into_iter().collect(),
            samples,
            run,
            epoch,
            again,
        })
}

/// What the ledger must hold, worked out here from the recorded events
/// alone (not with the application's pricing): per creator, in atto-cents.
fn expected(m: &Market, epoch_manifest: &str) -> BTreeMap<String, u128> {
    let s = m.p.state.borrow();
    let mut out: BTreeMap<String, u128> = BTreeMap::new();
    let mut keys = BTreeSet::new();
    for e in s.usage.events.iter().map(|e| &e.recorded.event) {
        let AssetRefs::LeafIndexes(leaves) = &e.assets else {
            panic!()
        };
        if e.manifest_id == epoch_manifest {
            for leaf in leaves {
                keys.insert((e.training_run_id.clone(), e.epoch, *leaf));
            }
            continue;
        }
        let total = u128::from(e.samples_count) * RATE;
        let n = leaves.len() as u128;
        for (i, leaf) in leaves.iter().enumerate() {
            let part = total / n + u128::from((i as u128) < total % n);
            *out.entry(m.creator_did(*leaf as usize)).or_default() += part;
        }
    }
    for (_, _, leaf) in keys {
        *out.entry(m.creator_did(leaf as usize)).or_default() += EPOCH_RATE;
    }
    out.retain(|_, v| *v > 0);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn the_ledger_is_exact_whatever_the_queue_delivers(
        evs in prop::collection::vec(ev(), 1..24),
        reports in 1usize..4,
        copies in prop::collection::vec(1usize..4, 16),
        order in prop::collection::vec(any::<u64>(), 64),
        after_write in 0u32..4,
        before_write in 0u32..3,
    ) {
        let m = market(3, 2, AttributionModel::PerSample, "0.0005");
        let epochs = m.publish(2, policy(AttributionModel::PerEpoch, "2"));
        m.license(BUYER, &epochs, PUBLISHED, None);
        let make = |i: usize, e: &Ev, extra: u64| {
            let manifest = if e.per_epoch { &epochs } else { &m.manifest_id };
            let mut u = event(&format!("e{i}"), manifest, AssetRefs::LeafIndexes(e.leaves.clone()),
                              e.samples + extra, EARLIER);
            u.training_run_id = format!("run-{}", e.run);
            u.epoch = e.epoch;
            u
        };
        let originals: Vec<UsageEvent> = evs.iter().enumerate().map(|(i, e)| make(i, e, 0)).collect();
        let chunk = originals.len().div_ceil(reports);
        for part in originals.chunks(chunk) {
            m.accept(part.to_vec()).unwrap();
        }
        let again: Vec<UsageEvent> = evs.iter().enumerate()
            .filter(|(_, e)| e.again > 0)
            .map(|(i, e)| make(i, e, u64::from(e.again == 2)))
            .collect();
        if !again.is_empty() {
            m.accept(again).unwrap();
        }
        let messages = take_messages(&m.p);
        // Each message delivered 1-3 times, all in a random order.
        let mut deliveries: Vec<(u64, usize)> = Vec::new();
        for (i, _) in messages.iter().enumerate() {
            for c in 0..copies[i % copies.len()] {
                deliveries.push((order[(i * 3 + c) % order.len()], i));
            }
        }
        deliveries.sort();
        let batch: Vec<UsageMessage> = deliveries.iter().map(|(_, i)| messages[*i].clone()).collect();
        m.p.inject_fault("*", after_write, Fault::AfterWrite);
        m.p.inject_fault(&messages[0].report_id, before_write, Fault::BeforeWrite);
        let mut pending = batch;
        while !pending.is_empty() {
            let outcomes = deliver(&m.p, &pending);
            pending = pending.into_iter().zip(outcomes).filter(|(_, o)| o.is_err()).map(|(m, _)| m).collect();
        }

        let s = m.p.state.borrow();
        // Every event id once, with one of the contents reported for it.
        prop_assert_eq!(s.usage.events.len(), evs.len());
        let mut conflicting = 0;
        for (i, e) in evs.iter().enumerate() {
            let id = format!("e{i}");
            let stored = &s.usage.events[s.usage.event_index[&id]].recorded;
            let first = make(i, e, 0);
            if e.again == 2 {
                let other = make(i, e, 1);
                prop_assert!(stored.event == first || stored.event == other);
                let loser = if stored.event == first { other.hash() } else { first.hash() };
                prop_assert!(s.usage.conflicts.contains(&(id.clone(), loser)));
                conflicting += 1;
            } else {
                prop_assert_eq!(&stored.event, &first);
            }
            // One line per asset, for the recorded content only.
            let lines: Vec<_> = s.usage.ledger.iter().filter(|l| l.line.event_id == id).collect();
            prop_assert_eq!(lines.len(), e.leaves.len());
            prop_assert!(lines.iter().all(|l| l.line.event_hash == stored.event_hash && l.line.kind == LineKind::Usage));
        }
        prop_assert_eq!(s.usage.conflicts.len(), conflicting);
        // Per epoch: one charge per key, carried by the line of its holder.
        let mut charged: BTreeMap<(String, u64, u64), Vec<String>> = BTreeMap::new();
        for l in s.usage.ledger.iter().filter(|l| l.line.manifest_id == epochs) {
            let e = &s.usage.events[s.usage.event_index[&l.line.event_id]].recorded.event;
            let key = (e.training_run_id.clone(), e.epoch, l.line.leaf_index);
            let entry = charged.entry(key.clone()).or_default();
            if l.line.amount.0 > 0 {
                prop_assert_eq!(l.line.amount.0, EPOCH_RATE);
                entry.push(l.line.event_id.clone());
                let holder = &s.usage.claims[&EpochKey { manifest_id: epochs.clone(), training_run_id: key.0,
                                                         epoch: key.1, leaf: key.2 }];
                prop_assert_eq!(holder, &l.line.event_id);
            }
        }
        prop_assert!(charged.values().all(|holders| holders.len() == 1), "{:?}", charged);
        drop(s);
        // To the atto-unit, per creator.
        prop_assert_eq!(ledger_by_creator(&m.p).into_iter().filter(|(_, v)| *v > 0).collect::<BTreeMap<_, _>>(),
                        expected(&m, &epochs));
        // And reconciliation, which prices again by the same rules, agrees.
        let r = run(reconciliation::run(&m.p)).unwrap();
        prop_assert_eq!(r.mismatch_count, 0, "{}", r.report);
    }
}
