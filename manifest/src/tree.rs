//! The assets tree: an RFC 6962 Merkle tree over the manifest's asset
//! records, in manifest order, served in pages.
//!
//! Page `k` holds leaves `[k * PAGE_SIZE, min((k + 1) * PAGE_SIZE, n))`.
//! `PAGE_SIZE` is a power of two, so every page is a subtree of the RFC 6962
//! tree (its root is MTH of its leaves), and the tree above the pages is the
//! RFC 6962 tree whose "leaf hashes" are the page roots: RFC 6962 splits a
//! range at the largest power of two below its size, which for more than one
//! page is a multiple of `PAGE_SIZE`. Hence:
//! - `assets_root` = MTH(all leaves) = MTH(page roots);
//! - a page's proof is the inclusion proof of its root among the page roots;
//! - an asset's RFC 6962 inclusion proof is its path inside its page followed
//!   by its page's proof.
//!
//! Every Merkle operation is `fairtrain-tlog`'s.

use std::ops::Range;

use fairtrain_tlog::hash::root_of_leaf_hashes;
use fairtrain_tlog::{inclusion_proof, root_from_inclusion_proof, Hash, MemoryTree, ProofError};

use crate::record::{leaf_hashes, AssetRecord, RecordError};

/// Leaves per page (a power of two).
pub const PAGE_SIZE: u64 = 1024;
const PAGE_LEN: usize = PAGE_SIZE as usize;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    #[error("page {page} does not exist ({page_count} pages)")]
    NoSuchPage { page: u64, page_count: u64 },
    #[error("asset {index} does not exist (the tree has {size} leaves here)")]
    NoSuchAsset { index: u64, size: u64 },
    #[error("page {page} must hold {expected} records, not {found}")]
    WrongLength {
        page: u64,
        expected: u64,
        found: u64,
    },
    #[error("the proof has the wrong number of hashes")]
    ProofLength,
    #[error("the proof does not lead to the expected root")]
    RootMismatch,
    #[error("cannot compute the proof: {0}")]
    Tree(String),
    #[error(transparent)]
    Record(#[from] RecordError),
}

impl From<ProofError> for PageError {
    fn from(e: ProofError) -> Self {
        match e {
            ProofError::IndexOutOfRange { index, size } => PageError::NoSuchAsset { index, size },
            ProofError::WrongProofLength => PageError::ProofLength,
            ProofError::RootMismatch => PageError::RootMismatch,
            other => PageError::Tree(other.to_string()),
        }
    }
}

/// How many pages `asset_count` assets make.
pub fn page_count(asset_count: u64) -> u64 {
    asset_count.div_ceil(PAGE_SIZE)
}

/// The leaf indexes page `page` holds, if it exists.
pub fn page_span(page: u64, asset_count: u64) -> Option<Range<u64>> {
    if page >= page_count(asset_count) {
        return None;
    }
    // page < ceil(n / PAGE_SIZE), so page * PAGE_SIZE < n: no overflow.
    let start = page * PAGE_SIZE;
    Some(start..start.saturating_add(PAGE_SIZE).min(asset_count))
}

/// The root of the tree of `records`, in order.
pub fn assets_root(records: &[AssetRecord]) -> Result<Hash, RecordError> {
    Ok(root_of_leaf_hashes(&leaf_hashes(records)?))
}

/// The root of each page of `leaf_hashes` (all the manifest's leaves).
pub fn page_roots(leaf_hashes: &[Hash]) -> Vec<Hash> {
    leaf_hashes
        .chunks(PAGE_LEN)
        .map(root_of_leaf_hashes)
        .collect()
}

/// The assets root from the page roots (equals MTH of all leaves).
pub fn root_from_page_roots(page_roots: &[Hash]) -> Hash {
    root_of_leaf_hashes(page_roots)
}

/// RFC 6962 PATH(index, leaves).
fn path(leaves: &[Hash], index: u64) -> Result<Vec<Hash>, PageError> {
    let mut tree = MemoryTree::new();
    for leaf in leaves {
        tree.push_leaf_hash(*leaf);
    }
    Ok(inclusion_proof(index, tree.size(), &tree)?)
}

/// The inclusion proof of page `page`'s root among `page_roots` (all of them).
pub fn page_proof(page_roots: &[Hash], page: u64) -> Result<Vec<Hash>, PageError> {
    let page_count = page_roots.len() as u64;
    if page >= page_count {
        return Err(PageError::NoSuchPage { page, page_count });
    }
    path(page_roots, page)
}

/// The full RFC 6962 inclusion proof of the asset at `index_in_page` of page
/// `page` in the tree of all assets: its path inside the page, then the
/// page's proof. `page_leaf_hashes` are that page's leaves (checked against
/// its root in `page_roots`); `page_roots` are all the pages' roots.
pub fn asset_proof(
    page_leaf_hashes: &[Hash],
    index_in_page: u64,
    page_roots: &[Hash],
    page: u64,
) -> Result<Vec<Hash>, PageError> {
    let page_count = page_roots.len() as u64;
    let root = *page_roots
        .get(usize::try_from(page).unwrap_or(usize::MAX))
        .ok_or(PageError::NoSuchPage { page, page_count })?;
    let found = page_leaf_hashes.len() as u64;
    // Every page is full but the last, which holds 1..=PAGE_SIZE.
    let full = page + 1 < page_count || found == 0 || found > PAGE_SIZE;
    if full && found != PAGE_SIZE {
        return Err(PageError::WrongLength {
            page,
            expected: PAGE_SIZE,
            found,
        });
    }
    if root_of_leaf_hashes(page_leaf_hashes) != root {
        return Err(PageError::RootMismatch);
    }
    let mut proof = path(page_leaf_hashes, index_in_page)?;
    proof.extend(path(page_roots, page)?);
    Ok(proof)
}

/// Checks page `page` of a manifest of `asset_count` assets: it holds as
/// many records as its position calls for, and `proof` leads from the root
/// of its records to `root`. Returns the page's root.
pub fn verify_page(
    records: &[AssetRecord],
    page: u64,
    asset_count: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<Hash, PageError> {
    let span = page_span(page, asset_count).ok_or(PageError::NoSuchPage {
        page,
        page_count: page_count(asset_count),
    })?;
    let expected = span.end - span.start;
    if records.len() as u64 != expected {
        return Err(PageError::WrongLength {
            page,
            expected,
            found: records.len() as u64,
        });
    }
    let page_root = root_of_leaf_hashes(&leaf_hashes(records)?);
    let got = root_from_inclusion_proof(page, page_count(asset_count), &page_root, proof)?;
    if got != *root {
        return Err(PageError::RootMismatch);
    }
    Ok(page_root)
}

/// Checks that `record` is the asset at `index` of the tree of `asset_count`
/// assets with root `root` (an RFC 6962 inclusion proof).
pub fn verify_asset(
    record: &AssetRecord,
    index: u64,
    asset_count: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), PageError> {
    let leaf = record.leaf_hash()?;
    if root_from_inclusion_proof(index, asset_count, &leaf, proof)? != *root {
        return Err(PageError::RootMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use fairtrain_core::did_key::DidKey;
    use fairtrain_core::digest::Sha256Digest;
    use fairtrain_core::ed25519::SigningKey;
    use fairtrain_core::fields::urn_uuid_v4;

    fn records(n: u64) -> Vec<AssetRecord> {
        let creator =
            DidKey::from_public_key(SigningKey::from_seed(&[1; 32]).public_key()).to_string();
        (0..n)
            .map(|i| {
                let mut id = [0u8; 16];
                id[..8].copy_from_slice(&i.to_be_bytes());
                AssetRecord {
                    content_hash: Sha256Digest::of(&i.to_be_bytes()),
                    size: i + 1,
                    media_type: "image/png".into(),
                    creator: creator.clone(),
                    consent_id: urn_uuid_v4(id),
                    consent_hash: Sha256Digest::of(b"consent"),
                    receipt_id: urn_uuid_v4(id),
                    log_entry_hash: Sha256Digest::of(b"entry"),
                }
            })
            .collect()
    }

    fn tree_of(leaves: &[Hash]) -> MemoryTree {
        let mut tree = MemoryTree::new();
        for leaf in leaves {
            tree.push_leaf_hash(*leaf);
        }
        tree
    }

    /// Everything, against fairtrain-tlog's MemoryTree: roots, every page,
    /// every `stride`-th asset's proof, and tampering.
    fn check_size(n: u64, stride: u64) {
        let recs = records(n);
        let leaves = leaf_hashes(&recs).unwrap();
        let tree = tree_of(&leaves);
        let root = assets_root(&recs).unwrap();
        assert_eq!(root, tree.root(), "n = {n}");
        let roots = page_roots(&leaves);
        assert_eq!(roots.len() as u64, page_count(n));
        assert_eq!(root_from_page_roots(&roots), root, "n = {n}");
        for k in 0..page_count(n) {
            let span = page_span(k, n).unwrap();
            let page = &recs[span.start as usize..span.end as usize];
            let proof = page_proof(&roots, k).unwrap();
            assert_eq!(
                verify_page(page, k, n, &proof, &root),
                Ok(roots[k as usize])
            );
            if k != 0 && k + 1 != page_count(n) {
                continue;
            }
            // The first or last page at another position, or with a record
            // changed, dropped or added, does not verify.
            if page_count(n) > 1 {
                let other = (k + 1) % page_count(n);
                assert!(verify_page(page, other, n, &proof, &root).is_err());
            }
            let mut changed = page.to_vec();
            changed[0].size += 1;
            assert_eq!(
                verify_page(&changed, k, n, &proof, &root),
                Err(PageError::RootMismatch)
            );
            assert!(matches!(
                verify_page(&page[1..], k, n, &proof, &root),
                Err(PageError::WrongLength { .. })
            ));
            let mut longer = page.to_vec();
            longer.push(page[0].clone());
            assert!(verify_page(&longer, k, n, &proof, &root).is_err());
        }
        assert!(matches!(
            verify_page(&[], page_count(n), n, &[], &root),
            Err(PageError::NoSuchPage { .. })
        ));

        let mut index = 0;
        while index < n {
            let k = index / PAGE_SIZE;
            let span = page_span(k, n).unwrap();
            let page_leaves = &leaves[span.start as usize..span.end as usize];
            let proof = asset_proof(page_leaves, index - span.start, &roots, k).unwrap();
            assert_eq!(
                proof,
                inclusion_proof(index, n, &tree).unwrap(),
                "n = {n}, index = {index}"
            );
            let record = &recs[index as usize];
            verify_asset(record, index, n, &proof, &root).unwrap();
            let mut changed = record.clone();
            changed.media_type = "image/jpeg".into();
            assert!(verify_asset(&changed, index, n, &proof, &root).is_err());
            if n > 1 {
                assert!(verify_asset(record, (index + 1) % n, n, &proof, &root).is_err());
                assert!(verify_asset(record, index, n, &proof[1..], &root).is_err());
            }
            // (Another tree size may give the same root: RFC 6962 proofs do
            // not bind the size, which is why the manifest signs asset_count.)
            index += stride;
        }
    }

    #[test]
    fn pages_agree_with_rfc6962() {
        for n in [
            1, 2, 3, 5, 17, 1023, 1024, 1025, 2047, 2048, 2049, 3000, 5121,
        ] {
            check_size(n, if n < 64 { 1 } else { 37 });
        }
    }

    #[test]
    fn a_large_manifest() {
        check_size(100_003, 997);
    }

    #[test]
    fn asset_proof_checks_its_inputs() {
        let recs = records(2500);
        let leaves = leaf_hashes(&recs).unwrap();
        let roots = page_roots(&leaves);
        // A first page that is not full, or the wrong page's leaves.
        assert!(matches!(
            asset_proof(&leaves[..1000], 0, &roots, 0),
            Err(PageError::WrongLength { .. })
        ));
        assert_eq!(
            asset_proof(&leaves[1024..2048], 0, &roots, 0),
            Err(PageError::RootMismatch)
        );
        assert!(matches!(
            asset_proof(&leaves[2048..], 452, &roots, 2),
            Err(PageError::NoSuchAsset { .. })
        ));
        assert!(matches!(
            asset_proof(&leaves[2048..], 0, &roots, 3),
            Err(PageError::NoSuchPage { .. })
        ));
        assert!(matches!(
            asset_proof(&[], 0, &roots, 2),
            Err(PageError::WrongLength { .. })
        ));
        assert!(asset_proof(&leaves[2048..], 451, &roots, 2).is_ok());
        assert!(matches!(
            page_proof(&roots, 3),
            Err(PageError::NoSuchPage { .. })
        ));
        assert_eq!(page_span(2, 2500), Some(2048..2500));
        assert_eq!(page_span(3, 2500), None);
        assert_eq!(page_count(0), 0);
        assert_eq!(page_span(0, 0), None);
        assert_eq!(
            page_span(u64::MAX / PAGE_SIZE, u64::MAX),
            Some((u64::MAX / PAGE_SIZE) * PAGE_SIZE..u64::MAX)
        );
    }
}
