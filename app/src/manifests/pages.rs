//! A manifest page by page: its asset records with each page's proof, its
//! consent tokens, and one asset's inclusion proof.

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::principal::Principal;
use fairtrain_manifest::api::CONSENTS_PAGE_SIZE;
use fairtrain_manifest::{AssetProof, AssetsPage, ConsentsPage, PAGE_SIZE};
use serde_json::Value;

use super::access::{bad_hash, bad_page, require_reader};
use crate::error::{Error, Result};
use crate::platform::Platform;

/// Consent tokens per page of a manifest's consents.
const CONSENT_PAGE: u64 = CONSENTS_PAGE_SIZE as u64;

/// Page `page` (absent: the first) of the manifest's asset records, with
/// the page's proof against the signed root.
pub async fn assets(
    p: &impl Platform,
    reader: &Principal,
    id: &str,
    page: Option<&str>,
) -> Result<AssetsPage> {
    let m = require_reader(p, reader, id).await?;
    let page = page
        .map(str::parse::<u64>)
        .transpose()
        .map_err(bad_page)?
        .unwrap_or(0);
    let page_count = m.page_roots.len() as u64;
    if page >= page_count {
        return Err(Error::not_found(&format!(
            "/v1/manifests/{id}/assets?page={page} (there are {page_count} pages)"
        )));
    }
    let start = page * PAGE_SIZE;
    let assets = p.manifest_assets(id, start, start + PAGE_SIZE).await?;
    let page_proof = fairtrain_manifest::page_proof(&m.page_roots, page)?;
    Ok(AssetsPage {
        page,
        page_count,
        asset_count: m.asset_count,
        assets,
        page_proof,
        assets_root: m.assets_root,
    })
}

/// Page `page` (absent: the first) of the distinct consent tokens the
/// manifest's assets use.
pub async fn consents(
    p: &impl Platform,
    reader: &Principal,
    id: &str,
    page: Option<&str>,
) -> Result<ConsentsPage> {
    require_reader(p, reader, id).await?;
    let page = page
        .map(str::parse::<u64>)
        .transpose()
        .map_err(bad_page)?
        .unwrap_or(0);
    let total = p.manifest_consent_count(id).await?;
    let tokens = p
        .manifest_consent_tokens(id, page.saturating_mul(CONSENT_PAGE), CONSENT_PAGE)
        .await?;
    let consents = tokens
        .iter()
        .map(|t| serde_json::from_str::<Value>(t))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ConsentsPage {
        consents,
        page,
        page_count: total.div_ceil(CONSENT_PAGE),
    })
}

/// The inclusion proof of one asset's record in the manifest's tree.
pub async fn proof(
    p: &impl Platform,
    reader: &Principal,
    id: &str,
    hash: &str,
) -> Result<AssetProof> {
    let m = require_reader(p, reader, id).await?;
    let hash: Sha256Digest = hash.parse().map_err(bad_hash)?;
    let index = p
        .manifest_asset_index(id, &hash)
        .await?
        .ok_or_else(|| Error::not_found(&format!("{hash} in manifest {id}")))?;
    let page = index / PAGE_SIZE;
    let start = page * PAGE_SIZE;
    let records = p.manifest_assets(id, start, start + PAGE_SIZE).await?;
    let leaves = fairtrain_manifest::record::leaf_hashes(&records)?;
    let in_page = index % PAGE_SIZE;
    let proof = fairtrain_manifest::asset_proof(&leaves, in_page, &m.page_roots, page)?;
    let record = records
        .get(in_page as usize)
        .cloned()
        .ok_or_else(|| Error::internal("asset index outside its page"))?;
    Ok(AssetProof {
        index,
        asset_count: m.asset_count,
        record,
        proof,
        assets_root: m.assets_root,
    })
}
