//! Licenses: which buyer may read (and report usage under) which manifest.
//! The operator grants and revokes them; a marketplace does it by signed
//! webhook.

mod grant;
pub mod store;

pub use grant::{grant, require_current_license, revoke, Granted, Revoked};
