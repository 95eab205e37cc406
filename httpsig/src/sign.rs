//! Signing (the CLI side): build the signature base, sign it with Ed25519, and produce the
//! `Signature-Input` and `Signature` header values.

use fairtrain_core::did_key::DidKey;
use fairtrain_core::ed25519::SigningKey;

use crate::base::signature_base;
use crate::component::ComponentId;
use crate::error::Error;
use crate::headers::{signature_input_value, signature_value};
use crate::message::HttpRequest;
use crate::params::{SignatureInput, SignatureParams};
use crate::policy::{default_covered_components, ALG_ED25519, DEFAULT_MAX_LIFETIME_SECS};

/// The two header values to add to the request, and the base that was signed (for debugging
/// and `--verbose` output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    /// Value for `Signature-Input`, e.g. `sig1=("@method" ...);created=...`.
    pub signature_input: String,
    /// Value for `Signature`, e.g. `sig1=:<base64>:`.
    pub signature: String,
    pub base: String,
}

/// Signs `input` over `request` under `label` (RFC 9421 §3.1). An `alg` other than `ed25519`
/// is refused rather than mislabelled.
pub fn sign_request<R: HttpRequest + ?Sized>(
    request: &R,
    label: &str,
    input: &SignatureInput,
    key: &SigningKey,
) -> Result<SignedHeaders, Error> {
    if let Some(alg) = input.params().alg.as_deref() {
        if alg != ALG_ED25519 {
            return Err(Error::UnsupportedAlgorithm(alg.to_owned()));
        }
    }
    let signature_input = signature_input_value(label, input)?;
    let base = signature_base(request, input)?;
    let sig = key.sign(base.as_bytes());
    let signature = signature_value(label, &sig.to_bytes())?;
    Ok(SignedHeaders {
        signature_input,
        signature,
        base,
    })
}

/// How fairtrain clients sign: `keyid` is the key's did:key, `alg="ed25519"`, a fresh nonce,
/// and `expires` a short lifetime after `created`, covering what [`crate::Policy`] requires by
/// default. The caller supplies the clock and the nonce: this crate has neither.
#[derive(Debug, Clone)]
pub struct Signer {
    key: SigningKey,
    keyid: String,
    /// Signature label; `sig1` by default.
    pub label: String,
    /// Seconds from `created` to `expires`; the default matches the verifier's maximum.
    pub lifetime_secs: i64,
    /// Optional application tag (the verifier may require one).
    pub tag: Option<String>,
}

impl Signer {
    pub fn new(key: SigningKey) -> Self {
        let keyid = DidKey::from_public_key(key.public_key()).to_string();
        Self {
            key,
            keyid,
            label: "sig1".to_owned(),
            lifetime_secs: DEFAULT_MAX_LIFETIME_SECS,
            tag: None,
        }
    }

    /// The did:key used as `keyid`.
    pub fn keyid(&self) -> &str {
        &self.keyid
    }

    /// Signs the default components: `@method`, `@target-uri`, and `content-digest` if the
    /// request carries that header (set it first for a request with a body, with
    /// `fairtrain_core::digest::format_digest_header`).
    pub fn sign<R: HttpRequest + ?Sized>(
        &self,
        request: &R,
        now: i64,
        nonce: &str,
    ) -> Result<SignedHeaders, Error> {
        let has_digest = !request.field_values("content-digest").is_empty();
        self.sign_components(request, default_covered_components(has_digest), now, nonce)
    }

    /// Signs an explicit list of components.
    pub fn sign_components<R: HttpRequest + ?Sized>(
        &self,
        request: &R,
        components: Vec<ComponentId>,
        now: i64,
        nonce: &str,
    ) -> Result<SignedHeaders, Error> {
        let expires = now
            .checked_add(self.lifetime_secs)
            .ok_or_else(|| Error::InvalidInput("expires overflows".into()))?;
        let params = SignatureParams {
            created: Some(now),
            expires: Some(expires),
            keyid: Some(self.keyid.clone()),
            alg: Some(ALG_ED25519.to_owned()),
            nonce: Some(nonce.to_owned()),
            tag: self.tag.clone(),
        };
        let input = SignatureInput::new(components, params)?;
        sign_request(request, &self.label, &input, &self.key)
    }
}
