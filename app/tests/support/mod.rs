//! Shared by the application's native tests: a memory platform at a fixed
//! time with the seed policy published, creators, consents, contributions.

#![allow(dead_code)]

pub mod market;

use fairtrain_app::memory::{block_on, MemoryPlatform};
use fairtrain_app::Platform;
use fairtrain_consent::consent::{sign_revocation, ConsentToken};
use fairtrain_consent::fixture::ConsentBuilder;
use fairtrain_consent::policy::Policy;
use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::time::Timestamp;
use serde_json::Value;

pub fn t(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

pub const NOW: &str = "2026-03-01T12:00:00Z";

pub fn seed_policy() -> Policy {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../consent/tests/fixtures/policy-v2025.11.json"
    );
    Policy::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// A platform at [`NOW`] with the seed policy (v2025.11) published.
pub fn platform() -> MemoryPlatform {
    let p = MemoryPlatform::new(t(NOW));
    block_on(fairtrain_app::policies::publish(&p, seed_policy())).unwrap();
    p
}

pub struct Creator {
    pub key: SigningKey,
}

impl Creator {
    pub fn new(n: u8) -> Creator {
        Creator {
            key: SigningKey::from_seed(&[n; 32]),
        }
    }

    pub fn did(&self) -> DidKey {
        DidKey::from_public_key(self.key.public_key())
    }

    /// A consent for `assets` (US, public posts, v2025.11, a year long),
    /// id derived from `n`.
    pub fn consent(&self, n: u8, assets: &[&[u8]]) -> Value {
        self.consent_with(n, assets, |_| {})
    }

    pub fn consent_with(
        &self,
        n: u8,
        assets: &[&[u8]],
        edit: impl FnOnce(&mut ConsentToken),
    ) -> Value {
        let mut token = ConsentBuilder::new()
            .id(fairtrain_core::fields::urn_uuid_v4([n; 16]))
            .valid(t("2026-01-01T00:00:00Z"), t("2027-01-01T00:00:00Z"))
            .assets(assets.iter().map(|b| Sha256Digest::of(b)).collect())
            .token();
        edit(&mut token);
        token.sign(&self.key, t("2026-01-01T00:00:00Z")).unwrap()
    }

    pub fn revocation(&self, consent_id: &str, at: &str) -> Value {
        sign_revocation(consent_id, &self.key, t(at)).unwrap()
    }
}

/// The log's events of one type, in order.
pub fn logged(p: &MemoryPlatform, kind: &str) -> Vec<Value> {
    p.logged()
        .into_iter()
        .filter(|e| e["type"] == kind)
        .collect()
}

pub fn run<F: std::future::Future>(f: F) -> F::Output {
    block_on(f)
}

pub fn assert_platform<P: Platform>(_: &P) {}
