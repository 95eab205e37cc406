//! Contributions, natively: what an upload must pass before a byte is read,
//! what happens once its bytes are stored (digest, one copy per content,
//! routing, the log, the receipt), reading assets and receipts back, and
//! multipart uploads (part order and sizes, the recorded-parts
//! compare-and-set, completion, abort and expiry).

mod support;

use fairtrain_app::consents::{self, Grant};
use fairtrain_app::contributions::multipart::{self, Started};
use fairtrain_app::contributions::store::{Part, StoredUpload};
use fairtrain_app::contributions::{self, Ingested, Prepared};
use fairtrain_app::memory::MemoryPlatform;
use fairtrain_app::platform::Config;
use fairtrain_app::{Kind, Result};
use fairtrain_consent::consent::Jurisdiction;
use fairtrain_consent::fixture::EnvelopeBuilder;
use fairtrain_consent::receipt::verify_receipt;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::principal::{Principal, Role};
use proptest::prelude::*;
use serde_json::Value;
use support::*;

const MIB: u64 = 1 << 20;

/// Grants `token` for `c`; returns the consent id.
fn grant(p: &MemoryPlatform, c: &Creator, token: &Value) -> String {
    match run(consents::grant(p, &c.did(), token)).unwrap() {
        Grant::Recorded(g) => g.consent_id,
        Grant::AlreadyRecorded(k) => k.consent_id,
    }
}

/// A registered creator `n` with a consent (id from `n`) for `assets`.
fn creator_with_consent(p: &MemoryPlatform, n: u8, assets: &[&[u8]]) -> (Creator, String) {
    let c = Creator::new(n);
    register(p, &c);
    let consent = grant(p, &c, &c.consent(n, assets));
    (c, consent)
}

/// An envelope for uploading `bytes` as text under `consent`.
fn envelope(consent: &str, bytes: &[u8]) -> EnvelopeBuilder {
    EnvelopeBuilder::new()
        .bytes(bytes)
        .consent_id(consent)
        .media_type("text/plain")
        .timestamp(t(NOW))
}

fn prepare(p: &MemoryPlatform, c: &Creator, envelope: &EnvelopeBuilder) -> Result<Prepared> {
    run(contributions::prepare(p, &c.did(), &envelope.sign(&c.key)))
}

/// `bytes` prepared, then stored under a fresh object key hashing to
/// `received`; returns the outcome and the object key.
fn upload_receiving(
    p: &MemoryPlatform,
    c: &Creator,
    consent: &str,
    bytes: &[u8],
    received: &[u8],
) -> (Result<Ingested>, String) {
    let env = envelope(consent, bytes).sign(&c.key);
    let prepared = run(contributions::prepare_single(
        p,
        &c.did(),
        &env,
        bytes.len() as u64,
    ))
    .unwrap();
    let key = contributions::object_key(p, &prepared.envelope.content_hash).unwrap();
    let outcome = run(contributions::finish(
        p,
        prepared,
        key.clone(),
        Sha256Digest::of(received),
        received.len() as u64,
    ));
    (outcome, key)
}

fn upload(p: &MemoryPlatform, c: &Creator, consent: &str, bytes: &[u8]) -> Ingested {
    upload_receiving(p, c, consent, bytes, bytes).0.unwrap()
}

fn who(role: Role, id: &str) -> Principal {
    Principal {
        role,
        id: id.into(),
        scopes: vec![],
        expires_at: None,
    }
}

fn creator(c: &Creator) -> Principal {
    who(Role::Creator, &c.did().to_string())
}

/// Nothing was stored, counted or logged.
fn assert_nothing_happened(p: &MemoryPlatform) {
    let s = p.state.borrow();
    assert!(s.contributions.upload_rate.is_empty(), "counted");
    assert!(s.contributions.blobs.is_empty(), "a blob");
    assert!(s.contributions.contributions.is_empty(), "a contribution");
    drop(s);
    assert!(logged(p, "asset.ingested").is_empty());
}

// Before a byte is read.

#[test]
fn an_envelope_must_be_well_signed_and_the_creators_own() {
    let p = platform();
    let (ada, consent) = creator_with_consent(&p, 1, &[b"photo"]);
    let bob = Creator::new(2);
    register(&p, &bob);
    let env = envelope(&consent, b"photo");

    let e = run(contributions::prepare(&p, &bob.did(), &env.sign(&ada.key))).unwrap_err();
    assert_eq!(e.kind, Kind::Forbidden);
    assert!(e
        .detail
        .contains("signed by the creator making the request"));

    let mut tampered = env.sign(&ada.key);
    tampered["size"] = 6.into();
    let e = run(contributions::prepare(&p, &ada.did(), &tampered)).unwrap_err();
    assert_eq!(e.reason(), Some("invalid-envelope"));

    // Bob's own envelope, under Ada's consent.
    let e = prepare(&p, &bob, &envelope(&consent, b"photo")).unwrap_err();
    assert_eq!(e.kind, Kind::Forbidden);
    assert_eq!(e.detail, "the consent belongs to another creator");
    assert_nothing_happened(&p);
}

#[test]
fn the_consent_must_exist_be_current_and_cover_these_bytes() {
    let p = platform();
    let (ada, consent) = creator_with_consent(&p, 1, &[b"photo"]);

    let unknown = fairtrain_core::fields::urn_uuid_v4([9; 16]);
    let e = prepare(&p, &ada, &envelope(&unknown, b"photo")).unwrap_err();
    assert_eq!(e.reason(), Some("unknown-consent"));

    let e = prepare(&p, &ada, &envelope(&consent, b"other")).unwrap_err();
    assert_eq!(e.reason(), Some("consent-other-bytes"));
    assert_eq!(
        e.members["content_hash"],
        Sha256Digest::of(b"other").to_string()
    );

    // The consent runs 2026-01-01 to 2027-01-01 (five minutes' clock skew allowed).
    p.set_now(t("2025-12-31T23:54:59Z"));
    let e = prepare(&p, &ada, &envelope(&consent, b"photo")).unwrap_err();
    assert_eq!(e.reason(), Some("consent-not-yet-valid"));
    p.set_now(t("2027-01-01T00:00:01Z"));
    let e = prepare(&p, &ada, &envelope(&consent, b"photo")).unwrap_err();
    assert_eq!(e.reason(), Some("consent-expired"));
    p.set_now(t(NOW));

    let revocation = ada.revocation(&consent, NOW);
    run(consents::revoke(&p, &ada.did(), &consent, &revocation)).unwrap();
    let e = prepare(&p, &ada, &envelope(&consent, b"photo")).unwrap_err();
    assert_eq!(e.reason(), Some("consent-revoked"));
    assert_nothing_happened(&p);
}

#[test]
fn media_types_and_sizes_are_limited() {
    let mut p = platform();
    p.settings_mut().uploads.media_types = vec!["image/*".into(), "text/plain".into()];
    p.settings_mut().uploads.max_bytes = 1000;
    p.settings_mut().uploads.max_single_bytes = 10;
    let (ada, consent) = creator_with_consent(&p, 1, &[b"photo"]);

    let exe = envelope(&consent, b"photo").media_type("application/x-msdownload");
    let e = prepare(&p, &ada, &exe).unwrap_err();
    assert_eq!(e.kind, Kind::UnsupportedMediaType);
    assert_eq!(e.members["allowed"], "image/*,text/plain");
    prepare(
        &p,
        &ada,
        &envelope(&consent, b"photo").media_type("image/webp"),
    )
    .expect("a type under an allowed top-level type");

    let huge = envelope(&consent, b"photo").content(Sha256Digest::of(b"photo"), 1001);
    let e = prepare(&p, &ada, &huge).unwrap_err();
    assert_eq!(e.kind, Kind::TooLarge);
    assert_eq!(e.members["limit"], 1000);

    let env = envelope(&consent, b"photo").sign(&ada.key);
    let e = run(contributions::prepare_single(&p, &ada.did(), &env, 11)).unwrap_err();
    assert_eq!(e.kind, Kind::TooLarge);
    assert_eq!(e.members["limit"], 10);
    assert!(e.detail.contains("/v1/uploads"));
}

#[test]
fn each_creator_may_start_so_many_uploads_a_minute_and_is_told_when_to_retry() {
    let mut p = platform();
    p.settings_mut().uploads.per_minute = 2;
    let (ada, consent) = creator_with_consent(&p, 1, &[b"photo"]);
    let (bob, bobs) = creator_with_consent(&p, 2, &[b"photo"]);
    p.set_now(t("2026-03-01T12:00:15.500Z"));
    let env = envelope(&consent, b"photo");
    prepare(&p, &ada, &env).unwrap();
    prepare(&p, &ada, &env).unwrap();
    let e = prepare(&p, &ada, &env).unwrap_err();
    assert_eq!(e.kind, Kind::RateLimited);
    assert_eq!(e.retry_after, Some(45));
    assert_eq!(e.detail, "at most 2 uploads per minute per creator");
    // Another creator has their own allowance; the next minute is a new one.
    prepare(&p, &bob, &envelope(&bobs, b"photo")).unwrap();
    p.set_now(t("2026-03-01T12:00:59.999Z"));
    assert_eq!(prepare(&p, &ada, &env).unwrap_err().retry_after, Some(1));
    p.set_now(t("2026-03-01T12:01:00Z"));
    prepare(&p, &ada, &env).unwrap();
}

// After the bytes are stored.

#[test]
fn bytes_that_differ_from_the_declared_hash_are_discarded_and_nothing_is_stored() {
    let p = platform();
    let (ada, consent) = creator_with_consent(&p, 1, &[b"photo"]);
    let (outcome, key) = upload_receiving(&p, &ada, &consent, b"photo", b"phot0");
    let e = outcome.unwrap_err();
    assert_eq!(e.kind, Kind::DigestMismatch);
    assert_eq!(
        e.members["computed_digest"],
        Sha256Digest::of(b"phot0").to_string()
    );
    assert_eq!(
        e.members["declared_digest"],
        Sha256Digest::of(b"photo").to_string()
    );
    let s = p.state.borrow();
    assert_eq!(s.contributions.discarded, vec![key]);
    assert!(s.contributions.blobs.is_empty());
    assert!(s.contributions.contributions.is_empty());
    drop(s);
    assert!(logged(&p, "asset.ingested").is_empty());
}

#[test]
fn identical_bytes_are_kept_once_and_each_upload_is_its_own_contribution() {
    let p = platform();
    let (ada, a) = creator_with_consent(&p, 1, &[b"shared"]);
    let (bob, b) = creator_with_consent(&p, 2, &[b"shared"]);
    let first = upload_receiving(&p, &ada, &a, b"shared", b"shared");
    let (second, bobs_key) = upload_receiving(&p, &bob, &b, b"shared", b"shared");
    let (first, second) = (first.0.unwrap(), second.unwrap());
    assert_eq!(first.receipt["object_key"], second.receipt["object_key"]);
    assert_ne!(second.receipt["object_key"], bobs_key.as_str());
    assert_ne!(first.receipt_id, second.receipt_id);
    let s = p.state.borrow();
    assert_eq!(s.contributions.blobs.len(), 1);
    assert_eq!(s.contributions.discarded, vec![bobs_key], "the second copy");
    assert_eq!(s.contributions.contributions.len(), 2);
}

#[test]
fn the_receipt_is_signed_by_the_platform_and_names_its_log_entry() {
    let p = platform();
    let (ada, consent) = creator_with_consent(&p, 1, &[b"photo"]);
    let ingested = upload(&p, &ada, &consent, b"photo");
    let keys = p.keys().unwrap();
    let verified = verify_receipt(&ingested.receipt, &[keys.active().clone()]).unwrap();
    assert!(verified.log_entry_matches());
    assert_eq!(verified.fields.receipt_id, ingested.receipt_id);
    assert_eq!(verified.fields.contributor, ada.did());
    assert_eq!(verified.fields.size, 5);
    let events = logged(&p, "asset.ingested");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["receipt_id"], ingested.receipt_id);
    assert_eq!(events[0]["route"], "TRAINING_PIPELINE");

    let mut forged = ingested.receipt.clone();
    forged["route"] = "QUARANTINE_QUEUE".into();
    assert!(verify_receipt(&forged, &[keys.active().clone()]).is_err());

    // The stored contribution is what the receipt says.
    let stored = p.state.borrow().contributions.contributions[&ingested.receipt_id].clone();
    assert_eq!(stored.route, "TRAINING_PIPELINE");
    assert_eq!(stored.route_reason, "VALID_CONSENT");
    assert_eq!(stored.policy_version, "v2025.11");
    assert_eq!(
        serde_json::from_str::<Value>(&stored.receipt).unwrap(),
        ingested.receipt
    );
}

#[test]
fn the_route_follows_the_policy_in_force() {
    let p = platform();
    let ada = Creator::new(1);
    register(&p, &ada);
    let eu = grant(
        &p,
        &ada,
        &ada.consent_with(1, &[b"eu"], |t| t.jurisdiction = Jurisdiction::Eu),
    );
    let r = upload(&p, &ada, &eu, b"eu").receipt;
    assert_eq!(
        (r["route"].as_str(), r["route_reason"].as_str()),
        (Some("COMPLIANCE_HOLD"), Some("JURISDICTION_NOT_ALLOWED"))
    );

    let us = grant(&p, &ada, &ada.consent(2, &[b"before", b"after"]));
    assert_eq!(
        upload(&p, &ada, &us, b"before").receipt["route"],
        "TRAINING_PIPELINE"
    );
    let mut next = seed_policy();
    next.policy_version = "v2026.03".into();
    next.effective_date = "2026-03-01".into();
    run(fairtrain_app::policies::publish(&p, next)).unwrap();
    let after = upload(&p, &ada, &us, b"after");
    assert_eq!(
        (
            after.receipt["route"].as_str(),
            after.receipt["route_reason"].as_str()
        ),
        (Some("RECONSENT_QUEUE"), Some("POLICY_VERSION_MISMATCH"))
    );
    let stored = p.state.borrow().contributions.contributions[&after.receipt_id].clone();
    assert_eq!(stored.policy_version, "v2026.03");
}

// Reading back.

#[test]
fn an_asset_shows_every_contribution_to_the_operator_and_their_own_to_a_creator() {
    let p = platform();
    let (ada, a) = creator_with_consent(&p, 1, &[b"shared"]);
    let (bob, b) = creator_with_consent(&p, 2, &[b"shared"]);
    let first = upload(&p, &ada, &a, b"shared");
    p.advance_seconds(1);
    upload(&p, &bob, &b, b"shared");
    let hash = Sha256Digest::of(b"shared");

    let all = run(contributions::asset(
        &p,
        &who(Role::Operator, "operator"),
        &hash,
    ))
    .unwrap();
    assert_eq!(all.size, 6);
    assert_eq!(all.media_type, "text/plain");
    assert_eq!(all.contributions.len(), 2);
    assert_eq!(
        all.contributions[0].receipt_id, first.receipt_id,
        "in order of ingestion"
    );
    let mine = run(contributions::asset(&p, &creator(&ada), &hash)).unwrap();
    assert_eq!(mine.contributions.len(), 1);
    assert_eq!(mine.contributions[0].contributor, ada.did().to_string());

    let carol = Creator::new(3);
    let e = run(contributions::asset(&p, &creator(&carol), &hash)).unwrap_err();
    assert_eq!(e.kind, Kind::NotFound);
    let e = run(contributions::asset(
        &p,
        &who(Role::Auditor, "k1"),
        &Sha256Digest::of(b"never"),
    ))
    .unwrap_err();
    assert_eq!(e.kind, Kind::NotFound);
}

#[test]
fn a_receipt_is_for_its_creator_the_operator_and_auditors() {
    let p = platform();
    let (ada, a) = creator_with_consent(&p, 1, &[b"photo"]);
    let ingested = upload(&p, &ada, &a, b"photo");
    let id = &ingested.receipt_id;
    assert_eq!(
        run(contributions::receipt(&p, &creator(&ada), id)).unwrap(),
        ingested.receipt
    );
    run(contributions::receipt(&p, &who(Role::Auditor, "k1"), id)).unwrap();
    let e = run(contributions::receipt(&p, &creator(&Creator::new(2)), id)).unwrap_err();
    assert_eq!(e.kind, Kind::Forbidden);
    let e = run(contributions::receipt(
        &p,
        &who(Role::Operator, "operator"),
        "urn:uuid:x",
    ))
    .unwrap_err();
    assert_eq!(e.kind, Kind::NotFound);
}

// Multipart.

/// A large file's declared hash and size (no bytes move in these tests).
struct File {
    n: u8,
    hash: Sha256Digest,
    size: u64,
}

/// File `n`, with its own consent (id from `n`).
fn big(n: u8, size: u64) -> File {
    File {
        n,
        hash: Sha256Digest::of(&[n]),
        size,
    }
}

/// `c` (registered) consents to `file` and starts uploading it.
fn start(p: &MemoryPlatform, c: &Creator, file: &File) -> (Started, String) {
    let token = c.consent_with(file.n, &[], |t| t.asset_hashes = vec![file.hash]);
    let consent = grant(p, c, &token);
    let env = EnvelopeBuilder::new()
        .content(file.hash, file.size)
        .consent_id(&consent)
        .media_type("application/octet-stream");
    let prepared = prepare(p, c, &env).unwrap();
    let key = contributions::object_key(p, &file.hash).unwrap();
    let started = run(multipart::start(p, &prepared, &key, "mp-1")).unwrap();
    (started, consent)
}

fn part(n: u16, size: u64) -> Part {
    Part {
        part: n,
        etag: format!("etag-{n}"),
        size,
    }
}

/// Sends part `n` of `size` bytes with matching digests.
fn put(p: &MemoryPlatform, c: &Creator, id: &str, n: u16, size: u64) -> Result<u64> {
    let upload = run(multipart::next_part(p, id, &c.did(), n))?;
    multipart::check_part_size(p, &upload, n, size)?;
    let d = Sha256Digest::of(&n.to_le_bytes());
    Ok(run(multipart::record_part(p, &upload, part(n, size), &d, &d))?.received)
}

/// Ada, registered, on a platform whose multipart parts are `part_bytes`.
fn ada_uploading(part_bytes: u64) -> (MemoryPlatform, Creator) {
    let mut p = platform();
    p.settings_mut().uploads.part_bytes = part_bytes;
    let ada = Creator::new(1);
    register(&p, &ada);
    (p, ada)
}

fn stored_upload(p: &MemoryPlatform, id: &str) -> Option<StoredUpload> {
    p.state.borrow().contributions.uploads.get(id).cloned()
}

#[test]
fn an_upload_starts_with_its_part_size_part_count_and_expiry() {
    let (p, ada) = ada_uploading(MIB); // below the storage's minimum
    let (started, _) = start(&p, &ada, &big(1, 12 * MIB + 123));
    assert_eq!(started.part_size, 5 * MIB);
    assert_eq!(started.parts, 3);
    assert_eq!(started.expires_in, 24 * 3600);
    let u = stored_upload(&p, &started.upload_id).unwrap();
    assert_eq!(u.contributor, ada.did().to_string());
    assert_eq!(u.multipart_id, "mp-1");
    assert_eq!(u.expires_at, t("2026-03-02T12:00:00Z"));
    assert_eq!((u.parts.len(), u.received), (0, 0));
}

#[test]
fn parts_go_in_order_and_every_one_but_the_last_is_the_part_size() {
    let (p, ada) = ada_uploading(5 * MIB);
    let (started, _) = start(&p, &ada, &big(1, 12 * MIB + 123));
    let id = &started.upload_id;

    let e = put(&p, &ada, id, 2, 5 * MIB).unwrap_err();
    assert_eq!(e.kind, Kind::Conflict);
    assert_eq!(e.members["next_part"], 1);
    for wrong in [0, MIB, 5 * MIB + 1] {
        let e = put(&p, &ada, id, 1, wrong).unwrap_err();
        assert_eq!(e.kind, Kind::BadRequest, "{wrong}");
    }
    assert_eq!(put(&p, &ada, id, 1, 5 * MIB).unwrap(), 5 * MIB);
    assert_eq!(
        put(&p, &ada, id, 1, 5 * MIB).unwrap_err().kind,
        Kind::Conflict
    );
    assert_eq!(put(&p, &ada, id, 2, 5 * MIB).unwrap(), 10 * MIB);
    let e = put(&p, &ada, id, 3, 5 * MIB).unwrap_err();
    assert!(
        e.detail.starts_with("part 3 must be 2097275 bytes"),
        "{}",
        e.detail
    );
    assert_eq!(put(&p, &ada, id, 3, 2 * MIB + 123).unwrap(), 12 * MIB + 123);
    let u = stored_upload(&p, id).unwrap();
    assert_eq!(
        u.parts.iter().map(|p| p.part).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
}

#[test]
fn a_part_that_does_not_match_its_digest_is_not_recorded() {
    let (p, ada) = ada_uploading(32 * MIB);
    let (started, _) = start(&p, &ada, &big(1, 100));
    let upload = run(multipart::next_part(&p, &started.upload_id, &ada.did(), 1)).unwrap();
    let (sent, declared) = (Sha256Digest::of(b"sent"), Sha256Digest::of(b"declared"));
    let e = run(multipart::record_part(
        &p,
        &upload,
        part(1, 100),
        &sent,
        &declared,
    ))
    .unwrap_err();
    assert_eq!(e.kind, Kind::DigestMismatch);
    assert_eq!(e.members["computed_digest"], sent.to_string());
    assert_eq!(stored_upload(&p, &started.upload_id).unwrap().received, 0);
}

#[test]
fn of_two_requests_recording_the_same_part_only_the_first_is_recorded() {
    let (p, ada) = ada_uploading(32 * MIB);
    let (started, _) = start(&p, &ada, &big(1, 100));
    let id = &started.upload_id;
    // Both read the upload before either records.
    let one = run(multipart::next_part(&p, id, &ada.did(), 1)).unwrap();
    let two = run(multipart::next_part(&p, id, &ada.did(), 1)).unwrap();
    let d = Sha256Digest::of(b"part");
    run(multipart::record_part(&p, &one, part(1, 100), &d, &d)).unwrap();
    let e = run(multipart::record_part(&p, &two, part(1, 100), &d, &d)).unwrap_err();
    assert_eq!(e.kind, Kind::Conflict);
    let u = stored_upload(&p, id).unwrap();
    assert_eq!((u.parts.len(), u.received), (1, 100));
}

#[test]
fn only_a_complete_upload_under_a_live_consent_completes_and_is_then_gone() {
    let (p, ada) = ada_uploading(5 * MIB);
    let file = big(1, 6 * MIB);
    let (started, _) = start(&p, &ada, &file);
    let id = &started.upload_id;
    put(&p, &ada, id, 1, 5 * MIB).unwrap();
    let e = run(multipart::completion(&p, id, &ada.did())).unwrap_err();
    assert_eq!(e.kind, Kind::Conflict);
    assert_eq!(
        e.detail,
        "the upload is incomplete: 5242880 of 6291456 bytes received"
    );
    put(&p, &ada, id, 2, MIB).unwrap();

    let bob = Creator::new(2);
    register(&p, &bob);
    let e = run(multipart::completion(&p, id, &bob.did())).unwrap_err();
    assert_eq!(e.kind, Kind::Forbidden);

    let completion = run(multipart::completion(&p, id, &ada.did())).unwrap();
    run(multipart::assembled(&p, &completion.upload)).unwrap();
    assert!(stored_upload(&p, id).is_none());
    let key = completion.upload.object_key.clone();
    let ingested = run(contributions::finish(
        &p,
        completion.prepared,
        key.clone(),
        file.hash,
        file.size,
    ))
    .unwrap();
    assert_eq!(ingested.receipt["object_key"], key.as_str());
    assert_eq!(ingested.receipt["size"], 6 * MIB);
    let e = run(multipart::completion(&p, id, &ada.did())).unwrap_err();
    assert_eq!(e.kind, Kind::NotFound);
}

#[test]
fn a_consent_revoked_during_an_upload_stops_its_completion() {
    let (p, ada) = ada_uploading(32 * MIB);
    let (started, consent) = start(&p, &ada, &big(1, 100));
    put(&p, &ada, &started.upload_id, 1, 100).unwrap();
    let revocation = ada.revocation(&consent, NOW);
    run(consents::revoke(&p, &ada.did(), &consent, &revocation)).unwrap();
    let e = run(multipart::completion(&p, &started.upload_id, &ada.did())).unwrap_err();
    assert_eq!(e.reason(), Some("consent-revoked"));
}

#[test]
fn an_aborted_upload_is_gone_and_its_stored_parts_abandoned() {
    let (p, ada) = ada_uploading(32 * MIB);
    let (started, _) = start(&p, &ada, &big(1, 100));
    let id = &started.upload_id;
    let key = stored_upload(&p, id).unwrap().object_key;
    let e = run(multipart::abort(&p, id, &Creator::new(2).did())).unwrap_err();
    assert_eq!(e.kind, Kind::Forbidden);
    let aborted = run(multipart::abort(&p, id, &ada.did())).unwrap();
    assert_eq!(
        (aborted.upload_id.as_str(), aborted.status),
        (id.as_str(), "aborted")
    );
    assert!(stored_upload(&p, id).is_none());
    assert_eq!(
        p.state.borrow().contributions.aborted,
        vec![format!("{key} mp-1")]
    );
    let e = put(&p, &ada, id, 1, 100).unwrap_err();
    assert_eq!(e.kind, Kind::NotFound);
}

#[test]
fn an_upload_expires_after_its_time_and_housekeeping_aborts_it() {
    let (mut p, ada) = ada_uploading(32 * MIB);
    p.settings_mut().uploads.ttl_s = 60;
    let (old, _) = start(&p, &ada, &big(1, 100));
    p.advance_seconds(30);
    let (young, _) = start(&p, &ada, &big(2, 100));

    p.advance_seconds(30);
    assert_eq!(
        run(multipart::abort_expired(&p)).unwrap(),
        0,
        "still usable at its expiry"
    );
    run(multipart::next_part(&p, &old.upload_id, &ada.did(), 1)).unwrap();

    p.advance_seconds(1);
    let e = run(multipart::next_part(&p, &old.upload_id, &ada.did(), 1)).unwrap_err();
    assert_eq!(e.kind, Kind::NotFound);
    assert!(e.detail.ends_with("(expired)"));
    assert_eq!(run(multipart::abort_expired(&p)).unwrap(), 1);
    assert!(stored_upload(&p, &old.upload_id).is_none());
    assert!(stored_upload(&p, &young.upload_id).is_some());
    assert_eq!(p.state.borrow().contributions.aborted.len(), 1);
    assert_eq!(run(multipart::abort_expired(&p)).unwrap(), 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the sizes, sending full parts then the remainder completes
    /// the upload in the announced number of parts, and at each step only
    /// the part size (when more remains) or exactly the remainder is taken.
    #[test]
    fn parts_of_the_part_size_then_the_remainder_complete_any_upload(
        size in 1u64..=64 * MIB,
        part_mib in 5u64..=16,
        probes in proptest::collection::vec(0u64..=17 * MIB, 4),
    ) {
        let (p, ada) = ada_uploading(part_mib * MIB);
        let (started, _) = start(&p, &ada, &big(1, size));
        let id = &started.upload_id;
        let part_size = started.part_size;
        let mut received = 0;
        let mut n = 0u16;
        while received < size {
            n += 1;
            let remaining = size - received;
            let upload = run(multipart::next_part(&p, id, &ada.did(), n)).unwrap();
            let exact = [remaining, remaining + 1, remaining - 1, part_size, part_size + 1, part_size - 1];
            for probe in exact.iter().chain(&probes) {
                let takes = *probe > 0
                    && (*probe == remaining || (*probe == part_size && *probe < remaining));
                let checked = multipart::check_part_size(&p, &upload, n, *probe);
                prop_assert_eq!(checked.is_ok(), takes, "length {} of {}", probe, remaining);
            }
            received = put(&p, &ada, id, n, remaining.min(part_size)).unwrap();
        }
        prop_assert_eq!(u64::from(n), started.parts);
        prop_assert!(run(multipart::completion(&p, id, &ada.did())).is_ok());
    }
}
