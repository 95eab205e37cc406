//! A training market in memory for the ledger's tests: creators with
//! consented assets in a priced, published manifest, a licensed buyer, and
//! an orchestrator that reports signed usage; the usage queue drained by
//! the pricing job.

use fairtrain_app::api_keys::store::StoredApiKey;
use fairtrain_app::consents::{self, Grant};
use fairtrain_app::manifests::store::StoredManifest;
use fairtrain_app::memory::MemoryPlatform;
use fairtrain_app::usage::{self, Accepted, Policies, UsageMessage};
use fairtrain_app::{licenses, Result};
use fairtrain_consent::consent::Use;
use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::fields::{urn_uuid_v4, Price};
use fairtrain_core::principal::{Principal, Role};
use fairtrain_core::time::Timestamp;
use fairtrain_manifest::terms::{AttributionModel, UsagePolicy};
use fairtrain_manifest::{AssetRecord, ManifestState};
use fairtrain_usage::{sign_report, AssetRefs, UsageEvent, UsageReport};

use super::{platform, run, t, Creator};

/// The buyer's API key id.
pub const BUYER: &str = "b000000000000001";
/// The orchestrator's API key id.
pub const ORCHESTRATOR: &str = "o000000000000001";
/// When the market's manifests were published.
pub const PUBLISHED: &str = "2026-02-01T00:00:00Z";

pub struct Orchestrator {
    pub key: SigningKey,
    pub did: DidKey,
    pub principal: Principal,
}

impl Orchestrator {
    pub fn new(id: &str, seed: u8) -> Orchestrator {
        let key = SigningKey::from_seed(&[seed; 32]);
        Orchestrator {
            did: DidKey::from_public_key(key.public_key()),
            key,
            principal: Principal {
                role: Role::Orchestrator,
                id: id.into(),
                scopes: vec![],
                expires_at: None,
            },
        }
    }
}

/// One asset of a market's manifest.
#[derive(Clone)]
pub struct Asset {
    pub hash: Sha256Digest,
    /// Index of its creator in [`Market::creators`].
    pub creator: usize,
    pub consent_id: String,
}

pub struct Market {
    pub p: MemoryPlatform,
    pub creators: Vec<Creator>,
    pub manifest_id: String,
    /// In leaf order.
    pub assets: Vec<Asset>,
    pub orchestrator: Orchestrator,
}

pub fn policy(model: AttributionModel, per_use: &str) -> UsagePolicy {
    UsagePolicy {
        allowed_uses: vec![Use::AiTraining],
        commercial: true,
        attribution_model: model,
        price: Price {
            currency: "USD".into(),
            minor_units: 2,
            per_use: per_use.into(),
        },
    }
}

/// `creators` creators with `per_creator` assets each (one consent per
/// asset), in a manifest published at [`PUBLISHED`] and priced `per_use`
/// USD under `model`, licensed to [`BUYER`], whose orchestrator reports.
pub fn market(
    creators: usize,
    per_creator: usize,
    model: AttributionModel,
    per_use: &str,
) -> Market {
    let p = platform();
    let mut cs = Vec::new();
    let mut assets = Vec::new();
    for i in 0..creators {
        let c = Creator::new(i as u8 + 1);
        for j in 0..per_creator {
            let bytes = format!("asset {i} {j}");
            let n = (assets.len() + 1) as u8;
            let Grant::Recorded(g) = run(consents::grant(
                &p,
                &c.did(),
                &c.consent(n, &[bytes.as_bytes()]),
            ))
            .unwrap() else {
                panic!("a new consent")
            };
            assets.push(Asset {
                hash: Sha256Digest::of(bytes.as_bytes()),
                creator: i,
                consent_id: g.consent_id,
            });
        }
        cs.push(c);
    }
    let mut m = Market {
        p,
        creators: cs,
        manifest_id: String::new(),
        assets,
        orchestrator: Orchestrator::new(ORCHESTRATOR, 90),
    };
    m.manifest_id = m.publish(1, policy(model, per_use));
    key(&m.p, BUYER, Role::Buyer, None, None);
    key(
        &m.p,
        ORCHESTRATOR,
        Role::Orchestrator,
        Some(m.orchestrator.did.to_string()),
        Some(BUYER),
    );
    m.license(BUYER, &m.manifest_id.clone(), PUBLISHED, None);
    m
}

/// An API key in the memory platform.
pub fn key(
    p: &MemoryPlatform,
    id: &str,
    role: Role,
    signing_key: Option<String>,
    acts_for: Option<&str>,
) {
    p.state.borrow_mut().api_keys.keys.insert(
        id.into(),
        StoredApiKey {
            id: id.into(),
            token_hash: format!("sha256:{}", "0".repeat(64)),
            role,
            label: id.into(),
            scopes: vec![],
            created_at: t(PUBLISHED),
            expires_at: None,
            revoked_at: None,
            signing_key,
            acts_for: acts_for.map(String::from),
        },
    );
}

impl Market {
    /// Publishes another manifest of all the market's assets (`n` makes its
    /// id) under `policy`; returns its id.
    pub fn publish(&self, n: u8, usage_policy: UsagePolicy) -> String {
        let id = urn_uuid_v4([0xa0 + n; 16]);
        // What the ledger reads of a manifest: its usage policy in the signed
        // document, and its asset records in leaf order.
        let document = serde_json::json!({ "credentialSubject": { "usage_policy": usage_policy } })
            .to_string();
        let mut s = self.p.state.borrow_mut();
        for (idx, a) in self.assets.iter().enumerate() {
            let consent_hash = s.consents.consents[&a.consent_id]
                .consent_hash
                .parse()
                .unwrap();
            s.manifests.assets.insert(
                (id.clone(), idx as u64),
                AssetRecord {
                    content_hash: a.hash,
                    size: 1,
                    media_type: "text/plain".into(),
                    creator: self.creators[a.creator].did().to_string(),
                    consent_id: a.consent_id.clone(),
                    consent_hash,
                    receipt_id: urn_uuid_v4([0xc0 + n; 16]),
                    log_entry_hash: Sha256Digest::of(id.as_bytes()),
                },
            );
        }
        s.manifests.manifests.insert(
            id.clone(),
            StoredManifest {
                id: id.clone(),
                snapshot_id: urn_uuid_v4([0xb0 + n; 16]),
                name: format!("market {n}"),
                manifest_hash: Sha256Digest::of(document.as_bytes()),
                document,
                assets_root: fairtrain_tlog::Hash::from_slice(&[0; 32]).unwrap(),
                asset_count: self.assets.len() as u64,
                page_roots: Vec::new(),
                created_at: t(PUBLISHED),
                log_entry_hash: Sha256Digest::of(id.as_bytes()),
                status: ManifestState::Clean,
            },
        );
        id
    }

    /// Grants `buyer` a license for `manifest_id` at `at`.
    pub fn license(
        &self,
        buyer: &str,
        manifest_id: &str,
        at: &str,
        expires: Option<&str>,
    ) -> String {
        let now = fairtrain_app::platform::Clock::now(&self.p);
        self.p.set_now(t(at));
        let id = format!("urn:uuid:license-{buyer}-{manifest_id}-{at}");
        run(licenses::grant(
            &self.p,
            &id,
            buyer,
            manifest_id,
            expires,
            "operator",
        ))
        .unwrap();
        self.p.set_now(now);
        id
    }

    pub fn creator_did(&self, asset: usize) -> String {
        self.creators[self.assets[asset].creator].did().to_string()
    }

    /// An event using the assets at `leaves` of the market's manifest.
    pub fn event(&self, id: &str, leaves: &[u64], samples: u64, at: &str) -> UsageEvent {
        event(
            id,
            &self.manifest_id,
            AssetRefs::LeafIndexes(leaves.to_vec()),
            samples,
            at,
        )
    }

    /// `events` in a report signed by the market's orchestrator.
    pub fn report(&self, events: Vec<UsageEvent>) -> Vec<u8> {
        signed(&self.orchestrator, events)
    }

    /// Accepts `events` as one report from the market's orchestrator.
    pub fn accept(&self, events: Vec<UsageEvent>) -> Result<Accepted> {
        run(usage::accept(
            &self.p,
            &self.orchestrator.principal,
            &self.report(events),
        ))
    }

    /// Accepts `events` and prices what was queued; the receipt.
    pub fn record(&self, events: Vec<UsageEvent>) -> serde_json::Value {
        let Accepted::Recorded(r) = self.accept(events).unwrap() else {
            panic!("a new report")
        };
        for outcome in drain(&self.p) {
            outcome.unwrap();
        }
        r.receipt
    }
}

pub fn event(id: &str, manifest_id: &str, assets: AssetRefs, samples: u64, at: &str) -> UsageEvent {
    UsageEvent {
        event_id: id.into(),
        manifest_id: manifest_id.into(),
        assets,
        batch_index: 0,
        epoch: 0,
        samples_count: samples,
        model_id: "model-1".into(),
        training_run_id: "run-1".into(),
        training_step: 0,
        timestamp: t(at),
    }
}

/// A signed report of `events`, its id derived from their content.
pub fn signed(o: &Orchestrator, events: Vec<UsageEvent>) -> Vec<u8> {
    let hashes: Vec<String> = events.iter().map(|e| e.hash().to_string()).collect();
    let seed = Sha256Digest::of(format!("{}{:?}", o.did, hashes).as_bytes());
    let mut random = [0u8; 16];
    random.copy_from_slice(&seed.as_bytes()[..16]);
    signed_as(o, &urn_uuid_v4(random), events)
}

/// A report `id` of `events`, signed.
pub fn signed_as(o: &Orchestrator, id: &str, events: Vec<UsageEvent>) -> Vec<u8> {
    let report = UsageReport {
        id: id.into(),
        orchestrator: o.did.to_string(),
        created: t(super::NOW),
        events,
    };
    let doc = sign_report(&report, &o.key, t(super::NOW)).unwrap();
    serde_json::to_vec(&doc).unwrap()
}

/// The usage messages queued so far, taken off the queue.
pub fn take_messages(p: &MemoryPlatform) -> Vec<UsageMessage> {
    std::mem::take(&mut p.state.borrow_mut().queued.usage)
        .iter()
        .map(|text| serde_json::from_str(text).unwrap())
        .collect()
}

/// Delivers `messages` to the pricing job as one batch, in order.
pub fn deliver(p: &MemoryPlatform, messages: &[UsageMessage]) -> Vec<Result<()>> {
    let policies = run(Policies::load(p, messages.iter())).unwrap();
    messages
        .iter()
        .map(|m| run(usage::price(p, &policies, m)))
        .collect()
}

/// Prices everything queued.
pub fn drain(p: &MemoryPlatform) -> Vec<Result<()>> {
    deliver(p, &take_messages(p))
}

/// The refused events of a receipt, as (event id, reason).
pub fn refused(receipt: &serde_json::Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = receipt["credentialSubject"]["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["event_id"].as_str().unwrap().into(),
                r["reason"].as_str().unwrap().into(),
            )
        })
        .collect();
    out.sort();
    out
}

pub fn at(p: &MemoryPlatform) -> Timestamp {
    fairtrain_app::platform::Clock::now(p)
}
