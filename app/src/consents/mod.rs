//! Consent: creators grant it with a signed token (a W3C VC) and revoke it
//! with a signed revocation. Both are verified, stored and logged; a
//! revocation re-routes the contributions that relied on it and flags the
//! manifests that used them. Revocation is forward-only.

mod grant;
mod read;
mod revoke;
pub mod store;

pub use grant::{grant, Grant, GrantedConsent, KnownConsent};
pub use read::{read, ConsentView};
pub use revoke::{revoke, Revocation};
