//! Consents and policies, natively: grant, read, revoke (rerouting and
//! flagging), policy versions and the one in force.

mod support;

use fairtrain_app::consents::{self, Grant, Revocation};
use fairtrain_app::gateway::{reroute, Which};
use fairtrain_app::memory::MemoryPlatform;
use fairtrain_app::policies::{self, Published};
use fairtrain_app::Kind;
use fairtrain_core::principal::{Principal, Role};
use support::*;

fn grant(
    p: &MemoryPlatform,
    c: &Creator,
    token: &serde_json::Value,
) -> fairtrain_app::Result<Grant> {
    run(consents::grant(p, &c.did(), token))
}

#[test]
fn a_granted_consent_is_logged_then_stored_and_the_same_token_again_changes_nothing() {
    let p = platform();
    let ada = Creator::new(1);
    let token = ada.consent(1, &[b"photo"]);
    let Grant::Recorded(first) = grant(&p, &ada, &token).unwrap() else {
        panic!("the first grant records")
    };
    let events = logged(&p, "consent.granted");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["consent_id"], first.consent_id);
    assert_eq!(events[0]["creator"], ada.did().to_string());
    let Grant::AlreadyRecorded(again) = grant(&p, &ada, &token).unwrap() else {
        panic!("the same token again is answered as before")
    };
    assert_eq!(again.log_entry_hash, first.log.entry_hash);
    assert_eq!(
        logged(&p, "consent.granted").len(),
        1,
        "nothing logged twice"
    );
}

#[test]
fn a_different_token_under_a_known_id_is_a_conflict() {
    let p = platform();
    let ada = Creator::new(1);
    grant(&p, &ada, &ada.consent(1, &[b"photo"])).unwrap();
    let e = grant(&p, &ada, &ada.consent(1, &[b"another"])).unwrap_err();
    assert_eq!(e.kind, Kind::Conflict);
}

#[test]
fn consent_is_refused_with_a_reason_and_nothing_changes() {
    let p = platform();
    let ada = Creator::new(1);
    let unknown = ada.consent_with(2, &[b"x"], |t| t.policy_version = "v1999".into());
    let e = grant(&p, &ada, &unknown).unwrap_err();
    assert_eq!(e.reason(), Some("unknown-policy-version"));

    let mut tampered = ada.consent(3, &[b"x"]);
    tampered["credentialSubject"]["commercial"] = false.into();
    let e = grant(&p, &ada, &tampered).unwrap_err();
    assert_eq!(e.kind, Kind::Invalid);
    assert_eq!(e.reason(), Some("bad-signature"));

    let expired = ada.consent_with(4, &[b"x"], |t| {
        t.valid_from = t_("2025-01-01T00:00:00Z");
        t.valid_until = t_("2025-06-01T00:00:00Z");
    });
    assert_eq!(
        grant(&p, &ada, &expired).unwrap_err().reason(),
        Some("expired")
    );

    let bob = Creator::new(2);
    let e = grant(&p, &bob, &ada.consent(5, &[b"x"])).unwrap_err();
    assert_eq!(e.kind, Kind::Forbidden);
    assert!(logged(&p, "consent.granted").is_empty());
    assert!(p.state.borrow().consents.consents.is_empty());
}

fn t_(s: &str) -> fairtrain_core::time::Timestamp {
    t(s)
}

#[test]
fn only_the_owner_operator_and_auditors_read_a_consent() {
    let p = platform();
    let ada = Creator::new(1);
    let Grant::Recorded(g) = grant(&p, &ada, &ada.consent(1, &[b"photo"])).unwrap() else {
        panic!()
    };
    let who = |role, id: &str| Principal {
        role,
        id: id.into(),
        scopes: vec![],
        expires_at: None,
    };
    let view = run(consents::read(
        &p,
        &who(Role::Creator, &ada.did().to_string()),
        &g.consent_id,
    ))
    .unwrap();
    assert_eq!(view.status, "active");
    assert_eq!(view.cawg["entries"]["cawg.ai_training"]["use"], "allowed");
    run(consents::read(&p, &who(Role::Auditor, "k1"), &g.consent_id)).unwrap();
    let e = run(consents::read(
        &p,
        &who(Role::Creator, &Creator::new(2).did().to_string()),
        &g.consent_id,
    ))
    .unwrap_err();
    assert_eq!(e.kind, Kind::Forbidden);
    let e = run(consents::read(
        &p,
        &who(Role::Operator, "operator"),
        "urn:uuid:nope",
    ))
    .unwrap_err();
    assert_eq!(e.kind, Kind::NotFound);
}

#[test]
fn a_revocation_is_logged_reroutes_its_contributions_and_flags_manifests_once() {
    let p = platform();
    let ada = Creator::new(1);
    let token = ada.consent(1, &[b"photo"]);
    let Grant::Recorded(g) = grant(&p, &ada, &token).unwrap() else {
        panic!()
    };
    contribute(&p, "urn:uuid:r1", &g.consent_id, b"photo");
    publish_manifest(&p, "urn:uuid:m1", &g.consent_id, b"photo");
    let revocation = ada.revocation(&g.consent_id, "2026-03-01T11:00:00Z");
    let Revocation::Revoked { rerouted, .. } =
        run(consents::revoke(&p, &ada.did(), &g.consent_id, &revocation)).unwrap()
    else {
        panic!("revoked now")
    };
    assert_eq!(rerouted, 1);
    assert_eq!(logged(&p, "consent.revoked").len(), 1);
    let routed = logged(&p, "asset.routed");
    assert_eq!(routed.len(), 1);
    assert_eq!(routed[0]["route"], "QUARANTINE_QUEUE");
    assert_eq!(routed[0]["reason"], "CONSENT_REVOKED");
    assert_eq!(p.state.borrow().manifests.status["urn:uuid:m1"], "flagged");

    // Again: nothing more happens.
    let again = run(consents::revoke(&p, &ada.did(), &g.consent_id, &revocation)).unwrap();
    assert!(matches!(again, Revocation::AlreadyRevoked { .. }));
    assert_eq!(logged(&p, "consent.revoked").len(), 1);
    assert_eq!(logged(&p, "asset.routed").len(), 1);
}

#[test]
fn a_revocation_by_someone_else_or_for_another_consent_is_refused() {
    let p = platform();
    let ada = Creator::new(1);
    let bob = Creator::new(2);
    let Grant::Recorded(g) = grant(&p, &ada, &ada.consent(1, &[b"photo"])).unwrap() else {
        panic!()
    };
    let by_bob = bob.revocation(&g.consent_id, NOW);
    assert_eq!(
        run(consents::revoke(&p, &bob.did(), &g.consent_id, &by_bob))
            .unwrap_err()
            .kind,
        Kind::Forbidden
    );
    let other = ada.revocation(&fairtrain_core::fields::urn_uuid_v4([9; 16]), NOW);
    assert_eq!(
        run(consents::revoke(&p, &ada.did(), &g.consent_id, &other))
            .unwrap_err()
            .kind,
        Kind::Forbidden
    );
    assert!(logged(&p, "consent.revoked").is_empty());
}

#[test]
fn policy_versions_are_immutable_and_the_latest_effective_one_is_in_force() {
    let p = platform();
    let seed = seed_policy();
    assert!(matches!(
        run(policies::publish(&p, seed.clone())).unwrap(),
        Published::Unchanged(_)
    ));
    let mut changed = seed.clone();
    changed.ingestion_routing.policy_mismatch = changed.ingestion_routing.invalid_consent;
    assert_eq!(
        run(policies::publish(&p, changed)).unwrap_err().kind,
        Kind::Conflict
    );

    let mut future = seed.clone();
    future.policy_version = "v2027.01".into();
    future.effective_date = "2027-01-01".into();
    run(policies::publish(&p, future)).unwrap();
    assert_eq!(
        run(policies::in_force(&p)).unwrap().policy_version,
        "v2025.11"
    );
    p.set_now(t("2027-01-01T00:00:00Z"));
    assert_eq!(
        run(policies::in_force(&p)).unwrap().policy_version,
        "v2027.01"
    );
    assert_eq!(
        run(policies::read(&p, "current")).unwrap().policy_version,
        "v2027.01"
    );
    assert_eq!(run(policies::list(&p)).unwrap().len(), 2);
}

#[test]
fn no_policy_in_force_is_unavailable() {
    let p = MemoryPlatform::new(t(NOW));
    let e = run(policies::in_force(&p)).unwrap_err();
    assert_eq!(e.kind, Kind::Unavailable);
    assert_eq!(e.retry_after, Some(5));
}

#[test]
fn a_new_policy_reroutes_what_it_changes_and_logs_each_change() {
    let p = platform();
    let ada = Creator::new(1);
    let Grant::Recorded(g) = grant(&p, &ada, &ada.consent(1, &[b"a", b"b"])).unwrap() else {
        panic!()
    };
    contribute(&p, "urn:uuid:r1", &g.consent_id, b"a");
    contribute(&p, "urn:uuid:r2", &g.consent_id, b"b");
    assert_eq!(
        run(reroute(&p, Which::All)).unwrap(),
        2,
        "both were unrouted"
    );
    assert_eq!(
        run(reroute(&p, Which::All)).unwrap(),
        0,
        "nothing changes twice"
    );
    let mut next = seed_policy();
    next.policy_version = "v2026.03".into();
    next.effective_date = "2026-03-01".into();
    let Published::New(n) = run(policies::publish(&p, next)).unwrap() else {
        panic!()
    };
    // The consent names v2025.11: both contributions now need re-consent.
    assert_eq!(n.rerouted, 2);
    let routed = logged(&p, "asset.routed");
    assert_eq!(routed.len(), 4);
    assert!(routed[2..].iter().all(|e| e["route"] == "RECONSENT_QUEUE"));
}

/// A contribution under `consent_id`, not yet routed.
fn contribute(p: &MemoryPlatform, receipt_id: &str, consent_id: &str, bytes: &[u8]) {
    p.state.borrow_mut().contributions.contributions.insert(
        receipt_id.into(),
        contribution(receipt_id, consent_id, bytes),
    );
}

fn publish_manifest(p: &MemoryPlatform, id: &str, consent_id: &str, bytes: &[u8]) {
    let mut s = p.state.borrow_mut();
    s.manifests.status.insert(id.into(), "clean".into());
    s.manifests
        .assets
        .push(fairtrain_app::memory::ManifestAsset {
            manifest_id: id.into(),
            idx: 0,
            content_hash: fairtrain_core::digest::Sha256Digest::of(bytes).to_string(),
            creator: "did:key:x".into(),
            consent_id: consent_id.into(),
        });
}
