//! The platform's state for the CLI's tests, set up through the use cases
//! as its users would make it: creators register and grant consent.

use std::future::Future;

use fairtrain_app::consents::{self, Grant};
use fairtrain_app::memory::{block_on, MemoryPlatform, ADMIN_TOKEN};
use fairtrain_app::{auth, creators, Result};
use fairtrain_consent::policy::Policy;
use fairtrain_consent::registration::sign_registration;
use fairtrain_core::did_key::DidKey;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::principal::Principal;
use fairtrain_core::time::Timestamp;
use serde_json::{json, Value};

/// When the platform starts.
pub const SETUP: &str = "2026-02-01T00:00:00Z";

pub fn t(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

/// The consent policy a deployment starts with (v2025.11).
pub fn seed_policy() -> Policy {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../consent/tests/fixtures/policy-v2025.11.json"
    );
    Policy::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// A use case run to its end, which must succeed.
pub fn done<T>(use_case: impl Future<Output = Result<T>>) -> T {
    block_on(use_case).unwrap_or_else(|e| panic!("{e}"))
}

pub fn did(key: &SigningKey) -> DidKey {
    DidKey::from_public_key(key.public_key())
}

/// The operator, signed in with the platform's token.
pub fn operator(p: &MemoryPlatform) -> Principal {
    done(auth::authenticate_bearer(p, ADMIN_TOKEN))
}

/// `key` registers as a creator: the platform's challenge, signed.
pub fn register(p: &MemoryPlatform, key: &SigningKey) {
    let did = did(key).to_string();
    let challenge = done(creators::challenge(p, &did)).challenge;
    let registration = json!({
        "did": did,
        "challenge": challenge,
        "signature": sign_registration(key, &challenge).unwrap(),
    });
    done(creators::register(
        p,
        &serde_json::from_value(registration).unwrap(),
    ));
}

/// `key` grants `token`; its id.
pub fn grant(p: &MemoryPlatform, key: &SigningKey, token: &Value) -> String {
    match done(consents::grant(p, &did(key), token)) {
        Grant::Recorded(g) => g.consent_id,
        Grant::AlreadyRecorded(k) => k.consent_id,
    }
}
