//! Inclusion proofs (RFC 9162 §2.1.3, the same proofs as RFC 6962 §2.1.1):
//! the sibling hashes from a leaf up to the root, leaf's sibling first.

use crate::hash::{node_hash, split_point, Hash};
use crate::merkle::{range_hash, HashReader, ProofError};

/// PATH(index, D[0:size]): the audit path for the leaf at `index`.
pub fn inclusion_proof(
    index: u64,
    size: u64,
    reader: &impl HashReader,
) -> Result<Vec<Hash>, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    // Walk down from the root, narrowing [lo, hi) to the leaf; the sibling
    // at each split is the other half. Collected top-down, returned bottom-up.
    let (mut lo, mut hi) = (0u64, size);
    let mut siblings = Vec::new();
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        if index < lo + k {
            siblings.push(range_hash(lo + k, hi, reader)?);
            hi = lo + k;
        } else {
            siblings.push(range_hash(lo, lo + k, reader)?);
            lo += k;
        }
    }
    siblings.reverse();
    Ok(siblings)
}

/// The root that `proof` leads to from `leaf` at `index` in a tree of
/// `size` leaves (RFC 9162 §2.1.3.2 steps 1-4); the length is checked too.
pub fn root_from_inclusion_proof(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return Err(ProofError::WrongProofLength);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            // Skip the levels where this node is the right edge's only child.
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongProofLength);
    }
    Ok(r)
}

/// Checks that `leaf` is at `index` in the tree of `size` leaves with `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if root_from_inclusion_proof(index, size, leaf, proof)? == *root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use crate::merkle::MemoryTree;

    #[test]
    fn every_leaf_of_small_trees() {
        let mut tree = MemoryTree::new();
        for size in 1..=40u64 {
            tree.push_entry(&size.to_be_bytes());
            let root = tree.root();
            for index in 0..size {
                let proof = inclusion_proof(index, size, &tree).unwrap();
                let leaf = tree.leaf_hash(index).unwrap();
                verify_inclusion(index, size, &leaf, &proof, &root).unwrap();
                // Any other leaf, index, or a shortened/lengthened proof fails.
                assert!(verify_inclusion(index, size, &leaf_hash(b"x"), &proof, &root).is_err());
                if size > 1 {
                    let other = (index + 1) % size;
                    assert!(verify_inclusion(other, size, &leaf, &proof, &root).is_err());
                    assert!(verify_inclusion(index, size, &leaf, &proof[1..], &root).is_err());
                }
                let mut longer = proof.clone();
                longer.push(root);
                assert!(verify_inclusion(index, size, &leaf, &longer, &root).is_err());
            }
        }
        assert_eq!(
            inclusion_proof(40, 40, &tree),
            Err(ProofError::IndexOutOfRange {
                index: 40,
                size: 40
            })
        );
    }
}
