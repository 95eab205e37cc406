//! Dead letters, natively: parked once, listed, and replayed onto their
//! queue (usage) or back onto their schedule (webhook deliveries).

mod support;

use fairtrain_app::dead_letters::{self, USAGE_QUEUE, WEBHOOK_QUEUE};
use fairtrain_app::Kind;
use serde_json::{json, Value};
use support::*;

#[test]
fn a_dead_letter_is_parked_once_listed_and_replayed_onto_its_queue() {
    let p = platform();
    // As the queue hands it over: the usage message is JSON text.
    let body = Value::String(r#"{"report_id":"r","orchestrator":"o","events":[]}"#.into());
    run(dead_letters::park(&p, USAGE_QUEUE, "m1", &body, "then")).unwrap();
    p.advance_seconds(5);
    let again = Value::String("other".into());
    run(dead_letters::park(&p, USAGE_QUEUE, "m1", &again, "later")).unwrap();
    let attempt = json!({ "delivery": "d1", "attempt": 8 });
    run(dead_letters::park(
        &p,
        WEBHOOK_QUEUE,
        "m2",
        &attempt,
        "then",
    ))
    .unwrap();

    let all = run(dead_letters::list(&p, None)).unwrap().dead_letters;
    assert_eq!(all.len(), 2);
    let usage = run(dead_letters::list(&p, Some(USAGE_QUEUE)))
        .unwrap()
        .dead_letters;
    assert_eq!(usage.len(), 1);
    assert_eq!(
        usage[0].body,
        serde_json::to_string(&body).unwrap(),
        "the first stands"
    );
    assert_eq!(usage[0].first_sent_at, "then");
    assert!(usage[0].replayed_at.is_none());

    let r = run(dead_letters::replay(&p, USAGE_QUEUE, "m1")).unwrap();
    assert_eq!(
        serde_json::to_value(&r).unwrap(),
        json!({ "replayed": "m1" })
    );
    assert_eq!(
        p.state.borrow().queued.usage,
        [body.as_str().unwrap().to_string()],
        "back on the usage queue as it was"
    );
    let usage = run(dead_letters::list(&p, Some(USAGE_QUEUE)))
        .unwrap()
        .dead_letters;
    assert_eq!(
        usage[0].replayed_at,
        Some(fairtrain_app::platform::Clock::now(&p))
    );

    run(dead_letters::replay(&p, WEBHOOK_QUEUE, "m2")).unwrap();
    let queued = p.state.borrow().queued.webhook_attempts.clone();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].0.delivery, "d1");
    assert_eq!(queued[0].0.attempt, 1, "from the first attempt again");
}

#[test]
fn only_parked_messages_of_known_queues_are_replayed() {
    let p = platform();
    let e = run(dead_letters::replay(&p, USAGE_QUEUE, "nope")).unwrap_err();
    assert_eq!(e.kind, Kind::NotFound);
    run(dead_letters::park(&p, "elsewhere", "m", &json!({}), "then")).unwrap();
    let e = run(dead_letters::replay(&p, "elsewhere", "m")).unwrap_err();
    assert_eq!(e.kind, Kind::Invalid);
    assert_eq!(e.members["errors"][0]["pointer"], "/queue");
    assert!(run(dead_letters::list(&p, Some("elsewhere")))
        .unwrap()
        .dead_letters[0]
        .replayed_at
        .is_none());
}
