//! The transparency log's sequencer: one SQLite-backed Durable Object per log,
//! the single writer that orders entries into the Merkle tree.
//!
//! Appends land in a durable pool and are answered at once; an alarm a short
//! moment later sequences everything pooled in one batch (one atomic storage
//! write, one signed checkpoint), then publishes tiles, entry bundles and
//! finally the checkpoint to R2. Throughput is bounded by batches, not by a
//! storage write and a signature per entry.

pub mod publish;
mod sequence;
mod store;

use std::cell::Cell;

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::encoding::{base64_decode, base64_encode};
use fairtrain_core::problem::ProblemType;
use fairtrain_tlog::{consistency_proof, Ed25519NoteSigner, TlogProof};
use serde_json::json;
use worker::{durable_object, DurableObject, Env, Method, Request, Response, Result, State};

use self::store::{Found, Store};
use crate::http::error::{ApiError, ApiResult};
use crate::http::reply;
use crate::runtime::keys;
use fairtrain_app::log::protocol::{AppendRequest, AppendResponse, AppendResult};

/// How long entries wait in the pool for company before a batch is cut.
const BATCH_DELAY_MS: u64 = 50;
/// Beyond this many pooled entries, appends are refused with 429 (the
/// LOG_MAX_POOL variable overrides it, e.g. for tests).
const MAX_POOL: u64 = 200_000;
/// Most entries returned by one asset lookup.
const MAX_ASSET_ENTRIES: u64 = 100;

#[durable_object]
pub struct LogSequencer {
    state: State,
    env: Env,
    /// Whether this instance has created its tables and checked for work
    /// left by a previous one.
    recovered: Cell<bool>,
    /// Pooled entries, counted once per instance and then kept in memory:
    /// this object is the pool's only writer.
    pool_count: Cell<Option<u64>>,
    /// An alarm is set and has not run yet: appends need not touch storage for it.
    alarm_armed: Cell<bool>,
}

fn query_u64(url: &worker::Url, name: &str) -> ApiResult<Option<u64>> {
    match url.query_pairs().find(|(k, _)| k == name) {
        None => Ok(None),
        Some((_, v)) => v
            .parse()
            .map(Some)
            .map_err(|_| ApiError::bad_request(format!("`{name}` must be a non-negative integer"))),
    }
}

fn query_str(url: &worker::Url, name: &str) -> ApiResult<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| ApiError::bad_request(format!("`{name}` is required")))
}

fn text(body: Vec<u8>, cache: &str) -> ApiResult<Response> {
    let r = Response::from_bytes(body)?;
    r.headers()
        .set("Content-Type", "text/plain; charset=utf-8")?;
    r.headers().set("Cache-Control", cache)?;
    Ok(r)
}

impl DurableObject for LogSequencer {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            recovered: Cell::new(false),
            pool_count: Cell::new(None),
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
        if let Err(e) = self.run_batches().await {
            worker::console_error!("log sequencer: {}", e.problem.detail.unwrap_or_default());
            // Try again shortly; nothing is lost, the pool and tree are intact.
            self.state.storage().set_alarm(1000).await?;
        }
        Response::empty()
    }
}

impl LogSequencer {
    fn store(&self) -> ApiResult<Store> {
        Ok(Store::new(self.state.storage().sql()))
    }

    fn origin(&self) -> String {
        self.env
            .var("LOG_ORIGIN")
            .map(|v| v.to_string())
            .unwrap_or_else(|_| "fairtrain.local/log".into())
    }

    fn signer(&self) -> ApiResult<Ed25519NoteSigner> {
        let ring = keys::load(&self.env)?;
        Ed25519NoteSigner::new(&self.origin(), ring.active_signer().clone()).map_err(|e| {
            ApiError::internal(format!("log origin is not a valid note key name: {e}"))
        })
    }

    async fn route(&self, req: &mut Request) -> ApiResult<Response> {
        let store = self.store()?;
        if !self.recovered.replace(true) {
            store.migrate()?;
            // Work a previous instance left (pooled entries, unpublished tiles)
            // resumes on the first request after a restart.
            if store.pool_len()? > 0 || store.published()? < store.size()? {
                self.wake(0).await?;
            }
        }
        let url = req.url()?;
        match (req.method(), url.path()) {
            (Method::Post, "/append") => self.append(&store, req).await,
            (Method::Get, "/checkpoint") => {
                let size = query_u64(&url, "size")?;
                let (_, note) = store
                    .checkpoint(size)?
                    .ok_or_else(|| ApiError::not_found("/checkpoint"))?;
                text(
                    note,
                    if size.is_some() {
                        "public, max-age=31536000, immutable"
                    } else {
                        "no-store"
                    },
                )
            }
            (Method::Get, "/proof") => {
                let index = query_u64(&url, "index")?
                    .ok_or_else(|| ApiError::bad_request("`index` is required"))?;
                text(self.proof(&store, index)?, "no-store")
            }
            (Method::Get, "/entry") => self.entry(&store, &query_str(&url, "hash")?),
            (Method::Get, "/asset") => {
                let asset: Sha256Digest = query_str(&url, "hash")?
                    .parse()
                    .map_err(|e| ApiError::bad_request(format!("hash: {e}")))?;
                let indexes = store.asset_indexes(&asset.to_string(), MAX_ASSET_ENTRIES)?;
                let mut entries = Vec::new();
                for i in indexes {
                    entries.push(self.described(&store, i)?);
                }
                reply::ok(&json!({ "asset_hash": asset.to_string(), "entries": entries }))
            }
            (Method::Get, "/consistency") => {
                let from = query_u64(&url, "from")?
                    .ok_or_else(|| ApiError::bad_request("`from` is required"))?;
                let to = query_u64(&url, "to")?
                    .ok_or_else(|| ApiError::bad_request("`to` is required"))?;
                let size = store.size()?;
                if from == 0 || from > to || to > size {
                    return Err(ApiError::bad_request(format!(
                        "need 0 < from <= to <= {size} (the current tree size)"
                    )));
                }
                let proof =
                    consistency_proof(from, to, &store.reader()).map_err(ApiError::internal)?;
                let proof: Vec<String> = proof.iter().map(|h| h.to_base64()).collect();
                reply::ok(&json!({ "from": from, "to": to, "proof": proof }))
            }
            (_, path) => Err(ApiError::not_found(path)),
        }
    }

    async fn append(&self, store: &Store, req: &mut Request) -> ApiResult<Response> {
        let body: AppendRequest = req
            .json()
            .await
            .map_err(|e| ApiError::bad_request(format!("append: {e}")))?;
        let max_pool = self
            .env
            .var("LOG_MAX_POOL")
            .ok()
            .and_then(|v| v.to_string().parse().ok())
            .unwrap_or(MAX_POOL);
        if self.pool_count(store)? + body.entries.len() as u64 > max_pool {
            return Err(ApiError::new(
                ProblemType::RateLimited,
                "the log's pool is full; retry shortly",
            )
            .header("Retry-After", "1"));
        }
        let now = worker::Date::now().as_millis();
        let mut results = Vec::with_capacity(body.entries.len());
        let mut added = false;
        for e in &body.entries {
            let hash: Sha256Digest = e
                .hash
                .parse()
                .map_err(|err| ApiError::bad_request(format!("append hash: {err}")))?;
            let entry = base64_decode(&e.entry)
                .map_err(|err| ApiError::bad_request(format!("append entry: {err}")))?;
            if Sha256Digest::of(&entry) != hash {
                return Err(ApiError::bad_request(
                    "append: an entry does not match its hash",
                ));
            }
            let (index, status) = match store.find(hash.as_bytes())? {
                Some(Found::Sequenced(i)) => (Some(i), "sequenced"),
                Some(Found::Pooled) => (None, "pooled"),
                None => {
                    store.pool_insert(hash.as_bytes(), &entry, &e.assets, now)?;
                    self.pool_count.set(self.pool_count.get().map(|n| n + 1));
                    added = true;
                    (None, "pooled")
                }
            };
            results.push(AppendResult {
                entry_hash: e.hash.clone(),
                index,
                status: status.into(),
            });
        }
        if added {
            self.wake(BATCH_DELAY_MS).await?;
        }
        // The runtime releases this response only once the pool writes are durable.
        reply::ok(&AppendResponse {
            size: store.size()?,
            results,
        })
    }

    fn pool_count(&self, store: &Store) -> ApiResult<u64> {
        match self.pool_count.get() {
            Some(n) => Ok(n),
            None => {
                let n = store.pool_len()?;
                self.pool_count.set(Some(n));
                Ok(n)
            }
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

    async fn run_batches(&self) -> ApiResult<()> {
        let store = self.store()?;
        store.migrate()?;
        let bucket = self.env.bucket("BLOBS")?;
        // Whatever an earlier run committed but did not publish goes first.
        publish::publish(&store, &bucket).await?;
        let signer = self.signer()?;
        let origin = self.origin();
        if sequence::sequence_batch(&store, &origin, &signer)? {
            self.pool_count.set(None);
            publish::publish(&store, &bucket).await?;
        }
        if self.pool_count(&store)? > 0 {
            self.wake(0).await?;
        }
        Ok(())
    }

    fn proof(&self, store: &Store, index: u64) -> ApiResult<Vec<u8>> {
        let (size, note) = store
            .checkpoint(None)?
            .ok_or_else(|| ApiError::not_found("the log is empty"))?;
        if index >= size {
            return Err(ApiError::not_found(&format!(
                "entry {index} (the tree has {size})"
            )));
        }
        let proof = TlogProof::build(index, &note, &store.reader(), Vec::new())
            .map_err(ApiError::internal)?;
        Ok(proof.to_bytes())
    }

    /// An entry with its index, hash, content and inclusion proof.
    fn described(&self, store: &Store, index: u64) -> ApiResult<serde_json::Value> {
        let bytes = store
            .entry(index)?
            .ok_or_else(|| ApiError::internal("log storage: sequenced entry missing"))?;
        let entry: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(ApiError::internal)?;
        let proof = String::from_utf8(self.proof(store, index)?).map_err(ApiError::internal)?;
        Ok(json!({
            "index": index,
            "entry_hash": Sha256Digest::of(&bytes).to_string(),
            "entry": entry,
            "entry_base64": base64_encode(&bytes),
            "proof": proof,
        }))
    }

    fn entry(&self, store: &Store, hash: &str) -> ApiResult<Response> {
        let hash: Sha256Digest = hash
            .parse()
            .map_err(|e| ApiError::bad_request(format!("hash: {e}")))?;
        match store.find(hash.as_bytes())? {
            Some(Found::Sequenced(i)) => reply::ok(&self.described(store, i)?),
            Some(Found::Pooled) => reply::json(
                202,
                &json!({ "entry_hash": hash.to_string(), "status": "pooled" }),
                "no-store",
            ),
            None => Err(ApiError::not_found(&format!("/v1/log/entries/{hash}"))),
        }
    }
}
