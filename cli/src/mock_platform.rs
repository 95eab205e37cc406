//! A stand-in for the platform's creator endpoints, for the CLI's tests: a
//! tiny HTTP/1.1 server on 127.0.0.1 that checks every creator request the
//! way the Worker does (RFC 9421 signature, Content-Digest of the body) and
//! answers with documents signed by a test platform key, using the same core
//! functions the Worker uses. Usage reports (`POST /v1/usage/reports`, bearer
//! API key) are verified and answered with signed usage receipts as
//! `fairtrain-usage` makes them; settlements, creator statements and model
//! passports are served from what a test put in [`State`].

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use fairtrain_consent::consent::{verify_consent, verify_revocation};
use fairtrain_consent::envelope::{decode_header, verify_envelope, VerifiedEnvelope};
use fairtrain_consent::log_event;
use fairtrain_consent::policy::{Reason, Route};
use fairtrain_consent::receipt::{object_key, sign_receipt, ReceiptFields, ReceiptLog};
use fairtrain_consent::registration::verify_registration;
use fairtrain_core::data_integrity::{self, ProofOptions};
use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::fields::urn_uuid_v4;
use fairtrain_core::key_set::PublishedKey;
use fairtrain_core::time::Timestamp;
use fairtrain_httpsig::{Policy, RequestParts};
use fairtrain_usage::{
    sign_usage_receipt, usage_recorded_events, verify_report, RefusalReason, RefusedEvent,
    UsageReceiptFields,
};
use serde_json::{json, Value};

pub const ORIGIN: &str = "fairtrain.test/log";

#[derive(Default)]
pub struct State {
    /// Consent tokens by id.
    pub consents: HashMap<String, Value>,
    pub revoked: Vec<String>,
    pub registered: Vec<String>,
    challenges: Vec<String>,
    /// What multipart uploads are cut in.
    pub part_size: u64,
    /// Refuse this part number (to test aborts).
    pub fail_part: Option<u64>,
    uploads: HashMap<String, (VerifiedEnvelope, Vec<u8>)>,
    pub aborted: Vec<String>,
    /// Every request, as "METHOD /path".
    pub requests: Vec<String>,
    /// The last `Authorization: Bearer …` header seen.
    pub bearer: Option<String>,
    /// Statuses to answer usage reports with first (429, 503), in order.
    pub usage_busy: Vec<u16>,
    /// Events to refuse, by event id.
    pub usage_refuse: HashMap<String, RefusalReason>,
    /// Every usage report body received, retries included.
    pub usage_reports: Vec<Value>,
    /// The answer to each report id received (a repeat gets it with 200).
    usage_answers: HashMap<String, Value>,
    /// Signed settlement statements by settlement id.
    pub settlements: HashMap<String, Value>,
    /// Signed creator statements by (settlement id, creator did).
    pub creator_statements: HashMap<(String, String), Value>,
    /// Signed model passports and their statuses by model id.
    pub passports: HashMap<String, (Value, Value)>,
}

pub struct Mock {
    pub url: String,
    pub state: Arc<Mutex<State>>,
    platform: SigningKey,
}

pub struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn t(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

impl Mock {
    pub fn start() -> Mock {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            part_size: 32 << 20,
            ..State::default()
        }));
        let platform = SigningKey::from_seed(&[77; 32]);
        let mock = Mock {
            url: url.clone(),
            state: state.clone(),
            platform: platform.clone(),
        };
        let server = Mock {
            url,
            state,
            platform,
        };
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { break };
                server.serve(stream);
            }
        });
        mock
    }

    /// The test platform's signing key (published in [`Self::key_set`]).
    pub fn platform(&self) -> &SigningKey {
        &self.platform
    }

    /// The published key set, as the Worker serves it.
    pub fn key_set(&self) -> Value {
        let from = t("2026-01-01T00:00:00Z");
        let key = PublishedKey::describe(self.platform.public_key(), true, from, None);
        let did = DidKey::from_public_key(self.platform.public_key());
        let doc = json!({ "issuer": key.controller, "active": key.kid, "keys": [key] });
        data_integrity::sign(&doc, ProofOptions::assertion(&did, from), &self.platform).unwrap()
    }

    fn serve(&self, stream: TcpStream) {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let Some(req) = read_request(&mut reader) else {
            return;
        };
        let (status, body) = self.handle(&req);
        let text = body.to_string();
        let retry = if status == 429 || status == 503 {
            "Retry-After: 0\r\n"
        } else {
            ""
        };
        let mut out = stream;
        let _ = write!(
            out,
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{retry}Connection: close\r\n\r\n{text}",
            text.len()
        );
    }

    fn handle(&self, req: &Request) -> (u16, Value) {
        let line = format!("{} {}", req.method, req.target);
        self.state.lock().unwrap().requests.push(line.clone());
        let problem = |status: u16, detail: String| {
            (
                status,
                json!({"type": "/problems/test", "title": "refused", "status": status, "detail": detail}),
            )
        };
        if req.header("transfer-encoding").is_some() {
            return problem(
                411,
                "the CLI must send a Content-Length, not a chunked body".into(),
            );
        }
        let unsigned = [
            "GET /.well-known/fairtrain/keys",
            "POST /v1/creators/challenges",
            "POST /v1/creators",
        ];
        let bearer = req
            .header("authorization")
            .filter(|h| h.starts_with("Bearer "))
            .map(str::to_owned);
        if bearer.is_some() {
            self.state.lock().unwrap().bearer = bearer.clone();
        }
        // Model passports are public, like manifests.
        let public = line.starts_with("GET /v1/models/");
        let creator = if unsigned.contains(&line.as_str())
            || public
            || (bearer.is_some() && req.header("signature-input").is_none())
        {
            None
        } else {
            match self.authenticate(req) {
                Ok(did) => Some(did),
                Err(e) => return problem(401, e),
            }
        };
        let segments: Vec<String> = req
            .target
            .trim_start_matches('/')
            .split('/')
            .map(percent_decode)
            .collect();
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        let mut state = self.state.lock().unwrap();
        let body_json = || serde_json::from_slice::<Value>(&req.body).unwrap_or(Value::Null);
        match (req.method.as_str(), segments.as_slice()) {
            ("GET", [".well-known", "fairtrain", "keys"]) => (200, self.key_set()),
            ("POST", ["v1", "creators", "challenges"]) => {
                let challenge = "Y2hhbGxlbmdl".to_owned();
                state.challenges.push(challenge.clone());
                (
                    201,
                    json!({"challenge": challenge, "expires_at": "2099-01-01T00:00:00Z"}),
                )
            }
            ("POST", ["v1", "creators"]) => {
                let b = body_json();
                let (did, challenge, sig) = (
                    b["did"].as_str().unwrap_or_default(),
                    b["challenge"].as_str().unwrap_or_default(),
                    b["signature"].as_str().unwrap_or_default(),
                );
                if !state.challenges.iter().any(|c| c == challenge) {
                    return problem(401, "unknown challenge".into());
                }
                match verify_registration(did, challenge, sig) {
                    Ok(d) => {
                        state.registered.push(d.to_string());
                        (201, json!({"did": d.to_string(), "profile": b["profile"]}))
                    }
                    Err(e) => problem(401, e.to_string()),
                }
            }
            ("GET", ["v1", "creators", "me"]) => (200, json!({"did": creator})),
            ("POST", ["v1", "consents"]) => {
                let token = body_json();
                match verify_consent(&token, Timestamp::now()) {
                    Ok(c) if Some(c.creator.to_string()) == creator => {
                        state.consents.insert(c.id.clone(), token);
                        (
                            201,
                            json!({"consent_id": c.id, "consent_hash": c.consent_hash, "status": "active"}),
                        )
                    }
                    Ok(_) => problem(403, "not your consent".into()),
                    Err(e) => problem(422, e.to_string()),
                }
            }
            ("GET", ["v1", "consents", id]) => match state.consents.get(*id) {
                Some(token) => (200, json!({"consent": token, "status": "active"})),
                None => problem(404, "no such consent".into()),
            },
            ("POST", ["v1", "consents", id, "revoke"]) => match verify_revocation(&body_json()) {
                Ok(r) if r.consent_id == *id && Some(r.creator.to_string()) == creator => {
                    state.revoked.push(id.to_string());
                    (200, json!({"consent_id": id, "status": "revoked"}))
                }
                Ok(_) => problem(403, "not this consent or not yours".into()),
                Err(e) => problem(422, e.to_string()),
            },
            ("POST", ["v1", "assets"]) => {
                let envelope = match req
                    .header("fairtrain-envelope")
                    .ok_or("no envelope".to_owned())
                    .and_then(|h| decode_header(h).map_err(|e| e.to_string()))
                    .and_then(|v| verify_envelope(&v).map_err(|e| e.to_string()))
                {
                    Ok(e) => e,
                    Err(e) => return problem(400, e),
                };
                if req.header("content-type") != Some(envelope.media_type.as_str()) {
                    return problem(400, "Content-Type differs from the envelope".into());
                }
                self.finish(&envelope, &req.body)
            }
            ("POST", ["v1", "uploads"]) => {
                let envelope = match verify_envelope(&body_json()["envelope"]) {
                    Ok(e) => e,
                    Err(e) => return problem(400, e.to_string()),
                };
                let id = format!("up-{}", state.uploads.len() + 1);
                state.uploads.insert(id.clone(), (envelope, Vec::new()));
                (201, json!({"upload_id": id, "part_size": state.part_size}))
            }
            ("PUT", ["v1", "uploads", id, "parts", n]) => {
                let n: u64 = n.parse().unwrap_or(0);
                let part_size = state.part_size;
                if state.fail_part == Some(n) {
                    return problem(500, "part refused".into());
                }
                let Some((envelope, data)) = state.uploads.get_mut(*id) else {
                    return problem(404, "no such upload".into());
                };
                let expected = data.len() as u64 / part_size + 1;
                let remaining = envelope.size - data.len() as u64;
                let len = req.body.len() as u64;
                if n != expected || (len != part_size.min(remaining)) {
                    return problem(
                        409,
                        format!(
                            "expected part {expected} of {} bytes",
                            part_size.min(remaining)
                        ),
                    );
                }
                data.extend_from_slice(&req.body);
                (200, json!({"part": n, "size": len}))
            }
            ("POST", ["v1", "uploads", id, "complete"]) => match state.uploads.remove(*id) {
                Some((envelope, data)) => {
                    drop(state);
                    self.finish(&envelope, &data)
                }
                None => problem(404, "no such upload".into()),
            },
            ("DELETE", ["v1", "uploads", id]) => {
                state.uploads.remove(*id);
                state.aborted.push(id.to_string());
                (200, json!({"upload_id": id, "status": "aborted"}))
            }
            ("POST", ["v1", "usage", "reports"]) => {
                if bearer.is_none() {
                    return problem(401, "usage reports need an API key".into());
                }
                state.usage_reports.push(body_json());
                if !state.usage_busy.is_empty() {
                    let status = state.usage_busy.remove(0);
                    return problem(status, "busy".into());
                }
                let report = match verify_report(&body_json()) {
                    Ok(r) => r,
                    Err(e) => {
                        return problem(
                            if e.is_signature_error() { 401 } else { 400 },
                            e.to_string(),
                        )
                    }
                };
                if let Some(answer) = state.usage_answers.get(&report.report.id) {
                    return (200, answer.clone());
                }
                let refused = report
                    .report
                    .events
                    .iter()
                    .filter_map(|e| {
                        let reason = state.usage_refuse.get(&e.event_id)?;
                        Some(RefusedEvent::new(e.event_id.clone(), *reason))
                    })
                    .collect();
                let now = Timestamp::now();
                let id = urn_uuid_v4(crate::random::bytes::<16>().unwrap());
                let fields =
                    UsageReceiptFields::for_report(id, &report, now, now, refused).unwrap();
                let receipt = sign_usage_receipt(&fields, &self.platform, now).unwrap();
                let entries: Vec<String> = usage_recorded_events(&fields, &report, now)
                    .unwrap()
                    .into_iter()
                    .map(|e| log_event::entry(e).unwrap().hash.to_string())
                    .collect();
                let did = DidKey::from_public_key(self.platform.public_key());
                let promise = data_integrity::sign(
                    &json!({
                        "type": "LogInclusionPromise", "log": ORIGIN, "entries": entries,
                        "received_at": now.format_rfc3339(), "include_by": now.format_rfc3339(),
                    }),
                    ProofOptions::assertion(&did, now),
                    &self.platform,
                )
                .unwrap();
                let answer =
                    json!({"receipt": receipt, "log": {"entries": entries, "promise": promise}});
                state
                    .usage_answers
                    .insert(report.report.id.clone(), answer.clone());
                (201, answer)
            }
            ("GET", ["v1", "settlements", id]) => match state.settlements.get(*id) {
                Some(doc) => (200, json!({"statement": doc, "status": "settled"})),
                None => problem(404, "no such settlement".into()),
            },
            ("GET", ["v1", "settlements", id, "creators", did]) => {
                if creator.as_ref().is_some_and(|c| c != did) {
                    return problem(403, "another creator's statement".into());
                }
                if creator.is_none() && bearer.is_none() {
                    return problem(401, "no credentials".into());
                }
                match state
                    .creator_statements
                    .get(&(id.to_string(), did.to_string()))
                {
                    Some(doc) => (200, doc.clone()),
                    None => problem(404, "no such creator statement".into()),
                }
            }
            ("GET", ["v1", "models", model, "passport"]) => match state.passports.get(*model) {
                Some((passport, _)) => (200, passport.clone()),
                None => problem(404, "no such passport".into()),
            },
            ("GET", ["v1", "models", model, "passport", "status"]) => {
                match state.passports.get(*model) {
                    Some((_, status)) => (200, status.clone()),
                    None => problem(404, "no such passport".into()),
                }
            }
            _ => problem(404, format!("no route for {line}")),
        }
    }

    /// RFC 9421 as the Worker checks it; returns the creator's did.
    fn authenticate(&self, req: &Request) -> Result<String, String> {
        let mut parts = RequestParts::new(&req.method, &format!("{}{}", self.url, req.target))
            .map_err(|e| e.to_string())?;
        for (n, v) in &req.headers {
            parts.push_header(n, v.clone());
        }
        let has_body = !req.body.is_empty();
        let verified = Policy::default()
            .verify(&parts, has_body, Timestamp::now().unix_seconds())
            .map_err(|e| e.to_string())?;
        if has_body {
            verified
                .check_body(&Sha256Digest::of(&req.body))
                .map_err(|e| e.to_string())?;
        }
        Ok(verified.did.to_string())
    }

    /// The digest check, then a receipt as the Worker signs it.
    fn finish(&self, envelope: &VerifiedEnvelope, data: &[u8]) -> (u16, Value) {
        if Sha256Digest::of(data) != envelope.content_hash || data.len() as u64 != envelope.size {
            return (
                422,
                json!({"type": "/problems/digest-mismatch", "title": "digest mismatch", "status": 422}),
            );
        }
        let now = Timestamp::now();
        let did = DidKey::from_public_key(self.platform.public_key());
        let mut fields = ReceiptFields {
            receipt_id: urn_uuid_v4(crate::random::bytes::<16>().unwrap()),
            object_key: object_key(
                &envelope.content_hash,
                "6f1d8c2a-3b4e-4f50-9a61-7b8c9d0e1f2a",
            ),
            content_hash: envelope.content_hash,
            size: envelope.size,
            media_type: envelope.media_type.clone(),
            ingested_at: now,
            contributor: envelope.contributor,
            consent_id: envelope.consent_id.clone(),
            envelope_hash: envelope.envelope_hash,
            route: Route::TrainingPipeline,
            route_reason: Reason::ValidConsent,
            log: ReceiptLog {
                origin: ORIGIN.into(),
                entry_hash: envelope.content_hash,
                promise: Value::Null,
            },
        };
        let entry = log_event::entry(fields.asset_ingested_event()).unwrap();
        fields.log.entry_hash = entry.hash;
        fields.log.promise = data_integrity::sign(
            &json!({
                "type": "LogInclusionPromise", "log": ORIGIN, "entries": [entry.hash.to_string()],
                "received_at": now.format_rfc3339(), "include_by": now.format_rfc3339(),
            }),
            ProofOptions::assertion(&did, now),
            &self.platform,
        )
        .unwrap();
        (201, sign_receipt(fields, &self.platform, now).unwrap())
    }
}

/// `%XX` escapes decoded (invalid ones left as they are).
fn percent_decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut it = line.split_whitespace();
    let (method, target) = (it.next()?.to_owned(), it.next()?.to_owned());
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (n, v) = h.split_once(':')?;
        headers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}
