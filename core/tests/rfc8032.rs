//! Ed25519 against RFC 8032 §7.1 (vectors/rfc8032/ed25519.json).

use fairtrain_core::ed25519::{PublicKey, Signature, SignatureError, SigningKey};
use serde_json::Value;

struct Vector {
    name: String,
    seed: [u8; 32],
    public: [u8; 32],
    message: Vec<u8>,
    signature: [u8; 64],
}

fn vectors() -> Vec<Vector> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/rfc8032/ed25519.json"
    );
    let file: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let hex = |v: &Value| hex::decode(v.as_str().unwrap()).unwrap();
    file["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| Vector {
            name: v["name"].as_str().unwrap().to_owned(),
            seed: hex(&v["secret_key"]).try_into().unwrap(),
            public: hex(&v["public_key"]).try_into().unwrap(),
            message: hex(&v["message"]),
            signature: hex(&v["signature"]).try_into().unwrap(),
        })
        .collect()
}

#[test]
fn all_five_vectors_are_present() {
    let names: Vec<String> = vectors().into_iter().map(|v| v.name).collect();
    assert_eq!(
        names,
        ["TEST 1", "TEST 2", "TEST 3", "TEST 1024", "TEST SHA(abc)"]
    );
    assert_eq!(vectors()[3].message.len(), 1023);
}

#[test]
fn signing_reproduces_the_rfc() {
    for v in vectors() {
        let key = SigningKey::from_seed(&v.seed);
        assert_eq!(key.seed(), v.seed, "{}", v.name);
        assert_eq!(key.public_key().to_bytes(), v.public, "{}", v.name);
        assert_eq!(key.sign(&v.message).to_bytes(), v.signature, "{}", v.name);
    }
}

#[test]
fn verification_accepts_the_rfc_signatures() {
    for v in vectors() {
        let public = PublicKey::from_bytes(&v.public).unwrap();
        public
            .verify(&v.message, &Signature::from_bytes(&v.signature))
            .unwrap_or_else(|e| panic!("{}: {e}", v.name));
        let from_slice = Signature::from_slice(&v.signature).unwrap();
        assert_eq!(from_slice.to_bytes(), v.signature);
    }
}

#[test]
fn any_flipped_bit_fails() {
    for v in vectors() {
        let public = PublicKey::from_bytes(&v.public).unwrap();
        // Bits all over the signature, R and s (a sample: debug builds are slow).
        for bit in (0..512).step_by(29).chain([255, 256, 511]) {
            let mut sig = v.signature;
            sig[bit / 8] ^= 1 << (bit % 8);
            assert_eq!(
                public.verify(&v.message, &Signature::from_bytes(&sig)),
                Err(SignatureError::Invalid),
                "{} signature bit {bit}",
                v.name
            );
        }
        // A few bits of the message, when there is one.
        let bits = v.message.len() * 8;
        for bit in [0, 7, bits / 2, bits.saturating_sub(1)] {
            if bits == 0 {
                break;
            }
            let mut message = v.message.clone();
            message[bit / 8] ^= 1 << (bit % 8);
            assert_eq!(
                public.verify(&message, &Signature::from_bytes(&v.signature)),
                Err(SignatureError::Invalid),
                "{} message bit {bit}",
                v.name
            );
        }
        // Bits of the public key: either not a key any more, or a different one.
        for bit in [0usize, 100, 254] {
            let mut key = v.public;
            key[bit / 8] ^= 1 << (bit % 8);
            if let Ok(other) = PublicKey::from_bytes(&key) {
                assert!(other
                    .verify(&v.message, &Signature::from_bytes(&v.signature))
                    .is_err());
            }
        }
    }
}
