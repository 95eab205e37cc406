//! The manifest commands against a stand-in platform that serves a manifest
//! built in memory (`fairtrain_manifest::fixture`), with its pages,
//! consents, proofs, status, and the log entries of its assets.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use fairtrain_core::key_set::{self, PublishedKey};
use fairtrain_manifest::fixture::{platform, Fixture, FixtureOptions};
use fairtrain_manifest::{ComposeRequest, Composed};
use fairtrain_tlog::{Checkpoint, Ed25519NoteSigner, MemoryTree, TlogProof};
use serde_json::{json, Value};

use super::*;

const ORIGIN: &str = "fairtrain.test/log";

/// What the stand-in answers: (status, JSON body) by "METHOD /target".
type Routes = HashMap<String, (u16, Value)>;
/// Every request: "METHOD /target" and its body.
type Requests = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

struct Platform {
    url: String,
    requests: Requests,
}

impl Platform {
    fn api(&self) -> Api {
        Api::new(&self.url, Some("operator-token".into()))
    }

    fn requested(&self, line: &str) -> Option<Vec<u8>> {
        let requests = self.requests.lock().unwrap();
        requests
            .iter()
            .find(|(l, _)| l == line)
            .map(|(_, b)| b.clone())
    }
}

/// Serves `routes` over HTTP/1.1 on localhost (404 for anything else).
fn serve(routes: Routes) -> Platform {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Requests::default();
    let log = Arc::clone(&requests);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            answer(stream, &routes, &log);
        }
    });
    Platform { url, requests }
}

fn answer(
    mut stream: TcpStream,
    routes: &Routes,
    log: &Mutex<Vec<(String, Vec<u8>)>>,
) -> Option<()> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let mut length = 0;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 || header == "\r\n" {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let mut parts = request_line.split(' ');
    let line = format!("{} {}", parts.next()?, parts.next()?);
    log.lock().ok()?.push((line.clone(), body));
    let (status, value) = routes.get(&line).cloned().unwrap_or((
        404,
        json!({"type": "/problems/not-found", "title": "Not Found", "status": 404}),
    ));
    let text = value.to_string();
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        text.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(text.as_bytes()).ok()
}

/// Everything the platform serves about `fx`'s manifest, its assets' log
/// entries included (with tlog-proofs to a checkpoint the platform signed).
fn routes(fx: &Fixture) -> Routes {
    let id = &fx.fields.manifest_id;
    let base = format!("GET /v1/manifests/{id}");
    let mut r = Routes::new();
    let ok = |v: Value| (200, v);
    r.insert(
        "GET /.well-known/fairtrain/keys".into(),
        ok(fx.key_set.clone()),
    );
    r.insert(base.clone(), ok(fx.manifest.clone()));
    for k in 0..fx.page_count() {
        r.insert(
            format!("{base}/assets?page={k}"),
            ok(serde_json::to_value(fx.assets_page(k)).unwrap()),
        );
    }
    for k in 0..fx.consents_page_count() {
        r.insert(
            format!("{base}/consents?page={k}"),
            ok(serde_json::to_value(fx.consents_page(k)).unwrap()),
        );
    }
    for record in &fx.records {
        let proof = fx.asset_proof(&record.content_hash).unwrap();
        r.insert(
            format!("{base}/proof/{}", record.content_hash),
            ok(serde_json::to_value(proof).unwrap()),
        );
    }
    r.insert(format!("{base}/status"), ok(fx.status(&[1])));

    let tree = MemoryTree::from_entries(fx.log_entries.iter().map(Vec::as_slice));
    let signer = Ed25519NoteSigner::new(ORIGIN, platform()).unwrap();
    let checkpoint = Checkpoint::new(ORIGIN, tree.size(), tree.root())
        .unwrap()
        .sign(&[&signer])
        .unwrap()
        .to_bytes();
    for (i, (entry, record)) in fx.log_entries.iter().zip(&fx.records).enumerate() {
        let proof = TlogProof::build(i as u64, &checkpoint, &tree, Vec::new()).unwrap();
        r.insert(
            format!("GET /v1/log/entries/{}", record.log_entry_hash),
            ok(json!({
                "index": i,
                "entry_hash": record.log_entry_hash,
                "entry": serde_json::from_slice::<Value>(entry).unwrap(),
                "proof": String::from_utf8(proof.to_bytes()).unwrap(),
            })),
        );
    }
    r
}

fn keys(fx: &Fixture) -> Vec<PublishedKey> {
    key_set::verify(&fx.key_set).unwrap()
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let name = format!(
            "fairtrain-manifest-test-{:016x}",
            u64::from_le_bytes(crate::random::bytes().unwrap())
        );
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn fixture(asset_count: usize, assets_per_consent: usize) -> Fixture {
    Fixture::new(FixtureOptions {
        asset_count,
        assets_per_consent,
        ..FixtureOptions::default()
    })
}

/// An Api that reaches nothing: offline commands must not use it.
fn offline() -> Api {
    Api::new("http://127.0.0.1:9", None)
}

#[test]
fn fetch_then_verify_offline() {
    let fx = fixture(2100, 2);
    let platform = serve(routes(&fx));
    let keys = keys(&fx);
    let tmp = TempDir::new();
    let dir = tmp.path().join("m");
    dir::fetch(&platform.api(), &keys, &fx.fields.manifest_id, &dir).unwrap();
    assert!(dir.join("assets/000002.json").exists());
    assert!(dir.join("consents/000010.json").exists());
    assert!(dir.join("status.json").exists());
    let summary = dir::verify(&offline(), &keys, &dir, None).unwrap();
    assert_eq!(summary["asset_count"], 2100);
    assert_eq!(summary["page_count"], 3);
    assert_eq!(summary["consent_count"], 1050);
    assert_eq!(summary["creator_count"], 5);
    assert_eq!(summary["status"], "flagged");
    assert_eq!(summary["revoked_assets"], 1);
    assert_eq!(
        summary["manifest_hash"],
        json!(fairtrain_manifest::manifest_hash(&fx.manifest).unwrap())
    );
    // Fetching refuses a directory that is not empty.
    assert!(dir::fetch(&platform.api(), &keys, &fx.fields.manifest_id, &dir).is_err());

    // Pages missing, extra, or of another manifest.
    std::fs::rename(dir.join("assets/000002.json"), tmp.path().join("page")).unwrap();
    assert!(dir::verify(&offline(), &keys, &dir, None).is_err());
    std::fs::rename(tmp.path().join("page"), dir.join("assets/000002.json")).unwrap();
    dir::verify(&offline(), &keys, &dir, None).unwrap();
    std::fs::copy(
        dir.join("assets/000002.json"),
        dir.join("assets/000003.json"),
    )
    .unwrap();
    assert!(dir::verify(&offline(), &keys, &dir, None).is_err());
    std::fs::remove_file(dir.join("assets/000003.json")).unwrap();
    std::fs::copy(
        dir.join("consents/000000.json"),
        dir.join("consents/000001.json"),
    )
    .unwrap();
    assert!(dir::verify(&offline(), &keys, &dir, None).is_err());
}

#[test]
fn check_log_verifies_sampled_entries() {
    let fx = fixture(40, 3);
    let platform = serve(routes(&fx));
    let keys = keys(&fx);
    let tmp = TempDir::new();
    dir::fetch(&platform.api(), &keys, &fx.fields.manifest_id, tmp.path()).unwrap();
    let summary = dir::verify(&platform.api(), &keys, tmp.path(), Some(5)).unwrap();
    assert_eq!(summary["log_entries_checked"], 5);
    let summary = dir::verify(&platform.api(), &keys, tmp.path(), Some(0)).unwrap();
    assert_eq!(summary["log_entries_checked"], 40);
    // An entry that is another asset's.
    let mut wrong = routes(&fx);
    let (a, b) = (&fx.records[0], &fx.records[1]);
    let other = wrong[&format!("GET /v1/log/entries/{}", b.log_entry_hash)].clone();
    wrong.insert(format!("GET /v1/log/entries/{}", a.log_entry_hash), other);
    let liar = serve(wrong);
    assert!(dir::verify(&liar.api(), &keys, tmp.path(), Some(0)).is_err());
}

/// Flips one bit of one byte at a time, everywhere in a fetched manifest
/// directory: every change must make verification fail. (One thread per
/// file, each on its own copy.)
#[test]
fn any_one_byte_change_fails() {
    let fx = fixture(4, 2);
    let platform = serve(routes(&fx));
    let keys = keys(&fx);
    let files = [
        "manifest.json",
        "assets/000000.json",
        "consents/000000.json",
        "status.json",
    ];
    let copies: Vec<TempDir> = files.iter().map(|_| TempDir::new()).collect();
    for tmp in &copies {
        dir::fetch(&platform.api(), &keys, &fx.fields.manifest_id, tmp.path()).unwrap();
        dir::verify(&offline(), &keys, tmp.path(), None).unwrap();
    }
    let tried: usize = std::thread::scope(|s| {
        let keys = &keys;
        let handles: Vec<_> = files
            .iter()
            .zip(&copies)
            .map(|(name, tmp)| {
                s.spawn(move || {
                    let path = tmp.path().join(name);
                    let original = std::fs::read(&path).unwrap();
                    for i in 0..original.len() {
                        let mut changed = original.clone();
                        changed[i] ^= 0x01;
                        std::fs::write(&path, &changed).unwrap();
                        assert!(
                            dir::verify(&offline(), keys, tmp.path(), None).is_err(),
                            "{name}: flipping byte {i} ({:?}) went unnoticed, in …{:?}…",
                            char::from(original[i]),
                            String::from_utf8_lossy(
                                &original[i.saturating_sub(100)..(i + 20).min(original.len())]
                            )
                        );
                    }
                    std::fs::write(&path, &original).unwrap();
                    dir::verify(&offline(), keys, tmp.path(), None).unwrap();
                    original.len()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert!(tried > 5000, "{tried}");
}

#[test]
fn prove_online_and_offline_agree() {
    let fx = fixture(1500, 4);
    let platform = serve(routes(&fx));
    let keys = keys(&fx);
    let tmp = TempDir::new();
    dir::fetch(&platform.api(), &keys, &fx.fields.manifest_id, tmp.path()).unwrap();
    let dir = tmp.path().to_str().unwrap();
    for i in [0usize, 1023, 1024, 1499] {
        let hash = fx.records[i].content_hash.to_string();
        let online = prove(&platform.api(), &keys, &hash, &fx.fields.manifest_id).unwrap();
        let offline_proof = prove(&offline(), &keys, &hash, dir).unwrap();
        assert_eq!(online, offline_proof);
        assert_eq!(online["index"], i);
        assert_eq!(online["verified"], "inclusion");
    }
    let absent = fairtrain_core::digest::Sha256Digest::of(b"absent").to_string();
    assert!(prove(&offline(), &keys, &absent, dir).is_err());
    assert!(prove(&offline(), &keys, "sha256:xyz", dir).is_err());
    assert!(prove(&offline(), &keys, &absent, "manifest-1").is_err());

    // A platform that answers with a proof for another asset, or a bad proof.
    let (a, b) = (&fx.records[5], &fx.records[6]);
    let base = format!("GET /v1/manifests/{}", fx.fields.manifest_id);
    let mut wrong = routes(&fx);
    let other = wrong[&format!("{base}/proof/{}", b.content_hash)].clone();
    wrong.insert(format!("{base}/proof/{}", a.content_hash), other.clone());
    let mut bad = other.clone();
    bad.1["index"] = json!(5);
    wrong.insert(format!("{base}/proof/{}", b.content_hash), bad);
    let liar = serve(wrong);
    let id = &fx.fields.manifest_id;
    assert!(prove(&liar.api(), &keys, &a.content_hash.to_string(), id).is_err());
    assert!(prove(&liar.api(), &keys, &b.content_hash.to_string(), id).is_err());
}

fn compose_args(name: &str) -> ComposeArgs {
    ComposeArgs {
        name: name.into(),
        uses: vec![Use::AiTraining],
        commercial: true,
        attribution: AttributionModel::PerSample,
        price_per_use: "0.0005".into(),
        currency: "USD".into(),
        minor_units: 2,
        residency: vec![Jurisdiction::Us, Jurisdiction::Ca],
        license_type: None,
        license_terms: Some("Training of commercial models; no redistribution.".into()),
        assets: vec![],
        creator: None,
        media_type: Some("image/png".into()),
        filter_use: None,
        filter_jurisdiction: None,
        filter_license: None,
        out: None,
    }
}

#[test]
fn compose_checks_what_the_platform_signed() {
    let fx = fixture(12, 2);
    let composed = Composed {
        manifest_id: fx.fields.manifest_id.clone(),
        snapshot_id: fx.fields.snapshot_id.clone(),
        asset_count: 12,
        assets_root: fx.fields.assets_root,
        manifest_hash: fairtrain_manifest::manifest_hash(&fx.manifest).unwrap(),
        excluded: vec![fairtrain_manifest::api::ExcludedAsset {
            content_hash: fairtrain_core::digest::Sha256Digest::of(b"x"),
            receipt_id: fx.records[0].receipt_id.clone(),
            reason: fairtrain_manifest::Exclusion::ConsentRevoked,
        }],
        log_entry_hash: fairtrain_core::digest::Sha256Digest::of(b"entry"),
        excluded_by_reason: [("consent_revoked".to_string(), 1)].into(),
    };
    let mut r = routes(&fx);
    r.insert(
        "POST /v1/manifests".into(),
        (201, serde_json::to_value(&composed).unwrap()),
    );
    let platform = serve(r);
    let tmp = TempDir::new();
    let out = tmp.path().join("manifest.json");
    let mut args = compose_args(&fx.fields.name);
    args.out = Some(out.clone());
    let answer = compose(&platform.api(), None, args).unwrap();
    assert_eq!(answer["manifest_id"], json!(fx.fields.manifest_id));
    assert_eq!(read_json(&out, 1 << 20).unwrap(), fx.manifest);
    let sent: ComposeRequest =
        serde_json::from_slice(&platform.requested("POST /v1/manifests").unwrap()).unwrap();
    assert_eq!(sent.license.kind, "commercial");
    assert_eq!(
        sent.filter.unwrap().media_type.as_deref(),
        Some("image/png")
    );
    assert_eq!(sent.assets, None);

    // The platform signed other terms than asked for.
    assert!(compose(&platform.api(), None, compose_args("Another name")).is_err());
    // Refused locally, before anything is sent.
    let mut bad = compose_args(&fx.fields.name);
    bad.price_per_use = "-1".into();
    assert!(compose(&offline(), None, bad).is_err());
}

/// Release-mode measurement (`cargo test --release -p fairtrain-cli
/// verify_speed -- --ignored --nocapture`): one consent per asset, the
/// worst case for verification.
#[test]
#[ignore]
fn verify_speed() {
    for (n, per) in [(20_000, 1), (100_000, 10)] {
        let fx = fixture(n, per);
        let platform = serve(routes(&fx));
        let keys = keys(&fx);
        let tmp = TempDir::new();
        dir::fetch(&platform.api(), &keys, &fx.fields.manifest_id, tmp.path()).unwrap();
        let started = std::time::Instant::now();
        dir::verify(&offline(), &keys, tmp.path(), None).unwrap();
        let s = started.elapsed().as_secs_f64();
        eprintln!(
            "{n} assets, {per} per consent: {s:.2} s, {:.0} assets/s",
            n as f64 / s
        );
    }
}
