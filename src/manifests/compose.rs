//! Composing a manifest: walk the candidate contributions in pages (never
//! the whole table in memory, never past D1's statement and query limits),
//! keep the first qualifying contribution of each asset, build the Merkle
//! tree over the asset records, sign, and store the assets in bulk with one
//! JSON parameter per few thousand rows.

use std::collections::BTreeMap;

use fairtrain_core::digest::Sha256Digest;
use fairtrain_manifest::{AssetRecord, Candidate, ComposeFilter, DatasetTerms, Exclusion};
use fairtrain_tlog::Hash;
use serde::Deserialize;
use serde_json::{json, Value};
use wasm_bindgen::JsValue;

use crate::gateway::consents;
use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};

/// Contributions read per query.
const SCAN_PAGE: usize = 2000;
/// Asset rows written per statement (one JSON parameter, well under 2 MB).
const WRITE_CHUNK: usize = 2000;
/// Exclusions listed in the answer; the rest are counted by reason.
const MAX_LISTED_EXCLUSIONS: usize = 1000;

#[derive(Deserialize)]
struct Row {
    receipt_id: String,
    asset_hash: String,
    contributor: String,
    consent_id: String,
    route: String,
    media_type: String,
    size: u64,
    log_entry_hash: String,
}

pub struct Composed {
    pub records: usize,
    pub leaf_hashes: Vec<Hash>,
    pub excluded: Vec<Value>,
    pub excluded_by_reason: BTreeMap<&'static str, u64>,
}

/// Select the assets and write their records under `manifest_id`.
pub async fn compose(
    cx: &Cx,
    manifest_id: &str,
    terms: &DatasetTerms,
    filter: &ComposeFilter,
    explicit: Option<&[Sha256Digest]>,
) -> ApiResult<Composed> {
    let db = cx.db()?;
    let mut consents = consents::Cache::default();
    let mut out = Composed {
        records: 0,
        leaf_hashes: Vec::new(),
        excluded: Vec::new(),
        excluded_by_reason: BTreeMap::new(),
    };
    let mut pending: Vec<Value> = Vec::new();
    let mut last_included: Option<String> = None;
    let (mut after_hash, mut after_receipt) = (String::new(), String::new());
    let explicit_json = explicit
        .map(|e| serde_json::to_string(&e.iter().map(ToString::to_string).collect::<Vec<_>>()))
        .transpose()
        .map_err(ApiError::internal)?;
    loop {
        let mut sql = String::from(
            "SELECT c.receipt_id, c.asset_hash, c.contributor, c.consent_id, c.route, c.media_type, c.size, c.log_entry_hash \
             FROM contributions c JOIN consents k ON k.id = c.consent_id WHERE (c.asset_hash, c.receipt_id) > (?1, ?2)",
        );
        let mut binds: Vec<JsValue> =
            vec![after_hash.as_str().into(), after_receipt.as_str().into()];
        let add = |clause: &str, value: &str, sql: &mut String, binds: &mut Vec<JsValue>| {
            binds.push(value.into());
            sql.push_str(&format!(" AND {clause} ?{}", binds.len()));
        };
        if let Some(v) = &filter.creator {
            add("c.contributor =", &v.to_string(), &mut sql, &mut binds);
        }
        if let Some(v) = &filter.media_type {
            add("c.media_type =", v, &mut sql, &mut binds);
        }
        if let Some(v) = &filter.jurisdiction {
            add("k.jurisdiction =", v.as_str(), &mut sql, &mut binds);
        }
        if let Some(list) = &explicit_json {
            binds.push(list.as_str().into());
            sql.push_str(&format!(
                " AND c.asset_hash IN (SELECT value FROM json_each(?{}))",
                binds.len()
            ));
        }
        sql.push_str(&format!(
            " ORDER BY c.asset_hash, c.receipt_id LIMIT {SCAN_PAGE}"
        ));
        let rows: Vec<Row> = db.prepare(sql).bind(&binds)?.all().await?.results()?;
        let Some(last) = rows.last() else { break };
        (after_hash, after_receipt) = (last.asset_hash.clone(), last.receipt_id.clone());
        consents::load(
            cx,
            rows.iter().map(|r| r.consent_id.as_str()),
            &mut consents,
        )
        .await?;
        for row in &rows {
            if last_included.as_deref() == Some(row.asset_hash.as_str()) {
                continue; // this asset is in already, from an earlier contribution
            }
            let consent = consents
                .get(&row.consent_id)
                .and_then(|s| s.consent.as_ref().map(|c| (c, s.revoked)));
            // The filter narrows what is considered; it is not a reason to exclude.
            if let Some((c, _)) = consent {
                let use_ok = filter.allowed_use.is_none_or(|u| c.allows(u));
                let licence_ok = filter.license.as_deref().is_none_or(|l| c.license.id == l);
                if !use_ok || !licence_ok {
                    continue;
                }
            }
            let candidate = Candidate {
                route: row.route.clone(),
                consent: consent.map(|(c, _)| c.clone()),
                revoked: consent.is_some_and(|(_, r)| r),
            };
            match fairtrain_manifest::select(&candidate, terms, cx.now()) {
                Ok(()) => {
                    let Some((c, _)) = consent else { continue };
                    let record = AssetRecord {
                        content_hash: row.asset_hash.parse().map_err(ApiError::internal)?,
                        size: row.size,
                        media_type: row.media_type.clone(),
                        creator: row.contributor.parse().map_err(ApiError::internal)?,
                        consent_id: row.consent_id.clone(),
                        consent_hash: c.consent_hash,
                        receipt_id: row.receipt_id.clone(),
                        log_entry_hash: row.log_entry_hash.parse().map_err(ApiError::internal)?,
                    };
                    let canonical = record.canonical_bytes().map_err(ApiError::internal)?;
                    out.leaf_hashes.push(fairtrain_tlog::leaf_hash(&canonical));
                    let canonical = String::from_utf8(canonical).map_err(ApiError::internal)?;
                    pending.push(json!({ "i": out.records, "h": row.asset_hash, "c": row.contributor, "k": row.consent_id, "r": canonical }));
                    out.records += 1;
                    last_included = Some(row.asset_hash.clone());
                    if pending.len() >= WRITE_CHUNK {
                        write(cx, manifest_id, &mut pending).await?;
                    }
                }
                Err(reason) => exclude(&mut out, row, reason),
            }
        }
        if rows.len() < SCAN_PAGE {
            break;
        }
    }
    write(cx, manifest_id, &mut pending).await?;
    Ok(out)
}

fn exclude(out: &mut Composed, row: &Row, reason: Exclusion) {
    *out.excluded_by_reason.entry(reason.as_str()).or_default() += 1;
    if out.excluded.len() < MAX_LISTED_EXCLUSIONS {
        out.excluded.push(json!({ "content_hash": row.asset_hash, "receipt_id": row.receipt_id, "reason": reason.as_str() }));
    }
}

async fn write(cx: &Cx, manifest_id: &str, pending: &mut Vec<Value>) -> ApiResult<()> {
    if pending.is_empty() {
        return Ok(());
    }
    let rows = serde_json::to_string(&pending).map_err(ApiError::internal)?;
    cx.db()?
        .prepare(
            "INSERT INTO manifest_assets (manifest_id, idx, content_hash, creator, consent_id, record) \
             SELECT ?1, json_extract(j.value, '$.i'), json_extract(j.value, '$.h'), json_extract(j.value, '$.c'), \
                    json_extract(j.value, '$.k'), json_extract(j.value, '$.r') FROM json_each(?2) AS j",
        )
        .bind(&[manifest_id.into(), rows.as_str().into()])?
        .run()
        .await?;
    pending.clear();
    Ok(())
}
