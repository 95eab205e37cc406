//! fairtrain-webhooks: the Standard Webhooks specification (v1.0.0,
//! <https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md>),
//! the pure part that the Worker (sending and receiving) and the CLI
//! (`fairtrain webhooks listen|verify`) share. Spec only: fairtrain's own
//! event types and payloads are `fairtrain-app`'s.
//!
//! - [`secret`]: `whsec_` secrets, `whsk_` / `whpk_` Ed25519 keys;
//! - [`sign`]: `v1` (HMAC-SHA256) and `v1a` (Ed25519) signatures over
//!   `{webhook-id}.{webhook-timestamp}.{body}`, one or several per delivery;
//! - [`verify`]: tolerance, constant-time comparison, typed errors;
//! - [`envelope`]: `{"type","timestamp","data"}`, stable `webhook-id`s;
//! - [`retry`]: the spec's retry schedule, status handling, `Retry-After`;
//! - [`stripe`]: `Stripe-Signature` for a payment processor's inbound events;
//! - [`destination`]: which destination URLs may be called (SSRF guard, pure part);
//! - [`hmac`]: HMAC-SHA256 (RFC 2104) over `sha2`.
//!
//! Nothing here reads a clock or a random source: callers pass `now` and
//! random bytes, so native and wasm builds run the same code.

pub mod destination;
pub mod envelope;
pub mod hmac;
pub mod retry;
pub mod secret;
pub mod sign;
pub mod stripe;
pub mod verify;

pub use destination::{
    check_destination, Destination, DestinationError, DestinationPolicy, HostClass,
};
pub use envelope::{message_id, Envelope, EnvelopeError, EventName};
pub use secret::{
    KeyFormatError, SigningKey, VerifyingKey, WebhookPublicKey, WebhookSecret, WebhookSigningKey,
};
pub use sign::{sign, SignError, SignatureVersion, SignedHeaders};
pub use verify::{Verified, Verifier, VerifyError, WebhookHeaders};

/// The unique message identifier, the idempotency key (same on every retry).
pub const HEADER_ID: &str = "webhook-id";
/// Integer Unix seconds of this attempt.
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
/// Space-separated `version,signature` entries.
pub const HEADER_SIGNATURE: &str = "webhook-signature";

/// Default timestamp tolerance, both directions: 5 minutes, as the official
/// libraries use.
pub const DEFAULT_TOLERANCE_SECS: u64 = 5 * 60;
