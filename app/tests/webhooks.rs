//! Outgoing webhooks, natively: endpoints and their secrets, fan-out to
//! subscribers, the delivery state machine (claim, sign, send, retry,
//! disable, fail, dead-letter), replay and the sweep.

mod support;

use fairtrain_app::memory::MemoryPlatform;
use fairtrain_app::platform::{Clock, Config};
use fairtrain_app::settings::Settings;
use fairtrain_app::webhooks::delivery::{admit, decide, Admission, DeliveryStatus, Then};
use fairtrain_app::webhooks::endpoints::{self, v1a_public_key};
use fairtrain_app::webhooks::secrets::{self, Owner};
use fairtrain_app::webhooks::store::{AttemptEnd, Delivery, Endpoint};
use fairtrain_app::webhooks::{
    self, AttemptMessage, EndpointChange, EventType, LogFilter, NewEndpoint, Outgoing, Post,
    SendOutcome,
};
use fairtrain_app::Kind;
use fairtrain_core::time::Timestamp;
use fairtrain_webhooks::retry::{RETRY_AFTER_CAP_SECS, RETRY_SCHEDULE_SECS};
use fairtrain_webhooks::{Verifier, VerifyingKey, WebhookHeaders, WebhookPublicKey, WebhookSecret};
use proptest::prelude::*;
use serde_json::json;
use support::*;

const HOOK: &str = "https://hooks.example.com/fairtrain";

fn endpoint(p: &MemoryPlatform, types: &[&str]) -> webhooks::CreatedEndpoint {
    run(endpoints::create(
        p,
        NewEndpoint {
            url: HOOK.into(),
            event_types: types.iter().map(|t| t.to_string()).collect(),
            description: None,
        },
    ))
    .unwrap()
}

/// A platform whose retry schedule is `schedule` (development: no jitter,
/// loopback allowed).
fn development(schedule: &[u64]) -> MemoryPlatform {
    let mut settings = Settings::from_vars(|name| match name {
        "ENVIRONMENT" => Some("development".into()),
        _ => None,
    });
    settings.webhook_retry_schedule = Some(schedule.to_vec());
    MemoryPlatform::with_settings(t(NOW), settings)
}

fn enable(p: &MemoryPlatform, id: &str, enabled: bool) -> Endpoint {
    let change = EndpointChange {
        enabled: Some(enabled),
        ..Default::default()
    };
    run(endpoints::update(p, id, change)).unwrap()
}

fn granted(n: u32) -> Outgoing {
    Outgoing::new(
        EventType::ConsentGranted,
        format!("entry-{n}"),
        t(NOW),
        json!({ "consent_id": format!("urn:uuid:{n}") }),
    )
}

/// Records `event`; returns its delivery ids.
fn emit(p: &MemoryPlatform, event: Outgoing) -> Vec<String> {
    run(webhooks::try_emit(p, &[event])).unwrap()
}

/// Takes what was queued so far.
fn queued(p: &MemoryPlatform) -> Vec<(AttemptMessage, u32)> {
    std::mem::take(&mut p.state.borrow_mut().queued.webhook_attempts)
}

fn sent(p: &MemoryPlatform) -> Vec<Post> {
    std::mem::take(&mut p.state.borrow_mut().webhooks.sent)
}

fn answer(p: &MemoryPlatform, outcomes: impl IntoIterator<Item = SendOutcome>) {
    p.state.borrow_mut().webhooks.answers.extend(outcomes);
}

fn status(code: u16) -> SendOutcome {
    SendOutcome::Answered {
        status: code,
        retry_after: None,
        latency_ms: 12,
    }
}

fn attempt(p: &MemoryPlatform, delivery: &str, n: u32) {
    run(webhooks::deliver(
        p,
        &AttemptMessage {
            delivery: delivery.into(),
            attempt: n,
        },
    ))
    .unwrap();
}

fn delivery(p: &MemoryPlatform, id: &str) -> Delivery {
    run(fairtrain_app::platform::WebhookStore::delivery(p, id))
        .unwrap()
        .unwrap()
}

fn header<'a>(post: &'a Post, name: &str) -> &'a str {
    post.headers
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} header"))
}

/// Which of `keys` verify `post`, each on its own.
fn verifies(post: &Post, keys: &[VerifyingKey], now: Timestamp) -> Vec<bool> {
    let headers = WebhookHeaders::new(
        header(post, "webhook-id"),
        header(post, "webhook-timestamp"),
        header(post, "webhook-signature"),
    );
    keys.iter()
        .map(|k| {
            Verifier::new(k.clone())
                .verify(&headers, post.body.as_bytes(), now.unix_seconds())
                .is_ok()
        })
        .collect()
}

fn hmac(secret: &str) -> VerifyingKey {
    WebhookSecret::parse(secret).unwrap().into()
}

#[test]
fn events_go_to_enabled_subscribers_only_with_one_message_id_everywhere() {
    let p = platform();
    let a = endpoint(&p, &["consent.granted"]);
    let all = endpoint(&p, &["*"]);
    let other = endpoint(&p, &["consent.revoked"]);
    let off = endpoint(&p, &["consent.granted"]);
    enable(&p, &off.endpoint.id, false);

    let event = granted(1);
    let ids = emit(&p, event.clone());
    assert_eq!(ids.len(), 2, "a and the wildcard, not the others");
    // Recording the same event again changes nothing.
    assert_eq!(emit(&p, event.clone()), ids);
    let q = queued(&p);
    assert!(q.iter().all(|(m, delay)| m.attempt == 1 && *delay == 0));
    let targets: Vec<String> = ids.iter().map(|d| delivery(&p, d).endpoint_id).collect();
    assert!(targets.contains(&a.endpoint.id) && targets.contains(&all.endpoint.id));
    assert!(!targets.contains(&other.endpoint.id) && !targets.contains(&off.endpoint.id));

    for d in &ids {
        attempt(&p, d, 1);
    }
    let posts = sent(&p);
    assert_eq!(posts.len(), 2);
    for post in &posts {
        assert_eq!(header(post, "webhook-id"), event.message_id());
        assert_eq!(post.body, event.body());
        assert_eq!(header(post, "Content-Type"), "application/json");
    }
    // Each endpoint's own secret signs its copy (`v1`), and the platform key
    // signs every copy (`v1a`).
    let v1a: VerifyingKey = WebhookPublicKey::parse(&v1a_public_key(&p.keys().unwrap()))
        .unwrap()
        .into();
    let checks: Vec<Vec<bool>> = posts
        .iter()
        .map(|post| {
            verifies(
                post,
                &[v1a.clone(), hmac(&a.secret), hmac(&all.secret)],
                t(NOW),
            )
        })
        .collect();
    assert!(
        checks.contains(&vec![true, true, false]) && checks.contains(&vec![true, false, true]),
        "{checks:?}"
    );
}

#[test]
fn a_delivery_answered_2xx_is_delivered_and_logged() {
    let p = platform();
    let ep = endpoint(&p, &["consent.granted"]);
    let id = emit(&p, granted(1)).remove(0);
    answer(&p, [status(204)]);
    attempt(&p, &id, 1);
    let d = delivery(&p, &id);
    assert_eq!((d.status, d.attempts), (DeliveryStatus::Delivered, 1));
    assert!(queued(&p).iter().all(|(m, _)| m.attempt == 1));
    let log = run(webhooks::delivery_log(
        &p,
        &ep.endpoint.id,
        &LogFilter::default(),
    ))
    .unwrap();
    let logged = serde_json::to_value(&log).unwrap();
    assert_eq!(logged["deliveries"][0]["status"], "delivered");
    assert_eq!(logged["deliveries"][0]["last_status"], 204);
    assert_eq!(logged["deliveries"][0]["delivered_at"], NOW);
    assert_eq!(
        logged["deliveries"][0]["attempt_log"],
        json!([{"attempt": 1, "started_at": NOW, "status": 204, "latency_ms": 12, "error": null}])
    );
    // The log's filter: by status, and an unknown status matches nothing.
    let only = |s: &str| {
        run(webhooks::delivery_log(
            &p,
            &ep.endpoint.id,
            &LogFilter {
                status: Some(s.into()),
                limit: 10,
            },
        ))
        .unwrap()
        .deliveries
        .len()
    };
    assert_eq!((only("delivered"), only("failed"), only("nope")), (1, 0, 0));
}

#[test]
fn failures_retry_on_the_schedule_with_jitter_then_fail_and_dead_letter() {
    // Production: the spec's schedule, with jitter.
    let p = platform();
    endpoint(&p, &["consent.granted"]);
    let id = emit(&p, granted(1)).remove(0);
    queued(&p);
    answer(
        &p,
        (0..10).map(|i| {
            if i % 2 == 0 {
                status(500)
            } else {
                SendOutcome::Failed {
                    error: "network: reset".into(),
                    latency_ms: 3,
                    permanent: false,
                }
            }
        }),
    );
    for n in 1..=10u32 {
        p.set_now(delivery(&p, &id).next_attempt_at);
        attempt(&p, &id, n);
        let d = delivery(&p, &id);
        assert_eq!(d.attempts, n);
        let q = queued(&p);
        if n < 10 {
            assert_eq!(d.status, DeliveryStatus::Retrying);
            let wait = RETRY_SCHEDULE_SECS[n as usize];
            assert_eq!(q.len(), 1, "attempt {n}");
            let (m, delay) = &q[0];
            assert_eq!(m.attempt, n + 1);
            let waited = (d.next_attempt_at.unix_millis() - p.now().unix_millis()) / 1000;
            assert!(
                (wait as i64..=(wait + wait / 10) as i64).contains(&waited),
                "attempt {n}: {waited} s for {wait}"
            );
            // A queue delays at most 12 hours; longer waits are chained.
            assert_eq!(u64::from(*delay), (waited as u64).min(12 * 3600));
        } else {
            assert_eq!(d.status, DeliveryStatus::Failed);
            assert!(q.is_empty(), "no eleventh attempt");
        }
    }
    let dead = p.state.borrow().queued.webhook_dead_letters.clone();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (dead[0].delivery.as_str(), dead[0].attempts),
        (id.as_str(), 10)
    );
    assert_eq!(dead[0].last_error.as_deref(), Some("network: reset"));
    assert_eq!(sent(&p).len(), 10);
}

#[test]
fn a_wait_longer_than_a_queue_delay_is_chained() {
    let p = platform();
    endpoint(&p, &["consent.granted"]);
    let id = emit(&p, granted(1)).remove(0);
    // Attempts 1-7 fail; the wait before attempt 8 is 14 hours (+ jitter).
    answer(&p, (0..7).map(|_| status(503)));
    for n in 1..=7 {
        p.set_now(delivery(&p, &id).next_attempt_at);
        attempt(&p, &id, n);
    }
    let due = delivery(&p, &id).next_attempt_at;
    let (m, delay) = queued(&p).pop().unwrap();
    assert_eq!((m.attempt, delay), (8, 12 * 3600));
    // The message arrives 12 hours later: too early, so it waits again.
    p.advance_seconds(12 * 3600);
    let posts = sent(&p).len();
    attempt(&p, &id, 8);
    assert_eq!(sent(&p).len(), 0, "not sent early (had {posts})");
    let (again, rest) = queued(&p).pop().unwrap();
    assert_eq!(again.attempt, 8);
    assert_eq!(
        i64::from(rest),
        (due.unix_millis() - p.now().unix_millis()) / 1000
    );
    p.set_now(due);
    attempt(&p, &id, 8);
    assert_eq!(sent(&p).len(), 1);
}

#[test]
fn retry_after_is_honoured_on_429_and_503_and_capped_at_a_day() {
    let now = t(NOW);
    let schedule = [0, 1, 1, 1];
    let throttled = |code: u16, after: &str| SendOutcome::Answered {
        status: code,
        retry_after: Some(after.into()),
        latency_ms: 1,
    };
    let delay = |outcome: &SendOutcome| match decide(&schedule, 1, outcome, now, None).unwrap().then
    {
        Then::Requeue { delay_s, .. } => delay_s,
        other => panic!("{other:?}"),
    };
    assert_eq!(delay(&throttled(429, "4")), 4);
    assert_eq!(delay(&throttled(503, "Sun, 01 Mar 2026 12:01:00 GMT")), 60);
    assert_eq!(delay(&throttled(429, "999999999")), RETRY_AFTER_CAP_SECS);
    // Never shorter than the schedule, and only on 429 and 503.
    assert_eq!(delay(&throttled(429, "0")), 1);
    assert_eq!(delay(&throttled(500, "60")), 1);
    // Through the whole attempt: the next one is due when the receiver asked.
    let p = development(&schedule);
    endpoint(&p, &["consent.granted"]);
    let id = emit(&p, granted(1)).remove(0);
    answer(&p, [throttled(429, "30")]);
    attempt(&p, &id, 1);
    let d = delivery(&p, &id);
    assert_eq!(d.status, DeliveryStatus::Retrying);
    assert_eq!(d.next_attempt_at, t("2026-03-01T12:00:30Z"));
    let (m, delay_s) = queued(&p).pop().unwrap();
    assert_eq!((m.attempt, delay_s), (2, 30));
}

proptest! {
    #[test]
    fn jitter_adds_at_most_a_tenth(attempt in 1u32..10, random in any::<u32>(), code in 500u16..600) {
        let now = t(NOW);
        let decision = decide(&RETRY_SCHEDULE_SECS, attempt, &status(code), now, Some(random)).unwrap();
        let base = RETRY_SCHEDULE_SECS[attempt as usize];
        let Then::Requeue { attempt: next, delay_s } = decision.then else {
            panic!("{decision:?}")
        };
        prop_assert_eq!(next, attempt + 1);
        prop_assert!(delay_s >= base && delay_s <= base + base / 10, "{} for {}", delay_s, base);
        let AttemptEnd::Retrying { next_attempt_at, last_status, .. } = decision.end else {
            panic!("{decision:?}")
        };
        prop_assert_eq!(last_status, Some(code));
        prop_assert_eq!(next_attempt_at, now.checked_add_seconds(delay_s as i64).unwrap());
    }

    /// Only the next attempt of an open delivery, or the same attempt of a
    /// claim gone stale, is ever claimed.
    #[test]
    fn only_the_next_attempt_is_claimed(
        status in prop::sample::select(DeliveryStatus::ALL.to_vec()),
        attempts in 0u32..12,
        asked in 0u32..13,
        silent_s in 0i64..600,
    ) {
        let now = t(NOW);
        let d = Delivery {
            id: "dlv".into(),
            status,
            attempts,
            next_attempt_at: now,
            updated_at: now.checked_add_seconds(-silent_s).unwrap(),
            endpoint_id: "ep".into(),
            message_id: "msg".into(),
            url: HOOK.into(),
            enabled: true,
            body: "{}".into(),
        };
        let claimed = admit(&d, asked, now) == Admission::Claim;
        let next = status.is_open() && asked == attempts + 1;
        let stale = status == DeliveryStatus::Sending && asked == attempts && silent_s > 120;
        prop_assert_eq!(claimed, next || stale);
    }
}

#[test]
fn gone_disables_the_endpoint_and_what_is_queued_for_it_is_cancelled() {
    let p = platform();
    let ep = endpoint(&p, &["consent.granted"]);
    let first = emit(&p, granted(1)).remove(0);
    let second = emit(&p, granted(2)).remove(0);
    answer(&p, [status(410)]);
    attempt(&p, &first, 1);
    let e = run(endpoints::get(&p, &ep.endpoint.id)).unwrap();
    assert!(!e.enabled);
    assert!(e.disabled_reason.unwrap().contains("410 Gone"));
    assert_eq!(e.disabled_at, Some(t(NOW)));
    assert_eq!(delivery(&p, &first).status, DeliveryStatus::Failed);
    // 410 is not retried, nor dead-lettered.
    assert!(queued(&p).iter().all(|(m, _)| m.attempt == 1));
    assert!(p.state.borrow().queued.webhook_dead_letters.is_empty());
    // What was already queued for it is cancelled, not sent.
    attempt(&p, &second, 1);
    assert_eq!(delivery(&p, &second).status, DeliveryStatus::Cancelled);
    assert_eq!(sent(&p).len(), 1);
    // New events are not recorded for it.
    assert!(emit(&p, granted(3)).is_empty());
    // Replaying to it is refused until it is enabled again.
    let e = run(webhooks::replay_one(&p, &first)).unwrap_err();
    assert_eq!(e.kind, Kind::Conflict);
    let back = enable(&p, &ep.endpoint.id, true);
    assert!(back.enabled && back.disabled_reason.is_none() && back.disabled_at.is_none());
    run(webhooks::replay_one(&p, &first)).unwrap();
}

#[test]
fn a_refused_destination_fails_at_once_without_sending() {
    // Loopback is allowed in development only.
    let loopback = || NewEndpoint {
        url: "http://127.0.0.1:9/hook".into(),
        event_types: vec!["*".into()],
        description: None,
    };
    let e = run(endpoints::create(&platform(), loopback())).unwrap_err();
    assert_eq!(e.members["errors"][0]["pointer"], "/url");
    let mut p = development(&[0, 1, 1]);
    run(endpoints::create(&p, loopback())).unwrap();
    // The same endpoint, delivered to by production: never sent, not retried.
    p.settings_mut().development = false;
    let id = emit(&p, granted(1)).remove(0);
    attempt(&p, &id, 1);
    assert!(sent(&p).is_empty());
    assert_eq!(delivery(&p, &id).status, DeliveryStatus::Failed);
    let dead = p.state.borrow().queued.webhook_dead_letters.clone();
    assert_eq!(dead[0].attempts, 1);
    assert!(dead[0]
        .last_error
        .as_deref()
        .unwrap()
        .starts_with("destination refused"));
}

#[test]
fn duplicated_and_stale_attempt_messages_send_nothing() {
    let p = platform();
    endpoint(&p, &["consent.granted"]);
    let id = emit(&p, granted(1)).remove(0);
    answer(&p, [status(500)]);
    attempt(&p, &id, 1);
    // The queue delivers attempt 1 again, or an attempt from the future.
    attempt(&p, &id, 1);
    attempt(&p, &id, 3);
    attempt(&p, &id, 0);
    assert_eq!(sent(&p).len(), 1);
    p.set_now(delivery(&p, &id).next_attempt_at);
    attempt(&p, &id, 2);
    attempt(&p, &id, 2);
    assert_eq!(sent(&p).len(), 1);
    assert_eq!(delivery(&p, &id).status, DeliveryStatus::Delivered);
    // A delivered message is never sent again by a late duplicate.
    attempt(&p, &id, 3);
    assert!(sent(&p).is_empty());
}

#[test]
fn a_claim_that_went_silent_is_resumed_once_and_swept() {
    let p = platform();
    endpoint(&p, &["consent.granted"]);
    let id = emit(&p, granted(1)).remove(0);
    queued(&p);
    // A consumer claimed attempt 1 and died before recording anything.
    assert!(run(fairtrain_app::platform::WebhookStore::claim_attempt(
        &p,
        &id,
        1,
        t(NOW),
        t(NOW)
    ))
    .unwrap());
    attempt(&p, &id, 1);
    assert!(sent(&p).is_empty(), "a fresh claim is someone else's");
    // The hourly sweep re-queues it (same attempt) once it is overdue.
    p.advance_seconds(10 * 60);
    assert_eq!(run(webhooks::sweep(&p)).unwrap(), 0);
    p.advance_seconds(6 * 60);
    assert_eq!(run(webhooks::sweep(&p)).unwrap(), 1);
    let (m, delay) = queued(&p).pop().unwrap();
    assert_eq!((m.attempt, delay), (1, 0));
    attempt(&p, &id, 1);
    attempt(&p, &id, 1);
    assert_eq!(sent(&p).len(), 1);
    assert_eq!(delivery(&p, &id).status, DeliveryStatus::Delivered);
}

#[test]
fn the_sweep_requeues_deliveries_whose_message_went_missing() {
    let p = platform();
    endpoint(&p, &["consent.granted"]);
    let id = emit(&p, granted(1)).remove(0);
    queued(&p); // lost
    p.advance_seconds(16 * 60);
    assert_eq!(run(webhooks::sweep(&p)).unwrap(), 1);
    assert_eq!(
        queued(&p),
        vec![(
            AttemptMessage {
                delivery: id.clone(),
                attempt: 1
            },
            0
        )]
    );
    attempt(&p, &id, 1);
    assert_eq!(run(webhooks::sweep(&p)).unwrap(), 0, "delivered is done");
}

#[test]
fn replay_restarts_from_attempt_one_with_the_same_message() {
    let p = development(&[0, 1]);
    let ep = endpoint(&p, &["consent.granted"]);
    let since = t(NOW).format_rfc3339();
    let id = emit(&p, granted(1)).remove(0);
    answer(&p, [status(500), status(500)]);
    attempt(&p, &id, 1);
    // Still retrying: replay waits.
    let e = run(webhooks::replay_one(&p, &id)).unwrap_err();
    assert_eq!(e.kind, Kind::Conflict);
    assert!(e.detail.contains("still retrying"), "{}", e.detail);
    p.advance_seconds(1);
    attempt(&p, &id, 2);
    assert_eq!(delivery(&p, &id).status, DeliveryStatus::Failed);
    queued(&p);

    let replayed = run(webhooks::replay_since(&p, &ep.endpoint.id, &since, None)).unwrap();
    assert_eq!(replayed.replayed, vec![id.clone()]);
    let d = delivery(&p, &id);
    assert_eq!((d.status, d.attempts), (DeliveryStatus::Pending, 0));
    assert_eq!(queued(&p)[0].0.attempt, 1);
    // Attempt 1 again, with the same webhook-id; the log keeps one row per attempt number.
    attempt(&p, &id, 1);
    let posts = sent(&p);
    assert_eq!(
        header(&posts[2], "webhook-id"),
        header(&posts[0], "webhook-id")
    );
    assert_eq!(delivery(&p, &id).status, DeliveryStatus::Delivered);
    let log = run(webhooks::delivery_log(
        &p,
        &ep.endpoint.id,
        &LogFilter::default(),
    ))
    .unwrap();
    assert_eq!(log.deliveries[0].attempt_log.len(), 2);

    // Nothing failed since: nothing to replay. Bad input is refused.
    let none = run(webhooks::replay_since(&p, &ep.endpoint.id, &since, None)).unwrap();
    assert!(none.replayed.is_empty());
    let bad = run(webhooks::replay_since(
        &p,
        &ep.endpoint.id,
        "yesterday",
        None,
    ))
    .unwrap_err();
    assert_eq!(bad.members["errors"][0]["pointer"], "/since");
    let bad = run(webhooks::replay_since(
        &p,
        &ep.endpoint.id,
        &since,
        Some("delivered"),
    ))
    .unwrap_err();
    assert_eq!(bad.members["errors"][0]["pointer"], "/status");
    let e = run(webhooks::replay_one(&p, "dlv_nope")).unwrap_err();
    assert_eq!(e.kind, Kind::NotFound);
}

#[test]
fn rotation_keeps_both_secrets_signing_during_the_overlap() {
    let p = platform();
    let ep = endpoint(&p, &["consent.granted"]);
    let id = ep.endpoint.id.as_str();
    p.advance_seconds(1);
    let rotated = run(secrets::rotate(&p, Owner::Endpoint(id), Some(3600))).unwrap();
    assert_ne!(rotated.secret, ep.secret);
    assert_eq!(rotated.previous_expires_at, t("2026-03-01T13:00:01Z"));
    let live = run(endpoints::secrets(&p, id)).unwrap();
    assert_eq!(
        live.secrets,
        vec![rotated.secret.clone(), ep.secret.clone()]
    );

    let d = emit(&p, granted(1)).remove(0);
    attempt(&p, &d, 1);
    let post = sent(&p).remove(0);
    assert_eq!(
        verifies(&post, &[hmac(&ep.secret), hmac(&rotated.secret)], p.now()),
        [true, true],
        "a receiver on either secret verifies"
    );
    assert_eq!(header(&post, "webhook-signature").split(' ').count(), 3);

    // After the overlap only the new one signs.
    p.advance_seconds(3600);
    let d = emit(&p, granted(2)).remove(0);
    attempt(&p, &d, 1);
    let post = sent(&p).remove(0);
    assert_eq!(
        verifies(&post, &[hmac(&ep.secret), hmac(&rotated.secret)], p.now()),
        [false, true]
    );
    // No overlap ends every older secret at once; a week is the most.
    p.advance_seconds(1);
    let newest = run(secrets::rotate(&p, Owner::Endpoint(id), Some(0))).unwrap();
    assert_eq!(
        run(endpoints::secrets(&p, id)).unwrap().secrets,
        vec![newest.secret]
    );
    let e = run(secrets::rotate(&p, Owner::Endpoint(id), Some(8 * 86_400))).unwrap_err();
    assert_eq!(e.members["errors"][0]["pointer"], "/overlap_seconds");
    let e = run(secrets::rotate(&p, Owner::Endpoint("ep_nope"), None)).unwrap_err();
    assert_eq!(e.kind, Kind::NotFound);
    // The default overlap is a day.
    let day = run(secrets::rotate(&p, Owner::Endpoint(id), None)).unwrap();
    assert_eq!(
        day.previous_expires_at,
        p.now().checked_add_seconds(86_400).unwrap()
    );
}

#[test]
fn endpoints_are_validated_changed_and_deleted() {
    let p = platform();
    let refused = |url: &str, types: &[&str], description: Option<&str>| {
        run(endpoints::create(
            &p,
            NewEndpoint {
                url: url.into(),
                event_types: types.iter().map(|s| s.to_string()).collect(),
                description: description.map(Into::into),
            },
        ))
        .unwrap_err()
        .members["errors"][0]["pointer"]
            .clone()
    };
    assert_eq!(refused("http://10.0.0.1/hook", &["*"], None), "/url");
    assert_eq!(refused("ftp://example.com/", &["*"], None), "/url");
    assert_eq!(refused(HOOK, &[], None), "/event_types");
    assert_eq!(refused(HOOK, &["license.purchased"], None), "/event_types");
    assert_eq!(refused(HOOK, &["*"], Some("")), "/description");

    let ep = endpoint(&p, &["consent.granted"]);
    assert!(ep.endpoint.id.starts_with("ep_") && ep.endpoint.id.len() == 35);
    assert!(ep.secret.starts_with("whsec_"));
    let json = serde_json::to_value(&ep).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "url",
            "description",
            "event_types",
            "enabled",
            "disabled_reason",
            "disabled_at",
            "created_at",
            "updated_at",
            "secret",
            "v1a_public_key"
        ]
    );

    p.advance_seconds(5);
    let changed = run(endpoints::update(
        &p,
        &ep.endpoint.id,
        EndpointChange {
            description: Some("rail".into()),
            enabled: Some(false),
            ..Default::default()
        },
    ))
    .unwrap();
    assert_eq!(changed.description.as_deref(), Some("rail"));
    assert_eq!(
        changed.disabled_reason.as_deref(),
        Some("disabled by the operator")
    );
    assert_eq!(changed.disabled_at, Some(p.now()));
    assert_eq!(changed.created_at, t(NOW));
    // Absent fields stay; a bad change is refused whole.
    let e = run(endpoints::update(
        &p,
        &ep.endpoint.id,
        EndpointChange {
            url: Some("http://192.168.1.1/".into()),
            ..Default::default()
        },
    ))
    .unwrap_err();
    assert_eq!(e.members["errors"][0]["pointer"], "/url");
    assert_eq!(run(endpoints::get(&p, &ep.endpoint.id)).unwrap(), changed);
    // Deleting removes it with its deliveries.
    enable(&p, &ep.endpoint.id, true);
    let d = emit(&p, granted(1)).remove(0);
    run(endpoints::delete(&p, &ep.endpoint.id)).unwrap();
    assert!(run(endpoints::list(&p)).unwrap().endpoints.is_empty());
    assert_eq!(
        run(endpoints::get(&p, &ep.endpoint.id)).unwrap_err().kind,
        Kind::NotFound
    );
    // Its queued attempt finds nothing to send.
    attempt(&p, &d, 1);
    assert!(sent(&p).is_empty());
    let types = serde_json::to_value(webhooks::event_types()).unwrap();
    assert_eq!(types["outbound"].as_array().unwrap().len(), 12);
    assert_eq!(types["inbound"].as_array().unwrap().len(), 5);
}

#[test]
fn every_status_reads_back() {
    for s in DeliveryStatus::ALL {
        assert_eq!(s.as_str().parse::<DeliveryStatus>().unwrap(), s);
        assert_eq!(serde_json::to_value(s).unwrap(), json!(s.as_str()));
    }
    assert!("sent".parse::<DeliveryStatus>().is_err());
}
