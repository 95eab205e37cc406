//! Contributions: uploads (single and multipart) checked before a byte is
//! stored, kept once per content, routed by the gateway, logged and
//! receipted; and reading assets and receipts back.
//!
//! Streaming the bytes (into storage, through the runtime's digest) is the
//! runtime's; an upload is [`prepare`]d before, and [`finish`]ed after.

mod finish;
pub mod limits;
pub mod multipart;
mod prepare;
mod read;
pub mod store;

pub use finish::{finish, Ingested};
pub use prepare::{object_key, prepare, prepare_single, Prepared};
pub use read::{asset, receipt, AssetView, ContributionView};
