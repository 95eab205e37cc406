//! The transparency log's sequencer: one SQLite-backed Durable Object per
//! log, the single writer that orders entries into the Merkle tree.
//!
//! The rules (pool, batches, publishing, lookups) are
//! `fairtrain_app::log::sequencer`; this object gives them its SQLite
//! storage ([`store`]) and R2 ([`publish`]), routes its internal HTTP to
//! them, and keeps the alarm that runs batches: a short moment after an
//! append, again at once while entries remain pooled, and a second after a
//! failed run.

pub mod publish;
mod store;

use std::cell::{Cell, OnceCell};

use fairtrain_app::log::protocol::AppendRequest;
use fairtrain_app::log::sequencer::LogSequencer as Sequencer;
use fairtrain_app::platform::Config;
use fairtrain_core::digest::Sha256Digest;
use worker::{durable_object, DurableObject, Env, Method, Request, Response, Result, State};

use self::publish::R2Publisher;
use self::store::SqlStore;
use crate::http::error::{ApiError, ApiResult};
use crate::http::reply;
use crate::runtime::{keys, Runtime};

/// How long entries wait in the pool for company before a batch is cut.
const BATCH_DELAY_MS: u64 = 50;

#[durable_object]
pub struct LogSequencer {
    state: State,
    env: Env,
    /// The sequencer over this object's storage, made on first use.
    sequencer: OnceCell<Sequencer<SqlStore>>,
    /// Whether this instance has checked for work left by a previous one.
    recovered: Cell<bool>,
    /// An alarm is set and has not run yet: appends need not touch storage for it.
    alarm_armed: Cell<bool>,
}

fn query_u64(url: &worker::Url, name: &str) -> ApiResult<u64> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.parse().ok())
        .ok_or_else(|| ApiError::bad_request(format!("`{name}` must be a non-negative integer")))
}

fn query_hash(url: &worker::Url) -> ApiResult<Sha256Digest> {
    url.query_pairs()
        .find(|(k, _)| k == "hash")
        .and_then(|(_, v)| v.parse().ok())
        .ok_or_else(|| ApiError::bad_request("`hash` must be a sha256 digest"))
}

fn text(body: Vec<u8>) -> ApiResult<Response> {
    Ok(Response::from_bytes(body)?)
}

impl DurableObject for LogSequencer {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            sequencer: OnceCell::new(),
            recovered: Cell::new(false),
            alarm_armed: Cell::new(false),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let request_id = req
            .headers()
            .get("X-Request-Id")
            .ok()
            .flatten()
            .unwrap_or_default();
        match self.route(&mut req).await {
            Ok(r) => Ok(r),
            Err(e) => e.into_response(&request_id),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        self.alarm_armed.set(false);
        if let Err(e) = self.run().await {
            worker::console_error!("log sequencer: {e}");
            // Try again shortly; nothing is lost, the pool and tree are intact.
            self.state.storage().set_alarm(1000).await?;
        }
        Response::empty()
    }
}

impl LogSequencer {
    fn sequencer(&self) -> ApiResult<&Sequencer<SqlStore>> {
        if let Some(s) = self.sequencer.get() {
            return Ok(s);
        }
        let store = SqlStore::new(self.state.storage().sql());
        store.migrate()?;
        let settings = Runtime::background(self.env.clone())?.settings().clone();
        Ok(self
            .sequencer
            .get_or_init(|| Sequencer::new(store, &settings)))
    }

    async fn route(&self, req: &mut Request) -> ApiResult<Response> {
        let sequencer = self.sequencer()?;
        if !self.recovered.replace(true) && sequencer.has_work()? {
            // Work a previous instance left (pooled entries, unpublished
            // tiles) resumes on the first request after a restart.
            self.wake(0).await?;
        }
        let url = req.url()?;
        match (req.method(), url.path()) {
            (Method::Post, "/append") => {
                let body: AppendRequest = req
                    .json()
                    .await
                    .map_err(|e| ApiError::bad_request(format!("append: {e}")))?;
                let now_ms = worker::Date::now().as_millis();
                let accepted = sequencer.append(&body, now_ms)?;
                if accepted.pooled {
                    self.wake(BATCH_DELAY_MS).await?;
                }
                // The runtime releases this response only once the pool writes are durable.
                reply::ok(&accepted.response)
            }
            (Method::Get, "/checkpoint") => {
                text(sequencer.checkpoint_at(query_u64(&url, "size")?)?)
            }
            (Method::Get, "/proof") => text(sequencer.proof(query_u64(&url, "index")?)?),
            (Method::Get, "/entry") => reply::ok(&sequencer.entry(&query_hash(&url)?)?),
            (Method::Get, "/asset") => reply::ok(&sequencer.asset_entries(&query_hash(&url)?)?),
            (Method::Get, "/consistency") => {
                reply::ok(&sequencer.consistency(query_u64(&url, "from")?, query_u64(&url, "to")?)?)
            }
            (_, path) => Err(ApiError::not_found(path)),
        }
    }

    /// Make sure an alarm will run within `delay_ms`.
    async fn wake(&self, delay_ms: u64) -> ApiResult<()> {
        if self.alarm_armed.get() {
            return Ok(());
        }
        let storage = self.state.storage();
        let due = worker::Date::now().as_millis() as i64 + delay_ms as i64;
        match storage.get_alarm().await? {
            Some(at) if at <= due => {}
            _ => storage.set_alarm(delay_ms as i64).await?,
        }
        self.alarm_armed.set(true);
        Ok(())
    }

    /// The alarm's work: one run of the sequencer, and another soon if
    /// entries remain pooled.
    async fn run(&self) -> ApiResult<()> {
        let sequencer = self.sequencer()?;
        let publisher = R2Publisher {
            bucket: self.env.bucket("BLOBS")?,
        };
        if sequencer.run(keys::load(&self.env), &publisher).await? {
            self.wake(0).await?;
        }
        Ok(())
    }
}
