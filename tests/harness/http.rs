//! A request builder for tests: every call returns the full reply (status,
//! headers, body), whatever the status.

use std::time::Duration;

use serde_json::Value;

use crate::worker::Worker;

/// A fresh agent per request: after a long request (a 100,000-asset
/// composition) the next call through a shared agent was seen to stall
/// while curl and a new agent were answered at once; an agent per request
/// keeps every test independent of that, at the cost of a loopback connect.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .allow_non_standard_methods(true)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .new_agent()
}

#[derive(Clone)]
pub struct Req {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The dev proxy's answer when its forward of a request to the Worker
/// failed (it calls every such failure a restart); the Worker never saw it.
const RESTARTED: &[u8] = b"Your worker restarted mid-request";
/// The dev runtime's failure on requests after the proxy lost one (see `send`).
const PROXY_RETRY_FAILED: &[u8] = b"TypeError: Cannot reconstruct a Request with a used body";

impl Req {
    pub fn new(method: &str, path: &str) -> Req {
        Req {
            method: method.into(),
            path: path.into(),
            headers: Vec::new(),
            body: None,
        }
    }
    pub fn get(path: &str) -> Req {
        Req::new("GET", path)
    }
    pub fn post(path: &str) -> Req {
        Req::new("POST", path)
    }
    pub fn header(mut self, name: &str, value: &str) -> Req {
        self.headers.push((name.into(), value.into()));
        self
    }
    pub fn bearer(self, token: &str) -> Req {
        self.header("Authorization", &format!("Bearer {token}"))
    }
    pub fn json(self, value: &Value) -> Req {
        self.header("Content-Type", "application/json")
            .body(serde_json::to_vec(value).expect("json"))
    }
    pub fn body(mut self, bytes: Vec<u8>) -> Req {
        self.body = Some(bytes);
        self
    }

    /// The value of a header this request will send (empty if none).
    pub fn header_value(&self, name: &str) -> String {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    pub fn send(self, w: &Worker) -> Reply {
        let what = format!("{} {}", self.method, self.path);
        let safe = matches!(self.method.as_str(), "GET" | "HEAD");
        let mut tries = 0;
        loop {
            tries += 1;
            let reply = match self.clone().try_send(w) {
                Ok(r) => r,
                // wrangler 4.86's dev proxy, when its forward of a GET to the
                // Worker fails ("Network connection lost": a keep-alive
                // connection closed under it, seen right after a long, heavy
                // request), parks the GET for a retry that never comes, and
                // the next request through it fails on the parked one
                // (PROXY_RETRY_FAILED). So: one throwaway request to clear
                // it, then ask again. Reads only; a write is never repeated.
                Err(ureq::Error::Timeout(_)) if tries < 3 && safe => {
                    eprintln!("{what}: no answer in time; clearing the dev proxy and asking again");
                    let _ = Req::get("/healthz").try_send(w);
                    continue;
                }
                Err(e) => panic!("{what}: {e}\nwrangler log:\n{}", w.log()),
            };
            // Answers of the dev runtime itself, never of the Worker: the
            // request was not delivered (miniflare's entry throws on it
            // before calling the Worker), so any method may be sent again.
            // After the proxy's failure above, every other request through
            // it fails like this for a while; a pause lets it recover.
            let not_processed =
                reply.body.starts_with(RESTARTED) || reply.body.starts_with(PROXY_RETRY_FAILED);
            if tries < 5 && reply.status >= 500 && not_processed {
                eprintln!(
                    "{what}: the dev runtime answered {}: {}; asking again",
                    reply.status,
                    reply.text()
                );
                std::thread::sleep(std::time::Duration::from_secs(2));
                continue;
            }
            if reply.status >= 500 {
                // Shown with a failing test's output: the body says whether
                // the Worker or the runtime around it answered.
                eprintln!("{what} answered {}: {}", reply.status, reply.text());
            }
            return reply;
        }
    }

    pub fn try_send(self, w: &Worker) -> Result<Reply, ureq::Error> {
        let mut b = ureq::http::Request::builder()
            .method(self.method.as_str())
            .uri(format!("{}{}", w.base, self.path));
        for (k, v) in &self.headers {
            b = b.header(k, v);
        }
        let req = b
            .body(self.body.unwrap_or_default())
            .map_err(ureq::Error::from)?;
        let mut res = agent().run(req)?;
        let status = res.status().as_u16();
        let headers = res
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        // A HEAD reply has no body to read (its headers describe the GET's).
        let body = if self.method == "HEAD" || status == 304 || status == 204 {
            Vec::new()
        } else {
            res.body_mut().with_config().limit(1 << 30).read_to_vec()?
        };
        Ok(Reply {
            status,
            headers,
            body,
        })
    }
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// Assert this is an RFC 9457 problem of the given slug and status; return it.
    pub fn problem(&self, status: u16, slug: &str) -> Value {
        assert_eq!(self.status, status, "status; body: {}", self.text());
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "content type; body: {}",
            self.text()
        );
        let p = self.json();
        assert_eq!(p["type"], format!("/problems/{slug}"), "problem type: {p}");
        assert_eq!(p["status"], status, "status member: {p}");
        assert!(
            p["title"].is_string() && p["detail"].is_string(),
            "title and detail: {p}"
        );
        p
    }
}
