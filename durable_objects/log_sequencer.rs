//! The transparency log's sequencer: one SQLite-backed Durable Object per log,
//! the single writer that orders entries into the Merkle tree.
//!
//! The sequencing itself (pool, batches, tiles, checkpoints) is built by the
//! log issue; the class exists now so its binding and SQLite migration are in
//! place from the start.

use fairtrain_core::problem::{Problem, ProblemType, PROBLEM_JSON};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

#[durable_object]
pub struct LogSequencer {
    #[allow(dead_code)]
    state: State,
    #[allow(dead_code)]
    env: Env,
}

impl DurableObject for LogSequencer {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    async fn fetch(&self, _req: Request) -> Result<Response> {
        let problem = Problem::new(
            ProblemType::Unavailable,
            "the log sequencer is not built yet",
        );
        let r = Response::from_json(&problem)?.with_status(503);
        r.headers().set("Content-Type", PROBLEM_JSON)?;
        Ok(r)
    }
}
