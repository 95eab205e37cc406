//! fairtrain-manifest: signed dataset manifests, the logic the Worker (which
//! composes, signs and serves them) and the `fairtrain` CLI (which verifies
//! them offline) share. No `worker` dependency; builds natively and for
//! wasm32.
//!
//! - [`record`]: asset records, the tree's leaves;
//! - [`tree`]: the RFC 6962 assets tree in pages of [`tree::PAGE_SIZE`],
//!   page and asset proofs (all Merkle work is `fairtrain-tlog`'s);
//! - [`terms`]: license, usage policy, attribution models, data residency;
//! - [`credential`]: the platform-signed `DatasetManifestCredential` (W3C VC
//!   2.0, `eddsa-jcs-2022`, W3C PROV provenance) and its hash;
//! - [`select`]: the composition rules and their exclusion reasons;
//! - [`status`]: the platform-signed `ManifestStatus` (revocations after
//!   publication);
//! - [`bundle`]: verifying a manifest with all its pages and consents;
//! - [`api`]: the manifest endpoints' JSON bodies.
//!
//! Untrusted input is parsed strictly and never panics.

pub mod api;
pub mod bundle;
pub mod credential;
#[cfg(any(test, feature = "test-support"))]
pub mod fixture;
pub mod record;
pub mod select;
pub mod status;
pub mod terms;
mod text;
pub mod tree;

pub use api::{AssetProof, AssetsPage, ComposeFilter, ComposeRequest, Composed, ConsentsPage};
pub use bundle::{check_record, BundleCheck, BundleError, BundleSummary};
pub use credential::{
    manifest_hash, sign_manifest, verify_manifest, Activity, ManifestError, ManifestFields,
    VerifiedManifest,
};
pub use record::{AssetRecord, RecordError};
pub use select::{check_consent_terms, select, Candidate, DatasetTerms, Exclusion};
pub use status::{
    sign_status, verify_status, ManifestState, RevokedAsset, StatusFields, VerifiedStatus,
};
pub use terms::{AttributionModel, DatasetLicense, Price, TermsError, UsagePolicy};
pub use tree::{
    asset_proof, assets_root, page_count, page_proof, page_roots, root_from_page_roots,
    verify_asset, verify_page, PageError, PAGE_SIZE,
};
