//! `fairtrain webhooks listen|verify`: the consumer's side of Standard
//! Webhooks, for development and for checking deliveries offline.
//!
//! `listen` is a small blocking HTTP/1.1 server on 127.0.0.1 (std only, one
//! request per connection, `Content-Length` bodies) that verifies each
//! delivery and prints one JSON line per request to stdout. `verify` checks
//! one delivery given on the command line or saved as JSON.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use fairtrain_core::time::Timestamp;
use fairtrain_webhooks::{
    Verified, Verifier, VerifyError, VerifyingKey, WebhookHeaders, WebhookPublicKey, WebhookSecret,
    DEFAULT_TOLERANCE_SECS, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP,
};
use serde_json::{json, Map, Value};

/// Largest request head and body `listen` reads.
const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 5 * 1024 * 1024;

#[derive(clap::Args, Debug)]
#[group(id = "keys", required = true, multiple = true)]
pub struct Keys {
    /// A `whsec_…` secret checking `v1` signatures (repeat during a rotation).
    #[arg(long = "secret", value_name = "WHSEC")]
    secrets: Vec<String>,
    /// A `whpk_…` public key checking `v1a` (Ed25519) signatures.
    #[arg(long = "public-key", value_name = "WHPK")]
    public_keys: Vec<String>,
}

impl Keys {
    fn verifier(&self, tolerance: Option<u64>) -> Result<Verifier> {
        let mut keys = Vec::new();
        for s in &self.secrets {
            keys.push(VerifyingKey::Hmac(
                WebhookSecret::parse(s).context("--secret")?,
            ));
        }
        for p in &self.public_keys {
            keys.push(VerifyingKey::Ed25519(
                WebhookPublicKey::parse(p).context("--public-key")?,
            ));
        }
        Ok(Verifier::with_keys(keys).tolerance(tolerance))
    }
}

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Receive deliveries on 127.0.0.1:PORT, verify each, print one JSON line
    /// per request; answers 204 if verified, 401 if not. Runs until killed.
    Listen {
        /// Port on 127.0.0.1 (0 picks a free one; the address is printed on stderr).
        #[arg(long)]
        port: u16,
        #[command(flatten)]
        keys: Keys,
        /// Answer 500 to the first K verified deliveries (to exercise retries).
        #[arg(long, value_name = "K", default_value_t = 0)]
        fail_first: u64,
        /// Answer this status to every request (e.g. 410 to ask the sender to stop).
        #[arg(long, value_name = "CODE", value_parser = clap::value_parser!(u16).range(200..=599))]
        status: Option<u16>,
        /// Timestamp tolerance in seconds, both directions.
        #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_TOLERANCE_SECS)]
        tolerance: u64,
    },
    /// Verify one delivery offline; prints the result, exits 1 if it fails.
    Verify {
        #[command(flatten)]
        keys: Keys,
        /// The `webhook-id` header.
        #[arg(long, conflicts_with = "request")]
        id: Option<String>,
        /// The `webhook-timestamp` header (Unix seconds).
        #[arg(long, conflicts_with = "request")]
        timestamp: Option<String>,
        /// The `webhook-signature` header value (quote it: it has spaces).
        #[arg(long, conflicts_with = "request", allow_hyphen_values = true)]
        signature: Option<String>,
        /// File with the exact body bytes (`-` for stdin).
        #[arg(long, conflicts_with = "request")]
        body: Option<PathBuf>,
        /// A saved delivery: `{"headers": {...}, "body": "<string>"}`.
        #[arg(long)]
        request: Option<PathBuf>,
        /// Timestamp tolerance in seconds, both directions.
        #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_TOLERANCE_SECS)]
        tolerance: u64,
        /// Skip the timestamp check (an old saved delivery; no replay protection).
        #[arg(long, conflicts_with = "tolerance")]
        ignore_timestamp: bool,
        /// Verify as of this Unix time instead of the clock.
        #[arg(long, value_name = "UNIX_SECONDS")]
        now: Option<i64>,
    },
}

pub fn run(cmd: Command) -> Result<()> {
    match cmd {
        Command::Listen {
            port,
            keys,
            fail_first,
            status,
            tolerance,
        } => listen(port, keys.verifier(Some(tolerance))?, fail_first, status),
        Command::Verify {
            keys,
            id,
            timestamp,
            signature,
            body,
            request,
            tolerance,
            ignore_timestamp,
            now,
        } => {
            let verifier = keys.verifier((!ignore_timestamp).then_some(tolerance))?;
            let (headers, body) = match request {
                Some(path) => load_request(&path)?,
                None => {
                    let (Some(id), Some(timestamp), Some(signature), Some(body)) =
                        (id, timestamp, signature, body)
                    else {
                        bail!("give --id, --timestamp, --signature and --body, or --request FILE");
                    };
                    (
                        WebhookHeaders::new(&id, &timestamp, &signature),
                        read_body(&body)?,
                    )
                }
            };
            let now = now.unwrap_or_else(|| Timestamp::now().unix_seconds());
            let result = verifier.verify(&headers, &body, now);
            println!("{}", report(&headers, &body, &result, None));
            match result {
                Ok(_) => Ok(()),
                Err(e) => Err(anyhow!("the delivery does not verify: {e}")),
            }
        }
    }
}

fn read_body(path: &Path) -> Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        return Ok(buf);
    }
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// A saved delivery: `{"headers": {name: value, …}, "body": "<string>"}`.
fn load_request(path: &Path) -> Result<(WebhookHeaders, Vec<u8>)> {
    let doc: Value = serde_json::from_slice(&read_body(path)?)
        .with_context(|| format!("{} is not JSON", path.display()))?;
    let headers = doc
        .get("headers")
        .and_then(Value::as_object)
        .ok_or_else(|| anyhow!("{}: no \"headers\" object", path.display()))?;
    let mut pairs = Vec::new();
    for (name, value) in headers {
        let value = value
            .as_str()
            .ok_or_else(|| anyhow!("header {name:?} is not a string"))?;
        pairs.push((name.as_str(), value));
    }
    let body = doc
        .get("body")
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("{}: no \"body\" string", path.display()))?;
    let headers = WebhookHeaders::from_pairs(pairs).map_err(|e| anyhow!("{e}"))?;
    Ok((headers, body.as_bytes().to_vec()))
}

/// The JSON line for one delivery.
fn report(
    headers: &WebhookHeaders,
    body: &[u8],
    result: &Result<Verified, VerifyError>,
    status: Option<u16>,
) -> Value {
    let parsed: Value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
    };
    let timestamp = match headers.timestamp.as_deref() {
        None => Value::Null,
        Some(t) => t
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(t.to_string())),
    };
    let mut out = Map::new();
    out.insert("verified".into(), json!(result.is_ok()));
    out.insert("webhook_id".into(), json!(headers.id));
    out.insert("timestamp".into(), timestamp);
    out.insert(
        "type".into(),
        parsed.get("type").cloned().unwrap_or(Value::Null),
    );
    match result {
        Ok(v) => {
            out.insert("signature_version".into(), json!(v.version.as_str()));
        }
        Err(e) => {
            out.insert("error".into(), json!(e.to_string()));
            out.insert("error_code".into(), json!(e.code()));
        }
    }
    if let Some(status) = status {
        out.insert("status".into(), json!(status));
    }
    out.insert("body".into(), parsed);
    Value::Object(out)
}

struct Listener {
    verifier: Verifier,
    fail_first: u64,
    status: Option<u16>,
    verified: AtomicU64,
}

fn listen(port: u16, verifier: Verifier, fail_first: u64, status: Option<u16>) -> Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .with_context(|| format!("listening on 127.0.0.1:{port}"))?;
    eprintln!("listening on http://{}", listener.local_addr()?);
    let state = Arc::new(Listener {
        verifier,
        fail_first,
        status,
        verified: AtomicU64::new(0),
    });
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let state = Arc::clone(&state);
        std::thread::spawn(move || {
            if let Err(e) = serve(stream, &state) {
                eprintln!("webhooks listen: {e:#}");
            }
        });
    }
    Ok(())
}

/// A parsed request head.
struct Head {
    method: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn get<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads the request head (up to the blank line). `Ok(None)` if the client
/// closed the connection without sending anything.
fn read_head(reader: &mut BufReader<&TcpStream>) -> Result<Option<Head>> {
    let mut total = 0;
    let mut lines = Vec::new();
    loop {
        let mut line = Vec::new();
        let n = reader.by_ref().take(8192).read_until(b'\n', &mut line)?;
        if n == 0 {
            if lines.is_empty() {
                return Ok(None);
            }
            bail!("connection closed in the request head");
        }
        total += n;
        if total > MAX_HEAD || !line.ends_with(b"\n") {
            bail!("request head too large");
        }
        let line = String::from_utf8(line).context("request head is not UTF-8")?;
        let line = line.trim_end_matches(['\r', '\n']).to_string();
        if line.is_empty() {
            if lines.is_empty() {
                continue; // tolerate a stray CRLF before the request line
            }
            break;
        }
        lines.push(line);
    }
    let mut request_line = lines[0].split(' ');
    let method = request_line.next().unwrap_or_default().to_string();
    let _target = request_line
        .next()
        .ok_or_else(|| anyhow!("bad request line"))?;
    let version = request_line.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        bail!("not HTTP/1.x");
    }
    let mut headers = Vec::new();
    for line in &lines[1..] {
        if line.starts_with([' ', '\t']) {
            bail!("obsolete header folding");
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| anyhow!("bad header line"))?;
        headers.push((
            name.to_string(),
            value.trim_matches([' ', '\t']).to_string(),
        ));
    }
    Ok(Some(Head { method, headers }))
}

fn respond(mut stream: &TcpStream, status: u16, body: &str) -> Result<()> {
    let reason = match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        405 => "Method Not Allowed",
        410 => "Gone",
        411 => "Length Required",
        413 => "Content Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    };
    let mut out = format!("HTTP/1.1 {status} {reason}\r\nConnection: close\r\n");
    if status == 204 || body.is_empty() {
        out.push_str("Content-Length: 0\r\n\r\n");
    } else {
        out.push_str(&format!(
            "Content-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ));
    }
    stream.write_all(out.as_bytes())?;
    stream.flush()?;
    Ok(())
}

fn serve(stream: TcpStream, state: &Listener) -> Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(&stream);
    let head = match read_head(&mut reader) {
        Ok(Some(head)) => head,
        Ok(None) => return Ok(()),
        Err(e) => {
            let _ = respond(&stream, 400, &format!("{e}\n"));
            return Err(e);
        }
    };
    if head.method != "POST" {
        return respond(&stream, 405, "webhooks are POSTed\n");
    }
    if head.get("transfer-encoding").next().is_some() {
        return respond(&stream, 411, "send a Content-Length body\n");
    }
    let lengths: Vec<&str> = head.get("content-length").collect();
    let length = match lengths.as_slice() {
        [] => 0,
        [one] if !one.is_empty() && one.bytes().all(|b| b.is_ascii_digit()) => {
            one.parse::<usize>().unwrap_or(usize::MAX)
        }
        _ => return respond(&stream, 400, "bad Content-Length\n"),
    };
    if length > MAX_BODY {
        return respond(&stream, 413, "body too large\n");
    }
    if length > 0
        && head
            .get("expect")
            .any(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        (&stream).write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).context("reading the body")?;

    let now = Timestamp::now().unix_seconds();
    let (headers, result) = match WebhookHeaders::from_pairs(
        head.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
    ) {
        Ok(headers) => {
            let result = state.verifier.verify(&headers, &body, now);
            (headers, result)
        }
        Err(e) => (
            WebhookHeaders {
                id: head.get(HEADER_ID).next().map(str::to_string),
                timestamp: head.get(HEADER_TIMESTAMP).next().map(str::to_string),
                signature: head.get(HEADER_SIGNATURE).next().map(str::to_string),
            },
            Err(e),
        ),
    };
    let status = match (state.status, &result) {
        (Some(code), _) => code,
        (None, Ok(_)) => {
            let n = state.verified.fetch_add(1, Ordering::SeqCst) + 1;
            if n <= state.fail_first {
                500
            } else {
                204
            }
        }
        (None, Err(_)) => 401,
    };
    {
        let line = report(&headers, &body, &result, Some(status));
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}")?;
        out.flush()?;
    }
    let message = match (&result, status) {
        (_, 204) => String::new(),
        (Err(e), 401) => format!("{e}\n"),
        (Ok(_), 500) => "failing on purpose (--fail-first)\n".to_string(),
        _ => String::new(),
    };
    respond(&stream, status, &message)
}
