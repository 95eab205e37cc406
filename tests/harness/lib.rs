//! Test harness: runs the real Worker under `wrangler dev --local` (workerd,
//! with local R2, D1, Durable Objects and Queues) and talks HTTP to it.
//!
//! Each test binary shares one instance (`Worker::shared()`); tests keep apart
//! by using their own ids. A test that must crash and restart the runtime
//! starts its own with `Worker::start()`. The build itself happens once, in
//! scripts/test, before any test binary runs.

pub mod creator;
mod http;
pub mod market;
pub mod receiver;
pub mod seed;
pub mod usage;
mod worker;

pub use http::{Reply, Req};
pub use worker::{group_rss_kib, Worker};

/// Random bytes for ids, tokens and keys in tests.
pub fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("OS randomness");
    b
}

/// A random lowercase hex id, for keeping tests apart on a shared worker.
pub fn unique(prefix: &str) -> String {
    let b: [u8; 6] = random();
    format!(
        "{prefix}-{}",
        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
    )
}
