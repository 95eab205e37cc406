//! Round trips the way fairtrain uses the crate: the CLI signs with a creator's key (keyid =
//! its did:key), the Worker verifies under `Policy::default()`. Each policy violation must come
//! back as its own error.

use fairtrain_core::digest::{format_digest_header, Sha256Digest};
use fairtrain_core::ed25519::SigningKey;
use fairtrain_httpsig::{
    sign_request, ComponentId, Error, Policy, RequestParts, SignatureInput, SignatureParams,
    SignedHeaders, Signer,
};

const NOW: i64 = 1_760_000_000;
const BODY: &[u8] = br#"{"asset":"sha256:00","uses":["ai_training"]}"#;
const URL: &str = "https://api.fairtrain.example/v1/consents?dry_run=1";

fn signer() -> Signer {
    Signer::new(SigningKey::from_seed(&[7; 32]))
}

fn post() -> RequestParts {
    RequestParts::new("POST", URL)
        .unwrap()
        .with_header("Content-Type", "application/json")
        .with_header(
            "Content-Digest",
            format_digest_header(&Sha256Digest::of(BODY)),
        )
}

fn attach(mut req: RequestParts, signed: &SignedHeaders) -> RequestParts {
    req.push_header("Signature-Input", signed.signature_input.clone());
    req.push_header("Signature", signed.signature.clone());
    req
}

fn signed_post() -> RequestParts {
    let req = post();
    let signed = signer().sign(&req, NOW, "n-0001").unwrap();
    attach(req, &signed)
}

fn verify(
    req: &RequestParts,
    has_body: bool,
    now: i64,
) -> Result<fairtrain_httpsig::Verified, Error> {
    Policy::default().verify(req, has_body, now)
}

fn code(result: Result<fairtrain_httpsig::Verified, Error>) -> &'static str {
    result.unwrap_err().code()
}

/// Signs `components` with hand-picked parameters (defaults: a complete, valid set).
fn sign_with(components: &[&str], edit: impl FnOnce(&mut SignatureParams)) -> RequestParts {
    let key = SigningKey::from_seed(&[7; 32]);
    let mut params = SignatureParams {
        created: Some(NOW),
        expires: Some(NOW + 300),
        keyid: Some(signer().keyid().to_owned()),
        alg: Some("ed25519".into()),
        nonce: Some("n-0002".into()),
        tag: None,
    };
    edit(&mut params);
    let components = components.iter().map(|c| c.parse().unwrap()).collect();
    let input = SignatureInput::new(components, params).unwrap();
    let req = post();
    let signed = sign_request(&req, "sig1", &input, &key).unwrap();
    attach(req, &signed)
}

const FULL: &[&str] = &["@method", "@target-uri", "content-digest"];

#[test]
fn cli_signed_request_verifies() {
    let s = signer();
    assert!(s.keyid().starts_with("did:key:z6Mk"));
    let req = post();
    let signed = s.sign(&req, NOW, "n-0001").unwrap();
    assert_eq!(
        signed.signature_input,
        format!(
            r#"sig1=("@method" "@target-uri" "content-digest");created={NOW};expires={};keyid="{}";alg="ed25519";nonce="n-0001""#,
            NOW + 300,
            s.keyid()
        )
    );
    let req = attach(req, &signed);
    let v = verify(&req, true, NOW + 10).unwrap();
    assert_eq!(v.label, "sig1");
    assert_eq!(v.keyid, s.keyid());
    assert_eq!(v.did.to_string(), s.keyid());
    assert_eq!(
        (v.nonce.as_str(), v.created, v.expires),
        ("n-0001", NOW, NOW + 300)
    );
    v.check_body(&Sha256Digest::of(BODY)).unwrap();
    assert_eq!(
        v.check_body(&Sha256Digest::of(b"other"))
            .unwrap_err()
            .code(),
        "digest-mismatch"
    );
}

#[test]
fn bodiless_get_verifies_without_digest() {
    let req = RequestParts::new("GET", "https://api.fairtrain.example/v1/me").unwrap();
    let signed = signer().sign(&req, NOW, "n-0003").unwrap();
    assert!(!signed.signature_input.contains("content-digest"));
    let req = attach(req, &signed);
    let v = verify(&req, false, NOW).unwrap();
    assert_eq!(v.content_digest, None);
    assert_eq!(
        v.check_body(&Sha256Digest::of(b"")).unwrap_err().code(),
        "missing-header"
    );
}

#[test]
fn authority_path_query_instead_of_target_uri() {
    let req = sign_with(
        &["@method", "@authority", "@path", "@query", "content-digest"],
        |_| {},
    );
    verify(&req, true, NOW).unwrap();
    let req = sign_with(
        &["@method", "@authority", "@path", "content-digest"],
        |_| {},
    );
    assert_eq!(code(verify(&req, true, NOW)), "missing-required-component");
}

#[test]
fn missing_headers() {
    let mut req = signed_post();
    req.remove_header("signature");
    assert_eq!(code(verify(&req, true, NOW)), "missing-header");
    let mut req = signed_post();
    req.remove_header("signature-input");
    assert_eq!(code(verify(&req, true, NOW)), "missing-header");
    // A body without Content-Digest.
    let req = RequestParts::new("POST", URL).unwrap();
    let signed = signer().sign(&req, NOW, "n").unwrap();
    let req = attach(req, &signed);
    assert!(matches!(
        verify(&req, true, NOW),
        Err(Error::MissingHeader("Content-Digest"))
    ));
}

#[test]
fn malformed_headers() {
    for (name, value) in [
        ("Signature-Input", "sig1=(\"@method\""),
        ("Signature-Input", "sig1=\"not a list\""),
        ("Signature", "sig1=:!!:"),
        ("Signature", "sig1=\"text\""),
    ] {
        let mut req = signed_post();
        req.remove_header(name);
        req.push_header(name, value);
        assert_eq!(
            code(verify(&req, true, NOW)),
            "malformed",
            "{name}: {value}"
        );
    }
    let req = sign_with(FULL, |p| p.nonce = Some(String::new()));
    assert_eq!(code(verify(&req, true, NOW)), "malformed");
    let req = sign_with(FULL, |p| p.nonce = Some("n".repeat(129)));
    assert_eq!(code(verify(&req, true, NOW)), "malformed");
    let req = sign_with(FULL, |p| p.expires = Some(NOW));
    assert_eq!(code(verify(&req, true, NOW - 1)), "malformed");
}

#[test]
fn unsupported_algorithm() {
    let mut req = signed_post();
    let input = req
        .headers()
        .find(|(n, _)| *n == "signature-input")
        .unwrap()
        .1
        .replace(r#"alg="ed25519""#, r#"alg="hmac-sha256""#);
    req.remove_header("signature-input");
    req.push_header("Signature-Input", input);
    assert!(matches!(
        verify(&req, true, NOW),
        Err(Error::UnsupportedAlgorithm(a)) if a == "hmac-sha256"
    ));
    // No alg at all is fine: the did:key says Ed25519.
    let req = sign_with(FULL, |p| p.alg = None);
    verify(&req, true, NOW).unwrap();
}

#[test]
fn bad_keyid() {
    for keyid in [
        "test-key-ed25519",
        "did:key:zNotBase58!",
        "did:web:example.com",
    ] {
        let req = sign_with(FULL, |p| p.keyid = Some(keyid.into()));
        assert_eq!(code(verify(&req, true, NOW)), "bad-keyid", "{keyid}");
    }
}

#[test]
fn missing_parameters() {
    type Edit = fn(&mut SignatureParams);
    let cases: [(&str, Edit); 4] = [
        ("keyid", |p| p.keyid = None),
        ("created", |p| p.created = None),
        ("expires", |p| p.expires = None),
        ("nonce", |p| p.nonce = None),
    ];
    for (name, edit) in cases {
        let req = sign_with(FULL, edit);
        assert!(
            matches!(verify(&req, true, NOW), Err(Error::MissingParameter(n)) if n == name),
            "{name}"
        );
    }
}

#[test]
fn validity_window() {
    let req = signed_post(); // created NOW, expires NOW + 300
    verify(&req, true, NOW + 299).unwrap();
    assert_eq!(code(verify(&req, true, NOW + 300)), "expired");
    // The signer's clock may run up to 60 s ahead of ours.
    verify(&req, true, NOW - 60).unwrap();
    assert_eq!(code(verify(&req, true, NOW - 61)), "not-yet-valid");

    let mut long = signer();
    long.lifetime_secs = 301;
    let req = post();
    let signed = long.sign(&req, NOW, "n").unwrap();
    let req = attach(req, &signed);
    assert!(matches!(
        verify(&req, true, NOW),
        Err(Error::TooLongLived {
            lifetime: 301,
            max: 300
        })
    ));
    let lenient = Policy {
        max_lifetime_secs: 3600,
        ..Policy::default()
    };
    lenient.verify(&req, true, NOW).unwrap();
}

#[test]
fn missing_required_components() {
    for components in [
        &["@target-uri", "content-digest"][..],
        &["@method", "content-digest"][..],
        &["@method", "@target-uri"][..],
    ] {
        let req = sign_with(components, |_| {});
        assert_eq!(
            code(verify(&req, true, NOW)),
            "missing-required-component",
            "{components:?}"
        );
    }
    // content-digest is only required when there is a body.
    let req = sign_with(&["@method", "@target-uri"], |_| {});
    verify(&req, false, NOW).unwrap();

    let strict = Policy {
        required_components: vec!["@method".parse().unwrap(), "content-type".parse().unwrap()],
        ..Policy::default()
    };
    let req = sign_with(FULL, |_| {});
    assert_eq!(
        code(strict.verify(&req, true, NOW)),
        "missing-required-component"
    );
}

#[test]
fn flipped_bytes_fail() {
    let good = signed_post();
    // Every byte of the signature matters.
    let sig = good
        .headers()
        .find(|(n, _)| *n == "signature")
        .unwrap()
        .1
        .to_owned();
    let b64 = sig.trim_start_matches("sig1=:").trim_end_matches(':');
    for i in [0, 10, b64.len() - 4] {
        let mut chars: Vec<char> = b64.chars().collect();
        chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
        let mut req = good.clone();
        req.remove_header("signature");
        req.push_header(
            "Signature",
            format!("sig1=:{}:", chars.iter().collect::<String>()),
        );
        assert_eq!(code(verify(&req, true, NOW)), "bad-signature", "byte {i}");
    }
    // A truncated signature is not 64 bytes.
    let mut req = good.clone();
    req.remove_header("signature");
    req.push_header("Signature", "sig1=:AAAA:");
    assert_eq!(code(verify(&req, true, NOW)), "bad-signature");

    // And every covered component: rebuild the request with one part changed.
    let rebuild = |method: &str, url: &str, body: &[u8]| {
        let mut req = RequestParts::new(method, url).unwrap().with_header(
            "Content-Digest",
            format_digest_header(&Sha256Digest::of(body)),
        );
        for (n, v) in good.headers().filter(|(n, _)| n.starts_with("signature")) {
            req.push_header(n, v);
        }
        verify(&req, true, NOW).map(|_| ()).map_err(|e| e.code())
    };
    assert_eq!(rebuild("POST", URL, BODY), Ok(()));
    assert_eq!(rebuild("PUT", URL, BODY), Err("bad-signature"));
    let other_query = URL.replace("dry_run=1", "dry_run=0");
    assert_eq!(rebuild("POST", &other_query, BODY), Err("bad-signature"));
    let other_path = URL.replace("consents", "consentz");
    assert_eq!(rebuild("POST", &other_path, BODY), Err("bad-signature"));
    let other_host = URL.replace("api.", "app.");
    assert_eq!(rebuild("POST", &other_host, BODY), Err("bad-signature"));
    assert_eq!(rebuild("POST", URL, b"{}"), Err("bad-signature"));
}

#[test]
fn labels_and_tags() {
    // Two signatures: no guessing without a label.
    let req = signed_post();
    let key2 = Signer::new(SigningKey::from_seed(&[9; 32]));
    let mut second = key2.clone();
    second.label = "sig2".into();
    second.tag = Some("fairtrain-usage".into());
    let signed2 = second.sign(&req, NOW, "n-2").unwrap();
    let both = attach(req, &signed2);
    assert_eq!(code(verify(&both, true, NOW)), "signature-not-found");

    let by_label = Policy {
        label: Some("sig2".into()),
        ..Policy::default()
    };
    assert_eq!(
        by_label.verify(&both, true, NOW).unwrap().keyid,
        key2.keyid()
    );
    let by_tag = Policy {
        required_tag: Some("fairtrain-usage".into()),
        ..Policy::default()
    };
    assert_eq!(by_tag.verify(&both, true, NOW).unwrap().label, "sig2");
    let wrong_tag = Policy {
        label: Some("sig1".into()),
        required_tag: Some("fairtrain-usage".into()),
        ..Policy::default()
    };
    assert_eq!(code(wrong_tag.verify(&both, true, NOW)), "wrong-tag");
    let missing = Policy {
        label: Some("sig3".into()),
        ..Policy::default()
    };
    assert_eq!(
        code(missing.verify(&both, true, NOW)),
        "signature-not-found"
    );
}

#[test]
fn component_list_errors() {
    // Built by hand, as a hostile client would.
    let mut req = signed_post();
    let input = req
        .headers()
        .find(|(n, _)| *n == "signature-input")
        .unwrap()
        .1
        .to_owned();
    for (from, to, expected) in [
        (
            "\"@method\"",
            "\"@method\" \"@method\"",
            "duplicate-component",
        ),
        ("\"@method\"", "\"@status\"", "unsupported-component"),
        ("\"@method\"", "\"@method\";req", "unsupported-component"),
        (
            "\"content-digest\"",
            "\"content-digest\";sf",
            "unsupported-component",
        ),
        (
            "\"content-digest\"",
            "\"x-absent\"",
            "component-unavailable",
        ),
    ] {
        req.remove_header("signature-input");
        req.push_header("Signature-Input", input.replace(from, to));
        let has_body = expected != "component-unavailable";
        let policy = Policy {
            required_components: vec![],
            ..Policy::default()
        };
        assert_eq!(code(policy.verify(&req, has_body, NOW)), expected, "{to}");
    }
}

#[test]
fn signer_refuses_bad_input() {
    let req = post();
    let mut s = signer();
    s.label = "Sig 1".into();
    assert_eq!(s.sign(&req, NOW, "n").unwrap_err().code(), "invalid-input");
    let s = signer();
    assert_eq!(
        s.sign(&req, NOW, "bad\nnonce").unwrap_err().code(),
        "invalid-input"
    );
    let absent: ComponentId = "x-absent".parse().unwrap();
    assert_eq!(
        s.sign_components(&req, vec![absent], NOW, "n")
            .unwrap_err()
            .code(),
        "component-unavailable"
    );
    let input = SignatureInput::new(
        vec![],
        SignatureParams {
            alg: Some("rsa-pss-sha512".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let key = SigningKey::from_seed(&[7; 32]);
    assert_eq!(
        sign_request(&req, "sig1", &input, &key).unwrap_err().code(),
        "unsupported-algorithm"
    );
}
