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

fn main() {
    let base = std::env::args().nth(1);
    println!("| what | where | result |");
    println!("|---|---|---|");
    native();
    if let Some(base) = base {
        worker(&base);
        if let Ok(token) = std::env::var("FAIRTRAIN_TOKEN") {
            log(&base, &token);
        }
    }
}
