//! The W3C eddsa-jcs-2022 test vectors (vectors/eddsa-jcs-2022/, from
//! w3c/vc-di-eddsa TestVectors/): every intermediate and the signed result.

use fairtrain_core::data_integrity::{
    self, canonical_proof_config, hash_data, DataIntegrityError, ProofOptions,
};
use fairtrain_core::did_key::{decode_private_key_multibase, DidKey};
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::jcs;
use fairtrain_core::time::Timestamp;
use serde_json::Value;

fn text(name: &str) -> String {
    let path = format!(
        "{}/tests/vectors/eddsa-jcs-2022/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path).unwrap()
}

fn json(name: &str) -> Value {
    jcs::parse_strict(&text(name)).unwrap()
}

fn key() -> SigningKey {
    decode_private_key_multibase(
        json("keyPair.json")["privateKeyMultibase"]
            .as_str()
            .unwrap(),
    )
    .unwrap()
}

fn options() -> ProofOptions {
    let did = DidKey::from_public_key(key().public_key());
    ProofOptions::assertion(
        &did,
        Timestamp::parse_rfc3339("2023-02-24T23:36:38Z").unwrap(),
    )
}

fn unsigned_document() -> Value {
    json("canonDocJCS.txt")
}

#[test]
fn signing_reproduces_signed_jcs() {
    let signed = data_integrity::sign(&unsigned_document(), options(), &key()).unwrap();
    let expected = json("signedJCS.json");
    assert_eq!(
        jcs::canonicalize(&signed).unwrap(),
        jcs::canonicalize(&expected).unwrap()
    );
    // The proof's members come out in the vector's order too: signing the
    // published credential (member order as published, proof removed) gives
    // the published file, byte for byte, in pretty form.
    let mut unsigned = expected.clone();
    unsigned.as_object_mut().unwrap().remove("proof");
    let resigned = data_integrity::sign(&unsigned, options(), &key()).unwrap();
    assert_eq!(
        serde_json::to_string_pretty(&resigned).unwrap(),
        text("signedJCS.json").trim_end()
    );
}

#[test]
fn every_intermediate_matches() {
    let document = unsigned_document();
    let canonical_document = jcs::canonicalize(&document).unwrap();
    assert_eq!(canonical_document, text("canonDocJCS.txt").trim_end());
    assert_eq!(
        Sha256Digest::of(canonical_document.as_bytes()).to_hex(),
        text("docHashJCS.txt").trim()
    );

    // The proof configuration: as published, and as we build it when signing.
    let config = json("proofConfigJCS.json");
    let canonical_config = canonical_proof_config(config.as_object().unwrap()).unwrap();
    assert_eq!(canonical_config, text("proofCanonJCS.txt").trim_end());
    let signed = data_integrity::sign(&document, options(), &key()).unwrap();
    let ours = canonical_proof_config(signed["proof"].as_object().unwrap()).unwrap();
    assert_eq!(ours, canonical_config);
    assert_eq!(
        Sha256Digest::of(canonical_config.as_bytes()).to_hex(),
        text("proofHashJCS.txt").trim()
    );

    let hash = hash_data(canonical_config.as_bytes(), canonical_document.as_bytes());
    assert_eq!(hex::encode(hash), text("combinedHashJCS.txt").trim());

    let signature = key().sign(&hash);
    assert_eq!(
        hex::encode(signature.to_bytes()),
        text("sigHexJCS.txt").trim()
    );
    assert_eq!(
        fairtrain_core::encoding::multibase_encode(&signature.to_bytes()),
        text("sigBTC58JCS.txt").trim()
    );
    assert_eq!(
        signed["proof"]["proofValue"],
        text("sigBTC58JCS.txt").trim()
    );
}

#[test]
fn the_published_credential_verifies() {
    let verified = data_integrity::verify_did_key(&json("signedJCS.json")).unwrap();
    let proof = verified.first();
    assert_eq!(proof.public_key, key().public_key());
    assert_eq!(proof.proof_purpose, "assertionMethod");
    assert_eq!(
        proof.created,
        Some(Timestamp::parse_rfc3339("2023-02-24T23:36:38Z").unwrap())
    );
    assert_eq!(verified.len(), 1);
}

#[test]
fn changing_one_byte_fails() {
    let original = text("signedJCS.json");
    let original_value = json("signedJCS.json");
    let mut checked = 0;
    // Change one byte at a time (every 11th position, to stay fast in debug
    // builds); whatever still parses as different JSON must not verify.
    for position in (0..original.len()).step_by(11) {
        let mut bytes = original.clone().into_bytes();
        let old = bytes[position];
        bytes[position] = match old {
            b'a'..=b'y' | b'A'..=b'Y' | b'0'..=b'8' => old + 1,
            b'z' | b'Z' | b'9' => old - 1,
            _ => continue,
        };
        let Ok(value) = jcs::parse_strict_slice(&bytes) else {
            continue;
        };
        if value == original_value {
            continue;
        }
        assert!(
            data_integrity::verify_did_key(&value).is_err(),
            "byte {position} ({:?} -> {:?}) still verifies",
            old as char,
            bytes[position] as char
        );
        checked += 1;
    }
    assert!(checked > 40, "only {checked} mutations checked");

    // A targeted one: the credential's name.
    let mut value = original_value.clone();
    value["name"] = Value::String("Alumni Credentiam".into());
    assert!(matches!(
        data_integrity::verify_did_key(&value),
        Err(DataIntegrityError::InvalidSignature(_))
    ));
}
