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

/// A principal of `role` with `id` (an API key id, `operator`, a did:key).
pub fn who(
    role: fairtrain_core::principal::Role,
    id: &str,
) -> fairtrain_core::principal::Principal {
    fairtrain_core::principal::Principal {
        role,
        id: id.into(),
        scopes: vec![],
        expires_at: None,
    }
}

pub fn run<F: std::future::Future>(f: F) -> F::Output {
    block_on(f)
}

pub fn assert_platform<P: Platform>(_: &P) {}

/// Registers `c` as a creator does: a challenge, signed with their key.
pub fn register(p: &MemoryPlatform, c: &Creator) {
    let did = c.did().to_string();
    let challenge = run(fairtrain_app::creators::challenge(p, &did))
        .unwrap()
        .challenge;
    let signature = fairtrain_consent::registration::sign_registration(&c.key, &challenge).unwrap();
    let request = serde_json::from_value(serde_json::json!({
        "did": did, "challenge": challenge, "signature": signature,
    }))
    .unwrap();
    run(fairtrain_app::creators::register(p, &request)).unwrap();
}

/// A stored contribution of `bytes` under `consent_id`, not yet routed.
pub fn contribution(
    receipt_id: &str,
    consent_id: &str,
    bytes: &[u8],
) -> fairtrain_app::contributions::store::StoredContribution {
    fairtrain_app::contributions::store::StoredContribution {
        receipt_id: receipt_id.into(),
        asset_hash: Sha256Digest::of(bytes).to_string(),
        contributor: Creator::new(1).did().to_string(),
        consent_id: consent_id.into(),
        envelope: "{}".into(),
        envelope_hash: Sha256Digest::of(b"{}").to_string(),
        scope: "public_posts".into(),
        license: "CC-BY-4.0".into(),
        media_type: "image/png".into(),
        size: bytes.len() as u64,
        route: "-".into(),
        route_reason: "-".into(),
        policy_version: "v2025.11".into(),
        routed_at: t(NOW),
        ingested_at: t(NOW),
        receipt: "{}".into(),
        log_entry_hash: Sha256Digest::of(b"entry").to_string(),
    }
}
