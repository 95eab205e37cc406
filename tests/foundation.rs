//! The foundation against the real runtime: health, the published keys and a
//! signature they verify, problem+json on every failure path, 401/403, and a
//! panic that neither leaks nor wedges the Worker.

use fairtrain_core::key_set;
use fairtrain_integration_tests::receiver::now_s;
use fairtrain_integration_tests::{unique, Req, Worker};
use serde_json::{json, Value};

fn w() -> &'static Worker {
    Worker::shared()
}

fn create_key(role: &str, extra: Value) -> Value {
    let mut body = json!({ "role": role, "label": unique("test") });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let r = Req::post("/v1/admin/api-keys")
        .bearer(&w().admin_token)
        .json(&body)
        .send(w());
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

#[test]
fn health_reports_every_dependency_ok() {
    let r = Req::get("/healthz").send(w());
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["checks"]["d1"], "ok");
    assert!(r.header("x-request-id").is_some());
    let head = Req::new("HEAD", "/healthz").send(w());
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty(), "HEAD has no body");
}

#[test]
fn published_keys_verify_a_signature_the_worker_made() {
    let r = Req::get("/.well-known/fairtrain/keys").send(w());
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.header("cache-control").unwrap_or("").contains("max-age"));
    let doc = r.json();
    // Every proof in the document verifies against a key the document lists.
    let keys =
        key_set::verify(&doc).unwrap_or_else(|e| panic!("key set does not verify: {e}\n{doc:#}"));
    let active: Vec<_> = keys.iter().filter(|k| k.status == "active").collect();
    assert_eq!(active.len(), 1, "exactly one active key");
    // ... and it is the key this instance was configured with.
    assert_eq!(
        active[0].public_key_multibase,
        fairtrain_core::did_key::DidKey::from_public_key(w().platform_key.public_key())
            .public_key_multibase()
    );
    assert_eq!(active[0].kid, w().platform_key.public_key().key_id());
    assert!(active[0].valid_from.starts_with("2026-01-01T00:00:00"));

    // One changed byte anywhere makes verification fail.
    let mut tampered = doc.clone();
    tampered["keys"][0]["valid_from"] = json!("2025-01-01T00:00:00Z");
    assert!(
        key_set::verify(&tampered).is_err(),
        "a tampered key set must not verify"
    );
    let mut forged = doc.clone();
    let other = fairtrain_core::ed25519::SigningKey::from_seed(&[9u8; 32]);
    forged["keys"][0]["publicKeyMultibase"] = json!(
        fairtrain_core::did_key::DidKey::from_public_key(other.public_key()).public_key_multibase()
    );
    assert!(
        key_set::verify(&forged).is_err(),
        "a swapped key must not verify"
    );
}

#[test]
fn unknown_routes_and_wrong_methods_are_problems() {
    let p = Req::get("/no/such/thing")
        .send(w())
        .problem(404, "not-found");
    assert!(p["detail"].as_str().unwrap().contains("/no/such/thing"));
    assert!(p["request_id"].is_string());

    let r = Req::new("DELETE", "/healthz").send(w());
    r.problem(405, "method-not-allowed");
    assert_eq!(r.header("allow"), Some("GET, HEAD"));

    let r = Req::new("PUT", "/v1/admin/api-keys")
        .bearer(&w().admin_token)
        .send(w());
    r.problem(405, "method-not-allowed");
    assert_eq!(r.header("allow"), Some("GET, HEAD, POST"));

    // Methods no route takes are refused, never served as GET.
    Req::new("OPTIONS", "/healthz")
        .send(w())
        .problem(405, "method-not-allowed");
    Req::new("PATCH", "/.well-known/fairtrain/keys")
        .send(w())
        .problem(405, "method-not-allowed");
}

#[test]
fn bad_bodies_are_problems_and_change_nothing() {
    let admin = &w().admin_token;
    let p = Req::post("/v1/admin/api-keys")
        .bearer(admin)
        .header("Content-Type", "application/json")
        .body(b"{\"role\": \"buyer\",".to_vec())
        .send(w())
        .problem(400, "malformed-body");
    assert!(p["line"].is_number());

    Req::post("/v1/admin/api-keys")
        .bearer(admin)
        .header("Content-Type", "application/json")
        .body(b"[1,2,3]".to_vec())
        .send(w())
        .problem(400, "malformed-body");

    Req::post("/v1/admin/api-keys")
        .bearer(admin)
        .header("Content-Type", "application/json")
        .body(Vec::new())
        .send(w())
        .problem(400, "malformed-body");

    Req::post("/v1/admin/api-keys")
        .bearer(admin)
        .header("Content-Type", "text/plain")
        .body(b"{}".to_vec())
        .send(w())
        .problem(415, "unsupported-media-type");

    let big = format!(
        "{{\"role\":\"buyer\",\"label\":\"{}\"}}",
        "x".repeat(2 << 20)
    );
    let p = Req::post("/v1/admin/api-keys")
        .bearer(admin)
        .header("Content-Type", "application/json")
        .body(big.into_bytes())
        .send(w())
        .problem(413, "payload-too-large");
    assert_eq!(p["limit"], 1 << 20);

    let p = Req::post("/v1/admin/api-keys")
        .bearer(admin)
        .json(&json!({ "role": "operator", "label": "", "expires_at": "yesterday" }))
        .send(w())
        .problem(422, "validation-failed");
    let pointers: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(pointers, ["/role", "/label", "/expires_at"], "{p}");

    Req::post("/v1/admin/api-keys")
        .bearer(admin)
        .json(&json!({ "role": "buyer", "label": "x", "surprise": 1 }))
        .send(w())
        .problem(400, "malformed-body");

    let p = Req::post("/v1/admin/api-keys")
        .bearer(admin)
        .json(&json!({ "role": "auditor", "label": "no expiry" }))
        .send(w())
        .problem(422, "validation-failed");
    assert_eq!(p["errors"][0]["pointer"], "/expires_at");

    // Other tests create keys concurrently, so look for what these requests would have made.
    let listed = Req::get("/v1/admin/api-keys")
        .bearer(admin)
        .send(w())
        .json();
    for k in listed["api_keys"].as_array().unwrap() {
        assert_ne!(
            k["label"], "no expiry",
            "a refused request must not create a key"
        );
        assert_ne!(k["label"], "x", "a refused request must not create a key");
    }
}

#[test]
fn credentials_decide_between_401_403_and_200() {
    // No credentials.
    let r = Req::get("/v1/whoami").send(w());
    r.problem(401, "unauthenticated");
    assert!(r
        .header("www-authenticate")
        .unwrap_or("")
        .contains("Bearer"));
    // Wrong operator token, malformed API key, unknown API key.
    Req::get("/v1/whoami")
        .bearer("nope")
        .send(w())
        .problem(401, "unauthenticated");
    Req::get("/v1/whoami")
        .bearer("ftk_zz")
        .send(w())
        .problem(401, "unauthenticated");
    Req::get("/v1/whoami")
        .header("Authorization", "Basic Zm9vOmJhcg==")
        .send(w())
        .problem(401, "unauthenticated");
    let ghost = fairtrain_core::api_key::mint(&[3u8; 40]);
    Req::get("/v1/whoami")
        .bearer(&ghost.token)
        .send(w())
        .problem(401, "unauthenticated");

    // The operator.
    let me = Req::get("/v1/whoami").bearer(&w().admin_token).send(w());
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["role"], "operator");

    // A buyer key: authenticates, but may not administer.
    let buyer = create_key("buyer", json!({ "scopes": ["manifests:read"] }));
    let token = buyer["token"].as_str().unwrap();
    assert!(token.starts_with("ftk_"));
    let me = Req::get("/v1/whoami").bearer(token).send(w()).json();
    assert_eq!(me["role"], "buyer");
    assert_eq!(me["id"], buyer["id"]);
    assert_eq!(me["scopes"], json!(["manifests:read"]));
    let p = Req::get("/v1/admin/api-keys")
        .bearer(token)
        .send(w())
        .problem(403, "forbidden");
    assert_eq!(p["role"], "buyer");
    Req::post("/v1/admin/api-keys")
        .bearer(token)
        .json(&json!({"role": "buyer", "label": "escalate"}))
        .send(w())
        .problem(403, "forbidden");

    // The stored record never contains the token.
    let id = buyer["id"].as_str().unwrap();
    let rec = Req::get(&format!("/v1/admin/api-keys/{id}"))
        .bearer(&w().admin_token)
        .send(w());
    assert_eq!(rec.status, 200);
    assert!(!rec.text().contains(token));
    assert!(rec.json().get("token").is_none());

    // A key with one character changed does not authenticate.
    let mut chars: Vec<char> = token.chars().collect();
    let last = chars.len() - 2;
    chars[last] = if chars[last] == 'A' { 'B' } else { 'A' };
    let wrong: String = chars.into_iter().collect();
    Req::get("/v1/whoami")
        .bearer(&wrong)
        .send(w())
        .problem(401, "unauthenticated");

    // Revoked: 401 from then on; revoking again keeps the first time.
    let revoked = Req::new("DELETE", &format!("/v1/admin/api-keys/{id}"))
        .bearer(&w().admin_token)
        .send(w());
    assert_eq!(revoked.status, 200, "{}", revoked.text());
    let first = revoked.json()["revoked_at"].clone();
    assert!(first.is_string());
    let p = Req::get("/v1/whoami")
        .bearer(token)
        .send(w())
        .problem(401, "unauthenticated");
    assert!(p["detail"].as_str().unwrap().contains("revoked"));
    let again = Req::new("DELETE", &format!("/v1/admin/api-keys/{id}"))
        .bearer(&w().admin_token)
        .send(w());
    assert_eq!(again.json()["revoked_at"], first);
    Req::new("DELETE", "/v1/admin/api-keys/0000000000000000")
        .bearer(&w().admin_token)
        .send(w())
        .problem(404, "not-found");
}

#[test]
fn expired_auditor_keys_stop_working() {
    w(); // start the shared worker first: the expiry is counted from now
    let expires = fairtrain_core::time::Timestamp::now()
        .checked_add_seconds(3)
        .unwrap()
        .format_rfc3339();
    let auditor = create_key("auditor", json!({ "expires_at": expires }));
    let token = auditor["token"].as_str().unwrap();
    let me = Req::get("/v1/whoami").bearer(token).send(w());
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["role"], "auditor");
    std::thread::sleep(std::time::Duration::from_millis(3500));
    let p = Req::get("/v1/whoami")
        .bearer(token)
        .send(w())
        .problem(401, "unauthenticated");
    assert!(p["detail"].as_str().unwrap().contains("expired"));
}

#[test]
fn a_panic_is_a_problem_and_does_not_wedge_the_worker() {
    // Its own instance: with panic=abort (stable Rust's only option in wasm) a
    // panic resets the whole wasm instance, and requests in flight on it fail.
    let own = Worker::start();
    let r = Req::post("/v1/dev/panic").send(&own);
    r.problem(500, "internal");
    for _ in 0..3 {
        let h = Req::get("/healthz").send(&own);
        assert_eq!(
            h.status,
            200,
            "the worker must serve again after a panic: {}",
            h.text()
        );
    }
}

#[test]
fn problem_types_dereference_to_documentation() {
    let all = Req::get("/problems").send(w());
    assert_eq!(all.status, 200);
    let list = all.json()["problems"].as_array().unwrap().clone();
    assert!(list.len() >= 10);
    for p in list {
        let t = p["type"].as_str().unwrap();
        let doc = Req::get(t).send(w());
        assert_eq!(doc.status, 200, "{t}");
        assert_eq!(doc.json()["status"], p["status"]);
    }
    Req::get("/problems/no-such-problem")
        .send(w())
        .problem(404, "not-found");
}

#[test]
fn openapi_describes_every_route_it_lists() {
    let r = Req::get("/openapi.json").send(w());
    assert_eq!(r.status, 200);
    let doc = r.json();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1."),
        "OpenAPI 3.1"
    );
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 8);
    for (path, ops) in paths {
        let concrete = path
            .replace("{id}", "0000000000000000")
            .replace("{slug}", "not-found");
        for (method, op) in ops.as_object().unwrap() {
            let is_dev = op["tags"]
                .as_array()
                .is_some_and(|t| t.contains(&json!("development")));
            if is_dev || !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let reply = Req::new(&method.to_uppercase(), &concrete).send(w());
            assert_ne!(
                reply.status, 405,
                "{method} {path} is documented but not routed"
            );
            // The router's own 404 says "no resource at <path>"; a routed
            // resource that is merely absent says something else.
            if !path.contains('{') && reply.status == 404 {
                let detail = reply.json()["detail"].as_str().unwrap_or("").to_string();
                assert!(
                    !detail.starts_with("no resource at"),
                    "{method} {path} is documented but not routed"
                );
            }
        }
    }
}

/// Sign a request as a creator would (RFC 9421, did:key as keyid).
fn signed(
    method: &str,
    path: &str,
    key: &fairtrain_core::ed25519::SigningKey,
    now: i64,
    body: Option<&[u8]>,
) -> Req {
    use fairtrain_httpsig::{RequestParts, Signer};
    let mut parts = RequestParts::new(method, &format!("{}{}", w().base, path)).unwrap();
    let mut req = Req::new(method, path);
    if let Some(b) = body {
        let digest = fairtrain_core::digest::format_digest_header(
            &fairtrain_core::digest::Sha256Digest::of(b),
        );
        parts.push_header("Content-Digest", &digest);
        req = req
            .header("Content-Digest", &digest)
            .header("Content-Type", "application/json")
            .body(b.to_vec());
    }
    let nonce =
        fairtrain_core::encoding::base64url_encode(&fairtrain_integration_tests::random::<16>());
    let h = Signer::new(key.clone()).sign(&parts, now, &nonce).unwrap();
    req.header("Signature-Input", &h.signature_input)
        .header("Signature", &h.signature)
}

#[test]
fn creators_authenticate_with_signatures_by_their_own_did_key() {
    let key =
        fairtrain_core::ed25519::SigningKey::from_seed(&fairtrain_integration_tests::random());
    let did = fairtrain_core::did_key::DidKey::from_public_key(key.public_key()).to_string();

    let ok = signed("GET", "/v1/whoami", &key, now_s(), None);
    let r = ok.send(w());
    assert_eq!(r.status, 200, "{}", r.text());
    let me = r.json();
    assert_eq!(me["role"], "creator");
    assert_eq!(me["id"], did);

    // The same signed request again is a replay.
    let first = signed("GET", "/v1/whoami", &key, now_s(), None);
    let (si, sig) = (
        first.header_value("Signature-Input"),
        first.header_value("Signature"),
    );
    assert_eq!(first.send(w()).status, 200);
    let replay = Req::get("/v1/whoami")
        .header("Signature-Input", &si)
        .header("Signature", &sig)
        .send(w());
    assert_eq!(
        replay.problem(401, "invalid-signature")["reason"],
        "replayed"
    );

    // Expired, signed for another path, tampered signature, creator acting as operator.
    let p = signed("GET", "/v1/whoami", &key, now_s() - 600, None)
        .send(w())
        .problem(401, "invalid-signature");
    assert_eq!(p["reason"], "expired");
    let other = signed("GET", "/healthz", &key, now_s(), None);
    let (si, sig) = (
        other.header_value("Signature-Input"),
        other.header_value("Signature"),
    );
    let p = Req::get("/v1/whoami")
        .header("Signature-Input", &si)
        .header("Signature", &sig)
        .send(w())
        .problem(401, "invalid-signature");
    assert_eq!(p["reason"], "bad-signature");
    let r = signed("GET", "/v1/admin/api-keys", &key, now_s(), None).send(w());
    assert_eq!(r.problem(403, "forbidden")["role"], "creator");
    Req::get("/v1/whoami")
        .header("Signature-Input", "sig1=(\"@method\");created=1")
        .header("Signature", "sig1=:AAAA:")
        .send(w())
        .problem(401, "invalid-signature");
}

#[test]
fn a_signed_body_must_match_its_content_digest() {
    let key =
        fairtrain_core::ed25519::SigningKey::from_seed(&fairtrain_integration_tests::random());
    // A creator posting to an operator endpoint: the signature is valid, the role is not.
    let body = br#"{"role":"buyer","label":"from a creator"}"#;
    signed("POST", "/v1/admin/api-keys", &key, now_s(), Some(body))
        .send(w())
        .problem(403, "forbidden");
    // Signed without covering the body's digest: refused before anything else.
    let mut parts_req = signed("POST", "/v1/admin/api-keys", &key, now_s(), None);
    parts_req = parts_req
        .header("Content-Type", "application/json")
        .body(body.to_vec());
    let p = parts_req.send(w()).problem(401, "invalid-signature");
    assert!(
        matches!(
            p["reason"].as_str(),
            Some("missing-header" | "missing-required-component")
        ),
        "{p}"
    );
}
