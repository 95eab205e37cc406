//! What the Worker accepts: a did:key `keyid`, Ed25519, a short validity window, a nonce for
//! replay protection, and coverage of the request line and body digest.
//!
//! The crate keeps no state and reads no clock: the caller passes `now`, and gets back the
//! (keyid, nonce, expires) triple to check against, and store in, its replay cache.

use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::PublicKey;

use crate::component::{ComponentId, ComponentKind, Derived};
use crate::digest::check_content_digest;
use crate::error::Error;
use crate::headers::MessageSignatures;
use crate::message::HttpRequest;
use crate::params::SignatureInput;
use crate::verify::verify_input;

/// The RFC 9421 §3.3.6 algorithm name.
pub const ALG_ED25519: &str = "ed25519";
/// Default and maximum lifetime of a signature, `expires - created`.
pub const DEFAULT_MAX_LIFETIME_SECS: i64 = 300;
/// Default tolerance for a signer's clock running ahead of ours.
pub const DEFAULT_MAX_SKEW_SECS: i64 = 60;
/// Default bound on the nonce, so a replay-cache entry has a bounded size.
pub const DEFAULT_MAX_NONCE_LEN: usize = 128;

/// What the default policy requires covered: the method, the target, and the body's digest if
/// there is a body. Signers use this list, so they satisfy the verifier by construction.
pub fn default_covered_components(has_body: bool) -> Vec<ComponentId> {
    let mut v = vec![derived(Derived::Method), derived(Derived::TargetUri)];
    if has_body {
        v.push(content_digest());
    }
    v
}

fn derived(d: Derived) -> ComponentId {
    ComponentId::fixed(d.name(), ComponentKind::Derived(d))
}

fn content_digest() -> ComponentId {
    ComponentId::fixed("content-digest", ComponentKind::Field)
}

/// Verification requirements. `Policy::default()` is what the Worker uses for creators and
/// orchestrators.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Which signature to check. `None`: the only one in the message (or the only one with
    /// `required_tag`); several candidates are an error rather than a guess.
    pub label: Option<String>,
    /// How far in the future `created` may be (signer clock ahead of ours).
    pub max_skew_secs: i64,
    /// Largest accepted `expires - created`.
    pub max_lifetime_secs: i64,
    pub max_nonce_len: usize,
    /// If set, the signature's `tag` must equal it.
    pub required_tag: Option<String>,
    /// Require `@target-uri`, or all of `@authority`, `@path` and `@query`.
    pub require_target: bool,
    /// Further components that must be covered (default: `@method`).
    pub required_components: Vec<ComponentId>,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            label: None,
            max_skew_secs: DEFAULT_MAX_SKEW_SECS,
            max_lifetime_secs: DEFAULT_MAX_LIFETIME_SECS,
            max_nonce_len: DEFAULT_MAX_NONCE_LEN,
            required_tag: None,
            require_target: true,
            required_components: vec![derived(Derived::Method)],
        }
    }
}

/// A signature that passed. The caller still has to:
/// 1. reject `(keyid, nonce)` if already seen, else store it until `expires` (replay);
/// 2. for a request with a body, call [`Verified::check_body`] once the body's digest is known.
#[derive(Debug, Clone)]
pub struct Verified {
    pub label: String,
    /// The signer, as sent in `keyid`.
    pub keyid: String,
    pub did: DidKey,
    pub public_key: PublicKey,
    pub nonce: String,
    pub created: i64,
    pub expires: i64,
    pub tag: Option<String>,
    pub input: SignatureInput,
    /// The covered `Content-Digest` value, if covered.
    pub content_digest: Option<String>,
}

impl Verified {
    /// Checks the signed `Content-Digest` against the digest of the body actually received.
    pub fn check_body(&self, body_digest: &Sha256Digest) -> Result<(), Error> {
        let header = self
            .content_digest
            .as_deref()
            .ok_or(Error::MissingHeader("Content-Digest"))?;
        check_content_digest(header, body_digest)
    }
}

impl Policy {
    /// Verifies the request's signature under this policy at time `now` (UNIX seconds).
    /// `has_body` says whether the request has content, which then must be covered by a
    /// signed `Content-Digest`.
    ///
    /// Cheap checks run first and the Ed25519 check last, so junk costs little.
    pub fn verify<R: HttpRequest + ?Sized>(
        &self,
        request: &R,
        has_body: bool,
        now: i64,
    ) -> Result<Verified, Error> {
        let sigs = MessageSignatures::from_request(request)?;
        let (label, input, signature) = self.select(&sigs)?;
        let p = input.params();

        if let Some(alg) = p.alg.as_deref() {
            if alg != ALG_ED25519 {
                return Err(Error::UnsupportedAlgorithm(alg.to_owned()));
            }
        }
        let keyid = p.keyid.clone().ok_or(Error::MissingParameter("keyid"))?;
        let did = DidKey::parse(&keyid).map_err(|e| Error::BadKeyId(e.to_string()))?;

        let created = p.created.ok_or(Error::MissingParameter("created"))?;
        let expires = p.expires.ok_or(Error::MissingParameter("expires"))?;
        let nonce = p.nonce.clone().ok_or(Error::MissingParameter("nonce"))?;
        if nonce.is_empty() || nonce.len() > self.max_nonce_len {
            return Err(Error::Malformed {
                what: "Signature-Input",
                reason: format!("nonce must be 1 to {} characters", self.max_nonce_len),
            });
        }
        if expires <= created {
            return Err(Error::Malformed {
                what: "Signature-Input",
                reason: "expires is not after created".into(),
            });
        }
        if created > now.saturating_add(self.max_skew_secs) {
            return Err(Error::NotYetValid { created, now });
        }
        // No skew allowance here: the replay cache keeps nonces until `expires`, so
        // accepting later would reopen the replay window.
        if expires <= now {
            return Err(Error::Expired { expires, now });
        }
        let lifetime = expires - created;
        if lifetime > self.max_lifetime_secs {
            return Err(Error::TooLongLived {
                lifetime,
                max: self.max_lifetime_secs,
            });
        }
        if let Some(expected) = &self.required_tag {
            if p.tag.as_ref() != Some(expected) {
                return Err(Error::WrongTag {
                    expected: expected.clone(),
                    found: p.tag.clone(),
                });
            }
        }

        self.check_coverage(request, &input, has_body)?;
        let public_key = did.public_key();
        verify_input(request, &input, &signature, &public_key)?;

        let content_digest = if input.covers(&content_digest()) {
            Some(request.field_values("content-digest").join(", "))
        } else {
            None
        };
        Ok(Verified {
            label,
            keyid,
            did,
            public_key,
            nonce,
            created,
            expires,
            tag: p.tag.clone(),
            input,
            content_digest,
        })
    }

    /// Picks the signature to check (RFC 9421 §3.2 step 1.1).
    fn select(&self, sigs: &MessageSignatures) -> Result<(String, SignatureInput, Vec<u8>), Error> {
        if let Some(label) = &self.label {
            let (input, sig) = sigs.get(label)?;
            return Ok((label.clone(), input, sig));
        }
        let mut candidates = Vec::new();
        for label in sigs.labels() {
            let (input, sig) = sigs.get(label)?;
            let wanted = match &self.required_tag {
                Some(tag) => input.params().tag.as_ref() == Some(tag),
                None => true,
            };
            if wanted {
                candidates.push((label.to_owned(), input, sig));
            }
        }
        match candidates.len() {
            1 => Ok(candidates.remove(0)),
            0 => Err(match &self.required_tag {
                Some(tag) => Error::SignatureNotFound(format!("no signature with tag {tag:?}")),
                None => Error::SignatureNotFound("no signature".into()),
            }),
            n => Err(Error::SignatureNotFound(format!(
                "{n} signatures and no label chosen"
            ))),
        }
    }

    fn check_coverage<R: HttpRequest + ?Sized>(
        &self,
        request: &R,
        input: &SignatureInput,
        has_body: bool,
    ) -> Result<(), Error> {
        for c in &self.required_components {
            if !input.covers(c) {
                return Err(Error::MissingRequiredComponent(c.to_string()));
            }
        }
        if self.require_target && !input.covers(&derived(Derived::TargetUri)) {
            for d in [Derived::Authority, Derived::Path, Derived::Query] {
                if !input.covers(&derived(d)) {
                    return Err(Error::MissingRequiredComponent(format!(
                        "\"@target-uri\" (or {})",
                        derived(d)
                    )));
                }
            }
        }
        if has_body {
            if request.field_values("content-digest").is_empty() {
                return Err(Error::MissingHeader("Content-Digest"));
            }
            let cd = content_digest();
            if !input.covers(&cd) {
                return Err(Error::MissingRequiredComponent(cd.to_string()));
            }
        }
        Ok(())
    }
}
