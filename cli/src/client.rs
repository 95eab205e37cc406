//! A small HTTP client for the fairtrain API that turns problem+json answers
//! into readable errors.

use anyhow::{anyhow, Context, Result};
use fairtrain_core::problem::Problem;
use serde_json::Value;

pub struct Api {
    base: String,
    token: Option<String>,
    agent: ureq::Agent,
}

impl Api {
    pub fn new(base: &str, token: Option<String>) -> Api {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent();
        Api {
            base: base.trim_end_matches('/').to_string(),
            token,
            agent,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn get(&self, path: &str) -> Result<Value> {
        let mut req = self.agent.get(self.url(path));
        if let Some(t) = &self.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        Self::answer(path, req.call())
    }

    pub fn send_json(&self, method: &str, path: &str, body: &Value) -> Result<Value> {
        let builder = ureq::http::Request::builder()
            .method(method)
            .uri(self.url(path))
            .header("Content-Type", "application/json");
        let builder = match &self.token {
            Some(t) => builder.header("Authorization", format!("Bearer {t}")),
            None => builder,
        };
        let req = builder.body(serde_json::to_vec(body)?)?;
        Self::answer(path, self.agent.run(req))
    }

    fn answer(
        path: &str,
        res: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Value> {
        let mut res = res.with_context(|| format!("request to {path} failed"))?;
        let status = res.status().as_u16();
        let text = res
            .body_mut()
            .read_to_string()
            .with_context(|| format!("reading the answer from {path}"))?;
        if (200..300).contains(&status) {
            if text.is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_str(&text)
                .with_context(|| format!("{path} answered with invalid JSON"));
        }
        match serde_json::from_str::<Problem>(&text) {
            Ok(p) => Err(anyhow!(
                "{} {}: {} ({})",
                p.status,
                p.title,
                p.detail.unwrap_or_default(),
                p.type_uri
            )),
            Err(_) => Err(anyhow!("{path} answered {status}: {text}")),
        }
    }
}
