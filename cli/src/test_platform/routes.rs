//! The Worker's routes that the CLI uses, each as its handler in
//! `src/http/routes/` does it: parse, authenticate and authorise through
//! `fairtrain_app::auth`, call the one use case, pick the status. Uploaded
//! bytes go to [`Storage`], which stands in for R2.

use std::collections::BTreeMap;

use fairtrain_app::auth;
use fairtrain_app::consents::{self, Grant};
use fairtrain_app::contributions::multipart;
use fairtrain_app::contributions::store::Part;
use fairtrain_app::creators::{self, RegisterRequest};
use fairtrain_app::memory::MemoryPlatform;
use fairtrain_app::usage::{self, Accepted};
use fairtrain_app::{contributions, passports, settlements};
use fairtrain_app::{Error, Kind, Result};
use fairtrain_consent::envelope::{decode_header, HEADER_NAME};
use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::{parse_digest_header, Sha256Digest};
use fairtrain_core::principal::{Principal, Role};
use fairtrain_httpsig::RequestParts;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub struct Request {
    pub method: String,
    pub target: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub struct Reply {
    pub status: u16,
    pub body: Value,
}

/// The blob storage: the parts of multipart uploads, by (multipart upload
/// id, part number); a part sent again replaces the one before.
#[derive(Default)]
pub struct Storage {
    uploads: u64,
    parts: BTreeMap<(String, u16), Vec<u8>>,
}

/// One request being handled.
struct Cx<'a> {
    p: &'a MemoryPlatform,
    req: &'a Request,
    /// The URL the client signed.
    url: &'a str,
    storage: &'a mut Storage,
    /// The Content-Digest a verified signature covered.
    signed_digest: Option<String>,
}

/// Answers `req`, sent to `url`.
pub async fn route(
    p: &MemoryPlatform,
    req: &Request,
    url: &str,
    storage: &mut Storage,
) -> Result<Reply> {
    let cx = &mut Cx {
        p,
        req,
        url,
        storage,
        signed_digest: None,
    };
    let path = req.target.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (req.method.as_str(), segments.as_slice()) {
        ("GET", [".well-known", "fairtrain", "keys"]) => {
            reply(200, &fairtrain_app::key_set::signed_key_set(p)?)
        }
        ("POST", ["v1", "creators", "challenges"]) => challenge(cx).await,
        ("POST", ["v1", "creators"]) => {
            let r: RegisterRequest = json(cx, 16 << 10)?;
            reply(201, &creators::register(p, &r).await?)
        }
        ("GET", ["v1", "creators", "me"]) => {
            let did = require_creator(cx).await?;
            reply(200, &creators::me(p, &did).await?)
        }
        ("POST", ["v1", "consents"]) => grant(cx).await,
        ("GET", ["v1", "consents", id]) => {
            let who = require(cx, &[Role::Creator, Role::Operator, Role::Auditor]).await?;
            reply(200, &consents::read(p, &who, id).await?)
        }
        ("POST", ["v1", "consents", id, "revoke"]) => {
            let creator = require_creator(cx).await?;
            let doc: Value = json(cx, 16 << 10)?;
            reply(200, &consents::revoke(p, &creator, id, &doc).await?)
        }
        ("POST", ["v1", "assets"]) => upload(cx).await,
        ("POST", ["v1", "uploads"]) => start_upload(cx).await,
        ("PUT", ["v1", "uploads", id, "parts", n]) => put_part(cx, id, n).await,
        ("POST", ["v1", "uploads", id, "complete"]) => complete(cx, id).await,
        ("DELETE", ["v1", "uploads", id]) => {
            let creator = require_creator(cx).await?;
            reply(200, &multipart::abort(p, id, &creator).await?)
        }
        ("POST", ["v1", "usage", "reports"]) => {
            let orchestrator = require(cx, &[Role::Orchestrator]).await?;
            match usage::accept(p, &orchestrator, json_bytes(cx, 8 << 20)?).await? {
                Accepted::Recorded(r) => reply(201, &r),
                Accepted::AlreadyRecorded(a) => reply(200, &a),
            }
        }
        ("GET", ["v1", "settlements", id]) => {
            let who = require(cx, CREATOR_READERS).await?;
            reply(200, &settlements::read(p, &who, id).await?)
        }
        ("GET", ["v1", "settlements", id, "creators", creator]) => {
            let who = require(cx, CREATOR_READERS).await?;
            reply(
                200,
                &settlements::creator_statement(p, &who, id, creator).await?,
            )
        }
        ("GET", ["v1", "models", model, "passport"]) => {
            require(cx, MODEL_READERS).await?;
            reply(200, &passports::passport(p, &model_id(model)?).await?)
        }
        ("GET", ["v1", "models", model, "passport", "status"]) => {
            require(cx, MODEL_READERS).await?;
            reply(200, &passports::status(p, &model_id(model)?).await?)
        }
        _ => Err(Error::not_found(path)),
    }
}

const CREATOR_READERS: &[Role] = &[Role::Operator, Role::Auditor, Role::Creator];
const MODEL_READERS: &[Role] = &[
    Role::Operator,
    Role::Auditor,
    Role::Buyer,
    Role::Orchestrator,
];

fn reply(status: u16, body: &impl Serialize) -> Result<Reply> {
    Ok(Reply {
        status,
        body: serde_json::to_value(body)?,
    })
}

// ---------------------------------------------------------------------------
// Credentials, as `src/http/auth.rs` reads them

/// Who sent the request, if anyone credibly did: a bearer token, or a
/// creator's signature (whose nonce is spent, and whose Content-Digest the
/// body must then match).
async fn authenticate(cx: &mut Cx<'_>) -> Result<Option<Principal>> {
    if let Some(value) = cx.req.header("authorization") {
        return auth::authenticate_authorization(cx.p, value)
            .await
            .map(Some);
    }
    let signed = ["signature-input", "signature"];
    if signed.iter().all(|h| cx.req.header(h).is_none()) {
        return Ok(None);
    }
    let refused = |e: fairtrain_httpsig::Error| {
        Error::new(Kind::RequestSignature, e.to_string()).with("reason", e.code())
    };
    let mut parts = RequestParts::new(&cx.req.method, cx.url).map_err(refused)?;
    for (name, value) in &cx.req.headers {
        parts.push_header(name, value.clone());
    }
    let verified = auth::authenticate_signature(cx.p, &parts, !cx.req.body.is_empty()).await?;
    cx.signed_digest = verified.content_digest;
    Ok(Some(verified.principal))
}

async fn require(cx: &mut Cx<'_>, roles: &[Role]) -> Result<Principal> {
    let principal = authenticate(cx)
        .await?
        .ok_or_else(|| Error::unauthenticated("this endpoint requires credentials"))?;
    auth::require_role(&principal, roles)?;
    Ok(principal)
}

async fn require_creator(cx: &mut Cx<'_>) -> Result<DidKey> {
    let principal = require(cx, &[Role::Creator]).await?;
    auth::require_registered_creator(cx.p, &principal).await
}

// ---------------------------------------------------------------------------
// Bodies, as `src/http/body.rs` reads them

/// A JSON body of at most `limit` bytes, matching the signed Content-Digest.
fn json_bytes<'a>(cx: &'a Cx<'_>, limit: usize) -> Result<&'a [u8]> {
    let media_type = cx.req.header("content-type").unwrap_or_default();
    let essence = media_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err(Error::new(
            Kind::UnsupportedMediaType,
            format!("this endpoint takes application/json, got {media_type:?}"),
        ));
    }
    let body = &cx.req.body;
    if body.len() > limit {
        return Err(Error::new(
            Kind::TooLarge,
            format!("the body is larger than this endpoint's limit of {limit} bytes"),
        )
        .with("limit", limit as u64));
    }
    if let Some(header) = &cx.signed_digest {
        let computed = Sha256Digest::of(body);
        fairtrain_httpsig::check_content_digest(header, &computed).map_err(|_| {
            Error::new(
                Kind::DigestMismatch,
                "the body does not match the signed Content-Digest",
            )
            .with("computed_digest", computed.to_string())
        })?;
    }
    Ok(body)
}

fn json<T: DeserializeOwned>(cx: &Cx<'_>, limit: usize) -> Result<T> {
    serde_json::from_slice(json_bytes(cx, limit)?).map_err(|e| {
        Error::new(
            Kind::MalformedBody,
            format!("the request body does not have the documented shape: {e}"),
        )
    })
}

fn content_length(cx: &Cx<'_>) -> Result<u64> {
    cx.req
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| Error::bad_request("Content-Length is required"))
}

/// The request's Content-Digest (RFC 9530, sha-256), required.
fn content_digest(cx: &Cx<'_>) -> Result<Sha256Digest> {
    let header = cx
        .req
        .header("content-digest")
        .ok_or_else(|| Error::bad_request("Content-Digest (RFC 9530, sha-256) is required"))?;
    parse_digest_header(header).map_err(|e| Error::bad_request(format!("Content-Digest: {e}")))
}

/// The model id of a path segment, percent-decoded (ids may hold `/`).
fn model_id(raw: &str) -> Result<String> {
    let decoded = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
    if fairtrain_core::fields::is_token_text(&decoded, 200) {
        return Ok(decoded.into_owned());
    }
    Err(Error::bad_request(
        "a model id is 1-200 printable ASCII characters without spaces",
    ))
}

// ---------------------------------------------------------------------------
// Creators and consents

async fn challenge(cx: &mut Cx<'_>) -> Result<Reply> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct ChallengeRequest {
        did: String,
    }
    let req: ChallengeRequest = json(cx, 4096)?;
    reply(201, &creators::challenge(cx.p, &req.did).await?)
}

async fn grant(cx: &mut Cx<'_>) -> Result<Reply> {
    let creator = require_creator(cx).await?;
    let token: Value = json(cx, 256 << 10)?;
    match consents::grant(cx.p, &creator, &token).await? {
        Grant::Recorded(g) => reply(201, &g),
        Grant::AlreadyRecorded(k) => reply(200, &k),
    }
}

// ---------------------------------------------------------------------------
// Uploads, as `src/http/routes/{assets,uploads}.rs` stream them

async fn upload(cx: &mut Cx<'_>) -> Result<Reply> {
    let creator = require_creator(cx).await?;
    let envelope = cx
        .req
        .header(&HEADER_NAME.to_ascii_lowercase())
        .ok_or_else(|| Error::bad_request("the Fairtrain-Envelope header is required"))
        .and_then(|h| {
            decode_header(h).map_err(|e| Error::bad_request(format!("Fairtrain-Envelope: {e}")))
        })?;
    let length = content_length(cx)?;
    let prepared = contributions::prepare_single(cx.p, &creator, &envelope, length).await?;
    let env = &prepared.envelope;
    let content_type = cx.req.header("content-type").unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    let checks = [
        (
            "/content_hash",
            "Content-Digest",
            content_digest(cx)? == env.content_hash,
        ),
        ("/size", "Content-Length", length == env.size),
        ("/media_type", "Content-Type", media_type == env.media_type),
    ];
    if let Some((pointer, header, _)) = checks.iter().find(|(_, _, same)| !same) {
        return Err(Error::field(
            pointer,
            format!("the envelope and the {header} header differ"),
        ));
    }
    let key = contributions::object_key(cx.p, &env.content_hash)?;
    let digest = Sha256Digest::of(&cx.req.body);
    let ingested = contributions::finish(cx.p, prepared, key, digest, length).await?;
    reply(201, &ingested.receipt)
}

async fn start_upload(cx: &mut Cx<'_>) -> Result<Reply> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct CreateRequest {
        envelope: Value,
    }
    let creator = require_creator(cx).await?;
    let req: CreateRequest = json(cx, 64 << 10)?;
    let prepared = contributions::prepare(cx.p, &creator, &req.envelope).await?;
    let key = contributions::object_key(cx.p, &prepared.envelope.content_hash)?;
    cx.storage.uploads += 1;
    let multipart_id = format!("multipart-{}", cx.storage.uploads);
    reply(
        201,
        &multipart::start(cx.p, &prepared, &key, &multipart_id).await?,
    )
}

async fn put_part(cx: &mut Cx<'_>, id: &str, number: &str) -> Result<Reply> {
    let creator = require_creator(cx).await?;
    let number: u16 = number
        .parse()
        .ok()
        .filter(|n| (1..=10_000).contains(n))
        .ok_or_else(|| Error::bad_request("the part number is 1 to 10000"))?;
    let upload = multipart::next_part(cx.p, id, &creator, number).await?;
    let length = content_length(cx)?;
    multipart::check_part_size(cx.p, &upload, number, length)?;
    let declared = content_digest(cx)?;
    let computed = Sha256Digest::of(&cx.req.body);
    let stored = (upload.multipart_id.clone(), number);
    cx.storage.parts.insert(stored, cx.req.body.clone());
    let part = Part {
        part: number,
        etag: computed.to_hex(),
        size: length,
    };
    reply(
        200,
        &multipart::record_part(cx.p, &upload, part, &computed, &declared).await?,
    )
}

async fn complete(cx: &mut Cx<'_>, id: &str) -> Result<Reply> {
    let creator = require_creator(cx).await?;
    let completion = multipart::completion(cx.p, id, &creator).await?;
    let upload = &completion.upload;
    let mut object = Vec::new();
    for part in &upload.parts {
        let stored = (upload.multipart_id.clone(), part.part);
        let bytes = cx.storage.parts.remove(&stored);
        object.extend(bytes.ok_or_else(|| Error::internal("a recorded part is not stored"))?);
    }
    multipart::assembled(cx.p, upload).await?;
    let (key, size) = (upload.object_key.clone(), object.len() as u64);
    let digest = Sha256Digest::of(&object);
    let ingested = contributions::finish(cx.p, completion.prepared, key, digest, size).await?;
    reply(201, &ingested.receipt)
}
