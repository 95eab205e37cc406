//! Composing a manifest: walk the candidate contributions in pages (never
//! the whole table in memory), keep the first qualifying contribution of
//! each asset, build the Merkle tree over the asset records, sign, log
//! `manifest.published`, and store: the asset records in bulk first, the
//! manifest last (until it exists, its asset records are invisible).

use std::collections::BTreeMap;

use fairtrain_core::digest::Sha256Digest;
use fairtrain_manifest::api::ExcludedAsset;
use fairtrain_manifest::{
    Activity, AssetRecord, Candidate, ComposeRequest, Composed, DatasetTerms, Exclusion,
    ManifestFields, ManifestState,
};
use fairtrain_tlog::Hash;

use super::store::{CandidateContribution, CandidateQuery, NewAsset, StoredManifest};
use crate::error::{Error, Kind, Result};
use crate::gateway::ConsentCache;
use crate::platform::Platform;

/// Contributions read per query.
const SCAN_PAGE: u32 = 2000;
/// Asset records written per statement (one JSON parameter, well under 2 MB).
const WRITE_CHUNK: usize = 2000;
/// Exclusions listed in the answer; the rest are counted by reason.
const MAX_LISTED_EXCLUSIONS: usize = 1000;

/// What the scan selected: the leaves, and what it left out.
struct Selection {
    records: u64,
    leaf_hashes: Vec<Hash>,
    excluded: Vec<ExcludedAsset>,
    excluded_by_reason: BTreeMap<String, u64>,
}

impl Selection {
    fn exclude(&mut self, c: &CandidateContribution, reason: Exclusion) {
        *self
            .excluded_by_reason
            .entry(reason.as_str().to_string())
            .or_default() += 1;
        if self.excluded.len() < MAX_LISTED_EXCLUSIONS {
            self.excluded.push(ExcludedAsset {
                content_hash: c.asset_hash,
                receipt_id: c.receipt_id.clone(),
                reason,
            });
        }
    }
}

/// Composes, signs, logs and stores a manifest (the operator's request).
/// Nothing qualifying is refused with the exclusions, and stores nothing.
pub async fn compose(p: &impl Platform, req: &ComposeRequest) -> Result<Composed> {
    req.check()
        .map_err(|e| Error::new(Kind::Invalid, e.to_string()))?;
    let now = p.now();
    let ring = p.keys()?;
    let (manifest_id, snapshot_id) = (p.urn()?, p.urn()?);
    let terms = DatasetTerms {
        allowed_uses: req.usage_policy.allowed_uses.clone(),
        commercial: req.usage_policy.commercial,
        data_residency: req.data_residency.clone(),
    };
    let selected = select(p, &manifest_id, req, &terms).await?;
    if selected.records == 0 {
        return Err(
            Error::new(Kind::Invalid, "no asset qualifies for this dataset")
                .with("excluded", serde_json::to_value(&selected.excluded)?)
                .with(
                    "excluded_by_reason",
                    serde_json::to_value(&selected.excluded_by_reason)?,
                ),
        );
    }
    let page_roots = fairtrain_manifest::page_roots(&selected.leaf_hashes);
    let root = fairtrain_manifest::root_from_page_roots(&page_roots);
    let fields = ManifestFields {
        manifest_id: manifest_id.clone(),
        snapshot_id: snapshot_id.clone(),
        name: req.name.clone(),
        created_by: fairtrain_manifest::credential::CREATED_BY_OPERATOR.into(),
        created_at: now,
        license: req.license.clone(),
        usage_policy: req.usage_policy.clone(),
        data_residency: req.data_residency.clone(),
        asset_count: selected.records,
        assets_root: root,
        activity: Activity {
            id: p.urn()?,
            started_at: now,
            ended_at: now,
        },
    };
    let event = fields.clone();
    let signed = fairtrain_manifest::sign_manifest(fields, ring.active_signer(), now)?;
    let document = fairtrain_core::jcs::canonicalize(&signed)?;
    let manifest_hash = Sha256Digest::of(document.as_bytes());
    let entry = fairtrain_consent::log_event::entry(event.published_event(manifest_hash, now))?;
    let log_entry_hash = entry.hash;
    crate::log::append(p, vec![entry]).await?;
    p.insert_manifest(&StoredManifest {
        id: manifest_id.clone(),
        snapshot_id: snapshot_id.clone(),
        name: req.name.clone(),
        document,
        manifest_hash,
        assets_root: root,
        asset_count: selected.records,
        page_roots,
        created_at: now,
        log_entry_hash,
        status: ManifestState::Clean,
    })
    .await?;
    Ok(Composed {
        manifest_id,
        snapshot_id,
        asset_count: selected.records,
        assets_root: root,
        manifest_hash,
        log_entry_hash,
        excluded: selected.excluded,
        excluded_by_reason: selected.excluded_by_reason,
    })
}

/// Scans the candidates page by page, keeps the first qualifying
/// contribution of each asset and stores its record under `manifest_id`
/// (in chunks, as it goes).
async fn select(
    p: &impl Platform,
    manifest_id: &str,
    req: &ComposeRequest,
    terms: &DatasetTerms,
) -> Result<Selection> {
    let filter = req.filter.clone().unwrap_or_default();
    let query = CandidateQuery {
        creator: filter.creator.as_ref().map(ToString::to_string),
        media_type: filter.media_type.clone(),
        jurisdiction: filter.jurisdiction,
        assets: req.assets.clone(),
    };
    let now = p.now();
    let mut consents = ConsentCache::default();
    let mut out = Selection {
        records: 0,
        leaf_hashes: Vec::new(),
        excluded: Vec::new(),
        excluded_by_reason: BTreeMap::new(),
    };
    let mut pending: Vec<NewAsset> = Vec::new();
    let mut last_included: Option<Sha256Digest> = None;
    let mut after: Option<(Sha256Digest, String)> = None;
    loop {
        let cursor = after.as_ref().map(|(h, r)| (h, r.as_str()));
        let rows = p.manifest_candidates(&query, cursor, SCAN_PAGE).await?;
        let Some(last) = rows.last() else { break };
        after = Some((last.asset_hash, last.receipt_id.clone()));
        consents
            .load(p, rows.iter().map(|r| r.consent_id.as_str()))
            .await?;
        for row in &rows {
            if last_included == Some(row.asset_hash) {
                continue; // this asset is in already, from an earlier contribution
            }
            let consent = consents
                .get(&row.consent_id)
                .and_then(|s| s.consent.as_ref().map(|c| (c, s.revoked)));
            // The filter narrows what is considered; it is not a reason to exclude.
            if let Some((c, _)) = consent {
                let use_ok = filter.allowed_use.is_none_or(|u| c.allows(u));
                let license_ok = filter.license.as_deref().is_none_or(|l| c.license.id == l);
                if !use_ok || !license_ok {
                    continue;
                }
            }
            let candidate = Candidate {
                route: row.route.clone(),
                consent: consent.map(|(c, _)| c.clone()),
                revoked: consent.is_some_and(|(_, r)| r),
            };
            match fairtrain_manifest::select(&candidate, terms, now) {
                Ok(()) => {
                    let Some((c, _)) = consent else { continue };
                    let record = AssetRecord {
                        content_hash: row.asset_hash,
                        size: row.size,
                        media_type: row.media_type.clone(),
                        creator: row.contributor.clone(),
                        consent_id: row.consent_id.clone(),
                        consent_hash: c.consent_hash,
                        receipt_id: row.receipt_id.clone(),
                        log_entry_hash: row.log_entry_hash,
                    };
                    let canonical = String::from_utf8(record.canonical_bytes()?)?;
                    out.leaf_hashes
                        .push(fairtrain_tlog::leaf_hash(canonical.as_bytes()));
                    pending.push(NewAsset {
                        idx: out.records,
                        record,
                        canonical,
                    });
                    out.records += 1;
                    last_included = Some(row.asset_hash);
                    if pending.len() >= WRITE_CHUNK {
                        p.insert_manifest_assets(manifest_id, &pending).await?;
                        pending.clear();
                    }
                }
                Err(reason) => out.exclude(row, reason),
            }
        }
        if rows.len() < SCAN_PAGE as usize {
            break;
        }
    }
    if !pending.is_empty() {
        p.insert_manifest_assets(manifest_id, &pending).await?;
    }
    Ok(out)
}
