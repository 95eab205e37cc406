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
    (0..runs).map(|_| {
        let t = Instant::now();
        f();
        t.elapsed()
    }).min().unwrap_or_default()
}

fn native() {
    let data = vec![0xa5u8; 1 << 20];
    let n = 64;
    let t = best_of(3, || {
        for _ in 0..n {
            std::hint::black_box(Sha256Digest::of(std::hint::black_box(&data)));
        }
    });
    println!("| SHA-256 (1 MiB buffers) | native | {:.0} MB/s |", (n as f64) * 1.048576 / t.as_secs_f64());
    let key = SigningKey::from_seed(&[7; 32]);
    let n = 5_000;
    let t = best_of(3, || {
        for i in 0u32..n {
            std::hint::black_box(key.sign(&i.to_le_bytes()));
        }
    });
    println!("| Ed25519 sign | native | {:.0} /s |", n as f64 / t.as_secs_f64());
    let (pk, msg) = (key.public_key(), [42u8; 32]);
    let sig = key.sign(&msg);
    let t = best_of(3, || {
        for _ in 0..n {
            std::hint::black_box(pk.verify(&msg, &sig).is_ok());
        }
    });
    println!("| Ed25519 verify | native | {:.0} /s |", n as f64 / t.as_secs_f64());
}

fn worker(base: &str) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(true).build().new_agent();
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
    println!("| no-op request (same shape) | worker | {:.2} ms |", noop.as_secs_f64() * 1e3);
    for (op, n, bytes, label) in [("sha256", 64u32, 1usize << 20, "SHA-256 (1 MiB buffers)"), ("sign", 2_000, 0, "Ed25519 sign"), ("verify", 2_000, 0, "Ed25519 verify")] {
        let base_t = call(op, 0, bytes);
        let t = call(op, n, bytes).saturating_sub(base_t).max(Duration::from_micros(1));
        if op == "sha256" {
            println!("| {label} | worker (wasm) | {:.0} MB/s |", (n as f64) * (bytes as f64) / 1e6 / t.as_secs_f64());
        } else {
            println!("| {label} | worker (wasm) | {:.0} /s |", n as f64 / t.as_secs_f64());
        }
    }
}

fn main() {
    let base = std::env::args().nth(1);
    println!("| what | where | result |");
    println!("|---|---|---|");
    native();
    if let Some(base) = base {
        worker(&base);
    }
}
