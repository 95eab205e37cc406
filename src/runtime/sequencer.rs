//! The log's sequencer: a Durable Object, called over internal HTTP; and
//! the log as published, in R2.

use fairtrain_app::log::protocol::{AppendRequest, AppendResponse, MAIN_LOG};
use fairtrain_app::log::sequencer::{AssetEntries, Consistency, EntryLookup};
use fairtrain_app::log::sequencer_port::PublishedLog;
use fairtrain_app::platform::Sequencer;
use fairtrain_app::{Error, Result};
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::problem::Problem;
use serde::de::DeserializeOwned;
use worker::{Method, Request, RequestInit, Response};

use super::Runtime;
use crate::durable_objects::log_sequencer::publish::PREFIX;

impl Runtime {
    /// Calls the log's sequencer; its problem (e.g. 429 pool full) is the
    /// caller's answer.
    async fn call_sequencer(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<String>,
    ) -> Result<Response> {
        let stub = self
            .env
            .durable_object("LOG")?
            .id_from_name(MAIN_LOG)?
            .get_stub()?;
        let mut init = RequestInit::new();
        init.with_method(method);
        let headers = worker::Headers::new();
        headers.set("X-Request-Id", &self.request_id)?;
        if let Some(b) = body {
            headers.set("Content-Type", "application/json")?;
            init.with_body(Some(b.into()));
        }
        init.with_headers(headers);
        let req = Request::new_with_init(&format!("https://log{path_and_query}"), &init)?;
        let mut res = stub.fetch_with_request(req).await?;
        if res.status_code() != 200 {
            let problem: Problem = res.json().await?;
            let retry = res
                .headers()
                .get("Retry-After")?
                .and_then(|v| v.trim().parse().ok());
            return Err(Error::from_problem(problem, retry));
        }
        Ok(res)
    }

    async fn sequencer_bytes(&self, path_and_query: &str) -> Result<Vec<u8>> {
        let mut res = self
            .call_sequencer(Method::Get, path_and_query, None)
            .await?;
        Ok(res.bytes().await?)
    }

    async fn sequencer_json<T: DeserializeOwned>(&self, path_and_query: &str) -> Result<T> {
        let mut res = self
            .call_sequencer(Method::Get, path_and_query, None)
            .await?;
        Ok(res.json().await?)
    }
}

impl Sequencer for Runtime {
    async fn append(&self, request: &AppendRequest) -> Result<AppendResponse> {
        let body = serde_json::to_string(request)?;
        let mut res = self
            .call_sequencer(Method::Post, "/append", Some(body))
            .await?;
        Ok(res.json().await?)
    }

    async fn checkpoint_at(&self, size: u64) -> Result<Vec<u8>> {
        self.sequencer_bytes(&format!("/checkpoint?size={size}"))
            .await
    }

    async fn proof(&self, index: u64) -> Result<Vec<u8>> {
        self.sequencer_bytes(&format!("/proof?index={index}")).await
    }

    async fn entry(&self, hash: &Sha256Digest) -> Result<EntryLookup> {
        self.sequencer_json(&format!("/entry?hash={hash}")).await
    }

    async fn asset_entries(&self, asset: &Sha256Digest) -> Result<AssetEntries> {
        self.sequencer_json(&format!("/asset?hash={asset}")).await
    }

    async fn consistency(&self, from: u64, to: u64) -> Result<Consistency> {
        self.sequencer_json(&format!("/consistency?from={from}&to={to}"))
            .await
    }
}

impl PublishedLog for Runtime {
    async fn published(&self, path: &str) -> Result<Option<Vec<u8>>> {
        let Some(object) = self
            .bucket()?
            .get(format!("{PREFIX}{path}"))
            .execute()
            .await?
        else {
            return Ok(None);
        };
        let body = object
            .body()
            .ok_or_else(|| Error::internal("R2 object without body"))?;
        Ok(Some(body.bytes().await?))
    }
}
