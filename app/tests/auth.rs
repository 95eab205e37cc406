//! Who is calling, natively: the operator token, API keys (issued,
//! expired, revoked), creators' signed requests and their nonces.

mod support;

use fairtrain_app::api_keys::{self, NewKey};
use fairtrain_app::auth;
use fairtrain_app::memory::{MemoryPlatform, ADMIN_TOKEN};
use fairtrain_app::Kind;
use fairtrain_core::principal::Role;
use fairtrain_httpsig::{RequestParts, Signer};
use support::*;

fn key(role: &str, expires_at: Option<&str>) -> NewKey {
    NewKey {
        role: role.into(),
        label: " acme ".into(),
        scopes: vec![],
        expires_at: expires_at.map(Into::into),
        signing_key: None,
        acts_for: None,
    }
}

#[test]
fn the_operator_token_and_issued_keys_authenticate_and_nothing_else_does() {
    let p = MemoryPlatform::new(t(NOW));
    let op = run(auth::authenticate_bearer(&p, ADMIN_TOKEN)).unwrap();
    assert_eq!(op.role, Role::Operator);
    let issued = run(api_keys::issue(&p, key("buyer", None))).unwrap();
    assert_eq!(issued.record.label, "acme");
    let buyer = run(auth::authenticate_bearer(&p, &issued.token)).unwrap();
    assert_eq!(
        (buyer.role, buyer.id.as_str()),
        (Role::Buyer, issued.record.id.as_str())
    );
    for bad in [
        "nope",
        "ftk_0000000000000000_xxxxxxxx",
        &format!("{}x", issued.token),
    ] {
        let e = run(auth::authenticate_bearer(&p, bad)).unwrap_err();
        assert_eq!(e.kind, Kind::Unauthenticated, "{bad}");
    }
    // As an Authorization header: `Bearer <token>` and nothing else.
    let header = format!("Bearer {}", issued.token);
    let buyer = run(auth::authenticate_authorization(&p, &header)).unwrap();
    assert_eq!(buyer.role, Role::Buyer);
    for bad in ["Bearer ", "Bearer  ", "Basic abc", &issued.token] {
        let e = run(auth::authenticate_authorization(&p, bad)).unwrap_err();
        assert_eq!(e.kind, Kind::Unauthenticated, "{bad}");
    }
}

#[test]
fn revoked_and_expired_keys_stop_working_and_revoking_twice_keeps_the_first_time() {
    let p = MemoryPlatform::new(t(NOW));
    let k = run(api_keys::issue(
        &p,
        key("auditor", Some("2026-03-02T00:00:00Z")),
    ))
    .unwrap();
    run(auth::authenticate_bearer(&p, &k.token)).unwrap();
    p.set_now(t("2026-03-02T00:00:00Z"));
    let e = run(auth::authenticate_bearer(&p, &k.token)).unwrap_err();
    assert!(e.detail.contains("expired"));

    let b = run(api_keys::issue(&p, key("buyer", None))).unwrap();
    let first = run(api_keys::revoke(&p, &b.record.id)).unwrap();
    p.advance_seconds(60);
    let second = run(api_keys::revoke(&p, &b.record.id)).unwrap();
    assert_eq!(first.revoked_at, second.revoked_at);
    assert!(run(auth::authenticate_bearer(&p, &b.token))
        .unwrap_err()
        .detail
        .contains("revoked"));
}

#[test]
fn key_requests_are_validated_field_by_field() {
    let p = MemoryPlatform::new(t(NOW));
    let e = run(api_keys::issue(&p, key("auditor", None))).unwrap_err();
    assert_eq!(e.members["errors"][0]["pointer"], "/expires_at");
    let e = run(api_keys::issue(
        &p,
        key("auditor", Some("2026-12-01T00:00:00Z")),
    ))
    .unwrap_err();
    assert!(e.detail.contains("at most 90 days"));
    let e = run(api_keys::issue(&p, key("operator", None))).unwrap_err();
    assert_eq!(e.members["errors"][0]["pointer"], "/role");
    let mut orch = key("orchestrator", None);
    orch.signing_key = Some(Creator::new(3).did().to_string());
    orch.acts_for = Some("0000000000000000".into());
    let e = run(api_keys::issue(&p, orch)).unwrap_err();
    assert_eq!(e.members["errors"][0]["pointer"], "/acts_for");
    assert!(
        run(api_keys::list(&p)).unwrap().is_empty(),
        "nothing was stored"
    );
}

fn signed(c: &Creator, nonce: &str) -> RequestParts {
    let parts = RequestParts::new("GET", "https://api.example/v1/creators/me").unwrap();
    let now = t(NOW).unix_millis() / 1000;
    let h = Signer::new(c.key.clone()).sign(&parts, now, nonce).unwrap();
    parts
        .with_header("Signature-Input", h.signature_input)
        .with_header("Signature", h.signature)
}

#[test]
fn a_signed_request_authenticates_its_creator_once_per_nonce() {
    let p = MemoryPlatform::new(t(NOW));
    let ada = Creator::new(1);
    let req = signed(&ada, "n-1");
    let s = run(auth::authenticate_signature(&p, &req, false)).unwrap();
    assert_eq!(s.principal.id, ada.did().to_string());
    let replay = run(auth::authenticate_signature(&p, &req, false)).unwrap_err();
    assert_eq!(replay.kind, Kind::RequestSignature);
    assert_eq!(replay.reason(), Some("replayed"));
    // Signed but not registered: not a creator the platform knows.
    let e = run(auth::require_registered_creator(&p, &s.principal)).unwrap_err();
    assert_eq!(e.kind, Kind::Forbidden);
    register(&p, &ada);
    assert_eq!(
        run(auth::require_registered_creator(&p, &s.principal)).unwrap(),
        ada.did()
    );
}

#[test]
fn a_role_outside_the_list_is_forbidden_and_says_which_role_it_had() {
    let p = MemoryPlatform::new(t(NOW));
    let op = run(auth::authenticate_bearer(&p, ADMIN_TOKEN)).unwrap();
    let e = auth::require_role(&op, &[Role::Buyer, Role::Auditor]).unwrap_err();
    assert_eq!(e.kind, Kind::Forbidden);
    assert_eq!(e.members["role"], "operator");
    assert!(e.detail.contains("buyer or auditor"));
}

#[test]
fn housekeeping_forgets_nonces_once_their_signatures_expired() {
    let p = MemoryPlatform::new(t(NOW));
    let ada = Creator::new(1);
    run(auth::authenticate_signature(
        &p,
        &signed(&ada, "n-1"),
        false,
    ))
    .unwrap();
    assert_eq!(run(auth::purge_expired_nonces(&p)).unwrap(), 0);
    let expires_at = *p.state.borrow().auth.nonces.values().next().unwrap();
    p.set_now(fairtrain_core::time::Timestamp::from_unix_seconds(expires_at).unwrap());
    assert_eq!(
        run(auth::purge_expired_nonces(&p)).unwrap(),
        0,
        "not before it expired"
    );
    p.advance_seconds(1);
    assert_eq!(run(auth::purge_expired_nonces(&p)).unwrap(), 1);
    assert!(p.state.borrow().auth.nonces.is_empty());
}
