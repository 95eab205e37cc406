//! Signed dataset manifests: composition, reading with proofs, status,
//! signed downloads, and what a revocation does to the manifests already
//! published.

mod access;
mod blob;
mod compose;
mod download;
mod flag;
mod pages;
mod read;
mod status;
pub mod store;

pub use access::{require_reader, READERS};
pub use blob::{open_download, DownloadQuery};
pub use compose::compose;
pub use download::{download_url, DownloadUrl, DOWNLOAD_TTL_S};
pub use flag::flag_revoked_consent;
pub use pages::{assets, consents, proof};
pub use read::{read, ManifestDocument};
pub use status::status;
