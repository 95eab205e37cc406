//! The creator's path through the shared logic, end to end and offline:
//! a signed consent token, the seed policy (v2025.11, the consent-policy
//! configuration template as JSON), a signed contribution envelope through
//! its wire header, the gateway's decision, and a platform receipt verified
//! against a published key set.

use fairtrain_consent::consent::{
    cawg_training_mining, sign_revocation, verify_consent, verify_revocation, Jurisdiction, Scope,
    Use, VerifiedConsent,
};
use fairtrain_consent::envelope::{decode_header, encode_header, verify_envelope};
use fairtrain_consent::fixture::{ConsentBuilder, EnvelopeBuilder};
use fairtrain_consent::log_event;
use fairtrain_consent::policy::{evaluate, ConsentState, Contribution, Policy, Reason, Route};
use fairtrain_consent::receipt::{
    mismatches, object_key, sign_receipt, verify_receipt, ReceiptFields, ReceiptLog,
};
use fairtrain_core::data_integrity::{self, ProofOptions};
use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::fields::urn_uuid_v4;
use fairtrain_core::key_set::{self, PublishedKey};
use fairtrain_core::time::Timestamp;
use serde_json::{json, Value};

fn t(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

fn seed_policy() -> Policy {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/policy-v2025.11.json"
    );
    Policy::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

const NOW: &str = "2026-03-01T12:00:00Z";
const BYTES: &[u8] = b"a photograph, say";

fn creator() -> SigningKey {
    SigningKey::from_seed(&[31; 32])
}

fn consent(
    jurisdiction: Jurisdiction,
    scopes: Vec<Scope>,
    version: &str,
) -> (Value, VerifiedConsent) {
    let doc = ConsentBuilder::new()
        .id(urn_uuid_v4([7; 16]))
        .assets(vec![Sha256Digest::of(BYTES)])
        .uses(vec![Use::AiTraining, Use::AiGenerativeTraining])
        .scopes(scopes)
        .jurisdiction(jurisdiction)
        .policy_version(version)
        .sign(&creator(), t("2026-01-01T00:00:00Z"));
    let verified = verify_consent(&doc, t(NOW)).unwrap();
    (doc, verified)
}

#[test]
fn the_seed_policy_loads_and_routes() {
    let policy = seed_policy();
    assert_eq!(policy.policy_version, "v2025.11");
    assert_eq!(policy.scopes.len(), 3);
    assert_eq!(policy.jurisdiction_overrides.len(), 3);
    let hash = policy.hash().unwrap();
    assert_eq!(hash, seed_policy().hash().unwrap());

    let posts = Contribution {
        content_hash: Sha256Digest::of(BYTES),
        scope: Scope::PublicPosts,
    };
    let decide = |c: &VerifiedConsent, contribution: &Contribution| {
        let d = evaluate(&policy, ConsentState::Active(c), contribution, t(NOW));
        (d.route, d.reason)
    };
    let (_, us) = consent(Jurisdiction::Us, vec![Scope::PublicPosts], "v2025.11");
    assert_eq!(
        decide(&us, &posts),
        (Route::TrainingPipeline, Reason::ValidConsent)
    );
    let (_, eu) = consent(
        Jurisdiction::Eu,
        vec![Scope::PublicPosts, Scope::PublicProfile],
        "v2025.11",
    );
    assert_eq!(
        decide(&eu, &posts),
        (Route::ComplianceHold, Reason::JurisdictionNotAllowed)
    );
    let profile = Contribution {
        scope: Scope::PublicProfile,
        ..posts.clone()
    };
    assert_eq!(
        decide(&eu, &profile),
        (Route::TrainingPipeline, Reason::ValidConsent)
    );
    let (_, dms) = consent(Jurisdiction::Us, vec![Scope::PrivateMessages], "v2025.11");
    let private = Contribution {
        scope: Scope::PrivateMessages,
        ..posts.clone()
    };
    assert_eq!(
        decide(&dms, &private),
        (Route::ComplianceHold, Reason::ScopeExcluded)
    );
    let (_, stale) = consent(Jurisdiction::Us, vec![Scope::PublicPosts], "v2025.01");
    assert_eq!(
        decide(&stale, &posts),
        (Route::ReconsentQueue, Reason::PolicyVersionMismatch)
    );
    assert_eq!(
        decide(&us, &profile),
        (Route::ComplianceHold, Reason::ScopeNotAuthorized)
    );
    let other = Contribution {
        content_hash: Sha256Digest::of(b"other"),
        ..posts.clone()
    };
    assert_eq!(
        decide(&us, &other),
        (Route::QuarantineQueue, Reason::HashNotCovered)
    );
    let d = evaluate(
        &policy,
        ConsentState::Active(&us),
        &posts,
        t("2027-06-01T00:00:00Z"),
    );
    assert_eq!(
        (d.route, d.reason),
        (Route::QuarantineQueue, Reason::ConsentExpired)
    );
    let d = evaluate(&policy, ConsentState::Revoked, &posts, t(NOW));
    assert_eq!(
        (d.route, d.reason),
        (Route::QuarantineQueue, Reason::ConsentRevoked)
    );
    let d = evaluate(&policy, ConsentState::None, &posts, t(NOW));
    assert_eq!(
        (d.route, d.reason),
        (Route::QuarantineQueue, Reason::NoConsent)
    );
}

#[test]
fn consent_cawg_and_revocation() {
    let (_, c) = consent(Jurisdiction::Us, vec![Scope::PublicPosts], "v2025.11");
    assert_eq!(
        cawg_training_mining(&c)["entries"]["cawg.ai_generative_training"]["use"],
        "allowed"
    );
    assert_eq!(
        cawg_training_mining(&c)["entries"]["cawg.ai_inference"]["use"],
        "notAllowed"
    );
    let r = verify_revocation(&sign_revocation(&c.id, &creator(), t(NOW)).unwrap()).unwrap();
    assert!(r.revokes(&c));
}

/// A key set as the Worker publishes it (see key_set.rs).
fn key_set(platform: &SigningKey) -> Vec<PublishedKey> {
    let from = t("2026-01-01T00:00:00Z");
    let keys = vec![PublishedKey::describe(
        platform.public_key(),
        true,
        from,
        None,
    )];
    let did = DidKey::from_public_key(platform.public_key());
    let doc = json!({ "issuer": keys[0].controller, "active": keys[0].kid, "keys": keys });
    let doc = data_integrity::sign(&doc, ProofOptions::assertion(&did, from), platform).unwrap();
    key_set::verify(&doc).unwrap()
}

#[test]
fn envelope_to_receipt() {
    let policy = seed_policy();
    let (_, c) = consent(Jurisdiction::Us, vec![Scope::PublicPosts], "v2025.11");

    // The CLI: sign the envelope, send it as a header.
    let envelope = EnvelopeBuilder::new()
        .bytes(BYTES)
        .consent_id(&c.id)
        .license(&c.license.id)
        .media_type("image/jpeg")
        .timestamp(t(NOW))
        .sign(&creator());
    let header = encode_header(&envelope).unwrap();

    // The Worker: read it back, verify, route, log, sign a receipt.
    let env = verify_envelope(&decode_header(&header).unwrap()).unwrap();
    assert!(env.is_under(&c));
    let decision = evaluate(
        &policy,
        ConsentState::Active(&c),
        &Contribution {
            content_hash: env.content_hash,
            scope: env.scope,
        },
        t(NOW),
    );
    let platform = SigningKey::from_seed(&[40; 32]);
    let platform_did = DidKey::from_public_key(platform.public_key());
    let mut fields = ReceiptFields {
        receipt_id: urn_uuid_v4([8; 16]),
        object_key: object_key(&env.content_hash, "3f1e0c6a-0b7e-4c55-9a53-1f0d7c2e9b10"),
        content_hash: env.content_hash,
        size: env.size,
        media_type: env.media_type.clone(),
        ingested_at: t(NOW),
        contributor: env.contributor,
        consent_id: env.consent_id.clone(),
        envelope_hash: env.envelope_hash,
        route: decision.route,
        route_reason: decision.reason,
        log: ReceiptLog {
            origin: "fairtrain.local/log".into(),
            entry_hash: Sha256Digest::of(b""),
            promise: Value::Null,
        },
    };
    let entry = log_event::entry(fields.asset_ingested_event()).unwrap();
    let promise = data_integrity::sign(
        &json!({
            "type": "LogInclusionPromise", "log": "fairtrain.local/log",
            "entries": [entry.hash.to_string()],
            "received_at": NOW, "include_by": "2026-03-01T12:01:00Z",
        }),
        ProofOptions::assertion(&platform_did, t(NOW)),
        &platform,
    )
    .unwrap();
    fields.log.entry_hash = entry.hash;
    fields.log.promise = promise;
    let receipt = sign_receipt(fields, &platform, t(NOW)).unwrap();

    // The CLI again: verify the receipt with the published keys.
    let keys = key_set(&platform);
    let verified = verify_receipt(&receipt, &keys).unwrap();
    assert_eq!(verified.fields.route, Route::TrainingPipeline);
    assert!(verified.log_entry_matches());
    assert!(mismatches(&verified.fields, &env).is_empty());
    let other_env = verify_envelope(
        &EnvelopeBuilder::new()
            .bytes(b"other")
            .consent_id(&c.id)
            .media_type("image/jpeg")
            .timestamp(t(NOW))
            .sign(&creator()),
    )
    .unwrap();
    assert_eq!(
        mismatches(&verified.fields, &other_env),
        vec!["content_hash", "size", "envelope_hash"]
    );
    // Another platform's keys do not verify it.
    let other_keys = key_set(&SigningKey::from_seed(&[41; 32]));
    assert!(verify_receipt(&receipt, &other_keys).is_err());
}
