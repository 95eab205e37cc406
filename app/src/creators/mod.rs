//! Creators: registration by proof of possession of a did:key.
//!
//! A creator asks for a challenge, signs it with the key, and registers. The
//! public record is the did alone; the profile (name, e-mail, payout
//! details) is personal data, stored apart and never logged or published.

mod challenge;
mod me;
mod register;
pub mod store;

pub use challenge::{challenge, Challenge, CHALLENGE_TTL_S};
pub use me::{me, CreatorRecord};
pub use register::{register, Profile, RegisterRequest, Registered};

use fairtrain_core::did_key::DidKey;

use crate::error::{Error, Result};

fn parse_did(did: &str) -> Result<DidKey> {
    DidKey::parse(did).map_err(|e| Error::field("/did", format!("not an Ed25519 did:key: {e}")))
}
