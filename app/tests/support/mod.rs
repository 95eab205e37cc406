//! Shared by the application's native tests: a memory platform at a fixed
//! time with the seed policy published, creators, consents, contributions.

#![allow(dead_code)]

use fairtrain_app::memory::{block_on, MemoryPlatform};
use fairtrain_app::Platform;
use fairtrain_core::consent::{
    sign_revocation, urn_uuid_v4, ConsentToken, Jurisdiction, License, Price, Scope, Use,
};
use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::policy::Policy;
use fairtrain_core::time::Timestamp;
use serde_json::Value;

pub fn t(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

pub const NOW: &str = "2026-03-01T12:00:00Z";

pub fn seed_policy() -> Policy {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../core/tests/fixtures/policy-v2025.11.json"
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
        let mut token = ConsentToken {
            id: urn_uuid_v4([n; 16]),
            valid_from: t("2026-01-01T00:00:00Z"),
            valid_until: t("2027-01-01T00:00:00Z"),
            asset_hashes: assets.iter().map(|b| Sha256Digest::of(b)).collect(),
            allowed_uses: vec![Use::AiTraining, Use::AiGenerativeTraining],
            commercial: true,
            scopes: vec![Scope::PublicPosts],
            jurisdiction: Jurisdiction::Us,
            policy_version: "v2025.11".into(),
            license: License {
                id: "CC-BY-4.0".into(),
                terms: None,
            },
            price: Price {
                currency: "USD".into(),
                minor_units: 2,
                per_use: "0.0005".into(),
            },
        };
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
