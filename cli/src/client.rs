//! A small HTTP client for the fairtrain API that turns problem+json answers
//! into readable errors.

use anyhow::{bail, Context, Result};
use fairtrain_core::problem::Problem;
use serde_json::Value;

use crate::retry;

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

    /// Whether a bearer token (operator token or API key) was given.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    pub fn get(&self, path: &str) -> Result<Value> {
        reading(path, || Self::answer(path, self.get_request(path).call()))
    }

    /// GET a non-JSON resource (a signed note, a tile, a bundle) as raw bytes,
    /// refusing bodies larger than `limit` bytes.
    pub fn get_bytes(&self, path: &str, limit: u64) -> Result<Vec<u8>> {
        reading(path, || self.get_bytes_once(path, limit))
    }

    fn get_bytes_once(&self, path: &str, limit: u64) -> Result<Vec<u8>> {
        let mut res = self
            .get_request(path)
            .call()
            .with_context(|| format!("request to {path} failed"))?;
        let status = res.status().as_u16();
        let body = res
            .body_mut()
            .with_config()
            // ureq refuses a body of exactly `limit` bytes: allow one more.
            .limit(limit.saturating_add(1))
            .read_to_vec()
            .with_context(|| format!("reading the answer from {path}"))?;
        if body.len() as u64 > limit {
            bail!("the answer from {path} is larger than {limit} bytes");
        }
        if (200..300).contains(&status) {
            return Ok(body);
        }
        Err(Self::failure(path, status, &String::from_utf8_lossy(&body)))
    }

    fn get_request(&self, path: &str) -> ureq::RequestBuilder<ureq::typestate::WithoutBody> {
        let req = self.agent.get(self.url(path));
        match &self.token {
            Some(t) => req.header("Authorization", format!("Bearer {t}")),
            None => req,
        }
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

    /// Sends a JSON body (already serialised, so a retry sends the very same
    /// bytes) and returns the answer whatever its status, for callers that
    /// decide themselves what to do with 429 or 503. Only a failure to get
    /// an answer at all is an error.
    pub fn send_json_bytes(&self, method: &str, path: &str, body: &[u8]) -> Result<Answer> {
        let builder = ureq::http::Request::builder()
            .method(method)
            .uri(self.url(path))
            .header("Content-Type", "application/json");
        let builder = match &self.token {
            Some(t) => builder.header("Authorization", format!("Bearer {t}")),
            None => builder,
        };
        let req = builder.body(body.to_vec())?;
        let mut res = self
            .agent
            .run(req)
            .with_context(|| format!("request to {path} failed"))?;
        let status = res.status().as_u16();
        let retry_after = res
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = res
            .body_mut()
            .read_to_string()
            .with_context(|| format!("reading the answer from {path}"))?;
        Ok(Answer {
            path: path.to_owned(),
            status,
            retry_after,
            text,
        })
    }

    /// Sends a request built elsewhere (a signed one) and reads the answer
    /// like every other call: JSON on success, the problem as an error.
    pub fn run(
        &self,
        path: &str,
        req: ureq::http::Request<impl ureq::AsSendBody>,
    ) -> Result<Value> {
        Self::answer(path, self.agent.run(req))
    }

    fn answer(
        path: &str,
        res: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Value> {
        let mut res = res.with_context(|| format!("request to {path} failed"))?;
        let status = res.status().as_u16();
        let retry_after = res
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
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
        Err(Refused::new(path, status, retry_after, &text).into())
    }

    /// An error answer as a readable error: its problem+json if it has one.
    fn failure(path: &str, status: u16, text: &str) -> anyhow::Error {
        Refused::new(path, status, None, text).into()
    }
}

/// Tries for a read: reads change nothing, so one that failed for now (no
/// answer, 429, a 5xx) is asked again.
const READ_TRIES: u32 = 3;

fn reading<T>(path: &str, mut read: impl FnMut() -> Result<T>) -> Result<T> {
    let mut attempt = 1;
    loop {
        let e = match read() {
            Err(e) => e,
            ok => return ok,
        };
        let Some(wait) = retry::wait_before_retry(&e, attempt, READ_TRIES) else {
            return Err(e);
        };
        eprintln!("{path}: {e:#}; asking again in {}s", wait.as_secs());
        std::thread::sleep(wait);
        attempt += 1;
    }
}

/// The platform answered, and not with success: the status, Retry-After and
/// problem document stay with the error, so a caller can decide to retry.
#[derive(Debug)]
pub struct Refused {
    pub path: String,
    pub status: u16,
    pub retry_after: Option<String>,
    pub problem: Option<Problem>,
    text: String,
}

impl Refused {
    fn new(path: &str, status: u16, retry_after: Option<String>, text: &str) -> Refused {
        Refused {
            path: path.to_owned(),
            status,
            retry_after,
            problem: serde_json::from_str(text).ok(),
            text: text.to_owned(),
        }
    }
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.problem {
            Some(p) => write!(
                f,
                "{} {}: {} ({})",
                p.status,
                p.title,
                p.detail.as_deref().unwrap_or_default(),
                p.type_uri
            ),
            None => write!(f, "{} answered {}: {}", self.path, self.status, self.text),
        }
    }
}

impl std::error::Error for Refused {}

/// An HTTP answer of any status (see [`Api::send_json_bytes`]).
#[derive(Debug)]
pub struct Answer {
    pub path: String,
    pub status: u16,
    /// The `Retry-After` header, as sent.
    pub retry_after: Option<String>,
    pub text: String,
}

impl Answer {
    /// JSON on success, the problem as an error otherwise.
    pub fn into_json(self) -> Result<Value> {
        if (200..300).contains(&self.status) {
            if self.text.is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_str(&self.text)
                .with_context(|| format!("{} answered with invalid JSON", self.path));
        }
        Err(Api::failure(&self.path, self.status, &self.text))
    }
}

/// `text` as one percent-encoded path segment: everything but the RFC 3986
/// unreserved characters is escaped, so `/`, `?`, `#` and `%` in an id
/// cannot change the route.
pub fn path_segment(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, NOT_UNRESERVED).to_string()
}

/// Everything but RFC 3986's unreserved characters (ALPHA / DIGIT / "-" / "." / "_" / "~").
const NOT_UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_escaped() {
        assert_eq!(path_segment("acme-7b_v1.2~x"), "acme-7b_v1.2~x");
        assert_eq!(
            path_segment("org/model:7b?x#y%"),
            "org%2Fmodel%3A7b%3Fx%23y%25"
        );
        assert_eq!(path_segment("é"), "%C3%A9");
    }

    fn refused(status: u16) -> anyhow::Error {
        Refused::new("/x", status, Some("0".into()), "{}").into()
    }

    #[test]
    fn reads_are_asked_again_only_after_failures_that_may_pass() {
        let calls = std::cell::Cell::new(0);
        let v = reading("/x", || {
            calls.set(calls.get() + 1);
            if calls.get() == 1 {
                Err(refused(503))
            } else {
                Ok(7)
            }
        })
        .unwrap();
        assert_eq!((v, calls.get()), (7, 2));

        calls.set(0);
        let e = reading("/x", || -> Result<u8> {
            calls.set(calls.get() + 1);
            Err(refused(404))
        })
        .unwrap_err();
        assert_eq!(calls.get(), 1, "a 404 is an answer, not a failure: {e}");

        calls.set(0);
        let _ = reading("/x", || -> Result<u8> {
            calls.set(calls.get() + 1);
            Err(refused(500))
        })
        .unwrap_err();
        assert_eq!(calls.get(), READ_TRIES);
    }
}
