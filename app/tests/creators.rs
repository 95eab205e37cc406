//! Creators, natively: registration by a signed, single-use, short-lived
//! challenge, and the creator's own record.

mod support;

use fairtrain_app::creators::{self, RegisterRequest};
use fairtrain_app::memory::MemoryPlatform;
use fairtrain_app::platform::CreatorStore;
use fairtrain_app::Kind;
use fairtrain_consent::registration::sign_registration;
use serde_json::{json, Value};
use support::*;

fn challenge(p: &MemoryPlatform, c: &Creator) -> String {
    run(creators::challenge(p, &c.did().to_string()))
        .unwrap()
        .challenge
}

fn request(did: &str, challenge: &str, signature: &str, profile: Value) -> RegisterRequest {
    serde_json::from_value(json!({
        "did": did, "challenge": challenge, "signature": signature, "profile": profile,
    }))
    .unwrap()
}

/// `c` registers with `challenge`, signed by `signer`.
fn register_with(
    p: &MemoryPlatform,
    c: &Creator,
    signer: &Creator,
    challenge: &str,
) -> fairtrain_app::Result<creators::Registered> {
    let signature = sign_registration(&signer.key, challenge).unwrap();
    let r = request(&c.did().to_string(), challenge, &signature, json!({}));
    run(creators::register(p, &r))
}

fn registered(p: &MemoryPlatform, c: &Creator) -> bool {
    run(p.is_registered(&c.did().to_string())).unwrap()
}

#[test]
fn a_signed_challenge_registers_the_creator_with_their_private_profile() {
    let p = platform();
    let ada = Creator::new(1);
    let issued = run(creators::challenge(&p, &ada.did().to_string())).unwrap();
    assert_eq!(issued.expires_at, "2026-03-01T12:05:00Z");
    let signature = sign_registration(&ada.key, &issued.challenge).unwrap();
    let r = request(
        &ada.did().to_string(),
        &issued.challenge,
        &signature,
        json!({ "display_name": "Ada", "email": "ada@example.com", "payout": { "iban": "X1" } }),
    );
    let done = run(creators::register(&p, &r)).unwrap();
    assert_eq!(done.did, ada.did().to_string());
    assert_eq!(done.registered_at, NOW);
    assert!(registered(&p, &ada));
    let me = serde_json::to_value(run(creators::me(&p, &ada.did())).unwrap()).unwrap();
    assert_eq!(
        me,
        json!({
            "did": ada.did().to_string(), "registered_at": NOW, "display_name": "Ada",
            "email": "ada@example.com", "payout": { "iban": "X1" },
        })
    );
    // Nothing personal reaches the log.
    assert!(!serde_json::to_string(&p.logged())
        .unwrap()
        .contains("ada@example.com"));
}

#[test]
fn a_creator_without_a_profile_reads_nulls() {
    let p = platform();
    let ada = Creator::new(1);
    register_with(&p, &ada, &ada, &challenge(&p, &ada)).unwrap();
    let me = serde_json::to_value(run(creators::me(&p, &ada.did())).unwrap()).unwrap();
    assert_eq!(me["display_name"], Value::Null);
    assert_eq!(me["payout"], Value::Null);
}

#[test]
fn a_challenge_is_spent_by_any_attempt_even_a_failed_one() {
    let p = platform();
    let ada = Creator::new(1);
    let ch = challenge(&p, &ada);
    let e = register_with(&p, &ada, &Creator::new(2), &ch).unwrap_err();
    assert_eq!(e.kind, Kind::DocumentSignature);
    assert_eq!(e.reason(), Some("bad-signature"));
    let e = register_with(&p, &ada, &ada, &ch).unwrap_err();
    assert_eq!(e.kind, Kind::DocumentSignature);
    assert_eq!(e.reason(), Some("challenge"));
    assert!(!registered(&p, &ada));
    // A fresh one works.
    register_with(&p, &ada, &ada, &challenge(&p, &ada)).unwrap();
    assert!(registered(&p, &ada));
}

#[test]
fn a_challenge_lasts_five_minutes_to_the_second() {
    let p = platform();
    let ada = Creator::new(1);
    let ch = challenge(&p, &ada);
    p.advance_seconds(300);
    register_with(&p, &ada, &ada, &ch).expect("still valid at its expiry");

    let bob = Creator::new(2);
    let ch = challenge(&p, &bob);
    p.advance_seconds(301);
    let e = register_with(&p, &bob, &bob, &ch).unwrap_err();
    assert_eq!(e.reason(), Some("challenge"));
    assert!(!registered(&p, &bob));
}

#[test]
fn a_challenge_is_only_for_the_did_it_was_issued_to() {
    let p = platform();
    let (ada, bob) = (Creator::new(1), Creator::new(2));
    let ch = challenge(&p, &ada);
    let e = register_with(&p, &bob, &bob, &ch).unwrap_err();
    assert_eq!(e.reason(), Some("challenge"));
    // Bob's attempt did not spend Ada's challenge.
    register_with(&p, &ada, &ada, &ch).unwrap();
}

#[test]
fn registering_twice_is_a_conflict_and_keeps_the_first_profile() {
    let p = platform();
    let ada = Creator::new(1);
    let ch = challenge(&p, &ada);
    let sig = sign_registration(&ada.key, &ch).unwrap();
    let did = ada.did().to_string();
    run(creators::register(
        &p,
        &request(&did, &ch, &sig, json!({ "display_name": "Ada" })),
    ))
    .unwrap();
    p.advance_seconds(10);
    let ch = challenge(&p, &ada);
    let sig = sign_registration(&ada.key, &ch).unwrap();
    let e = run(creators::register(
        &p,
        &request(&did, &ch, &sig, json!({ "display_name": "Eve" })),
    ))
    .unwrap_err();
    assert_eq!(e.kind, Kind::Conflict);
    let me = run(creators::me(&p, &ada.did())).unwrap();
    assert_eq!(me.display_name.as_deref(), Some("Ada"));
    assert_eq!(me.registered_at, NOW);
}

#[test]
fn malformed_registrations_are_field_errors_and_store_nothing() {
    let p = platform();
    let ada = Creator::new(1);
    let e = run(creators::challenge(&p, "did:example:123")).unwrap_err();
    assert_eq!(e.members["errors"][0]["pointer"], "/did");
    assert!(p.state.borrow().creators.challenges.is_empty());

    let did = ada.did().to_string();
    let ch = challenge(&p, &ada);
    let e = run(creators::register(
        &p,
        &request(&did, &ch, "not-a-signature", json!({})),
    ))
    .unwrap_err();
    assert_eq!(e.members["errors"][0]["pointer"], "/signature");

    let ch = challenge(&p, &ada);
    let sig = sign_registration(&ada.key, &ch).unwrap();
    let long = "x".repeat(201);
    let e = run(creators::register(
        &p,
        &request(&did, &ch, &sig, json!({ "display_name": long })),
    ))
    .unwrap_err();
    assert_eq!(e.members["errors"][0]["pointer"], "/profile/display_name");
    assert!(!registered(&p, &ada));
}
