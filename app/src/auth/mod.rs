//! Authentication (who is calling) and authorisation (may they).
//!
//! Three kinds of credentials exist: the operator's bootstrap token and API
//! keys (both bearer tokens), and creators' HTTP Message Signatures made
//! with their own did:key. A missing or invalid credential is
//! `Unauthenticated`, a wrong role `Forbidden`.

mod bearer;
mod roles;
mod signature;
pub mod store;

pub use bearer::{authenticate_authorization, authenticate_bearer};
pub use roles::{require_registered_creator, require_role};
pub use signature::{authenticate_signature, purge_expired_nonces, SignedRequest};
