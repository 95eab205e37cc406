//! RFC 9421 Appendix B (and §2.5) vectors: signature bases must match the RFC byte for byte,
//! and the ed25519 example (B.2.6) must reproduce the exact signature and verify.
//! The figures are in tests/vectors/ (see its README for the source).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use fairtrain_core::ed25519::{PublicKey, SigningKey};
use fairtrain_httpsig::{
    sign_request, signature_base, verify_with_key, MessageSignatures, RequestParts, SignatureInput,
};

fn vector(name: &str) -> String {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    unwrap_rfc8792(text.trim_end_matches('\n'))
}

/// Undoes RFC 8792 §7 single-backslash folding: drop the NOTE header and its blank line; a line
/// ending in `\` continues on the next line, whose leading spaces are not content.
fn unwrap_rfc8792(text: &str) -> String {
    let body = text
        .strip_prefix("NOTE: '\\' line wrapping per RFC 8792\n\n")
        .unwrap_or(text);
    let mut out = String::new();
    let mut joining = false;
    for line in body.split('\n') {
        let line = if joining {
            line.trim_start_matches(' ')
        } else {
            line
        };
        match line.strip_suffix('\\') {
            Some(head) => {
                out.push_str(head);
                joining = true;
            }
            None => {
                out.push_str(line);
                out.push('\n');
                joining = false;
            }
        }
    }
    out.pop();
    out
}

/// RFC 9421 B.2's `test-request`, as received over HTTPS, plus `extra` header lines.
fn test_request(extra: &str) -> RequestParts {
    let message = vector("b2-test-request.http");
    let (head, _body) = message.split_once("\n\n").expect("head and body");
    let mut lines = head.lines();
    let request_line = lines.next().expect("request line");
    let mut parts = request_line.split(' ');
    let (method, target) = (parts.next().unwrap(), parts.next().unwrap());
    let fields: Vec<(&str, &str)> = lines
        .chain(extra.lines())
        .map(|l| l.split_once(": ").expect("field line"))
        .collect();
    let host = fields.iter().find(|(n, _)| *n == "Host").unwrap().1;
    let mut req = RequestParts::new(method, &format!("https://{host}{target}")).unwrap();
    for (name, value) in fields {
        req.push_header(name, value);
    }
    req
}

/// Builds the base from the vector's own Signature-Input and compares it with the RFC's.
fn check_base(label: &str, case: &str) {
    let req = test_request(&vector(&format!("{case}-headers.http")));
    let (input, _) = MessageSignatures::from_request(&req)
        .unwrap()
        .get(label)
        .unwrap();
    let base = signature_base(&req, &input).unwrap();
    assert_eq!(base, vector(&format!("{case}-sigbase.txt")), "{case}");
}

#[test]
fn b2_1_minimal_base() {
    check_base("sig-b21", "b2_1");
}

#[test]
fn b2_2_selective_components_base() {
    check_base("sig-b22", "b2_2");
}

#[test]
fn b2_3_full_coverage_base() {
    check_base("sig-b23", "b2_3");
}

#[test]
fn b2_5_hmac_example_base() {
    check_base("sig-b25", "b2_5");
}

#[test]
fn b2_6_ed25519_base() {
    check_base("sig-b26", "b2_6");
}

#[test]
fn s2_5_example_base() {
    // §2.5 gives only the base; its last line carries the signature parameters.
    let expected = vector("s2_5-sigbase.txt");
    let params = expected.rsplit_once("\"@signature-params\": ").unwrap().1;
    let req = test_request(&format!("Signature-Input: s={params}\nSignature: s=:AA==:"));
    let (input, _) = MessageSignatures::from_request(&req)
        .unwrap()
        .get("s")
        .unwrap();
    assert_eq!(signature_base(&req, &input).unwrap(), expected);
}

/// B.1.4's key from its JWK.
fn test_key_ed25519() -> (SigningKey, PublicKey) {
    let jwk = vector("b1_4-test-key-ed25519.jwk.json");
    let field = |name: &str| -> [u8; 32] {
        let start = jwk.find(&format!("\"{name}\": \"")).unwrap() + name.len() + 5;
        let end = start + jwk[start..].find('"').unwrap();
        URL_SAFE_NO_PAD
            .decode(&jwk[start..end])
            .unwrap()
            .try_into()
            .unwrap()
    };
    let key = SigningKey::from_seed(&field("d"));
    let public = PublicKey::from_bytes(&field("x")).unwrap();
    assert_eq!(key.public_key(), public, "JWK d and x belong together");
    (key, public)
}

fn header<'a>(headers: &'a str, name: &str) -> &'a str {
    headers
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .unwrap()
}

#[test]
fn b2_6_ed25519_signature_is_reproduced() {
    let (key, _) = test_key_ed25519();
    let headers = vector("b2_6-headers.http");
    // Sign from scratch: the same components and parameters, built with the signer's API.
    let req = test_request("");
    let components = [
        "date",
        "@method",
        "@path",
        "@authority",
        "content-type",
        "content-length",
    ]
    .iter()
    .map(|c| c.parse().unwrap())
    .collect();
    let params = fairtrain_httpsig::SignatureParams {
        created: Some(1618884473),
        keyid: Some("test-key-ed25519".into()),
        ..Default::default()
    };
    let input = SignatureInput::new(components, params).unwrap();
    let signed = sign_request(&req, "sig-b26", &input, &key).unwrap();
    assert_eq!(signed.base, vector("b2_6-sigbase.txt"));
    assert_eq!(signed.signature_input, header(&headers, "Signature-Input"));
    // Ed25519 is deterministic, so the bytes equal the RFC's.
    assert_eq!(signed.signature, header(&headers, "Signature"));
}

#[test]
fn b2_6_ed25519_verifies() {
    let (_, public) = test_key_ed25519();
    let req = test_request(&vector("b2_6-headers.http"));
    let input = verify_with_key(&req, "sig-b26", &public).unwrap();
    assert_eq!(input.params().keyid.as_deref(), Some("test-key-ed25519"));

    // Any change to a covered component breaks it.
    let mut tampered = req.clone();
    tampered.remove_header("content-length");
    tampered.push_header("Content-Length", "19");
    assert_eq!(
        verify_with_key(&tampered, "sig-b26", &public)
            .unwrap_err()
            .code(),
        "bad-signature"
    );
}
