//! did:key (Ed25519) against the did:key method's published test vectors
//! (vectors/did-key/ed25519-x25519.json, w3c-ccg/did-method-key) and the
//! key pair of the eddsa-jcs-2022 vectors.

use fairtrain_core::did_key::{
    decode_private_key_multibase, encode_private_key_multibase, resolve_verification_method,
    DidError, DidKey,
};
use fairtrain_core::ed25519::{PublicKey, SigningKey};
use fairtrain_core::encoding::{base58btc_decode, base64url_decode};
use serde_json::Value;

fn load(path: &str) -> Value {
    let path = format!("{}/tests/vectors/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn every_ed25519_entry() {
    let file = load("did-key/ed25519-x25519.json");
    let entries = file.as_object().unwrap();
    assert_eq!(entries.len(), 5);
    for (did_text, entry) in entries {
        let seed: [u8; 32] = hex::decode(entry["seed"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let key = SigningKey::from_seed(&seed);

        // seed -> key -> DID, and DID -> key.
        let did = DidKey::from_public_key(key.public_key());
        assert_eq!(&did.to_string(), did_text);
        let parsed = DidKey::parse(did_text).unwrap();
        assert_eq!(parsed, did);
        assert_eq!(parsed.public_key(), key.public_key());

        // The verification method, as the DID document lists it.
        let vm = &entry["didDocument"]["verificationMethod"][0];
        assert_eq!(vm["id"].as_str().unwrap(), did.verification_method());
        assert_eq!(vm["controller"].as_str().unwrap(), did_text);
        assert_eq!(
            entry["didDocument"]["assertionMethod"][0].as_str().unwrap(),
            did.verification_method()
        );
        assert_eq!(
            resolve_verification_method(&did.verification_method()).unwrap(),
            key.public_key()
        );
        // The fragment is the publicKeyMultibase (Multikey) value.
        let fragment = did
            .verification_method()
            .split_once('#')
            .unwrap()
            .1
            .to_owned();
        assert_eq!(did.public_key_multibase(), fragment);
        assert_eq!(DidKey::from_public_key_multibase(&fragment).unwrap(), did);

        // The key itself, in whichever form the entry gives it.
        let pair = &entry["verificationKeyPair"];
        if let Some(b58) = pair["publicKeyBase58"].as_str() {
            assert_eq!(base58btc_decode(b58).unwrap(), key.public_key().to_bytes());
        }
        if let Some(jwk) = pair.get("publicKeyJwk") {
            assert_eq!(&key.public_key().to_jwk(), jwk);
            assert_eq!(PublicKey::from_jwk(jwk).unwrap(), key.public_key());
            let d = pair["privateKeyJwk"]["d"].as_str().unwrap();
            assert_eq!(base64url_decode(d).unwrap(), seed);
        }
        assert!(pair.get("publicKeyBase58").is_some() || pair.get("publicKeyJwk").is_some());

        // The X25519 key-agreement key is another multicodec: not accepted as a did:key here.
        let agreement = entry["keyAgreementKeyPair"]["id"].as_str().unwrap();
        let agreement_mb = agreement.rsplit('#').next().unwrap();
        assert_eq!(
            DidKey::parse(&format!("did:key:{agreement_mb}")),
            Err(DidError::UnsupportedCodec(0xec))
        );
    }
}

#[test]
fn eddsa_vector_key_pair() {
    let pair = load("eddsa-jcs-2022/keyPair.json");
    let public_mb = pair["publicKeyMultibase"].as_str().unwrap();
    let private_mb = pair["privateKeyMultibase"].as_str().unwrap();
    let key = decode_private_key_multibase(private_mb).unwrap();
    let did = DidKey::from_public_key(key.public_key());
    assert_eq!(did.public_key_multibase(), public_mb);
    assert_eq!(did.to_string(), format!("did:key:{public_mb}"));
    assert_eq!(encode_private_key_multibase(&key), private_mb);
}
