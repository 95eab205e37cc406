//! The log's sequencer: a Durable Object, called over internal HTTP.

use fairtrain_app::log::protocol::{AppendRequest, AppendResponse, MAIN_LOG};
use fairtrain_app::platform::Sequencer;
use fairtrain_app::{Error, Result};
use fairtrain_core::problem::Problem;
use worker::{Method, Request, RequestInit, Response};

use super::Runtime;

impl Runtime {
    /// Calls the log's sequencer and returns its answer as it is.
    pub async fn sequencer_fetch(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<String>,
    ) -> worker::Result<Response> {
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
        stub.fetch_with_request(req).await
    }
}

impl Sequencer for Runtime {
    async fn append(&self, request: &AppendRequest) -> Result<AppendResponse> {
        let body = serde_json::to_string(request)?;
        let mut res = self
            .sequencer_fetch(Method::Post, "/append", Some(body))
            .await?;
        if res.status_code() != 200 {
            // The sequencer's problem (e.g. 429 pool full) is the caller's answer.
            let problem: Problem = res.json().await?;
            let retry = res
                .headers()
                .get("Retry-After")?
                .and_then(|v| v.trim().parse().ok());
            return Err(Error::from_problem(problem, retry));
        }
        Ok(res.json().await?)
    }

    // Reads for the ledger.
    async fn published_checkpoint(&self) -> Result<Option<String>> {
        let key = format!(
            "{}checkpoint",
            crate::durable_objects::log_sequencer::publish::PREFIX
        );
        let Some(object) = self.bucket()?.get(key).execute().await? else {
            return Ok(None);
        };
        let bytes = object
            .body()
            .ok_or_else(|| Error::internal("empty checkpoint"))?
            .bytes()
            .await?;
        Ok(Some(String::from_utf8(bytes)?))
    }
}
