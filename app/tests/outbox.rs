//! State first, then the log: a change is stored with its log entry, and
//! the entry reaches the log now or, if the log cannot take it, with the
//! sweep. The log never shows a change that was not made.

mod support;

use fairtrain_app::consents::{self, Grant, Revocation};
use fairtrain_app::log;
use fairtrain_app::memory::MemoryPlatform;
use fairtrain_app::policies::{self, Published};
use serde_json::json;
use support::*;

fn refuse_next_append(p: &MemoryPlatform) {
    p.state.borrow_mut().log.refuse_next = true;
}

fn pending(p: &MemoryPlatform) -> usize {
    p.state.borrow().log_outbox.pending.len()
}

#[test]
fn a_consent_the_log_cannot_take_now_is_granted_and_logged_by_the_sweep() {
    let p = platform();
    let ada = Creator::new(1);
    refuse_next_append(&p);
    let Grant::Recorded(g) =
        run(consents::grant(&p, &ada.did(), &ada.consent(1, &[b"x"]))).unwrap()
    else {
        panic!("recorded")
    };
    assert_eq!(
        serde_json::to_value(&g.log).unwrap(),
        json!({ "entry_hash": g.log.entry_hash, "status": "pending" })
    );
    assert!(p
        .state
        .borrow()
        .consents
        .consents
        .contains_key(&g.consent_id));
    assert!(logged(&p, "consent.granted").is_empty());
    assert_eq!(pending(&p), 1);

    assert_eq!(run(log::sweep(&p)).unwrap(), 1);
    let events = logged(&p, "consent.granted");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["consent_id"], g.consent_id);
    assert_eq!(pending(&p), 0);
    assert_eq!(run(log::sweep(&p)).unwrap(), 0, "nothing twice");
}

#[test]
fn a_logged_grant_leaves_nothing_pending_and_says_where_the_tree_was() {
    let p = platform();
    let ada = Creator::new(1);
    let Grant::Recorded(g) =
        run(consents::grant(&p, &ada.did(), &ada.consent(1, &[b"x"]))).unwrap()
    else {
        panic!("recorded")
    };
    let v = serde_json::to_value(&g.log).unwrap();
    assert!(v["tree_size"].is_u64(), "{v}");
    assert!(v.get("status").is_none());
    assert_eq!(pending(&p), 0);
}

#[test]
fn a_failed_store_write_logs_nothing() {
    let p = platform();
    let ada = Creator::new(1);
    let token = ada.consent(1, &[b"x"]);
    run(consents::grant(&p, &ada.did(), &token)).unwrap();
    // The same id with other content never reaches the store, nor the log.
    let before = p.logged().len();
    assert!(run(consents::grant(&p, &ada.did(), &ada.consent(1, &[b"y"]))).is_err());
    assert_eq!(p.logged().len(), before);
    assert_eq!(pending(&p), 0);
}

#[test]
fn a_revocation_is_stored_with_its_entry_and_a_second_one_logs_nothing() {
    let p = platform();
    let ada = Creator::new(1);
    let Grant::Recorded(g) =
        run(consents::grant(&p, &ada.did(), &ada.consent(1, &[b"x"]))).unwrap()
    else {
        panic!("recorded")
    };
    refuse_next_append(&p);
    let first = ada.revocation(&g.consent_id, NOW);
    let Revocation::Revoked { revoked_at, .. } =
        run(consents::revoke(&p, &ada.did(), &g.consent_id, &first)).unwrap()
    else {
        panic!("revoked")
    };
    assert!(logged(&p, "consent.revoked").is_empty());
    assert_eq!(pending(&p), 1);

    // Another revocation later: the first holds, and nothing more is logged.
    p.advance_seconds(30);
    let later = ada.revocation(&g.consent_id, "2026-03-01T12:00:30Z");
    let Revocation::AlreadyRevoked {
        revoked_at: kept, ..
    } = run(consents::revoke(&p, &ada.did(), &g.consent_id, &later)).unwrap()
    else {
        panic!("already revoked")
    };
    assert_eq!(kept, revoked_at);
    run(log::sweep(&p)).unwrap();
    let revoked = logged(&p, "consent.revoked");
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["at"], revoked_at);
}

#[test]
fn a_policy_is_published_with_its_entry_even_when_the_log_waits() {
    let p = platform();
    let mut next = seed_policy();
    next.policy_version = "v2026.03".into();
    next.effective_date = "2026-03-01".into();
    refuse_next_append(&p);
    let Published::New(n) = run(policies::publish(&p, next)).unwrap() else {
        panic!("new")
    };
    assert!(run(policies::read(&p, "v2026.03")).is_ok());
    assert!(!logged(&p, "policy.published")
        .iter()
        .any(|e| e["policy_version"] == "v2026.03"));
    run(log::sweep(&p)).unwrap();
    let published = logged(&p, "policy.published");
    assert!(published
        .iter()
        .any(|e| e["policy_version"] == "v2026.03" && e["policy_hash"] == n.policy_hash));
}
