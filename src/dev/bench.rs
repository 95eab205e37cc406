//! `POST /v1/dev/bench`: runs a core primitive N times inside the Worker, for
//! the benchmark command (development only). Time inside a Worker does not
//! advance while code runs, so the caller measures wall time from outside and
//! subtracts a 0-iteration call of the same shape.

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::SigningKey;
use serde::Deserialize;
use serde_json::json;
use worker::Response;

use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{body, reply};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BenchRequest {
    op: String,
    iterations: u32,
    #[serde(default)]
    bytes: usize,
}

const MAX_ITERATIONS: u32 = 1_000_000;
const MAX_BYTES: usize = 16 << 20;

pub async fn run(mut cx: Cx) -> ApiResult<Response> {
    super::require_development(&cx)?;
    let req: BenchRequest = body::json(&mut cx, body::JSON_LIMIT).await?;
    if req.iterations > MAX_ITERATIONS || req.bytes > MAX_BYTES {
        return Err(ApiError::bad_request(format!(
            "at most {MAX_ITERATIONS} iterations of {MAX_BYTES} bytes"
        )));
    }
    let key = SigningKey::from_seed(&[7u8; 32]);
    let message = [42u8; 32];
    let signature = key.sign(&message);
    let public = key.public_key();
    // A checksum of every result keeps the optimiser from skipping the work.
    let mut checksum = 0u8;
    match req.op.as_str() {
        "noop" => {}
        "sha256" => {
            let data = vec![0xa5u8; req.bytes];
            for _ in 0..req.iterations {
                checksum ^= Sha256Digest::of(&data).as_bytes()[0];
            }
        }
        "sign" => {
            for i in 0..req.iterations {
                checksum ^= key.sign(&i.to_le_bytes()).to_bytes()[0];
            }
        }
        "verify" => {
            for _ in 0..req.iterations {
                checksum ^= u8::from(public.verify(&message, &signature).is_ok());
            }
        }
        other => {
            return Err(ApiError::bad_request(format!(
                "unknown op {other:?}: noop, sha256, sign or verify"
            )))
        }
    }
    reply::ok(
        &json!({ "op": req.op, "iterations": req.iterations, "bytes": req.bytes, "checksum": checksum }),
    )
}
