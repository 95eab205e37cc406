//! A signed manifest built in memory with everything the manifest endpoints
//! serve (pages, consents, proofs, status), signed by known test keys: for
//! this crate's tests and, with the `test-support` feature, its users'.
//! It is also a reference for what the Worker serves. Panics on misuse: test
//! code only.

use fairtrain_consent::consent::{Jurisdiction, Use};
use fairtrain_consent::fixture::ConsentBuilder;
use fairtrain_consent::log_event::{self, LogEvent};
use fairtrain_consent::policy::Route;
use fairtrain_core::data_integrity::{self, ProofOptions};
use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::fields::urn_uuid_v4;
use fairtrain_core::key_set::PublishedKey;
use fairtrain_core::time::Timestamp;
use fairtrain_tlog::Hash;
use serde_json::{json, Value};

use crate::api::{AssetProof, AssetsPage, ConsentsPage, CONSENTS_PAGE_SIZE};
use crate::credential::{sign_manifest, Activity, ManifestFields, CREATED_BY_OPERATOR};
use crate::record::{leaf_hashes, AssetRecord};
use crate::status::{sign_status, RevokedAsset, StatusFields};
use crate::terms::{AttributionModel, DatasetLicense, Price, UsagePolicy};
use crate::tree::{
    asset_proof, page_count, page_proof, page_roots, page_span, root_from_page_roots, PAGE_SIZE,
};

pub fn t(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).expect("a test timestamp")
}

/// The test platform's signing key.
pub fn platform() -> SigningKey {
    SigningKey::from_seed(&[77; 32])
}

/// The test platform's published keys (one, active since 2026-01-01).
pub fn published_keys() -> Vec<PublishedKey> {
    vec![PublishedKey::describe(
        platform().public_key(),
        true,
        t("2026-01-01T00:00:00Z"),
        None,
    )]
}

/// The signed key set, as `GET /.well-known/fairtrain/keys` serves it.
pub fn key_set() -> Value {
    let key = &published_keys()[0];
    let did = DidKey::from_public_key(platform().public_key());
    let doc = json!({ "issuer": key.controller, "active": key.kid, "keys": [key] });
    data_integrity::sign(
        &doc,
        ProofOptions::assertion(&did, t("2026-01-01T00:00:00Z")),
        &platform(),
    )
    .expect("signing the key set")
}

pub fn creator_key(i: u8) -> SigningKey {
    SigningKey::from_seed(&[100u8.wrapping_add(i); 32])
}

pub fn did(i: u8) -> DidKey {
    DidKey::from_public_key(creator_key(i).public_key())
}

fn id(seed: u8, kind: u8, n: usize) -> String {
    let mut bytes = [0u8; 16];
    bytes[0] = seed;
    bytes[1] = kind;
    bytes[8..].copy_from_slice(&(n as u64).to_be_bytes());
    urn_uuid_v4(bytes)
}

/// A consent by creator `creator` for `asset_hashes`: AI training and data
/// mining, commercial, valid 2026-2027, jurisdiction US (even creators) or
/// CA (odd).
pub fn consent(creator: u8, asset_hashes: Vec<Sha256Digest>) -> ConsentBuilder {
    ConsentBuilder::new()
        .id(id(0, b'c', creator as usize))
        .valid_until(t("2028-01-01T00:00:00Z"))
        .assets(asset_hashes)
        .jurisdiction(if creator % 2 == 0 {
            Jurisdiction::Us
        } else {
            Jurisdiction::Ca
        })
}

/// The manifest's fields for `asset_count` assets with root `root`:
/// AI training, commercial, per sample at 0.0005 USD, residency US and CA.
pub fn fields(asset_count: u64, root: Hash) -> ManifestFields {
    ManifestFields {
        manifest_id: id(0, b'm', 1),
        snapshot_id: id(0, b's', 1),
        name: "Street photography, spring 2026".into(),
        created_by: CREATED_BY_OPERATOR.into(),
        created_at: t("2026-06-01T00:00:00Z"),
        license: DatasetLicense {
            kind: "commercial".into(),
            terms: Some("Training of commercial models; no redistribution.".into()),
        },
        usage_policy: UsagePolicy {
            allowed_uses: vec![Use::AiTraining],
            commercial: true,
            attribution_model: AttributionModel::PerSample,
            price: Price {
                currency: "USD".into(),
                minor_units: 2,
                per_use: "0.0005".into(),
            },
        },
        data_residency: vec![Jurisdiction::Us, Jurisdiction::Ca],
        asset_count,
        assets_root: root,
        activity: Activity {
            id: id(0, b'a', 1),
            started_at: t("2026-05-31T23:59:58Z"),
            ended_at: t("2026-06-01T00:00:00Z"),
        },
    }
}

type RecordEdit = Box<dyn Fn(&mut AssetRecord)>;

pub struct FixtureOptions {
    pub asset_count: usize,
    /// Consecutive assets share a consent, this many per consent (1..=200).
    pub assets_per_consent: usize,
    /// Makes ids and content hashes differ between fixtures.
    pub seed: u8,
    pub commercial_consents: bool,
    pub consents_valid_until: &'static str,
    /// Applied to record 0 before the manifest is signed.
    pub tamper_record: Option<RecordEdit>,
}

impl Default for FixtureOptions {
    fn default() -> Self {
        FixtureOptions {
            asset_count: 3,
            assets_per_consent: 1,
            seed: 0,
            commercial_consents: true,
            consents_valid_until: "2028-01-01T00:00:00Z",
            tamper_record: None,
        }
    }
}

/// A signed manifest of five creators' assets, and what the endpoints serve.
pub struct Fixture {
    pub keys: Vec<PublishedKey>,
    pub key_set: Value,
    /// The distinct signed consent tokens, in order of first use.
    pub consents: Vec<Value>,
    pub records: Vec<AssetRecord>,
    /// Each record's `asset.ingested` log entry (its exact bytes).
    pub log_entries: Vec<Vec<u8>>,
    pub fields: ManifestFields,
    pub manifest: Value,
    leaves: Vec<Hash>,
    page_roots: Vec<Hash>,
}

impl Fixture {
    pub fn new(options: FixtureOptions) -> Fixture {
        let n = options.asset_count;
        let per = options.assets_per_consent.max(1);
        let seed = options.seed;
        let hashes: Vec<Sha256Digest> = (0..n)
            .map(|i| Sha256Digest::of(format!("asset {seed} {i}").as_bytes()))
            .collect();
        let mut consents = Vec::new();
        let mut records = Vec::with_capacity(n);
        for (j, chunk) in hashes.chunks(per).enumerate() {
            let creator = (j % 5) as u8;
            let consent_id = id(seed, b'c', j);
            let doc = consent(creator, chunk.to_vec())
                .id(&consent_id)
                .commercial(options.commercial_consents)
                .valid_until(t(options.consents_valid_until))
                .sign(&creator_key(creator), t("2026-01-01T00:00:00Z"));
            let consent_hash =
                fairtrain_core::fields::jcs_hash(&doc).expect("hashing a test consent");
            for (k, content_hash) in chunk.iter().enumerate() {
                let i = j * per + k;
                records.push(AssetRecord {
                    content_hash: *content_hash,
                    size: 1000 + i as u64,
                    media_type: "image/png".into(),
                    creator: did(creator).to_string(),
                    consent_id: consent_id.clone(),
                    consent_hash,
                    receipt_id: id(seed, b'r', i),
                    log_entry_hash: Sha256Digest::of(b"set below"),
                });
            }
            consents.push(doc);
        }
        // Each record's `asset.ingested` log entry, as the Worker logs it.
        let mut log_entries = Vec::with_capacity(n);
        for record in &mut records {
            let entry = log_event::entry(LogEvent::AssetIngested {
                v: log_event::SCHEMA_VERSION,
                at: t("2026-02-01T00:00:00Z"),
                asset_hash: record.content_hash,
                size: record.size,
                receipt_id: record.receipt_id.clone(),
                envelope_hash: Sha256Digest::of(record.receipt_id.as_bytes()),
                consent_id: record.consent_id.clone(),
                creator: record.creator.clone(),
                route: Route::TrainingPipeline.as_str().to_owned(),
            })
            .expect("a valid test log event");
            record.log_entry_hash = entry.hash;
            log_entries.push(entry.bytes);
        }
        if let (Some(edit), Some(first)) = (&options.tamper_record, records.first_mut()) {
            edit(first);
        }
        let leaves = leaf_hashes(&records).expect("valid test records");
        let page_roots = page_roots(&leaves);
        let mut fields = fields(n as u64, root_from_page_roots(&page_roots));
        fields.manifest_id = id(seed, b'm', 1);
        fields.snapshot_id = id(seed, b's', 1);
        fields.activity.id = id(seed, b'a', 1);
        let manifest = sign_manifest(fields.clone(), &platform(), t("2026-06-01T00:00:01Z"))
            .expect("signing the test manifest");
        Fixture {
            keys: published_keys(),
            key_set: key_set(),
            consents,
            records,
            log_entries,
            fields,
            manifest,
            leaves,
            page_roots,
        }
    }

    pub fn page_count(&self) -> u64 {
        page_count(self.records.len() as u64)
    }

    /// `GET /v1/manifests/<id>/assets?page=k`.
    pub fn assets_page(&self, k: u64) -> AssetsPage {
        let n = self.records.len() as u64;
        let span = page_span(k, n).expect("an existing page");
        AssetsPage {
            page: k,
            page_count: self.page_count(),
            asset_count: n,
            assets: self.records[span.start as usize..span.end as usize].to_vec(),
            page_proof: page_proof(&self.page_roots, k).expect("a page proof"),
            assets_root: self.fields.assets_root,
        }
    }

    pub fn consents_page_count(&self) -> u64 {
        self.consents.len().div_ceil(CONSENTS_PAGE_SIZE) as u64
    }

    /// `GET /v1/manifests/<id>/consents?page=k`.
    pub fn consents_page(&self, k: u64) -> ConsentsPage {
        ConsentsPage {
            consents: self
                .consents
                .chunks(CONSENTS_PAGE_SIZE)
                .nth(k as usize)
                .expect("an existing consents page")
                .to_vec(),
            page: k,
            page_count: self.consents_page_count(),
        }
    }

    /// `GET /v1/manifests/<id>/proof/<content_hash>`.
    pub fn asset_proof(&self, content_hash: &Sha256Digest) -> Option<AssetProof> {
        let index = self
            .records
            .iter()
            .position(|r| r.content_hash == *content_hash)? as u64;
        let k = index / PAGE_SIZE;
        let span = page_span(k, self.records.len() as u64)?;
        let leaves = &self.leaves[span.start as usize..span.end as usize];
        Some(AssetProof {
            index,
            asset_count: self.records.len() as u64,
            record: self.records[index as usize].clone(),
            proof: asset_proof(leaves, index - span.start, &self.page_roots, k).ok()?,
            assets_root: self.fields.assets_root,
        })
    }

    /// `GET /v1/manifests/<id>/status`, flagging these records' assets.
    pub fn status(&self, revoked: &[usize]) -> Value {
        let fields = StatusFields {
            manifest_id: self.fields.manifest_id.clone(),
            revoked_assets: revoked
                .iter()
                .map(|i| RevokedAsset {
                    content_hash: self.records[*i].content_hash,
                    consent_id: self.records[*i].consent_id.clone(),
                    revoked_at: t("2026-07-01T00:00:00Z"),
                })
                .collect(),
            as_of: t("2026-07-02T00:00:00Z"),
        };
        sign_status(fields, &platform(), t("2026-07-02T00:00:00Z")).expect("signing a status")
    }
}
