//! Creators against the real runtime: registration, consent, streaming
//! uploads hashed at the edge, signed receipts, the ingestion gateway, and
//! every bad input the issue names.

use std::sync::OnceLock;
use std::time::Duration;

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::key_set;
use fairtrain_core::time::Timestamp;
use fairtrain_integration_tests::creator::{now, publish_policy, seed_policy, Creator, Terms};
use fairtrain_integration_tests::{random, Req, Worker};
use serde_json::{json, Value};

/// This binary's worker: small single-upload limit so "oversize" is cheap.
fn w() -> &'static Worker {
    static W: OnceLock<Worker> = OnceLock::new();
    W.get_or_init(|| {
        let w = Worker::start_with(&[
            ("UPLOAD_MAX_SINGLE_BYTES", "1048576"),
            ("UPLOADS_PER_MINUTE", "1000"),
        ]);
        let r = publish_policy(&w, &seed_policy());
        assert!(r.status == 201 || r.status == 200, "{}", r.text());
        w
    })
}

fn bytes(tag: &str) -> Vec<u8> {
    let mut b = format!("asset {tag} ").into_bytes();
    b.extend_from_slice(&random::<64>());
    b
}

fn platform_keys(w: &Worker) -> Vec<fairtrain_core::key_set::PublishedKey> {
    key_set::verify(&Req::get("/.well-known/fairtrain/keys").send(w).json()).unwrap()
}

#[test]
fn the_happy_path_ends_in_a_signed_receipt_and_the_log() {
    let creator = Creator::registered(w());
    let me = creator
        .signed(w(), "GET", "/v1/creators/me", None)
        .send(w());
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(
        me.json()["email"],
        "creator@example.com",
        "the creator sees their own profile"
    );

    let data = bytes("happy");
    let consent = creator.grant(w(), &Terms::for_assets(&[&data]));
    let got = creator
        .signed(w(), "GET", &format!("/v1/consents/{consent}"), None)
        .send(w())
        .json();
    assert_eq!(got["status"], "active");
    assert_eq!(got["cawg"]["entries"]["cawg.ai_training"]["use"], "allowed");
    assert_eq!(
        got["cawg"]["entries"]["cawg.ai_inference"]["use"],
        "notAllowed"
    );

    let r = creator.upload(w(), &data, &consent, "public_posts");
    assert_eq!(r.status, 201, "{}", r.text());
    let receipt = r.json();
    let verified = fairtrain_consent::receipt::verify_receipt(&receipt, &platform_keys(w()))
        .expect("receipt verifies");
    assert_eq!(receipt["content_hash"], Sha256Digest::of(&data).to_string());
    assert_eq!(receipt["size"], data.len());
    assert_eq!(receipt["route"], "TRAINING_PIPELINE");
    assert_eq!(receipt["route_reason"], "VALID_CONSENT");
    let _ = verified;
    // One changed byte and the receipt no longer verifies.
    let mut forged = receipt.clone();
    forged["route"] = json!("QUARANTINE_QUEUE");
    assert!(fairtrain_consent::receipt::verify_receipt(&forged, &platform_keys(w())).is_err());

    // The ingest event reaches the log, provably, and carries no personal data.
    let entry_hash = receipt["log"]["entry_hash"].as_str().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let found = loop {
        let f = Req::get(&format!("/v1/log/entries/{entry_hash}")).send(w());
        if f.status == 200 {
            break f.json();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "ingest event not sequenced"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(found["entry"]["type"], "asset.ingested");
    assert_eq!(found["entry"]["receipt_id"], receipt["receipt_id"]);
    assert!(!found.to_string().contains("creator@example.com"));
    let by_asset = Req::get(&format!("/v1/log/assets/{}", Sha256Digest::of(&data)))
        .send(w())
        .json();
    let types: Vec<&str> = by_asset["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entry"]["type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"consent.granted") && types.contains(&"asset.ingested"),
        "{types:?}"
    );

    // The receipt can be fetched again, by its creator and the operator only.
    let id = receipt["receipt_id"].as_str().unwrap();
    assert_eq!(
        creator
            .signed(w(), "GET", &format!("/v1/receipts/{id}"), None)
            .send(w())
            .json(),
        receipt
    );
    assert_eq!(
        Req::get(&format!("/v1/receipts/{id}"))
            .bearer(&w().admin_token)
            .send(w())
            .status,
        200
    );
    Creator::registered(w())
        .signed(w(), "GET", &format!("/v1/receipts/{id}"), None)
        .send(w())
        .problem(403, "forbidden");
}

#[test]
fn identical_bytes_are_stored_once_and_each_upload_is_its_own_contribution() {
    let (a, b) = (Creator::registered(w()), Creator::registered(w()));
    let data = bytes("shared");
    let ca = a.grant(w(), &Terms::for_assets(&[&data]));
    let cb = b.grant(w(), &Terms::for_assets(&[&data]));
    let ra = a.upload(w(), &data, &ca, "public_posts").json();
    let rb = b.upload(w(), &data, &cb, "public_posts").json();
    assert_eq!(ra["object_key"], rb["object_key"], "one stored copy");
    assert_ne!(ra["receipt_id"], rb["receipt_id"]);
    let asset = Req::get(&format!("/v1/assets/{}", Sha256Digest::of(&data)))
        .bearer(&w().admin_token)
        .send(w())
        .json();
    assert_eq!(asset["contributions"].as_array().unwrap().len(), 2);
    // Each creator sees only their own contribution.
    let mine = a
        .signed(
            w(),
            "GET",
            &format!("/v1/assets/{}", Sha256Digest::of(&data)),
            None,
        )
        .send(w())
        .json();
    assert_eq!(mine["contributions"].as_array().unwrap().len(), 1);
}

#[test]
fn a_wrong_digest_is_422_with_the_computed_digest_and_stores_nothing() {
    let creator = Creator::registered(w());
    let declared = bytes("declared");
    let mut sent = declared.clone();
    let last = sent.len() - 1;
    sent[last] ^= 1;
    let consent = creator.grant(w(), &Terms::for_assets(&[&declared]));
    let p = creator
        .upload_declaring(w(), &sent, &declared, &consent, "public_posts")
        .problem(422, "digest-mismatch");
    assert_eq!(p["computed_digest"], Sha256Digest::of(&sent).to_string());
    Req::get(&format!("/v1/assets/{}", Sha256Digest::of(&declared)))
        .bearer(&w().admin_token)
        .send(w())
        .problem(404, "not-found");
    Req::get(&format!("/v1/assets/{}", Sha256Digest::of(&sent)))
        .bearer(&w().admin_token)
        .send(w())
        .problem(404, "not-found");
    // The honest upload still works afterwards.
    assert_eq!(
        creator
            .upload(w(), &declared, &consent, "public_posts")
            .status,
        201
    );
}

#[test]
fn unsigned_badly_signed_and_replayed_requests_are_refused() {
    let creator = Creator::registered(w());
    let data = bytes("sig");
    let token = creator.consent_token(&Terms::for_assets(&[&data]));
    Req::post("/v1/consents")
        .json(&token)
        .send(w())
        .problem(401, "unauthenticated");
    // Signed by a key that is not registered.
    let stranger = Creator::new();
    stranger
        .signed_json(w(), "POST", "/v1/consents", &token)
        .send(w())
        .problem(403, "forbidden");
    // A body that is not the one signed.
    let signed = creator.signed_json(w(), "POST", "/v1/consents", &token);
    let (si, sig, cd) = (
        signed.header_value("Signature-Input"),
        signed.header_value("Signature"),
        signed.header_value("Content-Digest"),
    );
    let mut other = token.clone();
    other["validUntil"] = json!("2099-01-01T00:00:00Z");
    Req::post("/v1/consents")
        .header("Signature-Input", &si)
        .header("Signature", &sig)
        .header("Content-Digest", &cd)
        .json(&other)
        .send(w())
        .problem(422, "digest-mismatch");
    // The same signed request twice: the second is a replay.
    let first = creator.signed_json(w(), "POST", "/v1/consents", &token);
    let (si, sig, cd) = (
        first.header_value("Signature-Input"),
        first.header_value("Signature"),
        first.header_value("Content-Digest"),
    );
    assert_eq!(first.send(w()).status, 201);
    let p = Req::post("/v1/consents")
        .header("Signature-Input", &si)
        .header("Signature", &sig)
        .header("Content-Digest", &cd)
        .json(&token)
        .send(w())
        .problem(401, "invalid-signature");
    assert_eq!(p["reason"], "replayed");
    // A consent token signed by someone other than its issuer.
    let mut forged = token.clone();
    forged["credentialSubject"]["commercial"] = json!(false);
    let p = creator
        .signed_json(w(), "POST", "/v1/consents", &forged)
        .send(w())
        .problem(422, "validation-failed");
    assert_eq!(p["reason"], "bad-signature");
}

#[test]
fn consent_must_be_current_valid_and_for_these_bytes() {
    let creator = Creator::registered(w());
    let data = bytes("terms");
    // Unknown policy version.
    let mut t = Terms::for_assets(&[&data]);
    t.policy_version = "v1999.01".into();
    let token = creator.consent_token(&t);
    let p = creator
        .signed_json(w(), "POST", "/v1/consents", &token)
        .send(w())
        .problem(422, "validation-failed");
    assert_eq!(p["reason"], "unknown-policy-version");
    // Already expired.
    let mut t = Terms::for_assets(&[&data]);
    t.valid_from = now().checked_add_seconds(-7200).unwrap();
    t.valid_until = now().checked_add_seconds(-3600).unwrap();
    let p = creator
        .signed_json(w(), "POST", "/v1/consents", &creator.consent_token(&t))
        .send(w())
        .problem(422, "validation-failed");
    assert_eq!(p["reason"], "expired");
    // Expires between grant and upload.
    let mut t = Terms::for_assets(&[&data]);
    t.valid_until = now().checked_add_seconds(3).unwrap();
    let consent = creator.grant(w(), &t);
    std::thread::sleep(Duration::from_millis(3500));
    let p = creator
        .upload(w(), &data, &consent, "public_posts")
        .problem(422, "validation-failed");
    assert_eq!(p["reason"], "consent-expired");
    // Consent for other bytes.
    let consent = creator.grant(w(), &Terms::for_assets(&[b"some other bytes"]));
    let p = creator
        .upload(w(), &data, &consent, "public_posts")
        .problem(422, "validation-failed");
    assert_eq!(p["reason"], "consent-other-bytes");
    // An unknown consent id.
    let p = creator
        .upload(
            w(),
            &data,
            "urn:uuid:00000000-0000-4000-8000-000000000000",
            "public_posts",
        )
        .problem(422, "validation-failed");
    assert_eq!(p["reason"], "unknown-consent");
}

#[test]
fn a_creator_cannot_act_on_another_creators_consent() {
    let (owner, other) = (Creator::registered(w()), Creator::registered(w()));
    let data = bytes("theirs");
    let consent = owner.grant(w(), &Terms::for_assets(&[&data]));
    other
        .upload(w(), &data, &consent, "public_posts")
        .problem(403, "forbidden");
    other.revoke(w(), &consent).problem(403, "forbidden");
    other
        .signed(w(), "GET", &format!("/v1/consents/{consent}"), None)
        .send(w())
        .problem(403, "forbidden");
    // Submitting someone else's signed token as one's own.
    let token = owner.consent_token(&Terms::for_assets(&[&data]));
    other
        .signed_json(w(), "POST", "/v1/consents", &token)
        .send(w())
        .problem(403, "forbidden");
    assert_eq!(
        owner.upload(w(), &data, &consent, "public_posts").status,
        201
    );
}

#[test]
fn limits_oversize_and_media_types_are_explicit_problems() {
    let creator = Creator::registered(w());
    let big = vec![7u8; (1 << 20) + 1];
    let consent = creator.grant(w(), &Terms::for_assets(&[&big]));
    let p = creator
        .upload(w(), &big, &consent, "public_posts")
        .problem(413, "payload-too-large");
    assert_eq!(p["limit"], 1 << 20);
    // A media type that is not accepted.
    let data = bytes("exe");
    let consent = creator.grant(w(), &Terms::for_assets(&[&data]));
    let env = creator.envelope(
        Sha256Digest::of(&data),
        data.len() as u64,
        &consent,
        "public_posts",
        "application/x-msdownload",
    );
    let mut req = creator.signed(
        w(),
        "POST",
        "/v1/assets",
        Some((&data, "application/x-msdownload")),
    );
    req = req.header(
        "Fairtrain-Envelope",
        &fairtrain_consent::envelope::encode_header(&env).unwrap(),
    );
    req.send(w()).problem(415, "unsupported-media-type");
    // No envelope at all.
    creator
        .signed(w(), "POST", "/v1/assets", Some((&data, "text/plain")))
        .send(w())
        .problem(400, "bad-request");
}

#[test]
fn revocation_is_signed_forward_only_and_reroutes_to_quarantine() {
    let creator = Creator::registered(w());
    let data = bytes("revoke");
    let consent = creator.grant(w(), &Terms::for_assets(&[&data]));
    let receipt = creator.upload(w(), &data, &consent, "public_posts").json();
    assert_eq!(receipt["route"], "TRAINING_PIPELINE");
    let r = creator.revoke(w(), &consent);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["rerouted"], 1);
    let asset = Req::get(&format!("/v1/assets/{}", Sha256Digest::of(&data)))
        .bearer(&w().admin_token)
        .send(w())
        .json();
    assert_eq!(asset["contributions"][0]["route"], "QUARANTINE_QUEUE");
    assert_eq!(asset["contributions"][0]["route_reason"], "CONSENT_REVOKED");
    let status = creator
        .signed(w(), "GET", &format!("/v1/consents/{consent}"), None)
        .send(w())
        .json();
    assert_eq!(status["status"], "revoked");
    // Revoked consent cannot carry new uploads; revoking again is harmless.
    let p = creator
        .upload(w(), &data, &consent, "public_posts")
        .problem(422, "validation-failed");
    assert_eq!(p["reason"], "consent-revoked");
    assert_eq!(creator.revoke(w(), &consent).status, 200);
}

#[test]
fn the_gateway_routes_by_scope_jurisdiction_and_policy_version() {
    // Its own worker: publishing a new policy re-routes everything on it.
    let own = Worker::start_with(&[("UPLOADS_PER_MINUTE", "1000")]);
    assert_eq!(publish_policy(&own, &seed_policy()).status, 201);
    let creator = Creator::registered(&own);
    let upload = |tag: &str, scope: &'static str, jurisdiction: &'static str| {
        let data = bytes(tag);
        let mut t = Terms::for_assets(&[&data]);
        t.scopes = vec![scope];
        t.jurisdiction = jurisdiction;
        let consent = creator.grant(&own, &t);
        let r = creator.upload(&own, &data, &consent, scope);
        assert_eq!(r.status, 201, "{}", r.text());
        r.json()
    };
    let ok = upload("ok", "public_posts", "US");
    assert_eq!(
        (ok["route"].as_str(), ok["route_reason"].as_str()),
        (Some("TRAINING_PIPELINE"), Some("VALID_CONSENT"))
    );
    let eu = upload("eu", "public_posts", "EU");
    assert_eq!(
        (eu["route"].as_str(), eu["route_reason"].as_str()),
        (Some("COMPLIANCE_HOLD"), Some("JURISDICTION_NOT_ALLOWED"))
    );
    let private = upload("dm", "private_messages", "US");
    assert_eq!(private["route"], "COMPLIANCE_HOLD");
    // A scope the consent does not grant.
    let data = bytes("scope");
    let consent = creator.grant(&own, &Terms::for_assets(&[&data]));
    let r = creator
        .upload(&own, &data, &consent, "public_profile")
        .json();
    assert_eq!(
        (r["route"].as_str(), r["route_reason"].as_str()),
        (Some("COMPLIANCE_HOLD"), Some("SCOPE_NOT_AUTHORIZED"))
    );

    // A new policy version: consents under the old one now need re-consent.
    let mut next = seed_policy();
    next["policy_version"] = json!("v2026.01");
    next["effective_date"] = json!(&now().format_rfc3339()[..10]);
    let published = publish_policy(&own, &next);
    assert_eq!(published.status, 201, "{}", published.text());
    assert!(published.json()["rerouted"].as_u64().unwrap() >= 1);
    let asset = Req::get(&format!(
        "/v1/assets/{}",
        ok["content_hash"].as_str().unwrap()
    ))
    .bearer(&own.admin_token)
    .send(&own)
    .json();
    assert_eq!(asset["contributions"][0]["route"], "RECONSENT_QUEUE");
    assert_eq!(
        asset["contributions"][0]["route_reason"],
        "POLICY_VERSION_MISMATCH"
    );
    // A version is immutable; the same content again is a no-op.
    assert_eq!(publish_policy(&own, &next).status, 200);
    let mut changed = next.clone();
    changed["scopes"]["public_posts"]["allowed_jurisdictions"] = json!(["US"]);
    publish_policy(&own, &changed).problem(409, "conflict");
    // Fresh consent under the new version routes to training again.
    let data = bytes("fresh");
    let mut t = Terms::for_assets(&[&data]);
    t.policy_version = "v2026.01".into();
    let consent = creator.grant(&own, &t);
    assert_eq!(
        creator.upload(&own, &data, &consent, "public_posts").json()["route"],
        "TRAINING_PIPELINE"
    );
}

#[test]
fn registration_needs_a_fresh_challenge_signed_by_the_key() {
    let c = Creator::new();
    let challenge = |w: &Worker| {
        Req::post("/v1/creators/challenges")
            .json(&json!({ "did": c.did.to_string() }))
            .send(w)
            .json()["challenge"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let ch = challenge(w());
    // Signed by another key.
    let other = fairtrain_core::ed25519::SigningKey::from_seed(&random());
    let bad = fairtrain_consent::registration::sign_registration(&other, &ch).unwrap();
    Req::post("/v1/creators")
        .json(&json!({ "did": c.did.to_string(), "challenge": ch, "signature": bad }))
        .send(w())
        .problem(401, "invalid-signature");
    // The challenge was consumed by that attempt.
    let good = fairtrain_consent::registration::sign_registration(&c.key, &ch).unwrap();
    Req::post("/v1/creators")
        .json(&json!({ "did": c.did.to_string(), "challenge": ch, "signature": good }))
        .send(w())
        .problem(401, "invalid-signature");
    let ch = challenge(w());
    let good = fairtrain_consent::registration::sign_registration(&c.key, &ch).unwrap();
    assert_eq!(
        Req::post("/v1/creators")
            .json(&json!({ "did": c.did.to_string(), "challenge": ch, "signature": good }))
            .send(w())
            .status,
        201
    );
    let ch = challenge(w());
    let again = fairtrain_consent::registration::sign_registration(&c.key, &ch).unwrap();
    Req::post("/v1/creators")
        .json(&json!({ "did": c.did.to_string(), "challenge": ch, "signature": again }))
        .send(w())
        .problem(409, "conflict");
    Req::post("/v1/creators/challenges")
        .json(&json!({ "did": "did:example:123" }))
        .send(w())
        .problem(422, "validation-failed");
    let _: Value = json!(Timestamp::now().format_rfc3339());
}

#[test]
fn the_cli_does_the_creators_side_end_to_end() {
    let dir = w().scratch(&fairtrain_integration_tests::unique("cli-creator"));
    let d = |p: &str| dir.join(p).to_string_lossy().into_owned();
    let run = |args: &[&str]| {
        let out = w().cli().args(args).output().expect("run fairtrain");
        assert!(
            out.status.success(),
            "fairtrain {args:?}:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    std::fs::write(d("asset.txt"), bytes("cli")).unwrap();
    run(&["keygen", "--out", &d("me.json")]);
    run(&[
        "creator",
        "register",
        "--key",
        &d("me.json"),
        "--name",
        "CLI Creator",
    ]);
    run(&[
        "consent",
        "sign",
        "--key",
        &d("me.json"),
        "--asset",
        &d("asset.txt"),
        "--use",
        "ai_training",
        "--scope",
        "public_posts",
        "--jurisdiction",
        "US",
        "--policy-version",
        "v2025.11",
        "--license",
        "CC-BY-4.0",
        "--out",
        &d("consent.json"),
    ]);
    run(&["consent", "show", &d("consent.json")]);
    run(&[
        "consent",
        "submit",
        "--key",
        &d("me.json"),
        &d("consent.json"),
    ]);
    run(&[
        "upload",
        "--key",
        &d("me.json"),
        &d("asset.txt"),
        "--consent",
        &d("consent.json"),
        "--scope",
        "public_posts",
        "--out",
        &d("receipt.json"),
    ]);
    run(&["keys", "fetch", "--out", &d("keys.json")]);
    run(&[
        "receipt",
        "verify",
        &d("receipt.json"),
        "--keys",
        &d("keys.json"),
        "--asset",
        &d("asset.txt"),
    ]);
    let receipt: Value =
        serde_json::from_slice(&std::fs::read(d("receipt.json")).unwrap()).unwrap();
    assert_eq!(receipt["route"], "TRAINING_PIPELINE");
    // A receipt changed by one byte fails offline verification.
    let text = std::fs::read_to_string(d("receipt.json"))
        .unwrap()
        .replace("TRAINING_PIPELINE", "COMPLIANCE_HOLD");
    std::fs::write(d("forged.json"), text).unwrap();
    assert!(!w()
        .cli()
        .args([
            "receipt",
            "verify",
            &d("forged.json"),
            "--keys",
            &d("keys.json")
        ])
        .output()
        .unwrap()
        .status
        .success());
    let consent: Value =
        serde_json::from_slice(&std::fs::read(d("consent.json")).unwrap()).unwrap();
    run(&[
        "consent",
        "revoke",
        "--key",
        &d("me.json"),
        consent["id"].as_str().unwrap(),
    ]);
}

#[test]
fn uploads_per_creator_are_rate_limited() {
    let own = Worker::start_with(&[("UPLOADS_PER_MINUTE", "2")]);
    assert_eq!(publish_policy(&own, &seed_policy()).status, 201);
    let creator = Creator::registered(&own);
    let items: Vec<Vec<u8>> = (0..3).map(|i| bytes(&format!("rate-{i}"))).collect();
    let refs: Vec<&[u8]> = items.iter().map(Vec::as_slice).collect();
    let consent = creator.grant(&own, &Terms::for_assets(&refs));
    // A minute boundary between the uploads would reset the window: start just after one.
    let into_minute = now().unix_seconds() % 60;
    if into_minute > 50 {
        std::thread::sleep(Duration::from_secs((61 - into_minute) as u64));
    }
    assert_eq!(
        creator
            .upload(&own, &items[0], &consent, "public_posts")
            .status,
        201
    );
    assert_eq!(
        creator
            .upload(&own, &items[1], &consent, "public_posts")
            .status,
        201
    );
    let r = creator.upload(&own, &items[2], &consent, "public_posts");
    r.problem(429, "rate-limited");
    assert!(r
        .header("retry-after")
        .is_some_and(|s| s.parse::<u64>().is_ok_and(|n| (1..=60).contains(&n))));
    // Another creator has their own allowance.
    let other = Creator::registered(&own);
    let data = bytes("other");
    let c2 = other.grant(&own, &Terms::for_assets(&[&data]));
    assert_eq!(other.upload(&own, &data, &c2, "public_posts").status, 201);
}
