//! `/v1/manifests`: the operator composes signed dataset manifests; buyers
//! with a licence, the operator and auditors read them, page by page, with
//! Merkle proofs, and download assets through short-lived signed URLs that
//! check consent again at download time.

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::encoding::base64url_encode;
use fairtrain_core::principal::Role;
use fairtrain_core::problem::ProblemType;
use fairtrain_core::time::Timestamp;

use fairtrain_manifest::{
    Activity, AssetProof, AssetRecord, AssetsPage, ComposeRequest, ConsentsPage, DatasetTerms,
    ManifestFields, RevokedAsset, StatusFields, PAGE_SIZE,
};
use fairtrain_tlog::Hash;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::Response;

use crate::http::auth;
use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::http::routes::log;
use crate::http::{body, reply};
use crate::manifests::access::require_reader;
use crate::manifests::compose;
use crate::runtime::keys;

/// How long a signed download URL lives.
const DOWNLOAD_TTL_S: u64 = 300;
/// Consent tokens per page of `/consents`.
const CONSENT_PAGE: u64 = fairtrain_manifest::api::CONSENTS_PAGE_SIZE as u64;

fn urn() -> String {
    format!("urn:uuid:{}", uuid::Uuid::new_v4())
}

pub async fn compose(mut cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let bytes = body::json_bytes(&mut cx, 16 << 20).await?;
    let req: ComposeRequest = body::parse_json(&bytes)?;
    req.check()
        .map_err(|e| ApiError::new(ProblemType::ValidationFailed, e.to_string()))?;
    let started = cx.now();
    let ring = keys::load(&cx.env)?;
    let signer = ring.active_signer();
    let (manifest_id, snapshot_id) = (urn(), urn());
    let terms = DatasetTerms {
        allowed_uses: req.usage_policy.allowed_uses.clone(),
        commercial: req.usage_policy.commercial,
        data_residency: req.data_residency.clone(),
    };
    let filter = req.filter.clone().unwrap_or_default();
    let composed =
        compose::compose(&cx, &manifest_id, &terms, &filter, req.assets.as_deref()).await?;
    if composed.records == 0 {
        return Err(ApiError::new(
            ProblemType::ValidationFailed,
            "no asset qualifies for this dataset",
        )
        .with("excluded", Value::Array(composed.excluded))
        .with(
            "excluded_by_reason",
            serde_json::to_value(&composed.excluded_by_reason).unwrap_or_default(),
        ));
    }
    let page_roots = fairtrain_manifest::page_roots(&composed.leaf_hashes);
    let root = fairtrain_manifest::root_from_page_roots(&page_roots);
    let fields = ManifestFields {
        manifest_id: manifest_id.clone(),
        snapshot_id: snapshot_id.clone(),
        name: req.name.clone(),
        created_by: fairtrain_manifest::credential::CREATED_BY_OPERATOR.into(),
        created_at: started,
        license: req.license.clone(),
        usage_policy: req.usage_policy.clone(),
        data_residency: req.data_residency.clone(),
        asset_count: composed.records as u64,
        assets_root: root,
        activity: Activity {
            id: urn(),
            started_at: started,
            ended_at: cx.now(),
        },
    };
    let event = fields.clone();
    let signed =
        fairtrain_manifest::sign_manifest(fields, signer, cx.now()).map_err(ApiError::internal)?;
    let canonical = fairtrain_core::jcs::canonicalize(&signed).map_err(ApiError::internal)?;
    let manifest_hash = Sha256Digest::of(canonical.as_bytes());
    let entry = fairtrain_consent::log_event::entry(event.published_event(manifest_hash, cx.now()))
        .map_err(ApiError::internal)?;
    let entry_hash = entry.hash;
    log::append(&cx, vec![entry]).await?;
    let roots: Vec<String> = page_roots.iter().map(Hash::to_base64).collect();
    // The manifest row goes last: until it exists, its asset rows are invisible.
    cx.db()?
        .prepare(
            "INSERT INTO manifests (id, snapshot_id, name, document, manifest_hash, assets_root, asset_count, page_roots, created_at, log_entry_hash) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .bind(&[
            manifest_id.as_str().into(),
            snapshot_id.as_str().into(),
            req.name.as_str().into(),
            canonical.as_str().into(),
            manifest_hash.to_string().into(),
            root.to_base64().into(),
            (composed.records as f64).into(),
            serde_json::to_string(&roots).map_err(ApiError::internal)?.into(),
            cx.now().format_rfc3339().into(),
            entry_hash.to_string().into(),
        ])?
        .run()
        .await?;
    let body = json!({
        "manifest_id": manifest_id,
        "snapshot_id": snapshot_id,
        "asset_count": composed.records,
        "assets_root": root.to_base64(),
        "manifest_hash": manifest_hash.to_string(),
        "log_entry_hash": entry_hash.to_string(),
        "excluded": composed.excluded,
        "excluded_by_reason": composed.excluded_by_reason,
    });
    reply::created(&body, &format!("/v1/manifests/{manifest_id}"))
}

#[derive(Deserialize)]
struct ManifestRow {
    document: String,
    manifest_hash: String,
    assets_root: String,
    asset_count: u64,
    page_roots: String,
    status: String,
}

async fn load(cx: &Cx, id: &str) -> ApiResult<ManifestRow> {
    let row: Option<ManifestRow> = cx
        .db()?
        .prepare("SELECT document, manifest_hash, assets_root, asset_count, page_roots, status FROM manifests WHERE id = ?1")
        .bind(&[id.into()])?
        .first(None)
        .await?;
    row.ok_or_else(|| ApiError::not_found(&format!("/v1/manifests/{id}")))
}

fn roots(row: &ManifestRow) -> ApiResult<Vec<Hash>> {
    let list: Vec<String> = serde_json::from_str(&row.page_roots).map_err(ApiError::internal)?;
    list.iter()
        .map(|r| Hash::from_base64(r).map_err(ApiError::internal))
        .collect()
}

/// The signed manifest: immutable, so a strong ETag and a year of caching
/// (private: access depends on the licence).
pub async fn get(cx: Cx, id: &str) -> ApiResult<Response> {
    require_reader(&cx, id).await?;
    let row = load(&cx, id).await?;
    let etag = format!("\"{}\"", row.manifest_hash.trim_start_matches("sha256:"));
    if cx
        .header("If-None-Match")
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        let r = Response::empty()?.with_status(304);
        r.headers().set("ETag", &etag)?;
        return Ok(r);
    }
    let r = Response::ok(row.document)?;
    r.headers().set("Content-Type", "application/json")?;
    r.headers().set("ETag", &etag)?;
    r.headers()
        .set("Cache-Control", "private, max-age=31536000, immutable")?;
    Ok(r)
}

fn page_param(cx: &Cx) -> ApiResult<u64> {
    match cx.url.query_pairs().find(|(k, _)| k == "page") {
        None => Ok(0),
        Some((_, v)) => v
            .parse()
            .map_err(|_| ApiError::bad_request("`page` must be a non-negative integer")),
    }
}

pub async fn assets(cx: Cx, id: &str) -> ApiResult<Response> {
    require_reader(&cx, id).await?;
    let row = load(&cx, id).await?;
    let page = page_param(&cx)?;
    let page_roots = roots(&row)?;
    let page_count = page_roots.len() as u64;
    if page >= page_count {
        return Err(ApiError::not_found(&format!(
            "/v1/manifests/{id}/assets?page={page} (there are {page_count} pages)"
        )));
    }
    let assets = page_records(&cx, id, page * PAGE_SIZE).await?;
    let page_proof =
        fairtrain_manifest::page_proof(&page_roots, page).map_err(ApiError::internal)?;
    let assets_root = Hash::from_base64(&row.assets_root).map_err(ApiError::internal)?;
    let body = AssetsPage {
        page,
        page_count,
        asset_count: row.asset_count,
        assets,
        page_proof,
        assets_root,
    };
    reply::json(200, &body, "private, max-age=31536000, immutable")
}

async fn page_records(cx: &Cx, id: &str, start: u64) -> ApiResult<Vec<AssetRecord>> {
    #[derive(Deserialize)]
    struct R {
        record: String,
    }
    let rows: Vec<R> = cx
        .db()?
        .prepare("SELECT record FROM manifest_assets WHERE manifest_id = ?1 AND idx >= ?2 AND idx < ?3 ORDER BY idx")
        .bind(&[id.into(), (start as f64).into(), ((start + PAGE_SIZE) as f64).into()])?
        .all()
        .await?
        .results()?;
    rows.iter()
        .map(|r| serde_json::from_str(&r.record).map_err(ApiError::internal))
        .collect()
}

pub async fn consents(cx: Cx, id: &str) -> ApiResult<Response> {
    require_reader(&cx, id).await?;
    load(&cx, id).await?;
    let page = page_param(&cx)?;
    #[derive(Deserialize)]
    struct Count {
        n: u64,
    }
    let db = cx.db()?;
    let total: Option<Count> = db
        .prepare(
            "SELECT COUNT(DISTINCT consent_id) AS n FROM manifest_assets WHERE manifest_id = ?1",
        )
        .bind(&[id.into()])?
        .first(None)
        .await?;
    let total = total.map(|c| c.n).unwrap_or(0);
    #[derive(Deserialize)]
    struct T {
        token: String,
    }
    let rows: Vec<T> = db
        .prepare(
            "SELECT k.token FROM consents k WHERE k.id IN (SELECT DISTINCT consent_id FROM manifest_assets WHERE manifest_id = ?1) \
             ORDER BY k.id LIMIT ?2 OFFSET ?3",
        )
        .bind(&[id.into(), (CONSENT_PAGE as f64).into(), ((page * CONSENT_PAGE) as f64).into()])?
        .all()
        .await?
        .results()?;
    let consents = rows
        .iter()
        .map(|r| serde_json::from_str(&r.token).map_err(ApiError::internal))
        .collect::<ApiResult<Vec<Value>>>()?;
    reply::json(
        200,
        &ConsentsPage {
            consents,
            page,
            page_count: total.div_ceil(CONSENT_PAGE),
        },
        "private, no-cache",
    )
}

async fn index_of(cx: &Cx, id: &str, hash: &Sha256Digest) -> ApiResult<u64> {
    #[derive(Deserialize)]
    struct I {
        idx: u64,
    }
    let found: Option<I> = cx
        .db()?
        .prepare("SELECT idx FROM manifest_assets WHERE content_hash = ?1 AND manifest_id = ?2")
        .bind(&[hash.to_string().into(), id.into()])?
        .first(None)
        .await?;
    found
        .map(|i| i.idx)
        .ok_or_else(|| ApiError::not_found(&format!("{hash} in manifest {id}")))
}

/// The inclusion proof of one asset's record in the manifest's tree.
pub async fn proof(cx: Cx, id: &str, hash: &str) -> ApiResult<Response> {
    require_reader(&cx, id).await?;
    let hash: Sha256Digest = hash
        .parse()
        .map_err(|e| ApiError::bad_request(format!("asset hash: {e}")))?;
    let row = load(&cx, id).await?;
    let index = index_of(&cx, id, &hash).await?;
    let page = index / PAGE_SIZE;
    let records = page_records(&cx, id, page * PAGE_SIZE).await?;
    let leaves = fairtrain_manifest::record::leaf_hashes(&records).map_err(ApiError::internal)?;
    let in_page = index % PAGE_SIZE;
    let proof = fairtrain_manifest::asset_proof(&leaves, in_page, &roots(&row)?, page)
        .map_err(ApiError::internal)?;
    let record = records
        .get(in_page as usize)
        .cloned()
        .ok_or_else(|| ApiError::internal("asset index outside its page"))?;
    let assets_root = Hash::from_base64(&row.assets_root).map_err(ApiError::internal)?;
    reply::ok(&AssetProof {
        index,
        asset_count: row.asset_count,
        record,
        proof,
        assets_root,
    })
}

#[derive(Deserialize)]
struct Flag {
    content_hash: String,
    consent_id: String,
    revoked_at: String,
}

/// "Is this manifest still clean?" — a platform-signed status statement.
pub async fn status(cx: Cx, id: &str) -> ApiResult<Response> {
    require_reader(&cx, id).await?;
    let row = load(&cx, id).await?;
    let flags: Vec<Flag> = cx
        .db()?
        .prepare("SELECT content_hash, consent_id, revoked_at FROM manifest_flags WHERE manifest_id = ?1 ORDER BY content_hash LIMIT 10000")
        .bind(&[id.into()])?
        .all()
        .await?
        .results()?;
    let revoked_assets = flags
        .iter()
        .map(|f| {
            Ok(RevokedAsset {
                content_hash: f.content_hash.parse().map_err(ApiError::internal)?,
                consent_id: f.consent_id.clone(),
                revoked_at: Timestamp::parse_rfc3339(&f.revoked_at).map_err(ApiError::internal)?,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let ring = keys::load(&cx.env)?;
    let fields = StatusFields {
        manifest_id: id.to_string(),
        revoked_assets,
        as_of: cx.now(),
    };
    let signed = fairtrain_manifest::sign_status(fields, ring.active_signer(), cx.now())
        .map_err(ApiError::internal)?;
    let _ = row.status;
    reply::json(200, &signed, "no-store")
}

/// The consent behind an asset of a manifest, as it stands now.
pub async fn consent_now_valid(
    cx: &Cx,
    manifest_id: &str,
    hash: &Sha256Digest,
) -> ApiResult<Result<(), &'static str>> {
    #[derive(Deserialize)]
    struct C {
        token: String,
        revoked_at: Option<String>,
    }
    let row: Option<C> = cx
        .db()?
        .prepare(
            "SELECT k.token, k.revoked_at FROM manifest_assets a JOIN consents k ON k.id = a.consent_id \
             WHERE a.content_hash = ?1 AND a.manifest_id = ?2",
        )
        .bind(&[hash.to_string().into(), manifest_id.into()])?
        .first(None)
        .await?;
    let row =
        row.ok_or_else(|| ApiError::not_found(&format!("{hash} in manifest {manifest_id}")))?;
    if row.revoked_at.is_some() {
        return Ok(Err("consent_revoked"));
    }
    let token: Value = serde_json::from_str(&row.token).map_err(ApiError::internal)?;
    Ok(fairtrain_consent::consent::verify_consent(&token, cx.now())
        .map(|_| ())
        .map_err(|_| "consent_expired"))
}

/// A short-lived signed URL for one asset, after checking the licence and,
/// now, the asset's consent.
pub async fn download(cx: Cx, id: &str, hash: &str) -> ApiResult<Response> {
    let principal = require_reader(&cx, id).await?;
    let hash: Sha256Digest = hash
        .parse()
        .map_err(|e| ApiError::bad_request(format!("asset hash: {e}")))?;
    if let Err(reason) = consent_now_valid(&cx, id, &hash).await? {
        return Err(ApiError::new(ProblemType::Gone, "the creator's consent for this asset no longer holds; it is not served, even under this manifest")
            .with("reason", reason)
            .with("content_hash", hash.to_string()));
    }
    let exp = cx.now_ms / 1000 + DOWNLOAD_TTL_S;
    let ring = keys::load(&cx.env)?;
    let message = download_message(&hash, id, &principal.id, exp);
    let sig = base64url_encode(&ring.active_signer().sign(message.as_bytes()).to_bytes());
    let query: String = url_encode(&[
        ("m", id),
        ("b", &principal.id),
        ("exp", &exp.to_string()),
        ("sig", &sig),
    ]);
    let url = format!(
        "{}/v1/blobs/{hash}?{query}",
        cx.url.origin().ascii_serialization()
    );
    let expires_at = cx
        .now()
        .checked_add_seconds(DOWNLOAD_TTL_S as i64)
        .map(|t| t.format_rfc3339());
    reply::ok(&json!({ "url": url, "expires_at": expires_at, "content_hash": hash.to_string() }))
}

pub fn download_message(hash: &Sha256Digest, manifest_id: &str, buyer: &str, exp: u64) -> String {
    format!("fairtrain download\n{hash}\n{manifest_id}\n{buyer}\n{exp}")
}

fn url_encode(pairs: &[(&str, &str)]) -> String {
    worker::url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter())
        .finish()
}
