//! `GET /.well-known/fairtrain/keys`: the platform's public keys with their
//! validity windows, so anyone can verify what the platform signs.
//!
//! The document carries a Data Integrity proof set (eddsa-jcs-2022), one proof
//! per key the platform holds, which proves possession of every listed key that
//! still signs and binds the list to its keys: a verifier needs nothing else.

use fairtrain_core::data_integrity::{self, ProofOptions};
use fairtrain_core::did_key::DidKey;
use fairtrain_webhooks::secret::WebhookSigningKey;
use serde_json::json;
use worker::Response;

use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::http::reply;
use crate::runtime::keys;

pub async fn get(cx: Cx) -> ApiResult<Response> {
    let ring = keys::load(&cx.env)?;
    let document = json!({
        "issuer": ring.active().controller,
        "active": ring.active().kid,
        "keys": ring.keys,
        // Standard Webhooks `v1a`: the active key, as the spec's `whpk_` text.
        "webhooks": { "v1a_public_key": WebhookSigningKey::from_seed(&ring.active_signer().seed()).public_key().encode() },
    });
    let mut signed = document;
    for (_, signer) in ring.signers() {
        let did = DidKey::from_public_key(signer.public_key());
        signed = data_integrity::sign(&signed, ProofOptions::assertion(&did, cx.now()), signer)
            .map_err(ApiError::internal)?;
    }
    reply::json(200, &signed, "public, max-age=300")
}
