//! Consent policies, versioned and immutable. Publishing a version logs it
//! and re-routes every contribution under the policy then in force.

mod publish;
mod read;
pub mod store;

pub use publish::{publish, Published};
pub use read::{in_force, list, read, PolicyView};
