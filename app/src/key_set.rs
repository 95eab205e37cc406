//! The platform's published key set (`/.well-known/fairtrain/keys`): every
//! key with its validity window, so anyone can verify what the platform
//! signs.
//!
//! The document carries a Data Integrity proof set (eddsa-jcs-2022), one
//! proof per key the platform holds, which proves possession of every listed
//! key that still signs and binds the list to its keys: a verifier needs
//! nothing else.

use fairtrain_core::data_integrity::{self, ProofOptions};
use fairtrain_core::did_key::DidKey;
use fairtrain_webhooks::secret::WebhookSigningKey;
use serde_json::{json, Value};

use crate::error::Result;
use crate::platform::{Clock, Config};

/// The key set, signed now by every key the platform holds.
pub fn signed_key_set(p: &(impl Config + Clock)) -> Result<Value> {
    let ring = p.keys()?;
    let mut signed = json!({
        "issuer": ring.active().controller,
        "active": ring.active().kid,
        "keys": ring.keys,
        // Standard Webhooks `v1a`: the active key, as the spec's `whpk_` text.
        "webhooks": { "v1a_public_key": WebhookSigningKey::from_seed(&ring.active_signer().seed()).public_key().encode() },
    });
    for (_, signer) in ring.signers() {
        let did = DidKey::from_public_key(signer.public_key());
        signed = data_integrity::sign(&signed, ProofOptions::assertion(&did, p.now()), signer)?;
    }
    Ok(signed)
}
