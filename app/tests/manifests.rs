//! Manifests, natively: composition (the first qualifying contribution of
//! each asset, exclusions by reason, filters, explicit lists, refusals),
//! pages and proofs against the signed root, status after a revocation,
//! signed downloads, and who may read.

mod support;

use std::collections::BTreeMap;

use fairtrain_app::api_keys::{self, NewKey};
use fairtrain_app::consents::{self, Grant};
use fairtrain_app::contributions::store::StoredBlob;
use fairtrain_app::gateway::{reroute, Which};
use fairtrain_app::manifests::{self, DownloadQuery};
use fairtrain_app::memory::MemoryPlatform;
use fairtrain_app::platform::{Config, ConsentStore, ContributionStore, ManifestStore};
use fairtrain_app::{Kind, Result};
use fairtrain_consent::consent::{verify_consent_document, Jurisdiction, License, Use};
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::fields::urn_uuid_v4;
use fairtrain_core::principal::{Principal, Role};
use fairtrain_manifest::{BundleCheck, ComposeRequest, Composed, ManifestState};
use proptest::prelude::*;
use serde_json::{json, Value};
use support::*;

const TRAINING: &str = "TRAINING_PIPELINE";

/// A receipt id that sorts by `n`.
fn receipt(n: u32) -> String {
    let mut b = [0u8; 16];
    b[..4].copy_from_slice(&n.to_be_bytes());
    urn_uuid_v4(b)
}

/// Grants a consent by `c` (as `Creator::consent_with` makes it).
fn granted(
    p: &MemoryPlatform,
    c: &Creator,
    n: u8,
    assets: &[&[u8]],
    edit: impl FnOnce(&mut fairtrain_consent::consent::ConsentToken),
) -> String {
    match run(consents::grant(
        p,
        &c.did(),
        &c.consent_with(n, assets, edit),
    ))
    .unwrap()
    {
        Grant::Recorded(g) => g.consent_id,
        Grant::AlreadyRecorded(k) => k.consent_id,
    }
}

/// Stores a contribution of `bytes` by `c` (and its blob), not yet routed.
fn contribute_as(
    p: &MemoryPlatform,
    n: u32,
    c: &Creator,
    consent_id: &str,
    bytes: &[u8],
    media_type: &str,
) -> String {
    let id = receipt(n);
    let mut stored = contribution(&id, consent_id, bytes);
    stored.contributor = c.did().to_string();
    stored.media_type = media_type.into();
    stored.log_entry_hash = Sha256Digest::of(id.as_bytes()).to_string();
    run(p.insert_contribution(&stored)).unwrap();
    run(p.keep_blob(&StoredBlob {
        hash: stored.asset_hash.clone(),
        object_key: format!("blobs/{}", Sha256Digest::of(bytes).to_hex()),
        size: stored.size,
        media_type: media_type.into(),
        stored_at: t(NOW),
    }))
    .unwrap();
    id
}

fn contribute(p: &MemoryPlatform, n: u32, c: &Creator, consent_id: &str, bytes: &[u8]) -> String {
    contribute_as(p, n, c, consent_id, bytes, "image/png")
}

/// Routes every contribution as the gateway does.
fn route_all(p: &MemoryPlatform) {
    run(reroute(p, Which::All)).unwrap();
}

fn set_route(p: &MemoryPlatform, receipt_id: &str, route: &str) {
    let mut s = p.state.borrow_mut();
    s.contributions
        .contributions
        .get_mut(receipt_id)
        .unwrap()
        .route = route.into();
}

fn route_of(p: &MemoryPlatform, receipt_id: &str) -> String {
    p.state.borrow().contributions.contributions[receipt_id]
        .route
        .clone()
}

/// Commercial AI training, US residency: what `edit` does not change.
fn dataset(edit: impl FnOnce(&mut Value)) -> ComposeRequest {
    let mut v = json!({
        "name": "Street photos 2026",
        "license": { "type": "commercial", "terms": "Training only." },
        "usage_policy": { "allowed_uses": ["ai_training"], "commercial": true,
                          "attribution_model": "per_sample",
                          "price": { "currency": "USD", "minor_units": 2, "per_use": "0.0005" } },
        "data_residency": ["US"]
    });
    edit(&mut v);
    serde_json::from_value(v).unwrap()
}

fn compose(p: &MemoryPlatform, req: &ComposeRequest) -> Result<Composed> {
    run(manifests::compose(p, req))
}

fn principal(role: Role, id: &str) -> Principal {
    Principal {
        role,
        id: id.into(),
        scopes: vec![],
        expires_at: None,
    }
}

fn operator() -> Principal {
    principal(Role::Operator, "operator")
}

/// A buyer's API key id.
fn buyer_key(p: &MemoryPlatform) -> String {
    let issued = run(api_keys::issue(
        p,
        NewKey {
            role: "buyer".into(),
            label: "acme".into(),
            scopes: vec![],
            expires_at: None,
            signing_key: None,
            acts_for: None,
        },
    ))
    .unwrap();
    issued.record.id
}

/// A buyer holding a license for `manifest_id`.
fn licensed_buyer(p: &MemoryPlatform, manifest_id: &str) -> Principal {
    let id = buyer_key(p);
    run(fairtrain_app::licenses::grant(
        p,
        &format!("urn:uuid:license-{id}"),
        &id,
        manifest_id,
        None,
        "operator",
    ))
    .unwrap();
    principal(Role::Buyer, &id)
}

/// Every asset record of a manifest, page by page.
fn records(p: &MemoryPlatform, id: &str) -> Vec<fairtrain_manifest::AssetRecord> {
    let first = run(manifests::assets(p, &operator(), id, None)).unwrap();
    let mut all = first.assets;
    for page in 1..first.page_count {
        let next = run(manifests::assets(
            p,
            &operator(),
            id,
            Some(&page.to_string()),
        ))
        .unwrap();
        all.extend(next.assets);
    }
    all
}

fn reasons(c: &Composed) -> BTreeMap<String, String> {
    c.excluded
        .iter()
        .map(|e| (e.receipt_id.clone(), e.reason.as_str().to_string()))
        .collect()
}

#[test]
fn composition_keeps_the_first_qualifying_contribution_of_each_asset_and_says_why_not_the_rest() {
    let p = platform();
    let ada = Creator::new(1);
    let good = granted(&p, &ada, 1, &[b"a", b"b"], |_| {});
    let also_good = granted(&p, &ada, 2, &[b"b"], |_| {});
    let withdrawn = granted(&p, &ada, 3, &[b"a", b"c"], |_| {});
    let eu = granted(&p, &ada, 4, &[b"d"], |k| k.jurisdiction = Jurisdiction::Eu);
    let mining = granted(&p, &ada, 5, &[b"e"], |k| {
        k.allowed_uses = vec![Use::DataMining]
    });
    let research = granted(&p, &ada, 6, &[b"f"], |k| k.commercial = false);
    let canada = granted(&p, &ada, 7, &[b"g"], |k| k.jurisdiction = Jurisdiction::Ca);
    let short = granted(&p, &ada, 8, &[b"h"], |k| {
        k.valid_until = t("2026-03-15T00:00:00Z")
    });
    let late = granted(&p, &ada, 9, &[b"i"], |_| {});
    let tampered = granted(&p, &ada, 10, &[b"j"], |_| {});

    // Asset a: first under a consent withdrawn since, then under a good one.
    let a_withdrawn = contribute(&p, 1, &ada, &withdrawn, b"a");
    let a_good = contribute(&p, 2, &ada, &good, b"a");
    // Asset b: twice, both good: the first is kept, the second is not news.
    let b_first = contribute(&p, 3, &ada, &good, b"b");
    let b_second = contribute(&p, 4, &ada, &also_good, b"b");
    let c = contribute(&p, 5, &ada, &withdrawn, b"c");
    let d = contribute(&p, 6, &ada, &eu, b"d");
    let e = contribute(&p, 7, &ada, &mining, b"e");
    let f = contribute(&p, 8, &ada, &research, b"f");
    let g = contribute(&p, 9, &ada, &canada, b"g");
    let h = contribute(&p, 10, &ada, &short, b"h");
    let i = contribute(&p, 11, &ada, &late, b"i");
    let j = contribute(&p, 12, &ada, &tampered, b"j");
    route_all(&p);
    assert_eq!(route_of(&p, &d), "COMPLIANCE_HOLD");
    run(consents::revoke(
        &p,
        &ada.did(),
        &withdrawn,
        &ada.revocation(&withdrawn, NOW),
    ))
    .unwrap();
    assert_ne!(route_of(&p, &a_withdrawn), TRAINING, "revocation reroutes");
    // Revoked, but not rerouted (yet): composition still leaves it out.
    run(p.record_revocation(&late, t(NOW), "{}", &[])).unwrap();
    // A stored token that no longer verifies is no consent at all.
    {
        let mut s = p.state.borrow_mut();
        let k = s.consents.consents.get_mut(&tampered).unwrap();
        k.token = k
            .token
            .replace("\"commercial\":true", "\"commercial\":false");
    }
    p.set_now(t("2026-04-01T00:00:00Z"));

    let m = compose(&p, &dataset(|_| {})).unwrap();
    assert_eq!(m.asset_count, 2);
    let kept: Vec<String> = records(&p, &m.manifest_id)
        .into_iter()
        .map(|r| r.receipt_id)
        .collect();
    let mut expected = vec![a_good.clone(), b_first.clone()];
    expected.sort_by_key(|r| {
        if *r == a_good {
            Sha256Digest::of(b"a")
        } else {
            Sha256Digest::of(b"b")
        }
    });
    assert_eq!(kept, expected, "leaves in asset hash order");
    let why = reasons(&m);
    let expect = [
        (&a_withdrawn, "not_training_pipeline"),
        (&c, "not_training_pipeline"),
        (&d, "not_training_pipeline"),
        (&e, "use_not_allowed"),
        (&f, "not_commercial"),
        (&g, "jurisdiction_not_in_residency"),
        (&h, "consent_expired"),
        (&i, "consent_revoked"),
        (&j, "no_consent"),
    ];
    assert_eq!(
        why,
        expect
            .iter()
            .map(|(r, w)| (r.to_string(), w.to_string()))
            .collect::<BTreeMap<_, _>>()
    );
    assert!(!why.contains_key(&b_second), "a later copy is not excluded");
    let counts: BTreeMap<&str, u64> = m
        .excluded_by_reason
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        counts,
        BTreeMap::from([
            ("consent_expired", 1),
            ("consent_revoked", 1),
            ("jurisdiction_not_in_residency", 1),
            ("no_consent", 1),
            ("not_commercial", 1),
            ("not_training_pipeline", 3),
            ("use_not_allowed", 1),
        ])
    );

    // Signed, logged, stored.
    let published = logged(&p, "manifest.published");
    assert_eq!(published.len(), 1);
    assert_eq!(published[0]["manifest_id"], m.manifest_id);
    let doc = run(manifests::read(&p, &operator(), &m.manifest_id)).unwrap();
    assert_eq!(doc.manifest_hash, m.manifest_hash);
    assert_eq!(
        Sha256Digest::of(doc.document.as_bytes()),
        m.manifest_hash,
        "the hash is the stored document's"
    );
    let verified = fairtrain_manifest::verify_manifest(
        &serde_json::from_str(&doc.document).unwrap(),
        &p.keys().unwrap().keys,
    )
    .unwrap();
    assert_eq!(verified.fields.asset_count, 2);
    assert_eq!(verified.fields.assets_root, m.assets_root);
    assert_eq!(verified.fields.snapshot_id, m.snapshot_id);

    // The answer is the API's JSON.
    let body = serde_json::to_value(&m).unwrap();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "manifest_id",
            "snapshot_id",
            "asset_count",
            "assets_root",
            "manifest_hash",
            "log_entry_hash",
            "excluded",
            "excluded_by_reason"
        ]
    );
    assert_eq!(body["assets_root"], m.assets_root.to_base64());
    assert_eq!(
        body["excluded"][0]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["content_hash", "receipt_id", "reason"]
    );

    // A second composition is a new snapshot; the first stays.
    let again = compose(&p, &dataset(|_| {})).unwrap();
    assert_ne!(again.manifest_id, m.manifest_id);
    assert_ne!(again.snapshot_id, m.snapshot_id);
    assert!(run(manifests::read(&p, &operator(), &m.manifest_id)).is_ok());
}

#[test]
fn filters_narrow_what_is_considered_without_excluding_it() {
    let p = platform();
    let ada = Creator::new(1);
    let bob = Creator::new(2);
    let ada_all = granted(&p, &ada, 1, &[b"a1", b"a2"], |_| {});
    let ada_mining = granted(&p, &ada, 2, &[b"a3"], |k| {
        k.allowed_uses = vec![Use::AiTraining, Use::DataMining]
    });
    let ada_training = granted(&p, &ada, 3, &[b"a4"], |k| {
        k.allowed_uses = vec![Use::AiTraining];
        k.license = License {
            id: "CC0-1.0".into(),
            terms: None,
        };
    });
    let bob_all = granted(&p, &bob, 4, &[b"b1"], |_| {});
    let bob_canada = granted(&p, &bob, 5, &[b"b2"], |k| k.jurisdiction = Jurisdiction::Ca);
    contribute_as(&p, 1, &ada, &ada_all, b"a1", "image/png");
    contribute_as(&p, 2, &ada, &ada_all, b"a2", "image/jpeg");
    contribute(&p, 3, &ada, &ada_mining, b"a3");
    contribute(&p, 4, &ada, &ada_training, b"a4");
    contribute(&p, 5, &bob, &bob_all, b"b1");
    contribute(&p, 6, &bob, &bob_canada, b"b2");
    route_all(&p);

    let hashes = |m: &Composed| -> Vec<Sha256Digest> {
        let mut h: Vec<_> = records(&p, &m.manifest_id)
            .into_iter()
            .map(|r| r.content_hash)
            .collect();
        h.sort();
        h
    };
    let of = |list: &[&[u8]]| {
        let mut h: Vec<_> = list.iter().map(|b| Sha256Digest::of(b)).collect();
        h.sort();
        h
    };

    // (filter, data residency, what is in, how many are excluded)
    let cases: [(Value, Value, &[&[u8]], usize); 5] = [
        // Only bob's; his Canadian asset is outside the residency.
        (
            json!({ "creator": bob.did().to_string() }),
            json!(["US"]),
            &[b"b1"],
            1,
        ),
        (
            json!({ "media_type": "image/jpeg" }),
            json!(["US"]),
            &[b"a2"],
            0,
        ),
        // a4's consent does not allow data mining: not considered at all.
        (
            json!({ "allowed_use": "data_mining" }),
            json!(["US", "CA"]),
            &[b"a1", b"a2", b"a3", b"b1", b"b2"],
            0,
        ),
        (json!({ "license": "CC0-1.0" }), json!(["US"]), &[b"a4"], 0),
        (json!({ "jurisdiction": "CA" }), json!(["CA"]), &[b"b2"], 0),
    ];
    for (filter, residency, included, excluded) in cases {
        let m = compose(
            &p,
            &dataset(|v| {
                v["filter"] = filter.clone();
                v["data_residency"] = residency;
            }),
        )
        .unwrap();
        assert_eq!(hashes(&m), of(included), "{filter}");
        assert_eq!(m.excluded.len(), excluded, "{filter}: {m:?}");
    }
}

#[test]
fn an_explicit_asset_list_is_all_a_composition_considers() {
    let p = platform();
    let ada = Creator::new(1);
    let k = granted(&p, &ada, 1, &[b"a", b"b", b"c"], |_| {});
    let eu = granted(&p, &ada, 2, &[b"d"], |k| k.jurisdiction = Jurisdiction::Eu);
    for (n, bytes) in [(1, b"a"), (2, b"b"), (3, b"c")] {
        contribute(&p, n, &ada, &k, bytes);
    }
    let d = contribute(&p, 4, &ada, &eu, b"d");
    route_all(&p);
    let list = json!([
        Sha256Digest::of(b"c"),
        Sha256Digest::of(b"a"),
        Sha256Digest::of(b"d")
    ]);
    let m = compose(&p, &dataset(|v| v["assets"] = list)).unwrap();
    let mut got: Vec<_> = records(&p, &m.manifest_id)
        .into_iter()
        .map(|r| r.content_hash)
        .collect();
    got.sort();
    let mut want = vec![Sha256Digest::of(b"a"), Sha256Digest::of(b"c")];
    want.sort();
    assert_eq!(got, want);
    assert_eq!(
        reasons(&m),
        BTreeMap::from([(d, "not_training_pipeline".to_string())])
    );
    // A list naming an asset twice is not a request.
    let twice = json!([Sha256Digest::of(b"a"), Sha256Digest::of(b"a")]);
    let e = compose(&p, &dataset(|v| v["assets"] = twice)).unwrap_err();
    assert_eq!(e.kind, Kind::Invalid);
}

#[test]
fn nothing_qualifying_is_refused_with_the_counts_and_stores_nothing() {
    let p = platform();
    let ada = Creator::new(1);
    let k = granted(&p, &ada, 1, &[b"a", b"b"], |_| {});
    contribute(&p, 1, &ada, &k, b"a");
    contribute(&p, 2, &ada, &k, b"b");
    route_all(&p);
    let e = compose(&p, &dataset(|v| v["data_residency"] = json!(["HK"]))).unwrap_err();
    assert_eq!(e.kind, Kind::Invalid);
    assert_eq!(e.detail, "no asset qualifies for this dataset");
    assert_eq!(
        e.members["excluded_by_reason"],
        json!({ "jurisdiction_not_in_residency": 2 })
    );
    let excluded = e.members["excluded"].as_array().unwrap();
    assert_eq!(excluded.len(), 2);
    assert_eq!(excluded[0]["reason"], "jurisdiction_not_in_residency");
    let s = p.state.borrow();
    assert!(s.manifests.manifests.is_empty());
    assert!(s.manifests.assets.is_empty());
    drop(s);
    assert!(logged(&p, "manifest.published").is_empty());

    // With no candidates at all, too.
    let none = compose(
        &p,
        &dataset(|v| v["filter"] = json!({ "media_type": "text/plain" })),
    )
    .unwrap_err();
    assert_eq!(none.members["excluded_by_reason"], json!({}));
}

#[test]
fn a_composition_the_log_refuses_publishes_nothing_and_its_rows_stay_invisible() {
    let p = platform();
    let ada = Creator::new(1);
    let k = granted(&p, &ada, 1, &[b"a"], |_| {});
    contribute(&p, 1, &ada, &k, b"a");
    route_all(&p);
    p.state.borrow_mut().log.refuse_next = true;
    let e = compose(&p, &dataset(|_| {})).unwrap_err();
    assert_eq!(e.kind, Kind::RateLimited);
    let (manifest_id, _) = p
        .state
        .borrow()
        .manifests
        .assets
        .keys()
        .next()
        .cloned()
        .expect("the asset rows are written first");
    assert!(p.state.borrow().manifests.manifests.is_empty());
    assert!(run(p.manifest_assets(&manifest_id, 0, 10))
        .unwrap()
        .is_empty());
    assert_eq!(
        run(manifests::read(&p, &operator(), &manifest_id))
            .unwrap_err()
            .kind,
        Kind::NotFound
    );
    // Retried, it publishes under a new id.
    let m = compose(&p, &dataset(|_| {})).unwrap();
    assert_ne!(m.manifest_id, manifest_id);
    assert_eq!(records(&p, &m.manifest_id).len(), 1);
}

#[test]
fn pages_consents_and_proofs_verify_against_the_signed_root_across_scan_and_write_chunks() {
    let p = platform();
    let ada = Creator::new(1);
    let n: u32 = 2100;
    let bytes: Vec<Vec<u8>> = (0..n).map(|i| format!("asset {i}").into_bytes()).collect();
    let mut consent_ids = Vec::new();
    for (k, chunk) in bytes.chunks(200).enumerate() {
        let assets: Vec<&[u8]> = chunk.iter().map(Vec::as_slice).collect();
        consent_ids.push(granted(&p, &ada, 10 + k as u8, &assets, |_| {}));
    }
    for (i, b) in bytes.iter().enumerate() {
        contribute(&p, 10 + i as u32, &ada, &consent_ids[i / 200], b);
    }
    // The asset whose rows straddle the first scan page (2,000 rows): a
    // second contribution of it comes first on the next page.
    let mut order: Vec<(Sha256Digest, usize)> = bytes
        .iter()
        .enumerate()
        .map(|(i, b)| (Sha256Digest::of(b), i))
        .collect();
    order.sort();
    let (straddler, at) = order[1999];
    let second = contribute(&p, 100_000, &ada, &consent_ids[at / 200], &bytes[at]);
    route_all(&p);

    let m = compose(&p, &dataset(|_| {})).unwrap();
    assert_eq!(m.asset_count, n as u64);
    assert!(m.excluded.is_empty());
    let all = records(&p, &m.manifest_id);
    assert_eq!(all.len(), n as usize);
    let s: Vec<_> = all.iter().filter(|r| r.content_hash == straddler).collect();
    assert_eq!(s.len(), 1);
    assert_ne!(s[0].receipt_id, second, "the first contribution is kept");

    // Everything a verifier fetches verifies: the manifest, every page and
    // every consent the pages use.
    let doc = run(manifests::read(&p, &operator(), &m.manifest_id)).unwrap();
    let verified = fairtrain_manifest::verify_manifest(
        &serde_json::from_str(&doc.document).unwrap(),
        &p.keys().unwrap().keys,
    )
    .unwrap();
    let mut check = BundleCheck::new(&verified);
    let first = run(manifests::consents(&p, &operator(), &m.manifest_id, None)).unwrap();
    assert_eq!(first.page_count, 1);
    assert_eq!(first.consents.len(), consent_ids.len());
    for token in &first.consents {
        check
            .add_consent(verify_consent_document(token).unwrap())
            .unwrap();
    }
    let beyond = run(manifests::consents(
        &p,
        &operator(),
        &m.manifest_id,
        Some("1"),
    ))
    .unwrap();
    assert!(beyond.consents.is_empty());
    for page in 0..3 {
        let body = run(manifests::assets(
            &p,
            &operator(),
            &m.manifest_id,
            Some(&page.to_string()),
        ))
        .unwrap();
        check.add_assets_page(&body).unwrap();
    }
    let summary = check.finish().unwrap();
    assert_eq!(summary.asset_count, n as u64);
    assert_eq!(summary.page_count, 3);

    // One asset's proof is short and verifies against the signed root.
    let record = &all[1500];
    let proof = run(manifests::proof(
        &p,
        &operator(),
        &m.manifest_id,
        &record.content_hash.to_string(),
    ))
    .unwrap();
    assert_eq!(proof.index, 1500);
    assert_eq!(&proof.record, record);
    fairtrain_manifest::verify_asset(
        &proof.record,
        proof.index,
        proof.asset_count,
        &proof.proof,
        &verified.fields.assets_root,
    )
    .unwrap();

    // Pages and hashes that are not there.
    let e = run(manifests::assets(
        &p,
        &operator(),
        &m.manifest_id,
        Some("3"),
    ))
    .unwrap_err();
    assert_eq!(e.kind, Kind::NotFound);
    assert!(e.detail.contains("there are 3 pages"), "{}", e.detail);
    let e = run(manifests::assets(
        &p,
        &operator(),
        &m.manifest_id,
        Some("-1"),
    ))
    .unwrap_err();
    assert_eq!(e.kind, Kind::BadRequest);
    let e = run(manifests::proof(
        &p,
        &operator(),
        &m.manifest_id,
        "sha256:nope",
    ))
    .unwrap_err();
    assert_eq!(e.kind, Kind::BadRequest);
    let absent = Sha256Digest::of(b"absent").to_string();
    let e = run(manifests::proof(&p, &operator(), &m.manifest_id, &absent)).unwrap_err();
    assert_eq!(e.kind, Kind::NotFound);
}

/// A published manifest of the assets `a` and `b`, under one consent each.
struct Published {
    p: MemoryPlatform,
    ada: Creator,
    manifest_id: String,
    consent_a: String,
}

fn published() -> Published {
    let p = platform();
    let ada = Creator::new(1);
    let consent_a = granted(&p, &ada, 1, &[b"a"], |_| {});
    let consent_b = granted(&p, &ada, 2, &[b"b"], |_| {});
    contribute(&p, 1, &ada, &consent_a, b"a");
    contribute(&p, 2, &ada, &consent_b, b"b");
    route_all(&p);
    let manifest_id = compose(&p, &dataset(|_| {})).unwrap().manifest_id;
    Published {
        p,
        ada,
        manifest_id,
        consent_a,
    }
}

fn status(p: &MemoryPlatform, reader: &Principal, id: &str) -> fairtrain_manifest::VerifiedStatus {
    let doc = run(manifests::status(p, reader, id)).unwrap();
    fairtrain_manifest::verify_status(&doc, &p.keys().unwrap().keys).unwrap()
}

/// A download URL for `hash` under `https://api.example`.
fn download(
    p: &MemoryPlatform,
    who: &Principal,
    manifest_id: &str,
    hash: &Sha256Digest,
) -> Result<manifests::DownloadUrl> {
    run(manifests::download_url(
        p,
        who,
        manifest_id,
        &hash.to_string(),
        "https://api.example",
    ))
}

/// The query of a download URL, decoded.
fn download_query(url: &str) -> DownloadQuery {
    fn decode(text: &str) -> String {
        let mut out = Vec::new();
        let b = text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'%' => {
                    out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
                    i += 3;
                }
                b'+' => {
                    out.push(b' ');
                    i += 1;
                }
                c => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        String::from_utf8(out).unwrap()
    }
    let (_, query) = url.split_once('?').unwrap();
    let mut q = DownloadQuery::default();
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap();
        let v = Some(decode(v));
        match k {
            "m" => q.manifest_id = v,
            "b" => q.buyer = v,
            "exp" => q.exp = v,
            "sig" => q.sig = v,
            other => panic!("unexpected {other}"),
        }
    }
    q
}

#[test]
fn a_revocation_flags_the_status_and_makes_downloads_gone() {
    let Published {
        p,
        ada,
        manifest_id,
        consent_a,
        ..
    } = published();
    let buyer = licensed_buyer(&p, &manifest_id);
    let clean = status(&p, &buyer, &manifest_id);
    assert_eq!(clean.fields.state(), ManifestState::Clean);
    assert!(clean.fields.revoked_assets.is_empty());
    assert_eq!(clean.fields.as_of, t(NOW));

    let a = Sha256Digest::of(b"a");
    let early = download(&p, &buyer, &manifest_id, &a).unwrap();

    p.advance_seconds(60);
    run(consents::revoke(
        &p,
        &ada.did(),
        &consent_a,
        &ada.revocation(&consent_a, "2026-03-01T12:00:30Z"),
    ))
    .unwrap();
    let flagged = status(&p, &buyer, &manifest_id);
    assert_eq!(flagged.fields.state(), ManifestState::Flagged);
    assert_eq!(flagged.fields.revoked_assets.len(), 1);
    assert_eq!(flagged.fields.revoked_assets[0].content_hash, a);
    assert_eq!(flagged.fields.revoked_assets[0].consent_id, consent_a);
    assert_eq!(
        p.state.borrow().manifests.manifests[&manifest_id].status,
        ManifestState::Flagged
    );

    let e = download(&p, &buyer, &manifest_id, &a).unwrap_err();
    assert_eq!(e.kind, Kind::Gone);
    assert_eq!(e.reason(), Some("consent_revoked"));
    assert_eq!(e.members["content_hash"], a.to_string());
    // A URL issued before the revocation, used after it: gone too.
    let e = run(manifests::open_download(
        &p,
        &a,
        &download_query(&early.url),
    ))
    .unwrap_err();
    assert_eq!(e.kind, Kind::Gone);
    assert_eq!(e.reason(), Some("consent_revoked"));
    // The other asset is still served; the manifest itself never changes.
    let b = Sha256Digest::of(b"b");
    let url = download(&p, &buyer, &manifest_id, &b).unwrap();
    assert!(run(manifests::open_download(&p, &b, &download_query(&url.url))).is_ok());
}

#[test]
fn an_expired_consent_makes_a_download_gone() {
    let p = platform();
    let ada = Creator::new(1);
    let k = granted(&p, &ada, 1, &[b"a"], |k| {
        k.valid_until = t("2026-03-02T00:00:00Z")
    });
    contribute(&p, 1, &ada, &k, b"a");
    route_all(&p);
    let m = compose(&p, &dataset(|_| {})).unwrap();
    p.set_now(t("2026-03-03T00:00:00Z"));
    let e = download(&p, &operator(), &m.manifest_id, &Sha256Digest::of(b"a")).unwrap_err();
    assert_eq!(e.kind, Kind::Gone);
    assert_eq!(e.reason(), Some("consent_expired"));
}

#[test]
fn download_urls_verify_only_under_platform_keys_and_expire() {
    let Published { p, manifest_id, .. } = published();
    let buyer = licensed_buyer(&p, &manifest_id);
    let a = Sha256Digest::of(b"a");
    let url = download(&p, &buyer, &manifest_id, &a).unwrap();
    assert!(url
        .url
        .starts_with(&format!("https://api.example/v1/blobs/{a}?m=urn%3Auuid%3A")));
    assert_eq!(url.content_hash, a);
    assert_eq!(url.expires_at, Some(t("2026-03-01T12:05:00Z")));
    let body = serde_json::to_value(&url).unwrap();
    assert_eq!(
        body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["url", "expires_at", "content_hash"]
    );
    assert_eq!(body["expires_at"], "2026-03-01T12:05:00Z");

    let q = download_query(&url.url);
    assert_eq!(q.buyer.as_deref(), Some(buyer.id.as_str()));
    let blob = run(manifests::open_download(&p, &a, &q)).unwrap();
    assert_eq!(blob.object_key, format!("blobs/{}", a.to_hex()));
    assert_eq!(blob.media_type, "image/png");

    let refused = |q: &DownloadQuery, hash: &Sha256Digest| {
        let e = run(manifests::open_download(&p, hash, q)).unwrap_err();
        assert_eq!(e.kind, Kind::Forbidden, "{}", e.detail);
        e.detail.clone()
    };
    // Any part changed, and the signature no longer verifies.
    let mut later = q.clone();
    later.exp = Some((q.exp.as_ref().unwrap().parse::<u64>().unwrap() + 1).to_string());
    assert!(refused(&later, &a).ends_with("the signature does not verify"));
    let mut other = q.clone();
    other.buyer = Some("someone-else".into());
    refused(&other, &a);
    refused(&q, &Sha256Digest::of(b"b"));
    // Signed by a key that is not the platform's.
    let stranger = fairtrain_core::ed25519::SigningKey::from_seed(&[99; 32]);
    let message = format!(
        "fairtrain download\n{a}\n{manifest_id}\n{}\n{}",
        buyer.id,
        q.exp.as_ref().unwrap()
    );
    let mut forged = q.clone();
    forged.sig = Some(fairtrain_core::encoding::base64url_encode(
        &stranger.sign(message.as_bytes()).to_bytes(),
    ));
    assert!(refused(&forged, &a).ends_with("the signature does not verify"));
    // The same message under the platform's key is what the URL carries.
    let ours =
        fairtrain_core::ed25519::SigningKey::from_seed(&fairtrain_app::memory::PLATFORM_SEED);
    assert_eq!(
        q.sig.as_deref(),
        Some(
            fairtrain_core::encoding::base64url_encode(&ours.sign(message.as_bytes()).to_bytes())
                .as_str()
        )
    );
    let mut missing = q.clone();
    missing.sig = None;
    assert!(refused(&missing, &a).ends_with("it lacks m, b, exp or sig"));
    let mut garbled = q.clone();
    garbled.sig = Some("!!".into());
    assert!(refused(&garbled, &a).ends_with("sig"));

    // Valid for five minutes, then not.
    p.advance_seconds(300);
    assert!(run(manifests::open_download(&p, &a, &q)).is_ok());
    p.advance_seconds(1);
    assert!(refused(&q, &a).ends_with("it has expired; ask for a new one"));
}

#[test]
fn buyers_without_a_current_license_are_refused() {
    let Published { p, manifest_id, .. } = published();
    let a = Sha256Digest::of(b"a").to_string();
    let reads = |who: &Principal| -> Vec<Result<(), Kind>> {
        let k = |r: Result<(), fairtrain_app::Error>| r.map_err(|e| e.kind);
        vec![
            k(run(manifests::read(&p, who, &manifest_id)).map(drop)),
            k(run(manifests::assets(&p, who, &manifest_id, None)).map(drop)),
            k(run(manifests::consents(&p, who, &manifest_id, None)).map(drop)),
            k(run(manifests::proof(&p, who, &manifest_id, &a)).map(drop)),
            k(run(manifests::status(&p, who, &manifest_id)).map(drop)),
            k(run(manifests::download_url(
                &p,
                who,
                &manifest_id,
                &a,
                "https://x",
            ))
            .map(drop)),
        ]
    };
    let all = |r: Result<(), Kind>| vec![r; 6];

    let stranger = principal(Role::Buyer, &buyer_key(&p));
    assert_eq!(reads(&stranger), all(Err(Kind::Forbidden)));
    // A malformed page or hash tells a reader without access nothing.
    assert_eq!(
        run(manifests::assets(&p, &stranger, &manifest_id, Some("x")))
            .unwrap_err()
            .kind,
        Kind::Forbidden
    );
    assert_eq!(
        run(manifests::proof(&p, &stranger, &manifest_id, "x"))
            .unwrap_err()
            .kind,
        Kind::Forbidden
    );

    let buyer = licensed_buyer(&p, &manifest_id);
    assert_eq!(reads(&buyer), all(Ok(())));
    run(fairtrain_app::licenses::revoke(
        &p,
        &format!("urn:uuid:license-{}", buyer.id),
    ))
    .unwrap();
    assert_eq!(reads(&buyer), all(Err(Kind::Forbidden)));

    let expiring = buyer_key(&p);
    run(fairtrain_app::licenses::grant(
        &p,
        "urn:uuid:license-expiring",
        &expiring,
        &manifest_id,
        Some("2026-03-02T00:00:00Z"),
        "operator",
    ))
    .unwrap();
    let expiring = principal(Role::Buyer, &expiring);
    assert_eq!(reads(&expiring), all(Ok(())));
    p.set_now(t("2026-03-02T00:00:00Z"));
    assert_eq!(reads(&expiring), all(Err(Kind::Forbidden)));

    // The operator and auditors read; creators do not.
    assert_eq!(reads(&operator()), all(Ok(())));
    assert_eq!(reads(&principal(Role::Auditor, "audit")), all(Ok(())));
    assert_eq!(
        reads(&principal(
            Role::Creator,
            &Creator::new(1).did().to_string()
        )),
        all(Err(Kind::Forbidden))
    );
    // A manifest that does not exist, for anyone.
    assert_eq!(
        run(manifests::read(&p, &operator(), "urn:uuid:nope"))
            .unwrap_err()
            .kind,
        Kind::NotFound
    );
}

/// What a contribution in the property below is.
#[derive(Debug, Clone, Copy)]
enum Case {
    Good,
    MiningOnly,
    NonCommercial,
    RevokedNotRerouted,
}

impl Case {
    fn reason(self, routed: bool) -> Option<&'static str> {
        if !routed {
            return Some("not_training_pipeline");
        }
        match self {
            Case::Good => None,
            Case::MiningOnly => Some("use_not_allowed"),
            Case::NonCommercial => Some("not_commercial"),
            Case::RevokedNotRerouted => Some("consent_revoked"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// For any contributions, in any order: each asset with a qualifying
    /// contribution is in once, by its first qualifying contribution; the
    /// contributions before it are excluded with their reason; those after
    /// it are neither.
    #[test]
    fn the_first_qualifying_contribution_of_each_asset_is_the_one_kept(
        rows in prop::collection::vec((0u8..4, 0usize..4, any::<bool>()), 1..12)
    ) {
        let kinds = [Case::Good, Case::MiningOnly, Case::NonCommercial, Case::RevokedNotRerouted];
        let p = platform();
        let ada = Creator::new(1);
        let assets: Vec<Vec<u8>> = (0..4u8).map(|i| vec![b'a' + i]).collect();
        let covered: Vec<&[u8]> = assets.iter().map(Vec::as_slice).collect();
        let consent_ids = [
            granted(&p, &ada, 1, &covered, |_| {}),
            granted(&p, &ada, 2, &covered, |k| k.allowed_uses = vec![Use::DataMining]),
            granted(&p, &ada, 3, &covered, |k| k.commercial = false),
            granted(&p, &ada, 4, &covered, |_| {}),
        ];
        run(p.record_revocation(&consent_ids[3], t(NOW), "{}", &[])).unwrap();

        let mut expected_kept: BTreeMap<Sha256Digest, String> = BTreeMap::new();
        let mut expected_excluded: BTreeMap<String, &str> = BTreeMap::new();
        let mut done: BTreeMap<Sha256Digest, bool> = BTreeMap::new();
        for (n, (asset, kind, routed)) in rows.iter().enumerate() {
            let bytes = &assets[*asset as usize];
            let id = contribute(&p, n as u32, &ada, &consent_ids[*kind], bytes);
            set_route(&p, &id, if *routed { TRAINING } else { "COMPLIANCE_HOLD" });
            let hash = Sha256Digest::of(bytes);
            if done.get(&hash).copied().unwrap_or(false) {
                continue;
            }
            match kinds[*kind].reason(*routed) {
                None => {
                    expected_kept.insert(hash, id);
                    done.insert(hash, true);
                }
                Some(reason) => {
                    expected_excluded.insert(id, reason);
                }
            }
        }
        let mut expected_counts: BTreeMap<String, u64> = BTreeMap::new();
        for reason in expected_excluded.values() {
            *expected_counts.entry(reason.to_string()).or_default() += 1;
        }

        match compose(&p, &dataset(|_| {})) {
            Ok(m) => {
                let kept: BTreeMap<Sha256Digest, String> = records(&p, &m.manifest_id)
                    .into_iter()
                    .map(|r| (r.content_hash, r.receipt_id))
                    .collect();
                prop_assert_eq!(kept, expected_kept);
                let excluded: BTreeMap<String, &str> = m
                    .excluded
                    .iter()
                    .map(|e| (e.receipt_id.clone(), e.reason.as_str()))
                    .collect();
                prop_assert_eq!(excluded, expected_excluded);
                prop_assert_eq!(m.excluded_by_reason, expected_counts);
            }
            Err(e) => {
                prop_assert!(expected_kept.is_empty());
                prop_assert_eq!(e.kind, Kind::Invalid);
                prop_assert_eq!(
                    e.members["excluded_by_reason"].clone(),
                    serde_json::to_value(&expected_counts).unwrap()
                );
                prop_assert!(p.state.borrow().manifests.assets.is_empty());
            }
        }
    }
}
