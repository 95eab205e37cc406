//! `fairtrain webhooks listen|verify`, run as a process: deliveries signed
//! with fairtrain-core are verified, printed, and answered as asked.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdout, Command, Stdio};

use fairtrain_core::time::Timestamp;
use fairtrain_webhooks::{
    sign, SigningKey, WebhookSecret, WebhookSigningKey, HEADER_ID, HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_fairtrain");
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A running `fairtrain webhooks listen`, ended when dropped.
struct Listen {
    child: Child,
    stdout: BufReader<ChildStdout>,
    base: String,
}

impl Listen {
    fn start(extra: &[&str]) -> Listen {
        let mut child = Command::new(BIN)
            .args(["webhooks", "listen", "--port", "0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start fairtrain webhooks listen");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_string();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Listen {
            child,
            stdout,
            base,
        }
    }

    /// POSTs `body` with `headers`; returns the status and the JSON line printed.
    fn deliver(&mut self, headers: &[(&str, String)], body: &str) -> (u16, Value) {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent();
        let mut req = agent.post(format!("{}/hook", self.base));
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        let res = req
            .header("content-type", "application/json")
            .send(body)
            .unwrap();
        let status = res.status().as_u16();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        (status, serde_json::from_str(&line).unwrap())
    }
}

impl Drop for Listen {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn signed(keys: &[SigningKey], id: &str, body: &str) -> Vec<(&'static str, String)> {
    let now = Timestamp::now().unix_seconds();
    sign(keys, id, now, body.as_bytes())
        .unwrap()
        .to_pairs()
        .to_vec()
}

const BODY: &str =
    r#"{"type":"consent.granted","timestamp":"2026-01-15T12:34:56Z","data":{"consent_id":"c_1"}}"#;

#[test]
fn listen_verifies_prints_and_fails_first_k() {
    let key = SigningKey::parse(SECRET).unwrap();
    let mut l = Listen::start(&["--secret", SECRET, "--fail-first", "2"]);
    let headers = signed(std::slice::from_ref(&key), "msg_a", BODY);
    for expected in [500, 500, 204] {
        let (status, line) = l.deliver(&headers, BODY);
        assert_eq!(status, expected);
        assert_eq!(line["verified"], true);
        assert_eq!(line["webhook_id"], "msg_a");
        assert_eq!(line["type"], "consent.granted");
        assert_eq!(line["body"]["data"]["consent_id"], "c_1");
        assert!(line["timestamp"].is_i64());
        assert!(line.get("error").is_none());
    }
    // A tampered body: 401, and the reason.
    let (status, line) = l.deliver(&headers, &BODY.replace("c_1", "c_2"));
    assert_eq!(status, 401);
    assert_eq!(line["verified"], false);
    assert_eq!(line["error_code"], "no_matching_signature");
    // Unsigned: 401, missing header.
    let (status, line) = l.deliver(&[], BODY);
    assert_eq!(status, 401);
    assert_eq!(line["error_code"], "missing_header");
    // A stale timestamp.
    let stale = sign(
        &[key],
        "msg_b",
        Timestamp::now().unix_seconds() - 3600,
        BODY.as_bytes(),
    )
    .unwrap()
    .to_pairs()
    .to_vec();
    let (status, line) = l.deliver(&stale, BODY);
    assert_eq!(status, 401);
    assert_eq!(line["error_code"], "too_old");
}

#[test]
fn listen_checks_v1a_and_answers_a_fixed_status() {
    let sk = WebhookSigningKey::from_seed(&[5u8; 32]);
    let whpk = sk.public_key().encode();
    let mut l = Listen::start(&["--public-key", &whpk, "--status", "410"]);
    let (status, line) = l.deliver(&signed(&[sk.into()], "msg_c", BODY), BODY);
    assert_eq!(status, 410);
    assert_eq!(line["verified"], true);
    assert_eq!(line["signature_version"], "v1a");
    // A v1 signature does not satisfy a public-key-only listener.
    let v1 = signed(&[SigningKey::parse(SECRET).unwrap()], "msg_d", BODY);
    let (status, line) = l.deliver(&v1, BODY);
    assert_eq!(status, 410);
    assert_eq!(line["verified"], false);
}

fn verify(args: &[&str], stdin: Option<&[u8]>) -> (i32, Value) {
    let mut child = Command::new(BIN)
        .args(["webhooks", "verify"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(bytes) = stdin {
            input.write_all(bytes).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    let line: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), line)
}

#[test]
fn verify_the_official_vector_offline() {
    // The official libraries' sign test: secret, id, timestamp, body, signature.
    let body = br#"{"test": 2432232314}"#;
    let args = [
        "--secret",
        SECRET,
        "--id",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "--timestamp",
        "1614265330",
        "--signature",
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        "--body",
        "-",
    ];
    let (code, line) = verify(&[&args[..], &["--now", "1614265330"]].concat(), Some(body));
    assert_eq!(code, 0, "{line}");
    assert_eq!(line["verified"], true);
    assert_eq!(line["body"]["test"], 2432232314u64);
    // Six years later it is too old, unless the timestamp check is skipped.
    let (code, line) = verify(&args, Some(body));
    assert_eq!(code, 1);
    assert_eq!(line["error_code"], "too_old");
    let (code, _) = verify(&[&args[..], &["--ignore-timestamp"]].concat(), Some(body));
    assert_eq!(code, 0);
    // A different body fails.
    let (code, line) = verify(
        &[&args[..], &["--ignore-timestamp"]].concat(),
        Some(br#"{"test": 2432232315}"#),
    );
    assert_eq!(code, 1);
    assert_eq!(line["error_code"], "no_matching_signature");
}

#[test]
fn verify_a_saved_request_with_the_public_key() {
    // The spec's example header (v1 and v1a entries), with svix-server's
    // Ed25519 key pair and test message.
    let dir = std::env::temp_dir().join(format!("fairtrain-wh-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("delivery.json");
    let saved = serde_json::json!({
        "headers": {
            HEADER_ID: "msg_p5jXN8AQM9LWM0D4loKWxJek",
            HEADER_TIMESTAMP: "1614265330",
            HEADER_SIGNATURE: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==",
            "content-type": "application/json"
        },
        "body": "{\"test\": 2432232314}"
    });
    std::fs::write(&file, serde_json::to_vec(&saved).unwrap()).unwrap();
    let path = file.to_str().unwrap();
    let whpk = "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=";
    let (code, line) = verify(
        &[
            "--public-key",
            whpk,
            "--request",
            path,
            "--now",
            "1614265400",
        ],
        None,
    );
    assert_eq!(code, 0, "{line}");
    assert_eq!(line["signature_version"], "v1a");
    let (code, line) = verify(
        &["--secret", SECRET, "--request", path, "--now", "1614265400"],
        None,
    );
    assert_eq!(code, 0, "{line}");
    assert_eq!(line["signature_version"], "v1");
    let other = WebhookSecret::from_random(&[1u8; 32]).unwrap().encode();
    let (code, line) = verify(
        &["--secret", &other, "--request", path, "--ignore-timestamp"],
        None,
    );
    assert_eq!(code, 1);
    assert_eq!(line["verified"], false);
    std::fs::remove_dir_all(&dir).unwrap();
}
