//! Settlement, natively: floor-and-carry payouts with thresholds, signed
//! statements and creators' statements, pools shared exactly by usage,
//! releasing a settlement that did not close, reconciliation's checks,
//! balances and model passports.

mod support;

use std::collections::BTreeMap;

use fairtrain_app::consents;
use fairtrain_app::ledger;
use fairtrain_app::memory::MemoryPlatform;
use fairtrain_app::passports;
use fairtrain_app::platform::Config;
use fairtrain_app::reconciliation;
use fairtrain_app::settlements::store::PayoutStatus;
use fairtrain_app::settlements::{self, Revenue, Settled, Trigger};
use fairtrain_app::webhooks::{self, NewEndpoint};
use fairtrain_app::Kind;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::money::{Atto, ATTO_PER_MINOR};
use fairtrain_core::principal::{Principal, Role};
use fairtrain_manifest::terms::AttributionModel;
use fairtrain_settlement::{
    verify_creator_statement, verify_passport, verify_passport_status, verify_settlement,
    LedgerLine, LineKind, PassportState, VerifiedSettlement,
};
use fairtrain_usage::AssetRefs;
use proptest::prelude::*;
use support::market::*;
use support::*;

const CENT: u128 = ATTO_PER_MINOR;
const EARLIER: &str = "2026-03-01T10:00:00Z";

fn operator() -> Principal {
    who(Role::Operator, "operator")
}

fn settle(p: &MemoryPlatform) -> Settled {
    run(settlements::settle(p, Trigger::Operator)).unwrap()
}

fn verified(p: &MemoryPlatform, s: &Settled) -> VerifiedSettlement {
    verify_settlement(&s.statement, &p.keys().unwrap().keys).expect("the statement verifies")
}

/// (paid minor units, carried out) of `creator`'s payout line.
fn paid(v: &VerifiedSettlement, creator: &str) -> (u128, u128) {
    let p = &v
        .fields
        .payouts
        .iter()
        .find(|p| p.payout.creator == creator)
        .expect("a payout line")
        .payout;
    (p.amount_minor, p.carried_out.0)
}

/// Records one event of `samples` on `asset` per entry.
fn use_samples(m: &Market, prefix: &str, asset: u64, samples: &[u64]) {
    let events = samples
        .iter()
        .enumerate()
        .map(|(i, s)| m.event(&format!("{prefix}-{i}"), &[asset], *s, EARLIER))
        .collect();
    m.record(events);
}

fn subscribe(p: &MemoryPlatform, types: &[&str]) {
    let rail = NewEndpoint {
        url: "https://rail.example.com/hook".into(),
        event_types: types.iter().map(|t| t.to_string()).collect(),
        description: None,
    };
    run(webhooks::endpoints::create(p, rail)).unwrap();
}

#[test]
fn a_settlement_floors_carries_holds_back_small_balances_and_signs_its_statement() {
    let m = market(2, 1, AttributionModel::PerSample, "0.0005");
    subscribe(&m.p, &["payout.instruction"]);
    let (a, b) = (m.creator_did(0), m.creator_did(1));
    // A: 2001 samples = 100.05 cents; B: 10 samples = 0.5 cents.
    use_samples(&m, "a", 0, &[1000, 1000, 1]);
    use_samples(&m, "b", 1, &[10]);
    m.p.advance_seconds(60);
    let first = settle(&m.p);
    let v = verified(&m.p, &first);
    assert_eq!(first.line_count, 4);
    assert_eq!(paid(&v, &a), (100, CENT / 20));
    assert_eq!(paid(&v, &b), (0, CENT / 2), "under the minimum: carried");
    assert_eq!(first.instructions, 1);
    assert_eq!(first.paid_minor[0].amount_minor, "100");
    assert_eq!(logged(&m.p, "settlement.made").len(), 1);
    let json = serde_json::to_value(&first).unwrap();
    let members: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(
        members,
        [
            "settlement_id",
            "period_start",
            "period_end",
            "line_count",
            "payout_lines",
            "instructions",
            "paid_minor",
            "statement_hash",
            "log_entry",
            "pools",
            "statement"
        ]
    );
    assert_eq!(json["period_start"], "1970-01-01T00:00:00Z");

    // One payout instruction, for A's line, naming the statement.
    let s = m.p.state.borrow();
    let instructions: Vec<serde_json::Value> = s
        .webhooks
        .messages
        .values()
        .map(|msg| serde_json::from_str(&msg.body).unwrap())
        .collect();
    assert_eq!(instructions.len(), 1);
    let line_a = &v
        .fields
        .payouts
        .iter()
        .find(|p| p.payout.creator == a)
        .unwrap()
        .line_id;
    assert_eq!(instructions[0]["data"]["line_id"], line_a.as_str());
    assert_eq!(instructions[0]["data"]["amount"], "1.00");
    assert_eq!(
        instructions[0]["data"]["statement_hash"],
        first.statement_hash
    );
    let statuses: BTreeMap<String, PayoutStatus> = s
        .settlements
        .payout_lines
        .iter()
        .map(|l| (l.creator.clone(), l.payout_status))
        .collect();
    assert_eq!(statuses[&a], PayoutStatus::Instructed);
    assert_eq!(statuses[&b], PayoutStatus::Unpaid);
    drop(s);

    // Nothing new at the same instant.
    let e = run(settlements::settle(&m.p, Trigger::Cron)).unwrap_err();
    assert_eq!(e.kind, Kind::Conflict);

    // B uses more: the carried half cent makes exactly a dollar.
    use_samples(&m, "b2", 1, &[1990]);
    let balance = run(ledger::balance(&m.p, &operator(), &b)).unwrap();
    assert_eq!(balance.balances[0].carried_in, (CENT / 2).to_string());
    assert_eq!(balance.balances[0].total, (100 * CENT).to_string());
    m.p.advance_seconds(60);
    let second = settle(&m.p);
    let v2 = verified(&m.p, &second);
    assert_eq!(v2.fields.period_start, v.fields.period_end, "periods chain");
    assert_eq!(paid(&v2, &b), (100, 0));
    // A had nothing new: the carried 0.05 cent stays carried.
    assert_eq!(paid(&v2, &a), (0, CENT / 20));
}

#[test]
fn settlements_are_read_by_staff_whole_and_by_creators_as_their_own_statement() {
    let m = market(2, 1, AttributionModel::PerSample, "0.0005");
    use_samples(&m, "a", 0, &[2000, 10]);
    use_samples(&m, "b", 1, &[10]);
    m.p.advance_seconds(60);
    let s = settle(&m.p);
    let (a, b) = (m.creator_did(0), m.creator_did(1));
    let id = &s.settlement_id;

    let listed = run(settlements::list(&m.p)).unwrap();
    assert_eq!(listed.settlements[0].id, *id);
    let staff = run(settlements::read(&m.p, &operator(), id)).unwrap();
    assert_eq!(staff.payouts.as_ref().unwrap().len(), 2);
    let creator = run(settlements::read(&m.p, &who(Role::Creator, &a), id)).unwrap();
    assert!(creator.payouts.is_none());
    let json = serde_json::to_value(&creator).unwrap();
    let members: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(members, ["settlement_id", "statement"]);
    let e = run(settlements::read(&m.p, &operator(), "urn:uuid:nope")).unwrap_err();
    assert_eq!(e.kind, Kind::NotFound);

    let doc = run(settlements::creator_statement(
        &m.p,
        &who(Role::Creator, &a),
        id,
        &a,
    ))
    .unwrap();
    let keys = m.p.keys().unwrap().keys;
    let cs = verify_creator_statement(&doc, Some(&s.statement), &keys).expect("verifies");
    assert_eq!(
        cs.fields.lines.len(),
        2,
        "each of A's lines, with its proof"
    );
    let mut forged = doc.clone();
    forged["credentialSubject"]["payouts"][0]["amount_minor"] = "1000".into();
    assert!(verify_creator_statement(&forged, Some(&s.statement), &keys).is_err());

    let e = run(settlements::creator_statement(
        &m.p,
        &who(Role::Creator, &a),
        id,
        &b,
    ))
    .unwrap_err();
    assert_eq!(e.kind, Kind::Forbidden);
    let stranger = Creator::new(77).did().to_string();
    let e = run(settlements::creator_statement(
        &m.p,
        &operator(),
        id,
        &stranger,
    ))
    .unwrap_err();
    assert_eq!(e.kind, Kind::NotFound);
}

#[test]
fn balances_are_read_by_staff_and_by_their_creator() {
    let m = market(2, 1, AttributionModel::PerSample, "0.0005");
    use_samples(&m, "a", 0, &[3]);
    let a = m.creator_did(0);
    let b = run(ledger::balance(&m.p, &who(Role::Creator, &a), &a)).unwrap();
    assert_eq!(b.balances.len(), 1);
    assert_eq!(b.balances[0].accrued, (3 * CENT / 20).to_string());
    assert_eq!(b.balances[0].open_lines, 1);
    let e = run(ledger::balance(
        &m.p,
        &who(Role::Creator, &m.creator_did(1)),
        &a,
    ))
    .unwrap_err();
    assert_eq!(e.kind, Kind::Forbidden);
    let none = run(ledger::balance(
        &m.p,
        &who(Role::Auditor, "k"),
        &m.creator_did(1),
    ))
    .unwrap();
    assert!(none.balances.is_empty());
}

fn line(n: usize, creator: &str, amount: u128, now: fairtrain_core::time::Timestamp) -> LedgerLine {
    LedgerLine {
        event_id: format!("line-{n}"),
        event_hash: Sha256Digest::of(format!("line-{n}").as_bytes()),
        manifest_id: fairtrain_core::fields::urn_uuid_v4([3; 16]),
        leaf_index: n as u64,
        creator: creator.into(),
        model_id: "model".into(),
        training_run_id: "run".into(),
        kind: LineKind::Usage,
        units: 1,
        currency: "USD".into(),
        minor_units: 2,
        amount: Atto(amount),
        priced_at: now,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Over several periods: each payout line pays the whole minor units of
    /// what was carried in plus accrued, when that reaches the threshold,
    /// and carries the rest, exactly; nothing is created or lost.
    #[test]
    fn payouts_floor_and_carry_exactly_over_periods(
        periods in prop::collection::vec(
            prop::collection::vec((0usize..3, 0u128..300 * CENT), 0..8), 1..4),
        threshold in 0u128..200,
    ) {
        let mut p = MemoryPlatform::new(t(NOW));
        p.settings_mut().payout_thresholds.default_minor = threshold;
        let creators: Vec<String> = (1..=3).map(|n| Creator::new(n).did().to_string()).collect();
        let mut carried: BTreeMap<String, u128> = BTreeMap::new();
        let (mut all_in, mut all_paid) = (0u128, 0u128);
        let mut n = 0;
        for lines in &periods {
            let mut accrued: BTreeMap<String, u128> = BTreeMap::new();
            for (c, amount) in lines {
                let now = at(&p);
                p.state.borrow_mut().usage.push_line(line(n, &creators[*c], *amount, now), None);
                *accrued.entry(creators[*c].clone()).or_default() += amount;
                all_in += amount;
                n += 1;
            }
            p.advance_seconds(3600);
            let s = settle(&p);
            let v = verified(&p, &s);
            prop_assert_eq!(s.line_count, lines.len() as u64);
            for sp in &v.fields.payouts {
                let pl = &sp.payout;
                let total = pl.carried_in.0 + pl.accrued.0;
                prop_assert_eq!(pl.carried_in.0, carried.get(&pl.creator).copied().unwrap_or(0));
                prop_assert_eq!(pl.accrued.0, accrued.get(&pl.creator).copied().unwrap_or(0));
                prop_assert_eq!(pl.amount_minor * CENT + pl.carried_out.0, total);
                if total / CENT >= threshold.max(1) {
                    prop_assert_eq!(pl.amount_minor, total / CENT);
                } else {
                    prop_assert_eq!(pl.amount_minor, 0);
                }
                carried.insert(pl.creator.clone(), pl.carried_out.0);
                all_paid += pl.amount_minor * CENT;
            }
            // Every creator with a balance has a line.
            for (c, a) in &accrued {
                prop_assert!(*a == 0 || v.fields.payouts.iter().any(|sp| &sp.payout.creator == c));
            }
        }
        prop_assert_eq!(all_paid + carried.values().sum::<u128>(), all_in);
    }

    /// A pool is shared by usage exactly: the parts sum to the pool, each
    /// within one atto-unit of its exact share.
    #[test]
    fn pools_are_allocated_exactly_by_units(
        units in prop::collection::vec(0u64..5000, 2..5),
        revenue in 1u64..10_000_000,
    ) {
        prop_assume!(units.iter().any(|u| *u > 0));
        let m = market(units.len(), 1, AttributionModel::RevenueShare, "0.37");
        for (i, u) in units.iter().enumerate() {
            if *u > 0 {
                use_samples(&m, &format!("c{i}"), i as u64, &[*u]);
            }
        }
        run(settlements::record_revenue(&m.p, &m.manifest_id,
            &Revenue { amount_minor: revenue, currency: "USD".into() })).unwrap();
        m.p.advance_seconds(60);
        let s = settle(&m.p);
        let pool = u128::from(revenue) * 37 * CENT / 100;
        prop_assert_eq!(&s.pools[0].pool, &pool.to_string());
        let st = m.p.state.borrow();
        let parts: BTreeMap<String, u128> = st.usage.ledger.iter()
            .filter(|l| l.line.kind == LineKind::RevenueShare)
            .map(|l| (l.line.creator.clone(), l.line.amount.0))
            .collect();
        prop_assert_eq!(parts.values().sum::<u128>(), pool);
        let total: u128 = units.iter().map(|u| u128::from(*u)).sum();
        for (i, u) in units.iter().enumerate() {
            let part = parts.get(&m.creator_did(i)).copied().unwrap_or(0);
            let exact_floor = pool * u128::from(*u) / total;
            prop_assert!(part == exact_floor || part == exact_floor + 1, "{} vs {}", part, exact_floor);
        }
    }
}

#[test]
fn subscription_and_revenue_share_pools_are_shared_by_usage_once() {
    // $10 per license per period; two licenses in force, one expired before.
    let sub = market(2, 1, AttributionModel::Subscription, "10.00");
    key(&sub.p, "b000000000000002", Role::Buyer, None, None);
    key(&sub.p, "b000000000000003", Role::Buyer, None, None);
    sub.license("b000000000000002", &sub.manifest_id, PUBLISHED, None);
    sub.license(
        "b000000000000003",
        &sub.manifest_id,
        PUBLISHED,
        Some("2026-02-02T00:00:00Z"),
    );
    use_samples(&sub, "s", 0, &[300]);
    use_samples(&sub, "t", 1, &[100]);
    assert_eq!(
        run(ledger::balance(&sub.p, &operator(), &sub.creator_did(0)))
            .unwrap()
            .balances[0]
            .accrued,
        "0",
        "usage under a pool is recorded with units, no price"
    );
    // The first period began at the epoch: the expired license was in force in it.
    sub.p.advance_seconds(60);
    let s = settle(&sub.p);
    let v = verified(&sub.p, &s);
    assert_eq!(s.pools[0].kind, LineKind::Subscription);
    assert_eq!(s.pools[0].pool, (3000 * CENT).to_string());
    assert_eq!(paid(&v, &sub.creator_did(0)), (2250, 0));
    assert_eq!(paid(&v, &sub.creator_did(1)), (750, 0));
    // The next period: two licenses in force, but no usage: not allocated.
    sub.p.advance_seconds(60);
    let s = settle(&sub.p);
    assert!(!s.pools[0].allocated);
    assert_eq!(s.pools[0].reason, Some("no usage in the period"));
    assert_eq!(s.pools[0].pool, (2000 * CENT).to_string());

    // 30% of reported revenue, shared 1:1.
    let rev = market(2, 1, AttributionModel::RevenueShare, "0.30");
    let revenue = |amount_minor, currency: &str| {
        run(settlements::record_revenue(
            &rev.p,
            &rev.manifest_id,
            &Revenue {
                amount_minor,
                currency: currency.into(),
            },
        ))
    };
    // Reported before any usage: the pool waits for usage.
    let r = revenue(10001, "USD").unwrap();
    assert_eq!(r.amount_minor, "10001");
    assert_eq!(revenue(5, "EUR").unwrap_err().reason(), None);
    assert_eq!(
        revenue(5, "EUR").unwrap_err().members["errors"][0]["pointer"],
        "/currency"
    );
    assert_eq!(
        revenue(0, "USD").unwrap_err().members["errors"][0]["pointer"],
        "/amount_minor"
    );
    let e = run(settlements::record_revenue(
        &sub.p,
        &sub.manifest_id,
        &Revenue {
            amount_minor: 5,
            currency: "USD".into(),
        },
    ))
    .unwrap_err();
    assert_eq!(e.kind, Kind::Invalid);
    let e = run(settlements::record_revenue(
        &rev.p,
        "urn:uuid:nope",
        &Revenue {
            amount_minor: 5,
            currency: "USD".into(),
        },
    ))
    .unwrap_err();
    assert_eq!(e.kind, Kind::NotFound);

    rev.p.advance_seconds(60);
    let s = settle(&rev.p);
    assert!(!s.pools[0].allocated, "no usage yet");
    use_samples(&rev, "a", 0, &[50]);
    use_samples(&rev, "b", 1, &[50]);
    rev.p.advance_seconds(60);
    let s = settle(&rev.p);
    let v = verified(&rev.p, &s);
    // 30% of 100.01 dollars = 3000.3 cents: 1500.15 each, 0.15 carried.
    assert_eq!(paid(&v, &rev.creator_did(0)), (1500, 15 * CENT / 100));
    assert_eq!(paid(&v, &rev.creator_did(1)), (1500, 15 * CENT / 100));
    // Used once: the next settlement has no revenue pool.
    use_samples(&rev, "c", 0, &[50]);
    rev.p.advance_seconds(60);
    assert!(settle(&rev.p).pools.is_empty());
}

#[test]
fn a_settlement_that_fails_after_its_claim_releases_everything() {
    let m = market(2, 1, AttributionModel::RevenueShare, "0.30");
    use_samples(&m, "a", 0, &[50]);
    run(settlements::record_revenue(
        &m.p,
        &m.manifest_id,
        &Revenue {
            amount_minor: 1000,
            currency: "USD".into(),
        },
    ))
    .unwrap();
    m.p.advance_seconds(60);
    m.p.state.borrow_mut().log.refuse_next = true;
    let e = run(settlements::settle(&m.p, Trigger::Operator)).unwrap_err();
    assert_eq!(e.kind, Kind::RateLimited);
    {
        let s = m.p.state.borrow();
        assert!(s.usage.ledger.iter().all(|l| l.settlement_id.is_none()));
        assert!(s
            .usage
            .ledger
            .iter()
            .all(|l| l.line.kind == LineKind::Usage));
        assert!(s.settlements.revenue.iter().all(|(_, used)| used.is_none()));
        assert!(s.settlements.settlements.is_empty());
    }
    let s = settle(&m.p);
    assert_eq!(s.line_count, 2, "the usage line and its pool line");
    assert!(s.pools[0].allocated);
}

/// Confirms every instructed payout, as the rail would.
fn confirm_all(p: &MemoryPlatform) {
    for l in &mut p.state.borrow_mut().settlements.payout_lines {
        if l.payout_status == PayoutStatus::Instructed {
            l.payout_status = PayoutStatus::Confirmed;
            l.confirmed_amount_minor = Some(l.amount_minor.to_string());
        }
    }
}

fn kinds(report: &serde_json::Value) -> Vec<String> {
    report["credentialSubject"]["mismatches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn reconciliation_finds_nothing_in_a_clean_ledger_and_each_kind_of_difference_in_a_tampered_one() {
    let m = market(2, 2, AttributionModel::PerSample, "0.0005");
    subscribe(&m.p, &["reconciliation.mismatch"]);
    use_samples(&m, "a", 0, &[2000, 30]);
    use_samples(&m, "b", 2, &[4000]);
    m.p.advance_seconds(60);
    settle(&m.p);
    confirm_all(&m.p);
    let clean = run(reconciliation::run(&m.p)).unwrap();
    assert_eq!(clean.mismatch_count, 0, "{}", clean.report);
    assert_eq!(logged(&m.p, "reconciliation.run").len(), 1);
    assert!(
        m.p.state.borrow().webhooks.messages.is_empty(),
        "nothing to tell"
    );
    let back = run(reconciliation::read(&m.p, &clean.reconciliation_id)).unwrap();
    assert_eq!(back.report, clean.report);
    assert_eq!(back.log_entry, clean.log_entry);

    // One line's amount changed behind the ledger's back.
    {
        let mut s = m.p.state.borrow_mut();
        let l = s
            .usage
            .ledger
            .iter_mut()
            .find(|l| l.line.event_id == "a-1")
            .unwrap();
        l.line.amount = Atto(l.line.amount.0 * 10 + 7);
    }
    let found = run(reconciliation::run(&m.p)).unwrap();
    let k = kinds(&found.report);
    assert!(k.contains(&"amount_differs".to_string()), "{k:?}");
    assert!(k.contains(&"settlement_total_differs".to_string()), "{k:?}");
    let subject = found.report["credentialSubject"]["mismatches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "amount_differs")
        .unwrap()["subject"]
        .clone();
    assert!(subject.as_str().unwrap().contains("a-1"), "{subject}");
    assert_eq!(
        m.p.state.borrow().webhooks.messages.len(),
        1,
        "subscribers are told"
    );

    // A dispute, lost lines, a line paying no asset, an event under no report.
    let m = market(2, 2, AttributionModel::PerSample, "0.0005");
    use_samples(&m, "a", 0, &[2000]);
    use_samples(&m, "b", 2, &[3000]);
    m.p.advance_seconds(60);
    settle(&m.p);
    confirm_all(&m.p);
    use_samples(&m, "c", 1, &[1]);
    use_samples(&m, "d", 3, &[1]);
    {
        let mut s = m.p.state.borrow_mut();
        s.settlements.payout_lines[0].dispute_id = Some("dp_1".into());
        s.usage.ledger.retain(|l| l.line.event_id != "c-0");
        let stray = s
            .usage
            .ledger
            .iter_mut()
            .find(|l| l.line.event_id == "d-0")
            .unwrap();
        stray.line.creator = Creator::new(77).did().to_string();
        let report = s.usage.reports.keys().next().unwrap().clone();
        s.usage.reports.remove(&report);
    }
    let k = kinds(&run(reconciliation::run(&m.p)).unwrap().report);
    for kind in [
        "disputed",
        "accepted_not_in_ledger",
        "asset_not_in_manifest",
        "ledger_without_acceptance",
    ] {
        assert!(k.contains(&kind.to_string()), "{kind} in {k:?}");
    }
}

#[test]
fn a_passport_lists_the_model_s_usage_and_its_status_follows_revocations() {
    let m = market(2, 1, AttributionModel::PerSample, "0.0005");
    let second = m.publish(2, policy(AttributionModel::PerBatch, "0.01"));
    m.license(BUYER, &second, PUBLISHED, None);
    let mut e1 = m.event("p1", &[0], 100, EARLIER);
    e1.training_run_id = "run-a".into();
    let mut e2 = event("p2", &second, AssetRefs::LeafIndexes(vec![1]), 50, EARLIER);
    e2.training_run_id = "run-b".into();
    let mut other = m.event("p3", &[1], 7, EARLIER);
    other.model_id = "another-model".into();
    m.record(vec![e1, e2, other]);

    let keys = m.p.keys().unwrap().keys;
    let doc = run(passports::passport(&m.p, "model-1")).unwrap();
    let v = verify_passport(&doc, &keys).expect("the passport verifies");
    assert_eq!(v.fields.totals.events, 2);
    assert_eq!(v.fields.totals.samples, 150);
    assert_eq!(v.fields.training_runs, ["run-a", "run-b"]);
    let mut ids = vec![m.manifest_id.clone(), second.clone()];
    ids.sort();
    let listed: Vec<String> = v
        .fields
        .manifests
        .iter()
        .map(|m| m.manifest_id.clone())
        .collect();
    assert_eq!(listed, ids);
    assert_eq!(v.fields.usage_line_count, 2);
    assert_eq!(v.fields.log_checkpoint.size, m.p.logged().len() as u64);
    let e = run(passports::passport(&m.p, "no-such-model")).unwrap_err();
    assert_eq!(e.kind, Kind::NotFound);

    let status = || {
        let doc = run(passports::status(&m.p, "model-1")).unwrap();
        verify_passport_status(&doc, &keys).expect("the status verifies")
    };
    assert_eq!(status().fields.state(), PassportState::Clean);
    // The consent behind asset 1 (used by the model through the second
    // manifest) is revoked: needs review; asset 0's use stays clean.
    let c = &m.creators[1];
    let consent = &m.assets[1].consent_id;
    run(consents::revoke(
        &m.p,
        &c.did(),
        consent,
        &c.revocation(consent, NOW),
    ))
    .unwrap();
    let st = status();
    assert_eq!(st.fields.state(), PassportState::NeedsReview);
    assert_eq!(st.fields.revoked.len(), 1);
    assert_eq!(st.fields.revoked[0].consent_id, *consent);
    assert_eq!(st.fields.revoked[0].manifest_id, second);
    assert_eq!(st.fields.revoked[0].asset_hash, m.assets[1].hash);
}

#[test]
fn the_summary_counts_and_totals_exactly() {
    let m = market(1, 1, AttributionModel::PerSample, "0.0005");
    use_samples(&m, "a", 0, &[1, 2, 3]);
    let s = run(ledger::summary(&m.p, false)).unwrap();
    assert_eq!((s.events, s.lines, s.reports, s.conflicts), (3, 3, 1, 0));
    assert!(s.totals.is_none());
    assert!(!serde_json::to_string(&s).unwrap().contains("totals"));
    let s = run(ledger::summary(&m.p, true)).unwrap();
    assert_eq!(s.totals.unwrap()[0].amount, (6 * CENT / 20).to_string());
}
