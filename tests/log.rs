//! The transparency log against the real runtime: concurrent appends that all
//! prove against the latest checkpoint, consistency between checkpoints,
//! deduplication, back-pressure, the CLI's offline verification (and its
//! refusal of tampered tiles and proofs), and a crash mid-sequencing.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use fairtrain_core::key_set;
use fairtrain_integration_tests::{random, unique, Req, Worker};
use fairtrain_tlog::{
    leaf_hash, verify_consistency, Checkpoint, Ed25519NoteVerifier, ProofPolicy, TlogProof,
};
use serde_json::{json, Value};

fn w() -> &'static Worker {
    Worker::shared()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A valid event no other test will produce.
fn event(tag: &str) -> Value {
    json!({ "type": "erasure", "v": 1, "at": "2026-11-22T10:00:00Z",
            "asset_hash": format!("sha256:{}", hex(&random::<32>())), "reason": tag })
}

fn append(w: &Worker, events: &[Value]) -> fairtrain_integration_tests::Reply {
    Req::post("/v1/log/entries")
        .bearer(&w.admin_token)
        .json(&json!({ "events": events }))
        .send(w)
}

fn verifiers(w: &Worker) -> Vec<Ed25519NoteVerifier> {
    let keys = key_set::verify(&Req::get("/.well-known/fairtrain/keys").send(w).json())
        .expect("key set verifies");
    keys.iter()
        .map(|k| Ed25519NoteVerifier::new("fairtrain.local/log", k.public_key().unwrap()).unwrap())
        .collect()
}

fn policy(w: &Worker) -> ProofPolicy<Ed25519NoteVerifier> {
    ProofPolicy {
        origin: "fairtrain.local/log".into(),
        log_keys: verifiers(w),
        witnesses: vec![],
        min_witnesses: 0,
    }
}

/// Wait until the entry is in a signed checkpoint; return the lookup answer.
fn sequenced(w: &Worker, hash: &str, within: Duration) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let r = Req::get(&format!("/v1/log/entries/{hash}")).send(w);
        if r.status == 200 {
            return r.json();
        }
        assert!(
            matches!(r.status, 202 | 404),
            "lookup of {hash}: {} {}",
            r.status,
            r.text()
        );
        assert!(
            Instant::now() < deadline,
            "{hash} not sequenced within {within:?}"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

/// Check an entry lookup: canonical bytes, hash, and tlog-proof against the log keys.
fn check_lookup(
    found: &Value,
    hash: &str,
    policy: &ProofPolicy<Ed25519NoteVerifier>,
) -> (u64, Checkpoint) {
    let bytes = fairtrain_core::jcs::canonicalize(&found["entry"])
        .unwrap()
        .into_bytes();
    assert_eq!(
        fairtrain_core::digest::Sha256Digest::of(&bytes).to_string(),
        hash
    );
    let proof =
        TlogProof::parse(found["proof"].as_str().unwrap().as_bytes()).expect("tlog-proof parses");
    assert_eq!(proof.index, found["index"].as_u64().unwrap());
    let verified = proof
        .verify(&leaf_hash(&bytes), policy)
        .unwrap_or_else(|e| panic!("proof for {hash}: {e}"));
    (proof.index, verified.checkpoint)
}

fn latest_checkpoint(w: &Worker) -> (Vec<u8>, Checkpoint) {
    let r = Req::get("/log/checkpoint").send(w);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let (cp, _, _) = Checkpoint::open(&r.body, "fairtrain.local/log", &verifiers(w))
        .expect("checkpoint verifies");
    (r.body, cp)
}

#[test]
fn concurrent_appends_all_prove_against_the_latest_checkpoint() {
    let (threads, requests, per_request) = (8, 25, 20);
    let hashes = Arc::new(Mutex::new(Vec::new()));
    let checkpoints = Arc::new(Mutex::new(BTreeMap::new()));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    w();
    let watcher = {
        let (checkpoints, done) = (checkpoints.clone(), done.clone());
        thread::spawn(move || {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let r = Req::get("/log/checkpoint").send(w());
                if r.status == 200 {
                    let cp =
                        Checkpoint::parse(fairtrain_tlog::Note::parse(&r.body).unwrap().text())
                            .unwrap();
                    checkpoints
                        .lock()
                        .unwrap()
                        .insert(cp.size(), cp.root().to_base64());
                }
                thread::sleep(Duration::from_millis(30));
            }
        })
    };
    let promise_checked = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let (hashes, promise_checked) = (hashes.clone(), promise_checked.clone());
            thread::spawn(move || {
                for r in 0..requests {
                    let events: Vec<Value> = (0..per_request)
                        .map(|i| event(&format!("conc-{t}-{r}-{i}")))
                        .collect();
                    let reply = append(w(), &events);
                    assert_eq!(reply.status, 202, "{}", reply.text());
                    let body = reply.json();
                    let got: Vec<String> = body["entries"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|e| e["entry_hash"].as_str().unwrap().to_string())
                        .collect();
                    assert_eq!(got.len(), per_request);
                    // The signed promise names exactly these entries and verifies.
                    if !promise_checked.swap(true, std::sync::atomic::Ordering::Relaxed) {
                        let promise = &body["promise"];
                        assert_eq!(promise["entries"], json!(got));
                        fairtrain_core::data_integrity::verify_did_key(promise)
                            .expect("promise verifies");
                        let mut forged = promise.clone();
                        forged["include_by"] = json!("2099-01-01T00:00:00Z");
                        assert!(fairtrain_core::data_integrity::verify_did_key(&forged).is_err());
                    }
                    hashes.lock().unwrap().extend(got);
                }
            })
        })
        .collect();
    for t in workers {
        t.join().unwrap();
    }
    let hashes = hashes.lock().unwrap().clone();
    assert_eq!(hashes.len(), threads * requests * per_request);

    // Every entry gets a distinct index and a proof that verifies.
    let policy = Arc::new(policy(w()));
    let indexes = Arc::new(Mutex::new(HashSet::new()));
    let chunks: Vec<Vec<String>> = hashes
        .chunks(hashes.len() / 8 + 1)
        .map(<[String]>::to_vec)
        .collect();
    let checkers: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            let (policy, indexes) = (policy.clone(), indexes.clone());
            thread::spawn(move || {
                for h in chunk {
                    let found = sequenced(w(), &h, Duration::from_secs(30));
                    let (index, _) = check_lookup(&found, &h, &policy);
                    assert!(
                        indexes.lock().unwrap().insert(index),
                        "index {index} given twice"
                    );
                }
            })
        })
        .collect();
    for c in checkers {
        c.join().unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    watcher.join().unwrap();

    // Against the latest checkpoint, explicitly, for a sample.
    let (_, latest) = latest_checkpoint(w());
    for h in hashes.iter().step_by(97) {
        let found = sequenced(w(), h, Duration::from_secs(5));
        let (_, cp) = check_lookup(&found, h, &policy);
        assert!(cp.size() <= latest.size() + 10_000);
    }

    // Consistency between checkpoints seen during the run: every one with the
    // latest, and each with the next.
    let seen: Vec<(u64, String)> = checkpoints
        .lock()
        .unwrap()
        .iter()
        .map(|(k, v)| (*k, v.clone()))
        .collect();
    assert!(seen.len() >= 2, "saw {} checkpoints", seen.len());
    let root = |b64: &str| fairtrain_tlog::Hash::from_base64(b64).unwrap();
    let (last_size, last_root) = seen.last().unwrap().clone();
    let check = |a: u64, ra: &str, b: u64, rb: &str| {
        let p = Req::get(&format!("/v1/log/consistency?from={a}&to={b}"))
            .send(w())
            .json();
        let proof: Vec<_> = p["proof"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| root(h.as_str().unwrap()))
            .collect();
        verify_consistency(a, b, &root(ra), &root(rb), &proof)
            .unwrap_or_else(|e| panic!("{a} -> {b}: {e}"));
    };
    for pair in seen.windows(2) {
        check(pair[0].0, &pair[0].1, pair[1].0, &pair[1].1);
    }
    for (a, ra) in &seen {
        check(*a, ra, last_size, &last_root);
        // The checkpoint issued at that size is still served, unchanged.
        let old = Req::get(&format!("/v1/log/checkpoints/{a}")).send(w());
        assert_eq!(old.status, 200);
        let (cp, _, _) =
            Checkpoint::open(&old.body, "fairtrain.local/log", &verifiers(w())).unwrap();
        assert_eq!(cp.root().to_base64(), *ra);
    }
}

#[test]
fn appending_the_same_entry_twice_returns_the_first_index() {
    let e = event(&unique("dedupe"));
    let first = append(w(), std::slice::from_ref(&e)).json();
    let hash = first["entries"][0]["entry_hash"]
        .as_str()
        .unwrap()
        .to_string();
    let found = sequenced(w(), &hash, Duration::from_secs(10));
    let index = found["index"].as_u64().unwrap();
    // Member order in the request does not matter: the entry is canonical JSON.
    let reordered: Value =
        serde_json::from_str(&serde_json::to_string_pretty(&e).unwrap()).unwrap();
    let again = append(w(), &[reordered, e.clone()]).json();
    for r in again["entries"].as_array().unwrap() {
        assert_eq!(r["entry_hash"], hash.as_str());
        assert_eq!(r["status"], "sequenced");
        assert_eq!(r["index"], index);
    }
}

#[test]
fn bad_appends_are_refused_and_change_nothing() {
    let good = event(&unique("refused"));
    let good_hash = fairtrain_consent::log_event::entry_from_json(&good)
        .unwrap()
        .hash
        .to_string();
    let mut bad = event("bad");
    bad["email"] = json!("someone@example.com");
    let p = append(w(), &[good.clone(), bad]).problem(422, "validation-failed");
    assert_eq!(p["errors"][0]["pointer"], "/events/1");
    let mut personal = json!({ "type": "consent.revoked", "v": 1, "at": "2026-11-22T10:00:00Z", "consent_id": "c-1",
        "revocation_hash": format!("sha256:{}", hex(&random::<32>())), "creator": "Jane Doe" });
    append(w(), &[personal.clone()]).problem(422, "validation-failed");
    personal["creator"] = json!(fairtrain_core::did_key::DidKey::from_public_key(
        fairtrain_core::ed25519::SigningKey::from_seed(&random()).public_key()
    )
    .to_string());
    assert_eq!(
        append(w(), &[personal]).status,
        202,
        "a did:key is an acceptable pseudonym"
    );
    append(w(), &[]).problem(422, "validation-failed");
    Req::post("/v1/log/entries")
        .json(&json!({ "events": [good.clone()] }))
        .send(w())
        .problem(401, "unauthenticated");
    let buyer = Req::post("/v1/admin/api-keys")
        .bearer(&w().admin_token)
        .json(&json!({"role": "buyer", "label": "log"}))
        .send(w())
        .json();
    Req::post("/v1/log/entries")
        .bearer(buyer["token"].as_str().unwrap())
        .json(&json!({ "events": [good] }))
        .send(w())
        .problem(403, "forbidden");
    thread::sleep(Duration::from_millis(300));
    Req::get(&format!("/v1/log/entries/{good_hash}"))
        .send(w())
        .problem(404, "not-found");

    Req::get("/log/tile/0/x")
        .send(w())
        .problem(404, "not-found");
    Req::get("/log/tile/0/000.p/0")
        .send(w())
        .problem(404, "not-found");
    Req::get("/v1/log/proof/999999999")
        .send(w())
        .problem(404, "not-found");
    Req::get("/v1/log/proof/-1")
        .send(w())
        .problem(400, "bad-request");
    Req::get("/v1/log/consistency?from=0&to=1")
        .send(w())
        .problem(400, "bad-request");
    Req::get("/v1/log/consistency?from=1")
        .send(w())
        .problem(400, "bad-request");
    Req::get("/v1/log/entries/sha256:zz")
        .send(w())
        .problem(400, "bad-request");
    Req::new("DELETE", "/log/checkpoint")
        .send(w())
        .problem(405, "method-not-allowed");
}

#[test]
fn a_full_pool_answers_429_with_retry_after() {
    let own = Worker::start_with(&[("LOG_MAX_POOL", "5")]);
    let events: Vec<Value> = (0..6).map(|i| event(&format!("pool-{i}"))).collect();
    let r = append(&own, &events);
    r.problem(429, "rate-limited");
    assert_eq!(r.header("retry-after"), Some("1"));
    let ok = append(&own, &events[..5]);
    assert_eq!(ok.status, 202, "{}", ok.text());
}

fn cli_ok(w: &Worker, args: &[&str]) -> String {
    let out = w.cli().args(args).output().expect("run fairtrain");
    assert!(
        out.status.success(),
        "fairtrain {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn cli_fails(w: &Worker, args: &[&str]) -> String {
    let out = w.cli().args(args).output().expect("run fairtrain");
    assert!(
        !out.status.success(),
        "fairtrain {args:?} should have failed:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn flip_byte(path: &std::path::Path, at: usize) {
    let mut b = std::fs::read(path).unwrap();
    let i = at.min(b.len() - 1);
    b[i] ^= 0x01;
    std::fs::write(path, b).unwrap();
}

#[test]
fn the_cli_verifies_the_log_offline_and_rejects_tampering() {
    let events: Vec<Value> = (0..300).map(|i| event(&format!("cli-{i}"))).collect();
    let r = append(w(), &events).json();
    let hash = r["entries"][299]["entry_hash"]
        .as_str()
        .unwrap()
        .to_string();
    sequenced(w(), &hash, Duration::from_secs(10));
    let dir = w().scratch(&unique("cli"));
    let d = |p: &str| dir.join(p).to_string_lossy().into_owned();

    cli_ok(w(), &["keys", "fetch", "--out", &d("keys.json")]);
    let mirror = d("mirror");
    cli_ok(w(), &["log", "mirror", &w().base, &mirror]);
    cli_ok(
        w(),
        &["log", "--keys", &d("keys.json"), "verify-mirror", &mirror],
    );
    cli_ok(
        w(),
        &[
            "log",
            "--keys",
            &d("keys.json"),
            "verify-checkpoint",
            &format!("{mirror}/checkpoint"),
        ],
    );

    // A tampered hash tile is caught; so is a tampered entry bundle.
    let tile = dir.join("mirror/tile/0/000");
    let saved = std::fs::read(&tile).unwrap();
    flip_byte(&tile, 100);
    cli_fails(
        w(),
        &["log", "--keys", &d("keys.json"), "verify-mirror", &mirror],
    );
    std::fs::write(&tile, &saved).unwrap();
    cli_ok(
        w(),
        &["log", "--keys", &d("keys.json"), "verify-mirror", &mirror],
    );
    let bundle = dir.join("mirror/tile/entries/000");
    flip_byte(&bundle, 50);
    cli_fails(
        w(),
        &["log", "--keys", &d("keys.json"), "verify-mirror", &mirror],
    );

    // An entry's proof verifies offline; a changed proof or entry does not.
    let proofs = d("proof");
    cli_ok(w(), &["log", "fetch-proof", &hash, "--out-dir", &proofs]);
    let (entry, proof) = (
        format!("{proofs}/entry.json"),
        format!("{proofs}/proof.tlog-proof"),
    );
    cli_ok(
        w(),
        &[
            "log",
            "--keys",
            &d("keys.json"),
            "verify-proof",
            &proof,
            "--entry",
            &entry,
        ],
    );
    cli_ok(
        w(),
        &[
            "log",
            "--keys",
            &d("keys.json"),
            "verify-inclusion",
            "--entry",
            &entry,
            "--proof",
            &proof,
        ],
    );
    let text = std::fs::read_to_string(&proof).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let hash_line = lines
        .iter()
        .position(|l| l.len() == 44 && l.ends_with('='))
        .expect("a proof hash line");
    let mut forged: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let mut h = fairtrain_tlog::Hash::from_base64(lines[hash_line]).unwrap();
    h.0[0] ^= 1;
    forged[hash_line] = h.to_base64();
    std::fs::write(&proof, forged.join("\n") + "\n").unwrap();
    cli_fails(
        w(),
        &[
            "log",
            "--keys",
            &d("keys.json"),
            "verify-proof",
            &proof,
            "--entry",
            &entry,
        ],
    );
    std::fs::write(&proof, &text).unwrap();
    flip_byte(std::path::Path::new(&entry), 10);
    cli_fails(
        w(),
        &[
            "log",
            "--keys",
            &d("keys.json"),
            "verify-proof",
            &proof,
            "--entry",
            &entry,
        ],
    );

    // Consistency between the checkpoint mirrored and a later one.
    append(w(), &[event(&unique("later"))]);
    thread::sleep(Duration::from_millis(500));
    let (new_note, new_cp) = latest_checkpoint(w());
    std::fs::write(d("new-checkpoint"), &new_note).unwrap();
    let old_cp = Checkpoint::parse(
        fairtrain_tlog::Note::parse(&std::fs::read(format!("{mirror}/checkpoint")).unwrap())
            .unwrap()
            .text(),
    )
    .unwrap();
    let c = Req::get(&format!(
        "/v1/log/consistency?from={}&to={}",
        old_cp.size(),
        new_cp.size()
    ))
    .send(w());
    std::fs::write(d("consistency.json"), &c.body).unwrap();
    cli_ok(
        w(),
        &[
            "log",
            "--keys",
            &d("keys.json"),
            "verify-consistency",
            "--old",
            &format!("{mirror}/checkpoint"),
            "--new",
            &d("new-checkpoint"),
            "--proof",
            &d("consistency.json"),
        ],
    );
    cli_fails(
        w(),
        &[
            "log",
            "--keys",
            &d("keys.json"),
            "verify-consistency",
            "--old",
            &d("new-checkpoint"),
            "--new",
            &format!("{mirror}/checkpoint"),
            "--proof",
            &d("consistency.json"),
        ],
    );
}

#[test]
fn a_crash_mid_sequencing_loses_no_acknowledged_entry() {
    let mut own = Worker::start();
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let base = own.base.clone();
    let token = own.admin_token.clone();
    let writers: Vec<_> = (0..4)
        .map(|t| {
            let (acked, stop, base, token) =
                (acked.clone(), stop.clone(), base.clone(), token.clone());
            thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(10)))
                    .build()
                    .new_agent();
                let mut r = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let events: Vec<Value> = (0..50)
                        .map(|i| event(&format!("crash-{t}-{r}-{i}")))
                        .collect();
                    r += 1;
                    let res = agent
                        .post(format!("{base}/v1/log/entries"))
                        .header("Authorization", format!("Bearer {token}"))
                        .send_json(json!({ "events": events }));
                    // Only a complete 202 answer is an acknowledgement.
                    let Ok(mut res) = res else { continue };
                    if res.status().as_u16() != 202 {
                        continue;
                    }
                    let Ok(body) = res.body_mut().read_json::<Value>() else {
                        continue;
                    };
                    let mut a = acked.lock().unwrap();
                    for e in body["entries"].as_array().unwrap() {
                        a.push(e["entry_hash"].as_str().unwrap().to_string());
                    }
                }
            })
        })
        .collect();
    // Let sequencing get going, then kill every process of the runtime at once.
    let deadline = Instant::now() + Duration::from_secs(20);
    while acked.lock().unwrap().len() < 2000 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
    }
    own.kill();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in writers {
        t.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 500,
        "only {} entries were acknowledged before the kill",
        acked.len()
    );

    own.restart();
    let policy = policy(&own);
    let mut indexes = HashSet::new();
    for h in &acked {
        let found = sequenced(&own, h, Duration::from_secs(60));
        let (index, _) = check_lookup(&found, h, &policy);
        assert!(indexes.insert(index));
    }
    // And R2 shows a complete, consistent log: the CLI mirrors and verifies it.
    let dir = own.scratch("mirror");
    let out = own
        .cli()
        .args(["log", "mirror", &own.base, &dir.to_string_lossy()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, cp) = latest_checkpoint(&own);
    assert!(cp.size() >= acked.len() as u64);
}
