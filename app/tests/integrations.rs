//! Inbound webhooks, natively: integrations and their secrets, signature
//! checks, applying each event once, logging it, and what each event type
//! changes (licenses, payout lines) and relays.

mod support;

use fairtrain_app::api_keys::{self, NewKey};
use fairtrain_app::integrations::store::Outcome;
use fairtrain_app::integrations::{self, NewIntegration, Received, Signatures};
use fairtrain_app::licenses;
use fairtrain_app::manifests::store::StoredManifest;
use fairtrain_app::memory::MemoryPlatform;
use fairtrain_app::platform::Clock;
use fairtrain_app::settlements::store::{PayoutStatus, StoredPayoutLine};
use fairtrain_app::webhooks::secrets::{self, Owner};
use fairtrain_app::webhooks::{endpoints, NewEndpoint};
use fairtrain_app::Kind;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::money::Atto;
use fairtrain_core::time::Timestamp;
use fairtrain_manifest::ManifestState;
use fairtrain_tlog::Hash;
use fairtrain_webhooks::{sign, stripe, SigningKey, WebhookHeaders, WebhookSecret};
use serde_json::{json, Value};
use support::*;

const ORIGIN: &str = "https://api.fairtrain.example";
const MANIFEST: &str = "urn:uuid:1b7c3f4e-5a5d-4c1e-9a51-6f3c2d1e0a9b";
const LINE: &str = "urn:uuid:0b7c3f4e-5a5d-4c1e-9a51-6f3c2d1e0a9b";

fn integration(p: &MemoryPlatform, kind: &str) -> (String, String) {
    let created = run(integrations::create(
        p,
        ORIGIN,
        NewIntegration {
            name: "market".into(),
            kind: kind.into(),
        },
    ))
    .unwrap();
    (created.integration.integration.id, created.secret)
}

/// A published manifest and a buyer's API key id.
fn market(p: &MemoryPlatform) -> String {
    let published = StoredManifest {
        id: MANIFEST.into(),
        snapshot_id: "snapshot".into(),
        name: "dataset".into(),
        document: "{}".into(),
        manifest_hash: Sha256Digest::of(b"{}"),
        assets_root: Hash([0; 32]),
        asset_count: 0,
        page_roots: vec![],
        created_at: t(NOW),
        log_entry_hash: Sha256Digest::of(b"entry"),
        status: ManifestState::Clean,
    };
    p.state
        .borrow_mut()
        .manifests
        .manifests
        .insert(MANIFEST.into(), published);
    run(api_keys::issue(
        p,
        NewKey {
            role: "buyer".into(),
            label: "lab".into(),
            scopes: vec![],
            expires_at: None,
            signing_key: None,
            acts_for: None,
        },
    ))
    .unwrap()
    .record
    .id
}

fn signed(secret: &str, id: &str, ts: i64, body: &[u8]) -> Signatures {
    let key = SigningKey::Hmac(WebhookSecret::parse(secret).unwrap());
    let s = sign(&[key], id, ts, body).unwrap();
    Signatures {
        standard: WebhookHeaders::new(&s.id, &s.timestamp.to_string(), &s.signature),
        stripe: None,
    }
}

fn receive(p: &MemoryPlatform, int: &str, signatures: &Signatures, body: &[u8]) -> Received {
    let target = run(integrations::target(p, int)).unwrap();
    run(integrations::receive(p, &target, signatures, body)).unwrap()
}

fn refused(
    p: &MemoryPlatform,
    int: &str,
    signatures: &Signatures,
    body: &[u8],
) -> fairtrain_app::Error {
    let target = run(integrations::target(p, int)).unwrap();
    run(integrations::receive(p, &target, signatures, body)).unwrap_err()
}

/// Sends a Standard Webhooks event signed now.
fn send(p: &MemoryPlatform, int: &str, secret: &str, id: &str, event: &Value) -> Received {
    let body = event.to_string();
    receive(
        p,
        int,
        &signed(secret, id, p.now().unix_seconds(), body.as_bytes()),
        body.as_bytes(),
    )
}

fn purchase(buyer: &str) -> Value {
    json!({ "type": "license.purchased", "timestamp": "2026-03-01T11:59:00Z",
            "data": { "buyer": buyer, "manifest_id": MANIFEST } })
}

fn can_read(p: &MemoryPlatform, buyer: &str) -> bool {
    run(licenses::require_current_license(p, buyer, MANIFEST)).is_ok()
}

fn recorded(p: &MemoryPlatform, int: &str) -> usize {
    run(integrations::events(p, int)).unwrap().events.len()
}

#[test]
fn a_purchased_license_lets_the_buyer_read_and_is_applied_once_per_webhook_id() {
    let p = platform();
    let buyer = market(&p);
    let (int, secret) = integration(&p, "standard_webhooks");
    assert!(!can_read(&p, &buyer));

    let first = send(&p, &int, &secret, "msg_buy_1", &purchase(&buyer));
    let Received::Done {
        status,
        subject: license,
        log_entry: Some(entry),
        ..
    } = first
    else {
        panic!("{first:?}")
    };
    assert_eq!(status, Outcome::Applied);
    assert!(can_read(&p, &buyer));
    // Logged as `webhook.applied`, at the record's own time.
    let applied = logged(&p, "webhook.applied");
    assert_eq!(applied.len(), 1);
    assert_eq!(applied[0]["subject"], license.as_str());
    assert_eq!(applied[0]["at"], NOW);
    let events = run(integrations::events(&p, &int)).unwrap();
    assert_eq!(
        events.events[0].log_entry_hash.as_deref(),
        Some(entry.as_str())
    );

    // Revoked by the operator, then the purchase is redelivered (same id,
    // fresh signature): acknowledged from the record, not applied again.
    run(licenses::revoke(&p, &license)).unwrap();
    p.advance_seconds(60);
    let again = send(&p, &int, &secret, "msg_buy_1", &purchase(&buyer));
    let json = serde_json::to_value(&again).unwrap();
    assert_eq!(
        json,
        json!({ "status": "duplicate", "webhook_id": "msg_buy_1", "event_type": "license.purchased",
                "subject": license, "log_entry": entry })
    );
    assert!(!can_read(&p, &buyer), "a replayed id changes nothing");
    assert_eq!(recorded(&p, &int), 1);
    assert_eq!(logged(&p, "webhook.applied").len(), 1);

    // Another webhook id is another purchase, with another license.
    let other = send(&p, &int, &secret, "msg_buy_2", &purchase(&buyer));
    let Received::Done { subject, .. } = other else {
        panic!("{other:?}")
    };
    assert_ne!(subject, license);
    assert!(can_read(&p, &buyer));
}

#[test]
fn bad_stale_or_tampered_signatures_change_nothing() {
    let p = platform();
    let buyer = market(&p);
    let (int, secret) = integration(&p, "standard_webhooks");
    let (_, other_secret) = integration(&p, "standard_webhooks");
    let body = purchase(&buyer).to_string();
    let now = p.now().unix_seconds();
    let reason = |e: fairtrain_app::Error| {
        assert_eq!(e.kind, Kind::WebhookSignature);
        e.reason().unwrap().to_string()
    };
    let b = body.as_bytes();
    let wrong_key = refused(&p, &int, &signed(&other_secret, "msg_1", now, b), b);
    assert_eq!(reason(wrong_key), "no_matching_signature");
    let stale = refused(&p, &int, &signed(&secret, "msg_2", now - 301, b), b);
    assert_eq!(reason(stale), "too_old");
    let ahead = refused(&p, &int, &signed(&secret, "msg_3", now + 301, b), b);
    assert_eq!(reason(ahead), "too_new");
    let tampered = body.replace("license.purchased", "license.purchasee");
    let e = refused(
        &p,
        &int,
        &signed(&secret, "msg_4", now, b),
        tampered.as_bytes(),
    );
    assert_eq!(reason(e), "no_matching_signature");
    let e = refused(&p, &int, &Signatures::default(), b);
    assert_eq!(reason(e), "missing_header");
    // Within the tolerance, it verifies.
    assert!(matches!(
        receive(&p, &int, &signed(&secret, "msg_5", now - 299, b), b),
        Received::Done { .. }
    ));
    run(licenses::revoke(&p, &licenses_of(&p, &buyer)[0])).unwrap();
    // A well-signed event with bad data is refused, and not recorded.
    let unknown = json!({ "type": "license.purchased", "timestamp": "2026-03-01T12:00:00Z",
        "data": { "buyer": buyer, "manifest_id": "urn:uuid:00000000-0000-4000-8000-000000000000" } });
    let text = unknown.to_string();
    let e = refused(
        &p,
        &int,
        &signed(&secret, "msg_6", now, text.as_bytes()),
        text.as_bytes(),
    );
    assert_eq!(e.kind, Kind::NotFound);
    let sent_type =
        json!({ "type": "consent.granted", "timestamp": "2026-03-01T12:00:00Z", "data": {} });
    let text = sent_type.to_string();
    let e = refused(
        &p,
        &int,
        &signed(&secret, "msg_7", now, text.as_bytes()),
        text.as_bytes(),
    );
    assert_eq!(e.members["errors"][0]["pointer"], "/data");
    assert_eq!(recorded(&p, &int), 1, "only msg_5");
    assert!(!can_read(&p, &buyer));
}

fn licenses_of(p: &MemoryPlatform, buyer: &str) -> Vec<String> {
    run(fairtrain_app::platform::LicenseStore::licenses_of(
        p, buyer, MANIFEST,
    ))
    .unwrap()
    .into_iter()
    .map(|l| l.id)
    .collect()
}

#[test]
fn a_stripe_processor_is_verified_by_stripe_signature() {
    let p = platform();
    let buyer = market(&p);
    let (int, secret) = integration(&p, "stripe");
    let event = json!({ "id": "evt_1", "type": "checkout.session.completed",
        "data": { "object": { "id": "cs_1", "metadata": { "buyer": buyer, "manifest_id": MANIFEST } } } });
    let body = event.to_string();
    let now = p.now().unix_seconds();
    let stripe_signed = |secret: &str, ts: i64, body: &str| Signatures {
        standard: WebhookHeaders::default(),
        stripe: Some(stripe::header_value(&[secret], ts, body.as_bytes())),
    };
    let e = refused(
        &p,
        &int,
        &stripe_signed("whsec_bm90IHRoZSBzZWNyZXQ=", now, &body),
        body.as_bytes(),
    );
    assert_eq!(e.kind, Kind::WebhookSignature);
    let e = refused(
        &p,
        &int,
        &stripe_signed(&secret, now - 400, &body),
        body.as_bytes(),
    );
    assert_eq!(e.reason(), Some("too_old"));
    // Standard Webhooks headers mean nothing to a Stripe integration.
    let e = refused(
        &p,
        &int,
        &signed(&secret, "evt_1", now, body.as_bytes()),
        body.as_bytes(),
    );
    assert_eq!(e.reason(), Some("missing_header"));
    assert!(!can_read(&p, &buyer));

    let done = receive(
        &p,
        &int,
        &stripe_signed(&secret, now, &body),
        body.as_bytes(),
    );
    assert!(
        matches!(done, Received::Done { status: Outcome::Applied, ref webhook_id, .. } if webhook_id == "evt_1")
    );
    assert!(can_read(&p, &buyer));
    // Stripe's own event id is the idempotency key.
    let again = receive(
        &p,
        &int,
        &stripe_signed(&secret, now, &body),
        body.as_bytes(),
    );
    assert!(matches!(again, Received::Duplicate { .. }));
    // Types fairtrain does not act on are acknowledged, recorded, not logged.
    let other =
        json!({ "id": "evt_2", "type": "customer.created", "data": { "object": {} } }).to_string();
    let ignored = receive(
        &p,
        &int,
        &stripe_signed(&secret, now, &other),
        other.as_bytes(),
    );
    assert_eq!(
        serde_json::to_value(&ignored).unwrap(),
        json!({ "status": "ignored", "webhook_id": "evt_2", "event_type": "customer.created",
                "subject": "-", "detail": "customer.created is not an event fairtrain acts on",
                "log_entry": null })
    );
    assert_eq!(recorded(&p, &int), 2);
    assert_eq!(logged(&p, "webhook.applied").len(), 1);
}

#[test]
fn payout_outcomes_change_the_line_and_confirmations_are_relayed() {
    let p = platform();
    let (int, secret) = integration(&p, "standard_webhooks");
    let rail = run(endpoints::create(
        &p,
        NewEndpoint {
            url: "https://rail.example.com/hook".into(),
            event_types: vec!["payout.confirmed".into()],
            description: None,
        },
    ))
    .unwrap();
    let confirmed = json!({ "type": "payout.confirmed", "timestamp": "2026-03-01T12:00:00Z",
        "data": { "line_id": LINE, "payout_id": "po_1", "amount_minor": "1234", "currency": "usd" } });
    // No such line: refused, recorded nowhere.
    let body = confirmed.to_string();
    let e = refused(
        &p,
        &int,
        &signed(&secret, "msg_c0", p.now().unix_seconds(), body.as_bytes()),
        body.as_bytes(),
    );
    assert_eq!(e.members["errors"][0]["pointer"], "/data/line_id");
    assert_eq!(recorded(&p, &int), 0);

    p.state
        .borrow_mut()
        .settlements
        .payout_lines
        .push(StoredPayoutLine {
            line_id: LINE.into(),
            settlement_id: "urn:uuid:2b7c3f4e-5a5d-4c1e-9a51-6f3c2d1e0a9b".into(),
            creator: Creator::new(1).did().to_string(),
            currency: "USD".into(),
            minor_units: 2,
            carried_in: Atto::ZERO,
            accrued: Atto(12_340_000_000_000_000_000),
            amount_minor: 1234,
            carried_out: Atto::ZERO,
            line_count: 1,
            payout_status: PayoutStatus::Instructed,
            payout_id: None,
            confirmed_amount_minor: None,
            failure_reason: None,
            dispute_id: None,
        });
    let fail = json!({ "type": "payout.failed", "timestamp": "2026-03-01T12:00:00Z",
        "data": { "line_id": LINE, "payout_id": "po_0", "reason": "account closed" } });
    send(&p, &int, &secret, "msg_f1", &fail);
    let line = payout_line(&p);
    assert_eq!(line.payout_status, PayoutStatus::Failed);
    assert_eq!(line.failure_reason.as_deref(), Some("account closed"));
    assert_eq!(line.payout_id.as_deref(), Some("po_0"));
    p.advance_seconds(60);
    send(&p, &int, &secret, "msg_c1", &confirmed);
    let line = payout_line(&p);
    assert_eq!(line.payout_status, PayoutStatus::Confirmed);
    assert_eq!(line.payout_id.as_deref(), Some("po_1"));
    assert_eq!(line.confirmed_amount_minor.as_deref(), Some("1234"));
    assert_eq!(
        line.failure_reason, None,
        "a confirmation clears the failure"
    );
    assert_eq!(rail_times(&p).0, Some(p.now()));
    // The confirmation is relayed to the subscribers of payout.confirmed.
    let relayed: Vec<String> = p
        .state
        .borrow()
        .webhooks
        .messages
        .values()
        .map(|m| m.body.clone())
        .collect();
    assert_eq!(relayed.len(), 1);
    let relayed: Value = serde_json::from_str(&relayed[0]).unwrap();
    assert_eq!(relayed["type"], "payout.confirmed");
    assert_eq!(
        relayed["data"],
        json!({ "line_id": LINE, "payout_id": "po_1", "amount_minor": "1234", "currency": "USD", "v": 1 })
    );
    assert_eq!(p.state.borrow().webhooks.deliveries.len(), 1);
    assert_eq!(
        p.state
            .borrow()
            .webhooks
            .deliveries
            .values()
            .next()
            .unwrap()
            .endpoint_id,
        rail.endpoint.id
    );

    // Disputes keep the first time and an earlier failure reason.
    let dispute = |id: &str, reason: &str| {
        json!({ "type": "dispute.opened", "timestamp": "2026-03-01T12:00:00Z",
                "data": { "line_id": LINE, "dispute_id": id, "reason": reason } })
    };
    send(&p, &int, &secret, "msg_d1", &dispute("dp_1", "fraudulent"));
    let first_at = p.now();
    p.advance_seconds(60);
    send(&p, &int, &secret, "msg_d2", &dispute("dp_2", "duplicate"));
    let line = payout_line(&p);
    assert_eq!(line.dispute_id.as_deref(), Some("dp_2"));
    assert_eq!(line.payout_status, PayoutStatus::Confirmed);
    assert_eq!(rail_times(&p).1, Some(first_at));
    // The confirmation cleared the failure reason, so the first dispute's stays.
    assert_eq!(line.failure_reason.as_deref(), Some("dispute: fraudulent"));
}

fn payout_line(p: &MemoryPlatform) -> StoredPayoutLine {
    let lines = run(fairtrain_app::platform::SettlementStore::payout_lines(
        p, None,
    ))
    .unwrap();
    lines.into_iter().find(|l| l.line_id == LINE).unwrap()
}

/// When the rail confirmed the line, and when a dispute was first opened.
fn rail_times(p: &MemoryPlatform) -> (Option<Timestamp>, Option<Timestamp>) {
    let s = p.state.borrow();
    let times = &s.settlements.rail_times[LINE];
    (times.confirmed_at, times.disputed_at)
}

#[test]
fn a_revocation_names_a_license_that_exists() {
    let p = platform();
    let buyer = market(&p);
    let (int, secret) = integration(&p, "standard_webhooks");
    let Received::Done { subject, .. } = send(&p, &int, &secret, "msg_1", &purchase(&buyer)) else {
        panic!()
    };
    let revoke = |id: &str| {
        json!({ "type": "license.revoked", "timestamp": "2026-03-01T12:00:00Z",
                "data": { "license_id": id } })
    };
    let missing = revoke("urn:uuid:00000000-0000-4000-8000-000000000000").to_string();
    let e = refused(
        &p,
        &int,
        &signed(&secret, "msg_2", p.now().unix_seconds(), missing.as_bytes()),
        missing.as_bytes(),
    );
    assert_eq!(e.members["errors"][0]["pointer"], "/data/license_id");
    assert!(e.detail.contains("no licence has this id"));
    assert!(can_read(&p, &buyer));
    send(&p, &int, &secret, "msg_3", &revoke(&subject));
    assert!(!can_read(&p, &buyer));
}

#[test]
fn a_failed_log_append_is_retried_by_the_redelivery_with_the_same_entry() {
    let p = platform();
    let buyer = market(&p);
    let (int, secret) = integration(&p, "standard_webhooks");
    p.state.borrow_mut().log.refuse_next = true;
    let body = purchase(&buyer).to_string();
    let e = refused(
        &p,
        &int,
        &signed(&secret, "msg_1", p.now().unix_seconds(), body.as_bytes()),
        body.as_bytes(),
    );
    assert_eq!(e.kind, Kind::RateLimited);
    // Applied and recorded, not yet logged.
    assert!(can_read(&p, &buyer));
    assert!(logged(&p, "webhook.applied").is_empty());
    p.advance_seconds(30);
    let again = send(&p, &int, &secret, "msg_1", &purchase(&buyer));
    let Received::Duplicate {
        log_entry: Some(_), ..
    } = again
    else {
        panic!("{again:?}")
    };
    let logged = logged(&p, "webhook.applied");
    assert_eq!(logged.len(), 1);
    assert_eq!(
        logged[0]["at"], NOW,
        "the record's time, not the redelivery's"
    );
}

#[test]
fn integrations_are_registered_rotated_and_found() {
    let p = platform();
    for (name, kind, pointer) in [("", "stripe", "/name"), ("market", "paypal", "/kind")] {
        let e = run(integrations::create(
            &p,
            ORIGIN,
            NewIntegration {
                name: name.into(),
                kind: kind.into(),
            },
        ))
        .unwrap_err();
        assert_eq!(e.members["errors"][0]["pointer"], pointer);
    }
    let created = run(integrations::create(
        &p,
        ORIGIN,
        NewIntegration {
            name: "market".into(),
            kind: "stripe".into(),
        },
    ))
    .unwrap();
    let id = created.integration.integration.id.clone();
    let json = serde_json::to_value(&created).unwrap();
    assert_eq!(
        json,
        json!({ "id": id, "name": "market", "kind": "stripe", "enabled": true, "created_at": NOW,
                "inbound_url": format!("{ORIGIN}/v1/inbound/{id}"), "secret": created.secret })
    );
    assert_eq!(
        run(integrations::list(&p, ORIGIN)).unwrap().integrations[0]
            .integration
            .id,
        id
    );
    let e = run(integrations::get(&p, ORIGIN, "int_nope")).unwrap_err();
    assert_eq!(e.kind, Kind::NotFound);
    let e = run(integrations::target(&p, "int_nope")).unwrap_err();
    assert_eq!(e.kind, Kind::NotFound);
    p.state
        .borrow_mut()
        .integrations
        .integrations
        .get_mut(&id)
        .unwrap()
        .enabled = false;
    assert_eq!(
        run(integrations::target(&p, &id)).unwrap_err().kind,
        Kind::NotFound,
        "a disabled integration is not there"
    );
}

#[test]
fn rotated_integration_secrets_both_verify_during_the_overlap() {
    let p = platform();
    let buyer = market(&p);
    let (int, old) = integration(&p, "standard_webhooks");
    p.advance_seconds(1);
    let new = run(secrets::rotate(&p, Owner::Integration(&int), Some(600)))
        .unwrap()
        .secret;
    assert!(matches!(
        send(&p, &int, &old, "msg_old", &purchase(&buyer)),
        Received::Done { .. }
    ));
    assert!(matches!(
        send(&p, &int, &new, "msg_new", &purchase(&buyer)),
        Received::Done { .. }
    ));
    p.advance_seconds(600);
    let body = purchase(&buyer).to_string();
    let e = refused(
        &p,
        &int,
        &signed(&old, "msg_late", p.now().unix_seconds(), body.as_bytes()),
        body.as_bytes(),
    );
    assert_eq!(e.reason(), Some("no_matching_signature"));
    let e = run(secrets::rotate(&p, Owner::Integration("int_nope"), None)).unwrap_err();
    assert_eq!(e.kind, Kind::NotFound);
}
