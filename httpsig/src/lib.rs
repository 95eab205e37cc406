//! HTTP Message Signatures (RFC 9421) for fairtrain: requests signed with Ed25519 whose
//! `keyid` is the signer's `did:key`. Creators authenticate every request this way; training
//! orchestrators sign their usage reports the same way.
//!
//! Pure logic, no runtime dependency: the Worker verifies with [`Policy::verify`], the CLI
//! signs with [`Signer`]. There is no clock and no storage inside: callers pass `now` and keep
//! the replay cache of nonces.
//!
//! Scope: request signatures only; the derived components `@method`, `@target-uri`,
//! `@authority`, `@scheme`, `@request-target` (origin form), `@path`, `@query`, `@query-param`;
//! header fields without parameters. Anything else in a `Signature-Input` is an error, never
//! silently skipped (RFC 9421 §2.5).
//!
//! ```
//! use fairtrain_core::digest::{format_digest_header, Sha256Digest};
//! use fairtrain_core::ed25519::SigningKey;
//! use fairtrain_httpsig::{Policy, RequestParts, Signer};
//!
//! // CLI: digest the body, sign, attach the two headers.
//! let body = br#"{"scope":"ai_training"}"#;
//! let mut req = RequestParts::new("POST", "https://fairtrain.example/v1/consents")?
//!     .with_header("Content-Digest", format_digest_header(&Sha256Digest::of(body)));
//! let signed = Signer::new(SigningKey::from_seed(&[1; 32])).sign(&req, 1_760_000_000, "r4nd0m")?;
//! req.push_header("Signature-Input", signed.signature_input);
//! req.push_header("Signature", signed.signature);
//!
//! // Worker: verify, then check the replay cache, then the body.
//! let v = Policy::default().verify(&req, true, 1_760_000_005)?;
//! assert!(v.keyid.starts_with("did:key:"));
//! v.check_body(&Sha256Digest::of(body))?;
//! # Ok::<(), fairtrain_httpsig::Error>(())
//! ```

// Input is untrusted: no unwrap/expect/panic outside tests.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod base;
pub mod component;
pub mod digest;
pub mod error;
pub mod headers;
pub mod message;
pub mod params;
pub mod policy;
pub mod query;
pub mod sf;
pub mod sign;
pub mod verify;

pub use base::signature_base;
pub use component::{ComponentId, ComponentKind, Derived};
pub use digest::check_content_digest;
pub use error::Error;
pub use headers::{MessageSignatures, SIGNATURE, SIGNATURE_INPUT};
pub use message::{HttpRequest, RequestParts, TargetUri};
pub use params::{SignatureInput, SignatureParams};
pub use policy::{default_covered_components, Policy, Verified, ALG_ED25519};
pub use sign::{sign_request, SignedHeaders, Signer};
pub use verify::{verify_input, verify_with_key};
