//! The platform's state for the CLI's tests, set up through the use cases
//! as its users would make it: creators register, grant consent and
//! upload; the operator composes manifests, issues API keys and licenses;
//! an orchestrator reports usage, which the pricing job prices; the
//! operator settles.

use std::future::Future;

use fairtrain_app::api_keys::{self, NewKey};
use fairtrain_app::consents::{self, Grant};
use fairtrain_app::memory::{block_on, MemoryPlatform, ADMIN_TOKEN};
use fairtrain_app::platform::Ids;
use fairtrain_app::settlements::{self, Settled, Trigger};
use fairtrain_app::usage::{self, Accepted, Policies, UsageMessage};
use fairtrain_app::{auth, contributions, creators, licenses, manifests, Result};
use fairtrain_consent::consent::sign_revocation;
use fairtrain_consent::fixture::{ConsentBuilder, EnvelopeBuilder};
use fairtrain_consent::policy::Policy;
use fairtrain_consent::registration::sign_registration;
use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::fields::urn_uuid_v4;
use fairtrain_core::principal::{Principal, Role};
use fairtrain_core::time::Timestamp;
use fairtrain_usage::{AssetRefs, UsageEvent};
use serde_json::{json, Value};

use crate::creator::Creator;

/// When the platform starts, and the market is set up.
pub const SETUP: &str = "2026-02-01T00:00:00Z";
/// When the market's usage happens and is reported.
pub const USED: &str = "2026-03-01T12:00:00Z";

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

/// Creator `n`'s key.
pub fn creator_key(n: u8) -> SigningKey {
    SigningKey::from_seed(&[100 + n; 32])
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

/// `key` uploads `bytes` under `consent_id` (checked, stored and ingested
/// as the upload route does); the storage receipt.
pub fn upload(p: &MemoryPlatform, key: &SigningKey, consent_id: &str, bytes: &[u8]) -> Value {
    let envelope = EnvelopeBuilder::new()
        .bytes(bytes)
        .consent_id(consent_id)
        .timestamp(fairtrain_app::platform::Clock::now(p))
        .sign(key);
    let prepared = done(contributions::prepare(p, &did(key), &envelope));
    let object = contributions::object_key(p, &prepared.envelope.content_hash).unwrap();
    let size = bytes.len() as u64;
    let digest = Sha256Digest::of(bytes);
    done(contributions::finish(p, prepared, object, digest, size)).receipt
}

/// The operator's manifest `name` of `assets`: commercial AI training, US
/// residency, 0.0005 USD a sample; its id.
pub fn compose(p: &MemoryPlatform, name: &str, assets: &[Sha256Digest]) -> String {
    let price = json!({ "currency": "USD", "minor_units": 2, "per_use": "0.0005" });
    let request = json!({
        "name": name,
        "license": { "type": "commercial", "terms": "Training only." },
        "data_residency": ["US"],
        "assets": assets,
        "usage_policy": { "allowed_uses": ["ai_training"], "commercial": true,
                          "attribution_model": "per_sample", "price": price },
    });
    done(manifests::compose(
        p,
        &serde_json::from_value(request).unwrap(),
    ))
    .manifest_id
}

/// An API key the operator issues for `role`; (id, token).
pub fn issue(p: &MemoryPlatform, role: Role, edit: impl FnOnce(&mut NewKey)) -> (String, String) {
    let mut key = NewKey {
        role: role.as_str().into(),
        label: format!("a {role}"),
        scopes: Vec::new(),
        expires_at: None,
        signing_key: None,
        acts_for: None,
    };
    edit(&mut key);
    let issued = done(api_keys::issue(p, key));
    (issued.record.id, issued.token)
}

/// A use of the asset `bytes` in `manifest` by `model`, at [`USED`].
pub fn event(id: &str, manifest: &str, bytes: &str, samples: u64, model: &str) -> UsageEvent {
    UsageEvent {
        event_id: id.into(),
        manifest_id: manifest.into(),
        assets: AssetRefs::Hashes(vec![Sha256Digest::of(bytes.as_bytes())]),
        batch_index: 1,
        epoch: 0,
        samples_count: samples,
        model_id: model.into(),
        training_run_id: "run-1".into(),
        training_step: 10,
        timestamp: t(USED),
    }
}

/// The pricing job, over everything on the usage queue.
pub fn price_queued(p: &MemoryPlatform) {
    let queued = std::mem::take(&mut p.state.borrow_mut().queued.usage);
    let messages: Vec<UsageMessage> = queued
        .iter()
        .map(|body| serde_json::from_str(body).unwrap())
        .collect();
    let policies = done(Policies::load(p, &messages));
    for message in &messages {
        done(usage::price(p, &policies, message));
    }
}

/// The operator closes the period up to now.
pub fn settle(p: &MemoryPlatform) -> Settled {
    done(settlements::settle(p, Trigger::Operator))
}

/// One asset of a [`Market`].
pub struct Asset {
    pub bytes: String,
    /// Its creator's key.
    pub creator: SigningKey,
    pub consent_id: String,
}

/// Creators with consented, uploaded assets in composed manifests,
/// licensed to a buyer whose orchestrator reports usage.
pub struct Market {
    pub assets: Vec<Asset>,
    pub manifests: Vec<String>,
    /// The buyer's API key: (id, token).
    pub buyer: (String, String),
    /// The orchestrator's API key: (id, token).
    pub orchestrator: (String, String),
    /// What signs the orchestrator's reports.
    pub signer: Creator,
}

/// At [`SETUP`]: creator `n` ([`creator_key`]) registers and contributes
/// `assets[n - 1]` (each asset its own bytes, under a consent of its own);
/// the operator composes `manifests` manifests of every asset, and licenses
/// them to a buyer whose orchestrator signs its reports with `signer`.
pub fn market(
    p: &MemoryPlatform,
    assets: &[&[&str]],
    manifests: usize,
    signer: &SigningKey,
) -> Market {
    p.set_now(t(SETUP));
    let mut uploaded = Vec::new();
    for (n, contributed) in (1..).zip(assets) {
        let key = creator_key(n);
        register(p, &key);
        for bytes in *contributed {
            let id = Sha256Digest::of(bytes.as_bytes()).as_bytes()[..16].try_into();
            let token = ConsentBuilder::new()
                .id(urn_uuid_v4(id.unwrap()))
                .assets(vec![Sha256Digest::of(bytes.as_bytes())])
                .sign(&key, t(SETUP));
            let consent_id = grant(p, &key, &token);
            upload(p, &key, &consent_id, bytes.as_bytes());
            uploaded.push(Asset {
                bytes: bytes.to_string(),
                creator: key.clone(),
                consent_id,
            });
        }
    }
    let hashes: Vec<Sha256Digest> = uploaded
        .iter()
        .map(|a| Sha256Digest::of(a.bytes.as_bytes()))
        .collect();
    let manifests: Vec<String> = (1..=manifests)
        .map(|n| compose(p, &format!("dataset {n}"), &hashes))
        .collect();
    let buyer = issue(p, Role::Buyer, |_| {});
    let orchestrator = issue(p, Role::Orchestrator, |k| {
        k.signing_key = Some(did(signer).to_string());
        k.acts_for = Some(buyer.0.clone());
    });
    for manifest in &manifests {
        let id = p.urn().unwrap();
        done(licenses::grant(
            p, &id, &buyer.0, manifest, None, "operator",
        ));
    }
    Market {
        assets: uploaded,
        manifests,
        buyer,
        orchestrator,
        signer: Creator::from_key(signer.clone()),
    }
}

impl Market {
    fn asset(&self, bytes: &str) -> &Asset {
        self.assets.iter().find(|a| a.bytes == bytes).unwrap()
    }

    /// The orchestrator reports `events` at [`USED`] (with its API key,
    /// signed by its key), and the pricing job prices them; the receipt.
    pub fn record(&self, p: &MemoryPlatform, events: Vec<UsageEvent>) -> Value {
        p.set_now(t(USED));
        let id = p.urn().unwrap();
        let random = Sha256Digest::of(id.as_bytes()).as_bytes()[..16].try_into();
        let report =
            crate::commands::usage::sign_batch(&self.signer, events, random.unwrap(), t(USED))
                .unwrap();
        let orchestrator = done(auth::authenticate_bearer(p, &self.orchestrator.1));
        let Accepted::Recorded(r) = done(usage::accept(p, &orchestrator, &report.bytes)) else {
            panic!("a new report")
        };
        price_queued(p);
        r.receipt
    }

    /// Trains on the first manifest's assets at [`USED`]: one event per
    /// (asset bytes, samples, model), each accepted and priced.
    pub fn train(&self, p: &MemoryPlatform, uses: &[(&str, u64, &str)]) {
        let events = uses
            .iter()
            .map(|(bytes, samples, model)| {
                let id = p.uuid().unwrap();
                event(&id, &self.manifests[0], bytes, *samples, model)
            })
            .collect();
        let receipt = self.record(p, events);
        assert_eq!(receipt["credentialSubject"]["refused"], json!([]));
    }

    /// The creator of the asset `bytes` revokes its consent at `at`.
    pub fn revoke(&self, p: &MemoryPlatform, bytes: &str, at: &str) {
        p.set_now(t(at));
        let asset = self.asset(bytes);
        let revocation = sign_revocation(&asset.consent_id, &asset.creator, t(at)).unwrap();
        done(consents::revoke(
            p,
            &did(&asset.creator),
            &asset.consent_id,
            &revocation,
        ));
    }
}
