//! A webhook receiver on 127.0.0.1 (tests/receiver/receiver.mjs) that checks
//! every delivery with the official Standard Webhooks library, not
//! fairtrain's code, and independent signing for inbound tests.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};

use fairtrain_core::time::Timestamp;
use serde_json::{json, Value};

use crate::worker::project_root;
use crate::{unique, Reply, Req, Worker};

pub struct Receiver {
    child: Child,
    pub port: u16,
}

impl Receiver {
    pub fn start() -> Receiver {
        let mut child = Command::new("node")
            .arg(project_root().join("tests/receiver/receiver.mjs"))
            .current_dir(project_root())
            .env("FAIRTRAIN_TEST_PARENT", std::process::id().to_string())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node runs the receiver");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the receiver says where it listens");
        let port = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected receiver output {line:?}"));
        Receiver { child, port }
    }

    /// The URL an endpoint named `name` registers, answering per `behaviour`.
    pub fn url(&self, name: &str, behaviour: &str) -> String {
        format!("http://127.0.0.1:{}/r/{name}/{behaviour}", self.port)
    }

    /// The secrets (and v1a public key) the receiver verifies `name`'s deliveries with.
    pub fn trust(&self, name: &str, secrets: &[&str], public_key: Option<&str>) {
        ureq::post(&format!("http://127.0.0.1:{}/__secrets/{name}", self.port))
            .send_json(json!({ "secrets": secrets, "public_key": public_key }))
            .expect("receiver control");
    }

    /// Every request `name` received, in order.
    pub fn log(&self, name: &str) -> Vec<Value> {
        let mut r = ureq::get(&format!("http://127.0.0.1:{}/__log/{name}", self.port))
            .call()
            .expect("receiver log");
        let v: Value = r.body_mut().read_json().expect("receiver log JSON");
        v.as_array().cloned().unwrap_or_default()
    }

    /// Polls `name`'s log until `done` holds (or panics after `secs`).
    pub fn wait_for(&self, name: &str, secs: u64, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let log = self.log(name);
            if done(&log) {
                return log;
            }
            if std::time::Instant::now() > deadline {
                panic!("receiver {name}: condition not met in {secs} s; log: {log:#?}");
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn node_sign(args: &[&str], body: &[u8]) -> String {
    let mut child = Command::new("node")
        .arg(project_root().join("tests/receiver/sign.mjs"))
        .args(args)
        .current_dir(project_root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node signs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(body)
        .expect("write body");
    let out = child.wait_with_output().expect("signer output");
    assert!(out.status.success(), "sign.mjs failed");
    String::from_utf8(out.stdout).expect("utf-8")
}

/// `webhook-signature` for an inbound event, by the official library.
pub fn standard_signature(secret: &str, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    node_sign(&["standard", secret, msg_id, &timestamp.to_string()], body)
}

/// `Stripe-Signature` for an inbound event, by Node's crypto.
pub fn stripe_signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    node_sign(&["stripe", secret, &timestamp.to_string()], body)
}

/// Unix seconds now: a `webhook-timestamp`.
pub fn now_s() -> i64 {
    Timestamp::now().unix_seconds()
}

/// `body` sent to an integration's inbound URL as a Standard Webhooks
/// delivery with id `msg` at `ts`, signed by the official library.
pub fn send_standard(
    w: &Worker,
    integration: &str,
    secret: &str,
    msg: &str,
    ts: i64,
    body: &Value,
) -> Reply {
    let raw = body.to_string();
    let sig = standard_signature(secret, msg, ts, raw.as_bytes());
    Req::post(&format!("/v1/inbound/{integration}"))
        .header("Content-Type", "application/json")
        .header("webhook-id", msg)
        .header("webhook-timestamp", &ts.to_string())
        .header("webhook-signature", &sig)
        .body(raw.into_bytes())
        .send(w)
}

/// [`send_standard`] with a fresh webhook id, now.
pub fn send_standard_now(w: &Worker, integration: &str, secret: &str, body: &Value) -> Reply {
    let msg = format!("msg_{}", unique("in").replace('-', ""));
    send_standard(w, integration, secret, &msg, now_s(), body)
}
