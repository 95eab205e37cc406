//! The benchmark command (`scripts/bench`): core primitives natively and in the
//! Worker, printed as Markdown rows for BENCHMARKS.md. Not a test: it asserts
//! nothing, it measures.
//!
//! In the Worker, time does not advance while code runs, so each primitive is
//! timed from outside: a call running it N times minus the same call with 0.

use std::time::{Duration, Instant};

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::SigningKey;
use serde_json::json;

fn best_of<F: FnMut()>(runs: usize, mut f: F) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn native() {
    let data = vec![0xa5u8; 1 << 20];
    let n = 64;
    let t = best_of(3, || {
        for _ in 0..n {
            std::hint::black_box(Sha256Digest::of(std::hint::black_box(&data)));
        }
    });
    println!(
        "| SHA-256 (1 MiB buffers) | native | {:.0} MB/s |",
        (n as f64) * 1.048576 / t.as_secs_f64()
    );
    let key = SigningKey::from_seed(&[7; 32]);
    let n = 5_000;
    let t = best_of(3, || {
        for i in 0u32..n {
            std::hint::black_box(key.sign(&i.to_le_bytes()));
        }
    });
    println!(
        "| Ed25519 sign | native | {:.0} /s |",
        n as f64 / t.as_secs_f64()
    );
    let (pk, msg) = (key.public_key(), [42u8; 32]);
    let sig = key.sign(&msg);
    let t = best_of(3, || {
        for _ in 0..n {
            std::hint::black_box(pk.verify(&msg, &sig).is_ok());
        }
    });
    println!(
        "| Ed25519 verify | native | {:.0} /s |",
        n as f64 / t.as_secs_f64()
    );
}

fn worker(base: &str) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(true)
        .build()
        .new_agent();
    let call = |op: &str, iterations: u32, bytes: usize| -> Duration {
        best_of(5, || {
            agent
                .post(format!("{base}/v1/dev/bench"))
                .send_json(json!({ "op": op, "iterations": iterations, "bytes": bytes }))
                .and_then(|mut r| r.body_mut().read_to_string())
                .unwrap_or_else(|e| panic!("bench call {op} failed: {e}"));
        })
    };
    let noop = call("noop", 0, 0);
    println!(
        "| no-op request (same shape) | worker | {:.2} ms |",
        noop.as_secs_f64() * 1e3
    );
    for (op, n, bytes, label) in [
        ("sha256", 64u32, 1usize << 20, "SHA-256 (1 MiB buffers)"),
        ("sign", 2_000, 0, "Ed25519 sign"),
        ("verify", 2_000, 0, "Ed25519 verify"),
    ] {
        let base_t = call(op, 0, bytes);
        let t = call(op, n, bytes)
            .saturating_sub(base_t)
            .max(Duration::from_micros(1));
        if op == "sha256" {
            println!(
                "| {label} | worker (wasm) | {:.0} MB/s |",
                (n as f64) * (bytes as f64) / 1e6 / t.as_secs_f64()
            );
        } else {
            println!(
                "| {label} | worker (wasm) | {:.0} /s |",
                n as f64 / t.as_secs_f64()
            );
        }
    }
}

/// Requests per second from `clients` threads for `secs`, each request
/// built by `body(thread, n)`; every answer must have status `expect`.
fn load(
    base: &str,
    path: &str,
    token: Option<&str>,
    clients: usize,
    secs: f64,
    expect: u16,
    body: impl Fn(usize, usize) -> serde_json::Value + Sync,
) -> f64 {
    let stop = Instant::now() + Duration::from_secs_f64(secs);
    let total = std::sync::atomic::AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..clients {
            let (total, body) = (&total, &body);
            s.spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .new_agent();
                let mut n = 0;
                while Instant::now() < stop {
                    let mut req = agent.post(format!("{base}{path}"));
                    if let Some(tok) = token {
                        req = req.header("Authorization", format!("Bearer {tok}"));
                    }
                    let mut res = req
                        .send_json(body(t, n))
                        .unwrap_or_else(|e| panic!("{path}: {e}"));
                    let status = res.status().as_u16();
                    let text = res.body_mut().read_to_string().unwrap_or_default();
                    assert_eq!(status, expect, "{path}: {text}");
                    n += 1;
                }
                total.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
            });
        }
    });
    total.load(std::sync::atomic::Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn event(tag: String) -> serde_json::Value {
    let digest = Sha256Digest::of(tag.as_bytes());
    json!({ "type": "erasure", "v": 1, "at": "2026-11-22T10:00:00Z", "asset_hash": digest.to_string(), "reason": "bench" })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The log: append throughput next to the no-op request rate, and time from
/// append to an inclusion proof under batched load.
fn log(base: &str, token: &str) {
    let clients = 8;
    let run = std::process::id();
    let noop = load(
        base,
        "/v1/dev/bench",
        None,
        clients,
        5.0,
        200,
        |_, _| json!({ "op": "noop", "iterations": 0 }),
    );
    println!("| no-op POST, {clients} clients | worker | {noop:.0} requests/s |");
    let single = load(
        base,
        "/v1/log/entries",
        Some(token),
        clients,
        5.0,
        202,
        |t, n| json!({ "events": [event(format!("{run}-s-{t}-{n}"))] }),
    );
    println!("| log append, 1 entry per request, {clients} clients | worker | {single:.0} entries/s ({:.2}x the no-op rate) |", single / noop);

    // Batched appends, with a prober measuring append -> proof meanwhile.
    let batch = 100;
    let probe_stop = std::sync::atomic::AtomicBool::new(false);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let (batched, mut latencies) = std::thread::scope(|s| {
        let prober = s.spawn(|| {
            let mut lat = Vec::new();
            let mut n = 0;
            while !probe_stop.load(std::sync::atomic::Ordering::Relaxed) {
                let start = Instant::now();
                let mut res = agent
                    .post(format!("{base}/v1/log/entries"))
                    .header("Authorization", format!("Bearer {token}"))
                    .send_json(json!({ "events": [event(format!("{run}-p-{n}"))] }))
                    .expect("probe append");
                n += 1;
                let body: serde_json::Value = res.body_mut().read_json().expect("probe answer");
                let hash = body["entries"][0]["entry_hash"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                loop {
                    let r = agent
                        .get(format!("{base}/v1/log/entries/{hash}"))
                        .call()
                        .expect("probe lookup");
                    if r.status().as_u16() == 200 {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                lat.push(start.elapsed());
                std::thread::sleep(Duration::from_millis(50));
            }
            lat
        });
        let rate = load(
            base,
            "/v1/log/entries",
            Some(token),
            clients,
            10.0,
            202,
            |t, n| json!({ "events": (0..batch).map(|i| event(format!("{run}-b-{t}-{n}-{i}"))).collect::<Vec<_>>() }),
        );
        probe_stop.store(true, std::sync::atomic::Ordering::Relaxed);
        (rate * batch as f64, prober.join().expect("prober"))
    });
    println!("| log append, {batch} entries per request, {clients} clients | worker | {batched:.0} entries/s |");
    latencies.sort();
    if !latencies.is_empty() {
        println!(
            "| append → inclusion proof available, under the batched load ({} samples) | worker | p50 {:.0} ms, p99 {:.0} ms |",
            latencies.len(),
            percentile(&latencies, 0.5).as_secs_f64() * 1e3,
            percentile(&latencies, 0.99).as_secs_f64() * 1e3
        );
    }
}

/// A creator request signed with RFC 9421 (did:key), with an optional body.
fn signed(
    agent: &ureq::Agent,
    base: &str,
    key: &SigningKey,
    method: &str,
    path: &str,
    body: Option<(&[u8], &str)>,
    extra: &[(&str, String)],
) -> (u16, String) {
    use fairtrain_httpsig::{RequestParts, Signer};
    let url = format!("{base}{path}");
    let mut parts = RequestParts::new(method, &url).expect("request");
    let mut req = ureq::http::Request::builder().method(method).uri(&url);
    if let Some((bytes, ct)) = body {
        let digest = fairtrain_core::digest::format_digest_header(&Sha256Digest::of(bytes));
        parts.push_header("Content-Digest", &digest);
        req = req
            .header("Content-Digest", digest)
            .header("Content-Type", ct);
    }
    for (k, v) in extra {
        req = req.header(*k, v);
    }
    let nonce = fairtrain_core::encoding::base64url_encode(&rand16());
    let now = fairtrain_core::time::Timestamp::now().unix_seconds();
    let h = Signer::new(key.clone())
        .sign(&parts, now, &nonce)
        .expect("sign");
    let req = req
        .header("Signature-Input", h.signature_input)
        .header("Signature", h.signature);
    let req = req
        .body(body.map(|(b, _)| b.to_vec()).unwrap_or_default())
        .expect("request");
    let mut res = agent
        .run(req)
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = res.status().as_u16();
    (
        status,
        res.body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_string()
            .unwrap_or_default(),
    )
}

fn rand16() -> [u8; 16] {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("randomness");
    b
}

/// Upload throughput (MB/s) through the whole ingest path, next to a no-op
/// endpoint that only drains the same body, in the same run.
fn upload(base: &str, token: &str) {
    use fairtrain_consent::consent::{ConsentToken, License};
    use fairtrain_consent::envelope::{encode_header, sign_envelope, EnvelopeFields};
    use fairtrain_core::did_key::DidKey;
    use fairtrain_core::fields::{urn_uuid_v4, Price};
    use fairtrain_core::time::Timestamp;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let policy: serde_json::Value = serde_json::from_str(include_str!(
        "../../../consent/tests/fixtures/policy-v2025.11.json"
    ))
    .expect("policy fixture");
    let status = agent
        .post(format!("{base}/v1/policies"))
        .header("Authorization", format!("Bearer {token}"))
        .send_json(&policy)
        .expect("policy")
        .status()
        .as_u16();
    assert!(
        status == 201 || status == 200,
        "publishing the policy: {status}"
    );
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("randomness");
    let key = SigningKey::from_seed(&seed);
    let did = DidKey::from_public_key(key.public_key());
    let mut res = agent
        .post(format!("{base}/v1/creators/challenges"))
        .send_json(json!({ "did": did.to_string() }))
        .expect("challenge");
    let challenge: serde_json::Value = res.body_mut().read_json().expect("challenge");
    let challenge = challenge["challenge"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let sig = fairtrain_consent::registration::sign_registration(&key, &challenge).expect("sign");
    agent
        .post(format!("{base}/v1/creators"))
        .send_json(json!({ "did": did.to_string(), "challenge": challenge, "signature": sig }))
        .expect("register");

    let size = 64usize << 20;
    let data: Vec<u8> = (0..size)
        .map(|i| (i as u32).wrapping_mul(2654435761).to_le_bytes()[1])
        .collect();
    let hash = Sha256Digest::of(&data);
    let now = Timestamp::now();
    let token_doc = ConsentToken {
        id: urn_uuid_v4(rand16()),
        valid_from: now.checked_add_seconds(-60).expect("time"),
        valid_until: now.checked_add_seconds(86400).expect("time"),
        asset_hashes: vec![hash],
        allowed_uses: vec!["ai_training".parse().expect("use")],
        commercial: true,
        scopes: vec!["public_posts".parse().expect("scope")],
        jurisdiction: "US".parse().expect("jurisdiction"),
        policy_version: "v2025.11".into(),
        license: License {
            id: "CC-BY-4.0".into(),
            terms: None,
        },
        price: Price {
            currency: "USD".into(),
            minor_units: 2,
            per_use: "0.0005".into(),
        },
    }
    .sign(&key, now)
    .expect("consent");
    let consent_body = serde_json::to_vec(&token_doc).expect("json");
    let (status, text) = signed(
        &agent,
        base,
        &key,
        "POST",
        "/v1/consents",
        Some((&consent_body, "application/json")),
        &[],
    );
    assert_eq!(status, 201, "consent: {text}");
    let consent_id = token_doc["id"].as_str().unwrap_or_default().to_string();

    let drain = best_of(3, || {
        let mut res = agent
            .post(format!("{base}/v1/dev/drain"))
            .header("Content-Type", "application/octet-stream")
            .send(&data[..])
            .expect("drain");
        let _ = res.body_mut().read_to_string();
    });
    let up = best_of(3, || {
        let envelope = sign_envelope(
            &EnvelopeFields {
                content_hash: hash,
                consent_id: consent_id.clone(),
                license: "CC-BY-4.0".into(),
                media_type: "application/octet-stream".into(),
                scope: "public_posts".parse().expect("scope"),
                size: size as u64,
                timestamp: Timestamp::now(),
            },
            &key,
        )
        .expect("envelope");
        let header = encode_header(&envelope).expect("header");
        let (status, text) = signed(
            &agent,
            base,
            &key,
            "POST",
            "/v1/assets",
            Some((&data, "application/octet-stream")),
            &[("Fairtrain-Envelope", header)],
        );
        assert_eq!(status, 201, "upload: {text}");
    });
    let mb = size as f64 / 1e6;
    println!(
        "| no-op drain of a 64 MiB body | worker | {:.0} MB/s |",
        mb / drain.as_secs_f64()
    );
    println!(
        "| upload of 64 MiB (stream to R2 + DigestStream + receipt) | worker | {:.0} MB/s ({:.2}x the drain) |",
        mb / up.as_secs_f64(),
        drain.as_secs_f64() / up.as_secs_f64()
    );
}

fn main() {
    let base = std::env::args().nth(1);
    println!("| what | where | result |");
    println!("|---|---|---|");
    native();
    if let Some(base) = base {
        worker(&base);
        if let Ok(token) = std::env::var("FAIRTRAIN_TOKEN") {
            log(&base, &token);
            upload(&base, &token);
        }
    }
}
