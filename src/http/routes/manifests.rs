//! `/v1/manifests`: the operator composes signed dataset manifests; buyers
//! with a license, the operator and auditors read them, page by page, with
//! Merkle proofs, and download assets through short-lived signed URLs that
//! check consent again at download time (`fairtrain_app::manifests`).

use fairtrain_app::manifests;
use fairtrain_core::principal::Role;
use fairtrain_manifest::ComposeRequest;
use worker::Response;

use crate::http::auth;
use crate::http::context::Cx;
use crate::http::error::ApiResult;
use crate::http::{body, reply};

const COMPOSE_LIMIT: usize = 16 << 20;

pub async fn compose(mut cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let bytes = body::json_bytes(&mut cx, COMPOSE_LIMIT).await?;
    let req: ComposeRequest = body::parse_json(&bytes)?;
    let composed = manifests::compose(&cx.rt, &req).await?;
    reply::created(
        &composed,
        &format!("/v1/manifests/{}", composed.manifest_id),
    )
}

/// The signed manifest: immutable, so a strong ETag and a year of caching
/// (private: access depends on the license).
pub async fn get(cx: Cx, id: &str) -> ApiResult<Response> {
    let reader = auth::require(&cx, manifests::READERS).await?;
    let m = manifests::read(&cx.rt, &reader, id).await?;
    let etag = format!("\"{}\"", m.manifest_hash.to_hex());
    if cx
        .header("If-None-Match")
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        let r = Response::empty()?.with_status(304);
        r.headers().set("ETag", &etag)?;
        return Ok(r);
    }
    let r = Response::ok(m.document)?;
    r.headers().set("Content-Type", "application/json")?;
    r.headers().set("ETag", &etag)?;
    r.headers()
        .set("Cache-Control", "private, max-age=31536000, immutable")?;
    Ok(r)
}

fn query(cx: &Cx, name: &str) -> Option<String> {
    cx.url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

pub async fn assets(cx: Cx, id: &str) -> ApiResult<Response> {
    let reader = auth::require(&cx, manifests::READERS).await?;
    let page = query(&cx, "page");
    let body = manifests::assets(&cx.rt, &reader, id, page.as_deref()).await?;
    reply::json(200, &body, "private, max-age=31536000, immutable")
}

pub async fn consents(cx: Cx, id: &str) -> ApiResult<Response> {
    let reader = auth::require(&cx, manifests::READERS).await?;
    let page = query(&cx, "page");
    let body = manifests::consents(&cx.rt, &reader, id, page.as_deref()).await?;
    reply::json(200, &body, "private, no-cache")
}

/// The inclusion proof of one asset's record in the manifest's tree.
pub async fn proof(cx: Cx, id: &str, hash: &str) -> ApiResult<Response> {
    let reader = auth::require(&cx, manifests::READERS).await?;
    reply::ok(&manifests::proof(&cx.rt, &reader, id, hash).await?)
}

/// "Is this manifest still clean?": a platform-signed status statement.
pub async fn status(cx: Cx, id: &str) -> ApiResult<Response> {
    let reader = auth::require(&cx, manifests::READERS).await?;
    reply::ok(&manifests::status(&cx.rt, &reader, id).await?)
}

/// A short-lived signed URL for one asset, after checking the license and,
/// now, the asset's consent.
pub async fn download(cx: Cx, id: &str, hash: &str) -> ApiResult<Response> {
    let reader = auth::require(&cx, manifests::READERS).await?;
    let origin = cx.url.origin().ascii_serialization();
    reply::ok(&manifests::download_url(&cx.rt, &reader, id, hash, &origin).await?)
}
