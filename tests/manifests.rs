//! Signed dataset manifests against the real runtime: composition from mixed
//! assets, licences, offline verification with the CLI (and its refusal of a
//! one-byte change), revocation after publication, signed downloads, and a
//! 100,000-asset manifest that composes, pages and verifies.

use std::sync::OnceLock;

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::key_set;
use fairtrain_integration_tests::creator::{now, publish_policy, seed_policy, Creator};
use fairtrain_integration_tests::market::{buyer, bytes, compose, contribute, dataset, license};
use fairtrain_integration_tests::{unique, Req, Worker};
use serde_json::{json, Value};

fn w() -> &'static Worker {
    static W: OnceLock<Worker> = OnceLock::new();
    W.get_or_init(|| {
        let w = Worker::start_with(&[("UPLOADS_PER_MINUTE", "1000")]);
        assert_eq!(publish_policy(&w, &seed_policy()).status, 201);
        w
    })
}

#[test]
fn composition_includes_exactly_the_allowed_assets_and_says_why_not_the_rest() {
    let c = Creator::registered(w());
    let (allowed, _) = contribute(
        w(),
        &c,
        &bytes("allowed"),
        "public_posts",
        "US",
        vec!["ai_training"],
    );
    let (revoked, revoked_consent) = contribute(
        w(),
        &c,
        &bytes("revoked"),
        "public_posts",
        "US",
        vec!["ai_training"],
    );
    assert_eq!(c.revoke(w(), &revoked_consent).status, 200);
    let (elsewhere, _) = contribute(
        w(),
        &c,
        &bytes("canada"),
        "public_posts",
        "CA",
        vec!["ai_training"],
    );
    let (held, _) = contribute(
        w(),
        &c,
        &bytes("eu"),
        "public_posts",
        "EU",
        vec!["ai_training"],
    );
    let (mining, _) = contribute(
        w(),
        &c,
        &bytes("mining"),
        "public_posts",
        "US",
        vec!["data_mining"],
    );
    assert_eq!(held["route"], "COMPLIANCE_HOLD");

    let r = compose(w(), dataset(&c));
    assert_eq!(r.status, 201, "{}", r.text());
    let m = r.json();
    assert_eq!(m["asset_count"], 1);
    let reason_of = |receipt: &Value| {
        m["excluded"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["content_hash"] == receipt["content_hash"])
            .map(|e| e["reason"].as_str().unwrap().to_string())
    };
    assert_eq!(reason_of(&allowed), None);
    assert_eq!(
        reason_of(&revoked).as_deref(),
        Some("not_training_pipeline"),
        "{m}"
    );
    assert_eq!(
        reason_of(&elsewhere).as_deref(),
        Some("jurisdiction_not_in_residency")
    );
    assert_eq!(reason_of(&held).as_deref(), Some("not_training_pipeline"));
    assert_eq!(reason_of(&mining).as_deref(), Some("use_not_allowed"));

    // The page holds exactly the allowed asset.
    let id = m["manifest_id"].as_str().unwrap();
    let page = Req::get(&format!("/v1/manifests/{id}/assets?page=0"))
        .bearer(&w().admin_token)
        .send(w())
        .json();
    assert_eq!(page["assets"].as_array().unwrap().len(), 1);
    assert_eq!(page["assets"][0]["content_hash"], allowed["content_hash"]);
    assert_eq!(page["assets"][0]["receipt_id"], allowed["receipt_id"]);
    // A new composition is a new snapshot; the first stays fetchable.
    let again = compose(w(), dataset(&c)).json();
    assert_ne!(again["manifest_id"], m["manifest_id"]);
    assert_ne!(again["snapshot_id"], m["snapshot_id"]);
    assert_eq!(
        Req::get(&format!("/v1/manifests/{id}"))
            .bearer(&w().admin_token)
            .send(w())
            .status,
        200
    );
    // Nothing qualifies: a clear refusal.
    let mut none = dataset(&c);
    none["data_residency"] = json!(["HK"]);
    compose(w(), none).problem(422, "validation-failed");
}

#[test]
fn buyers_need_a_licence_and_the_cli_verifies_offline() {
    let c = Creator::registered(w());
    for i in 0..5 {
        contribute(
            w(),
            &c,
            &bytes(&format!("v{i}")),
            "public_posts",
            "US",
            vec!["ai_training", "ai_generative_training"],
        );
    }
    let m = compose(w(), dataset(&c)).json();
    let id = m["manifest_id"].as_str().unwrap().to_string();
    let token = buyer(w());
    Req::get(&format!("/v1/manifests/{id}"))
        .bearer(&token)
        .send(w())
        .problem(403, "forbidden");
    Req::get(&format!("/v1/manifests/{id}/assets"))
        .bearer(&token)
        .send(w())
        .problem(403, "forbidden");
    Req::get(&format!("/v1/manifests/{id}"))
        .send(w())
        .problem(401, "unauthenticated");
    license(w(), &token, &id);
    let r = Req::get(&format!("/v1/manifests/{id}"))
        .bearer(&token)
        .send(w());
    assert_eq!(r.status, 200, "{}", r.text());
    let etag = r.header("etag").unwrap().to_string();
    assert_eq!(
        etag,
        format!(
            "\"{}\"",
            m["manifest_hash"]
                .as_str()
                .unwrap()
                .trim_start_matches("sha256:")
        )
    );
    assert!(r.header("cache-control").unwrap().contains("immutable"));
    assert_eq!(
        Req::get(&format!("/v1/manifests/{id}"))
            .bearer(&token)
            .header("If-None-Match", &etag)
            .send(w())
            .status,
        304
    );
    let keys: Vec<_> =
        key_set::verify(&Req::get("/.well-known/fairtrain/keys").send(w()).json()).unwrap();
    fairtrain_manifest::verify_manifest(&r.json(), &keys).expect("the manifest verifies");

    // Offline, with the CLI: fetch, verify, and refuse any one-byte change.
    let dir = w().scratch(&unique("manifest"));
    let d = |p: &str| dir.join(p).to_string_lossy().into_owned();
    let run = |args: &[&str]| {
        w().cli()
            .env("FAIRTRAIN_TOKEN", &token)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["keys", "fetch", "--out", &d("keys.json")]);
    assert!(out.status.success());
    let out = run(&["manifest", "fetch", &id, "--out-dir", &d("m")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verify = || {
        w().cli()
            .args(["manifest", "--keys", &d("keys.json"), "verify", &d("m")])
            .output()
            .unwrap()
    };
    let ok = verify();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    for file in std::fs::read_dir(dir.join("m"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
    {
        let original = std::fs::read(&file).unwrap();
        let text = String::from_utf8(original.clone()).unwrap();
        // Change one character inside a value (a hash digit or a letter).
        let at = text
            .find("sha256:")
            .map(|i| i + 10)
            .unwrap_or(text.len() / 2);
        let mut changed = original.clone();
        changed[at] = if changed[at] == b'0' { b'1' } else { b'0' };
        std::fs::write(&file, &changed).unwrap();
        assert!(
            !verify().status.success(),
            "a one-byte change in {} went unnoticed",
            file.display()
        );
        std::fs::write(&file, &original).unwrap();
    }
    assert!(verify().status.success());

    // One asset's membership has a short proof.
    let page = Req::get(&format!("/v1/manifests/{id}/assets?page=0"))
        .bearer(&token)
        .send(w())
        .json();
    let hash = page["assets"][3]["content_hash"]
        .as_str()
        .unwrap()
        .to_string();
    let out = run(&["manifest", "prove", &hash, "--manifest", &id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn revocation_after_publication_flags_the_manifest_and_stops_downloads() {
    let c = Creator::registered(w());
    let kept = bytes("kept");
    let gone = bytes("gone");
    contribute(w(), &c, &kept, "public_posts", "US", vec!["ai_training"]);
    let (_, gone_consent) = contribute(w(), &c, &gone, "public_posts", "US", vec!["ai_training"]);
    let m = compose(w(), dataset(&c)).json();
    let id = m["manifest_id"].as_str().unwrap().to_string();
    let token = buyer(w());
    license(w(), &token, &id);
    let keys: Vec<_> =
        key_set::verify(&Req::get("/.well-known/fairtrain/keys").send(w()).json()).unwrap();
    let status = Req::get(&format!("/v1/manifests/{id}/status"))
        .bearer(&token)
        .send(w())
        .json();
    let verified = fairtrain_manifest::verify_status(&status, &keys).unwrap();
    assert_eq!(
        verified.fields.state(),
        fairtrain_manifest::ManifestState::Clean
    );
    assert_eq!(status["status"], "clean");

    // Download works while consent holds: a signed URL, then the bytes.
    let d = Req::get(&format!(
        "/v1/manifests/{id}/download/{}",
        Sha256Digest::of(&kept)
    ))
    .bearer(&token)
    .send(w())
    .json();
    let url = d["url"].as_str().unwrap();
    let path = url.trim_start_matches(&w().base);
    let blob = Req::get(path).send(w());
    assert_eq!(blob.status, 200, "{}", blob.text());
    assert_eq!(blob.body, kept);
    // A tampered URL is refused.
    Req::get(&path.replace("exp=", "exp=9"))
        .send(w())
        .problem(403, "forbidden");

    // Signed URL issued before revocation, used after it: refused too.
    let early = Req::get(&format!(
        "/v1/manifests/{id}/download/{}",
        Sha256Digest::of(&gone)
    ))
    .bearer(&token)
    .send(w())
    .json();
    assert_eq!(c.revoke(w(), &gone_consent).status, 200);
    let p = Req::get(&format!(
        "/v1/manifests/{id}/download/{}",
        Sha256Digest::of(&gone)
    ))
    .bearer(&token)
    .send(w())
    .problem(410, "gone");
    assert_eq!(p["reason"], "consent_revoked");
    Req::get(early["url"].as_str().unwrap().trim_start_matches(&w().base))
        .send(w())
        .problem(410, "gone");
    let status = Req::get(&format!("/v1/manifests/{id}/status"))
        .bearer(&token)
        .send(w())
        .json();
    let verified = fairtrain_manifest::verify_status(&status, &keys).unwrap();
    assert_eq!(
        verified.fields.state(),
        fairtrain_manifest::ManifestState::Flagged
    );
    assert_eq!(status["status"], "flagged");
    assert_eq!(
        status["revoked_assets"][0]["content_hash"],
        Sha256Digest::of(&gone).to_string()
    );
    // The manifest itself never changes.
    assert_eq!(
        Req::get(&format!("/v1/manifests/{id}"))
            .bearer(&token)
            .send(w())
            .header("etag")
            .unwrap(),
        format!(
            "\"{}\"",
            m["manifest_hash"]
                .as_str()
                .unwrap()
                .trim_start_matches("sha256:")
        )
    );
}

/// 100,000 contributions seeded straight into D1 (uploading them one by one
/// would take the whole CI budget); composing, paging and verifying go
/// through the real worker and the CLI.
#[test]
fn a_100000_asset_manifest_composes_pages_and_verifies() {
    let n: usize = std::env::var("BIG_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let c = Creator::new();
    let (sql, _) = fairtrain_integration_tests::seed::catalogue(&c, n);
    let own = Worker::start_seeded(&[], Some(&sql));
    let started = std::time::Instant::now();
    let r = compose(&own, dataset(&c));
    let took = started.elapsed();
    assert_eq!(r.status, 201, "{}", r.text());
    let m = r.json();
    assert_eq!(m["asset_count"], n);
    eprintln!("composed and signed {n} assets in {took:?}");
    let id = m["manifest_id"].as_str().unwrap();
    // As a buyer would: the manifest first, then its pages.
    let doc = Req::get(&format!("/v1/manifests/{id}"))
        .bearer(&own.admin_token)
        .send(&own);
    assert_eq!(doc.status, 200);
    assert_eq!(doc.json()["credentialSubject"]["asset_count"], n);
    let last = Req::get(&format!("/v1/manifests/{id}/assets?page={}", n / 1024))
        .bearer(&own.admin_token)
        .send(&own)
        .json();
    assert_eq!(last["assets"].as_array().unwrap().len(), n % 1024);
    Req::get(&format!("/v1/manifests/{id}/assets?page={}", n / 1024 + 1))
        .bearer(&own.admin_token)
        .send(&own)
        .problem(404, "not-found");

    let dir = own.scratch("big");
    let out = own
        .cli()
        .env("FAIRTRAIN_TOKEN", &own.admin_token)
        .args(["manifest", "fetch", id, "--out-dir", &dir.to_string_lossy()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let started = std::time::Instant::now();
    let out = own
        .cli()
        .args(["manifest", "verify", &dir.to_string_lossy()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("verified {n} assets offline in {:?}", started.elapsed());
    let _ = now();
}
