//! Consent tokens and contribution envelopes for tests: one builder each,
//! with valid defaults and a setter per field, so every test (this crate's,
//! its users' with the `test-support` feature, the integration harness) makes
//! them the same way. Panics on misuse: test code only.

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::fields::{urn_uuid_v4, Price};
use fairtrain_core::time::Timestamp;
use serde_json::Value;

use crate::consent::{
    verify_consent_document, ConsentToken, Jurisdiction, License, Scope, Use, VerifiedConsent,
};
use crate::envelope::{sign_envelope, EnvelopeFields};

fn t(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).expect("a fixture timestamp")
}

/// The default consent's id.
pub fn default_consent_id() -> String {
    urn_uuid_v4([1; 16])
}

/// A consent token. Defaults: [`default_consent_id`], valid through 2026,
/// one asset (the bytes `a`), AI training and data mining, commercial,
/// public posts, US, policy v2025.11, CC-BY-4.0, 0.0005 USD per use.
#[derive(Debug, Clone)]
pub struct ConsentBuilder {
    token: ConsentToken,
}

impl Default for ConsentBuilder {
    fn default() -> Self {
        ConsentBuilder {
            token: ConsentToken {
                id: default_consent_id(),
                valid_from: t("2026-01-01T00:00:00Z"),
                valid_until: t("2027-01-01T00:00:00Z"),
                asset_hashes: vec![Sha256Digest::of(b"a")],
                allowed_uses: vec![Use::AiTraining, Use::DataMining],
                commercial: true,
                scopes: vec![Scope::PublicPosts],
                jurisdiction: Jurisdiction::Us,
                policy_version: "v2025.11".into(),
                license: License {
                    id: "CC-BY-4.0".into(),
                    terms: None,
                },
                price: Price {
                    currency: "USD".into(),
                    minor_units: 2,
                    per_use: "0.0005".into(),
                },
            },
        }
    }
}

impl ConsentBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.token.id = id.into();
        self
    }

    pub fn valid(mut self, from: Timestamp, until: Timestamp) -> Self {
        self.token.valid_from = from;
        self.token.valid_until = until;
        self
    }

    pub fn valid_until(mut self, until: Timestamp) -> Self {
        self.token.valid_until = until;
        self
    }

    pub fn assets(mut self, hashes: Vec<Sha256Digest>) -> Self {
        self.token.asset_hashes = hashes;
        self
    }

    pub fn uses(mut self, uses: Vec<Use>) -> Self {
        self.token.allowed_uses = uses;
        self
    }

    pub fn commercial(mut self, commercial: bool) -> Self {
        self.token.commercial = commercial;
        self
    }

    pub fn scopes(mut self, scopes: Vec<Scope>) -> Self {
        self.token.scopes = scopes;
        self
    }

    pub fn jurisdiction(mut self, jurisdiction: Jurisdiction) -> Self {
        self.token.jurisdiction = jurisdiction;
        self
    }

    pub fn policy_version(mut self, version: impl Into<String>) -> Self {
        self.token.policy_version = version.into();
        self
    }

    pub fn license(mut self, license: License) -> Self {
        self.token.license = license;
        self
    }

    pub fn price(mut self, price: Price) -> Self {
        self.token.price = price;
        self
    }

    /// The unsigned token, to edit further or to sign expecting an error.
    pub fn token(&self) -> ConsentToken {
        self.token.clone()
    }

    /// The token signed by `key` (proof `created` = `now`).
    pub fn sign(&self, key: &SigningKey, now: Timestamp) -> Value {
        self.token.sign(key, now).expect("signing a test consent")
    }

    /// The token signed by `key` at its `validFrom`, as a verifier reads it.
    pub fn verified(&self, key: &SigningKey) -> VerifiedConsent {
        verify_consent_document(&self.sign(key, self.token.valid_from))
            .expect("a valid test consent")
    }
}

/// A contribution envelope. Defaults: the bytes `a` (as the default consent
/// covers), under [`default_consent_id`], CC-BY-4.0, `image/png`, public
/// posts, at 2026-02-01T10:00:00Z.
#[derive(Debug, Clone)]
pub struct EnvelopeBuilder {
    fields: EnvelopeFields,
}

impl Default for EnvelopeBuilder {
    fn default() -> Self {
        EnvelopeBuilder {
            fields: EnvelopeFields {
                content_hash: Sha256Digest::of(b"a"),
                consent_id: default_consent_id(),
                license: "CC-BY-4.0".into(),
                media_type: "image/png".into(),
                scope: Scope::PublicPosts,
                size: 1,
                timestamp: t("2026-02-01T10:00:00Z"),
            },
        }
    }
}

impl EnvelopeBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Content hash and size of `bytes`.
    pub fn bytes(self, bytes: &[u8]) -> Self {
        self.content(Sha256Digest::of(bytes), bytes.len() as u64)
    }

    pub fn content(mut self, content_hash: Sha256Digest, size: u64) -> Self {
        self.fields.content_hash = content_hash;
        self.fields.size = size;
        self
    }

    pub fn consent_id(mut self, id: impl Into<String>) -> Self {
        self.fields.consent_id = id.into();
        self
    }

    pub fn license(mut self, license: impl Into<String>) -> Self {
        self.fields.license = license.into();
        self
    }

    pub fn media_type(mut self, media_type: impl Into<String>) -> Self {
        self.fields.media_type = media_type.into();
        self
    }

    pub fn scope(mut self, scope: Scope) -> Self {
        self.fields.scope = scope;
        self
    }

    pub fn timestamp(mut self, timestamp: Timestamp) -> Self {
        self.fields.timestamp = timestamp;
        self
    }

    /// The fields, to edit further or to sign expecting an error.
    pub fn fields(&self) -> EnvelopeFields {
        self.fields.clone()
    }

    /// The envelope signed by `key`.
    pub fn sign(&self, key: &SigningKey) -> Value {
        sign_envelope(&self.fields, key).expect("signing a test envelope")
    }
}
