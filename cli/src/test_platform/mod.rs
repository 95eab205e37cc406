//! The platform for the CLI's tests: the application itself
//! (`fairtrain_app` over its in-memory platform) behind a tiny HTTP/1.1
//! server on 127.0.0.1. Each route the CLI uses calls the use case the
//! Worker's handler calls, after the same authentication
//! (`fairtrain_app::auth`: bearer tokens, RFC 9421 signatures with their
//! nonce and signed Content-Digest), and a failure is answered as the
//! Worker answers it: `Error::problem()`, its status, Retry-After.
//!
//! A test shares the platform ([`TestPlatform::platform`]) to set up state
//! through the use cases ([`market`]) and to look at it afterwards. Its
//! clock is set to the real time for each request, since the CLI signs
//! with the current time. [`Log`] records what the CLI sent; [`Faults`]
//! are injected around the real handling.

pub mod market;
mod routes;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};

use fairtrain_app::memory::{block_on, MemoryPlatform};
use fairtrain_app::{Error, Kind};
use fairtrain_core::key_set::PublishedKey;
use fairtrain_core::problem::PROBLEM_JSON;
use fairtrain_core::time::Timestamp;
use serde_json::Value;

use routes::{Reply, Request, Storage};

pub struct TestPlatform {
    pub url: String,
    platform: Arc<Mutex<MemoryPlatform>>,
    log: Arc<Mutex<Log>>,
    faults: Arc<Mutex<Faults>>,
}

/// What the CLI sent.
#[derive(Default)]
pub struct Log {
    /// Every request, as "METHOD /target".
    pub requests: Vec<String>,
    /// The last `Authorization` header seen.
    pub bearer: Option<String>,
    /// Every usage report body received, retries included.
    pub usage_reports: Vec<Value>,
}

/// Replaces a successful answer's body.
pub type Rewrite = Box<dyn Fn(Value) -> Value + Send>;

/// Failures injected around the real handling.
#[derive(Default)]
pub struct Faults {
    /// Statuses (429, 503) to answer usage reports with before one is
    /// handled, in order.
    pub usage_busy: Vec<u16>,
    /// Upload parts of this number fail with 500 before they are handled.
    pub fail_part: Option<u16>,
    /// The upload part of this number is stored, and then its answer lost
    /// (the connection closes without one), once.
    pub lose_part_answer: Option<u16>,
    /// A man in the middle: the successful answer to "METHOD /target"
    /// replaced by what this makes of it.
    pub rewrite: HashMap<String, Rewrite>,
}

impl TestPlatform {
    /// A platform at [`market::SETUP`] with the seed policy published,
    /// serving.
    pub fn start() -> TestPlatform {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let platform = MemoryPlatform::new(market::t(market::SETUP));
        block_on(fairtrain_app::policies::publish(
            &platform,
            market::seed_policy(),
        ))
        .unwrap();
        let shared = TestPlatform {
            url,
            platform: Arc::new(Mutex::new(platform)),
            log: Arc::default(),
            faults: Arc::default(),
        };
        let server = TestPlatform {
            url: shared.url.clone(),
            platform: Arc::clone(&shared.platform),
            log: Arc::clone(&shared.log),
            faults: Arc::clone(&shared.faults),
        };
        std::thread::spawn(move || {
            let mut storage = Storage::default();
            for stream in listener.incoming() {
                let Ok(stream) = stream else { break };
                server.serve(stream, &mut storage);
            }
        });
        shared
    }

    /// The application's platform (never hold it across a CLI call).
    pub fn platform(&self) -> MutexGuard<'_, MemoryPlatform> {
        self.platform.lock().unwrap()
    }

    /// Runs `f` on the application's platform.
    pub fn with<R>(&self, f: impl FnOnce(&MemoryPlatform) -> R) -> R {
        f(&self.platform())
    }

    pub fn log(&self) -> MutexGuard<'_, Log> {
        self.log.lock().unwrap()
    }

    pub fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults.lock().unwrap()
    }

    /// The key set the platform publishes, signed now.
    pub fn key_set(&self) -> Value {
        fairtrain_app::key_set::signed_key_set(&*self.platform()).unwrap()
    }

    /// The keys of [`Self::key_set`], verified as the CLI verifies them.
    pub fn published_keys(&self) -> Vec<PublishedKey> {
        fairtrain_core::key_set::verify(&self.key_set()).unwrap()
    }

    fn serve(&self, stream: TcpStream, storage: &mut Storage) {
        let Some(req) = read_request(&stream) else {
            return;
        };
        let line = format!("{} {}", req.method, req.target);
        let part = part_number(&line);
        let before = self
            .record(&req, &line)
            .and_then(|()| self.fault(&line, part));
        let mut answer = before.and_then(|()| {
            let platform = self.platform();
            platform.set_now(Timestamp::now());
            let url = format!("{}{}", self.url, req.target);
            block_on(routes::route(&platform, &req, &url, storage))
        });
        let mut faults = self.faults();
        if answer.is_ok() && part.is_some() && faults.lose_part_answer == part {
            faults.lose_part_answer = None;
            return; // the part is stored; its answer never arrives
        }
        if let (Ok(reply), Some(rewrite)) = (&mut answer, faults.rewrite.get(&line)) {
            reply.body = rewrite(std::mem::take(&mut reply.body));
        }
        drop(faults);
        write_answer(stream, answer);
    }

    /// Logs the request; a chunked body is refused (the CLI must give
    /// Content-Length, which the Worker needs to stream uploads).
    fn record(&self, req: &Request, line: &str) -> Result<(), Error> {
        let mut log = self.log();
        log.requests.push(line.to_owned());
        if let Some(auth) = req.header("authorization") {
            log.bearer = Some(auth.to_owned());
        }
        if line == "POST /v1/usage/reports" {
            log.usage_reports
                .push(serde_json::from_slice(&req.body).unwrap_or(Value::Null));
        }
        match req.header("transfer-encoding") {
            Some(_) => Err(Error::bad_request(
                "Content-Length is required: the body is streamed into storage with a known length",
            )),
            None => Ok(()),
        }
    }

    /// A failure injected before the request is handled, if one is due.
    fn fault(&self, line: &str, part: Option<u16>) -> Result<(), Error> {
        let mut faults = self.faults();
        if line == "POST /v1/usage/reports" && !faults.usage_busy.is_empty() {
            let kind = match faults.usage_busy.remove(0) {
                429 => Kind::RateLimited,
                _ => Kind::Unavailable,
            };
            return Err(Error::new(kind, "busy").retry_after(0));
        }
        if part.is_some() && faults.fail_part == part {
            return Err(Error::new(Kind::Internal, "part refused"));
        }
        Ok(())
    }
}

/// The part number of "PUT /v1/uploads/{id}/parts/{n}".
fn part_number(line: &str) -> Option<u16> {
    let path = line.strip_prefix("PUT /v1/uploads/")?;
    let (_, n) = path.split_once("/parts/")?;
    n.parse().ok()
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut words = line.split_whitespace();
    let (method, target) = (words.next()?.to_owned(), words.next()?.to_owned());
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let mut req = Request {
        method,
        target,
        headers,
        body: Vec::new(),
    };
    let length = req
        .header("content-length")
        .map_or(Some(0), |l| l.parse().ok())?;
    req.body = vec![0; length];
    reader.read_exact(&mut req.body).ok()?;
    Some(req)
}

/// The answer as the Worker renders it: JSON, or the error's problem
/// document with its status and Retry-After.
fn write_answer(mut stream: TcpStream, answer: Result<Reply, Error>) {
    let (status, content_type, retry_after, body) = match answer {
        Ok(reply) => (reply.status, "application/json", None, reply.body),
        Err(e) => {
            if let Some(cause) = &e.cause {
                eprintln!("test platform: internal error: {cause}");
            }
            let problem = e.problem();
            let body = serde_json::to_value(&problem).unwrap();
            (problem.status, PROBLEM_JSON, e.retry_after, body)
        }
    };
    let body = body.to_string();
    let retry_after = retry_after
        .map(|s| format!("Retry-After: {s}\r\n"))
        .unwrap_or_default();
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{retry_after}Connection: close\r\n\r\n{body}",
        body.len()
    );
}
