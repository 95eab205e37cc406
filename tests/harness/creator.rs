//! A creator as tests drive one: a did:key, registration, signed requests,
//! consent tokens, envelopes and uploads, all made with the project's own
//! crates (the same code the CLI uses; tokens and envelopes with the consent
//! crate's fixture builders).

use fairtrain_consent::consent::sign_revocation;
use fairtrain_consent::envelope::encode_header;
use fairtrain_consent::fixture::{ConsentBuilder, EnvelopeBuilder};
use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::{format_digest_header, Sha256Digest};
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::fields::urn_uuid_v4;
use fairtrain_core::time::Timestamp;
use fairtrain_httpsig::{RequestParts, Signer};
use serde_json::{json, Value};

use crate::http::{Reply, Req};
use crate::random;
use crate::worker::Worker;

pub struct Creator {
    pub key: SigningKey,
    pub did: DidKey,
}

/// What a consent token says; defaults are a valid, broad consent.
pub struct Terms {
    pub assets: Vec<Sha256Digest>,
    pub scopes: Vec<&'static str>,
    pub uses: Vec<&'static str>,
    pub jurisdiction: &'static str,
    pub policy_version: String,
    pub valid_from: Timestamp,
    pub valid_until: Timestamp,
}

impl Terms {
    pub fn for_assets(assets: &[&[u8]]) -> Terms {
        let now = Timestamp::now();
        Terms {
            assets: assets.iter().map(|a| Sha256Digest::of(a)).collect(),
            scopes: vec!["public_posts"],
            uses: vec!["ai_training", "ai_generative_training"],
            jurisdiction: "US",
            policy_version: "v2025.11".into(),
            valid_from: now.checked_add_seconds(-60).unwrap(),
            valid_until: now.checked_add_seconds(365 * 86400).unwrap(),
        }
    }
}

pub fn now() -> Timestamp {
    Timestamp::now()
}

impl Creator {
    pub fn new() -> Creator {
        let key = SigningKey::from_seed(&random());
        let did = DidKey::from_public_key(key.public_key());
        Creator { key, did }
    }

    /// A new creator, registered with the worker.
    pub fn registered(w: &Worker) -> Creator {
        let c = Creator::new();
        let ch = Req::post("/v1/creators/challenges")
            .json(&json!({ "did": c.did.to_string() }))
            .send(w);
        assert_eq!(ch.status, 201, "{}", ch.text());
        let challenge = ch.json()["challenge"].as_str().unwrap().to_string();
        let signature =
            fairtrain_consent::registration::sign_registration(&c.key, &challenge).unwrap();
        let r = Req::post("/v1/creators")
            .json(&json!({ "did": c.did.to_string(), "challenge": challenge, "signature": signature,
                           "profile": { "display_name": "Test Creator", "email": "creator@example.com" } }))
            .send(w);
        assert_eq!(r.status, 201, "{}", r.text());
        c
    }

    /// A request signed by this creator (RFC 9421), with an optional body.
    pub fn signed(&self, w: &Worker, method: &str, path: &str, body: Option<(&[u8], &str)>) -> Req {
        let mut parts = RequestParts::new(method, &format!("{}{}", w.base, path)).unwrap();
        let mut req = Req::new(method, path);
        if let Some((bytes, content_type)) = body {
            let digest = format_digest_header(&Sha256Digest::of(bytes));
            parts.push_header("Content-Digest", &digest);
            req = req
                .header("Content-Digest", &digest)
                .header("Content-Type", content_type)
                .body(bytes.to_vec());
        }
        let nonce = fairtrain_core::encoding::base64url_encode(&random::<16>());
        let h = Signer::new(self.key.clone())
            .sign(&parts, now().unix_seconds(), &nonce)
            .unwrap();
        req.header("Signature-Input", &h.signature_input)
            .header("Signature", &h.signature)
    }

    pub fn signed_json(&self, w: &Worker, method: &str, path: &str, body: &Value) -> Req {
        let bytes = serde_json::to_vec(body).unwrap();
        self.signed(w, method, path, Some((&bytes, "application/json")))
    }

    pub fn consent_token(&self, t: &Terms) -> Value {
        ConsentBuilder::new()
            .id(urn_uuid_v4(random()))
            .valid(t.valid_from, t.valid_until)
            .assets(t.assets.clone())
            .uses(t.uses.iter().map(|u| u.parse().unwrap()).collect())
            .scopes(t.scopes.iter().map(|s| s.parse().unwrap()).collect())
            .jurisdiction(t.jurisdiction.parse().unwrap())
            .policy_version(&t.policy_version)
            .sign(&self.key, now())
    }

    /// Grant consent; returns the consent id.
    pub fn grant(&self, w: &Worker, t: &Terms) -> String {
        let token = self.consent_token(t);
        let r = self.signed_json(w, "POST", "/v1/consents", &token).send(w);
        assert_eq!(r.status, 201, "{}", r.text());
        token["id"].as_str().unwrap().to_string()
    }

    pub fn revoke(&self, w: &Worker, consent_id: &str) -> Reply {
        let doc = sign_revocation(consent_id, &self.key, now()).unwrap();
        self.signed_json(
            w,
            "POST",
            &format!("/v1/consents/{consent_id}/revoke"),
            &doc,
        )
        .send(w)
    }

    pub fn envelope(
        &self,
        content_hash: Sha256Digest,
        size: u64,
        consent_id: &str,
        scope: &str,
        media_type: &str,
    ) -> Value {
        EnvelopeBuilder::new()
            .content(content_hash, size)
            .consent_id(consent_id)
            .media_type(media_type)
            .scope(scope.parse().unwrap())
            .timestamp(now())
            .sign(&self.key)
    }

    /// A single-request upload of `bytes` whose envelope declares `declared`.
    pub fn upload_declaring(
        &self,
        w: &Worker,
        bytes: &[u8],
        declared: &[u8],
        consent_id: &str,
        scope: &str,
    ) -> Reply {
        let env = self.envelope(
            Sha256Digest::of(declared),
            declared.len() as u64,
            consent_id,
            scope,
            "text/plain",
        );
        // The signature covers the declared digest; the body may differ.
        let mut parts = RequestParts::new("POST", &format!("{}/v1/assets", w.base)).unwrap();
        let digest = format_digest_header(&Sha256Digest::of(declared));
        parts.push_header("Content-Digest", &digest);
        let nonce = fairtrain_core::encoding::base64url_encode(&random::<16>());
        let h = Signer::new(self.key.clone())
            .sign(&parts, now().unix_seconds(), &nonce)
            .unwrap();
        Req::post("/v1/assets")
            .header("Content-Digest", &digest)
            .header("Content-Type", "text/plain")
            .header("Fairtrain-Envelope", &encode_header(&env).unwrap())
            .header("Signature-Input", &h.signature_input)
            .header("Signature", &h.signature)
            .body(bytes.to_vec())
            .send(w)
    }

    pub fn upload(&self, w: &Worker, bytes: &[u8], consent_id: &str, scope: &str) -> Reply {
        self.upload_declaring(w, bytes, bytes, consent_id, scope)
    }
}

impl Default for Creator {
    fn default() -> Self {
        Creator::new()
    }
}

/// Publish the seed's v2025.11 policy (idempotent).
pub fn publish_policy(w: &Worker, policy: &Value) -> Reply {
    Req::post("/v1/policies")
        .bearer(&w.admin_token)
        .json(policy)
        .send(w)
}

pub fn seed_policy() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../consent/tests/fixtures/policy-v2025.11.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}
