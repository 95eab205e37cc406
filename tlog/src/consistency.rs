//! Consistency proofs (RFC 9162 §2.1.4, the same proofs as RFC 6962
//! §2.1.2): that the tree of `new` leaves extends the tree of `old` leaves.

use crate::hash::{node_hash, split_point, Hash};
use crate::merkle::{range_hash, HashReader, ProofError};

/// PROOF(old, D[0:new]). Empty when `old == new`; `old == 0` is refused, as
/// everything is trivially consistent with the empty tree and RFC 9162
/// defines no proof for it.
pub fn consistency_proof(
    old: u64,
    new: u64,
    reader: &impl HashReader,
) -> Result<Vec<Hash>, ProofError> {
    if old > new {
        return Err(ProofError::SizesReversed { old, new });
    }
    if old == 0 {
        return Err(ProofError::EmptyOldTree);
    }
    // SUBPROOF(m, D[lo:hi], b) unrolled: the recursion appends one sibling
    // per level on the way back up, so collect top-down and reverse.
    let (mut m, mut lo, mut hi, mut complete) = (old, 0u64, new, true);
    let mut siblings = Vec::new();
    let base = loop {
        let n = hi - lo;
        if m == n {
            // The old tree's subtree itself: known to the verifier only if
            // it is the whole old tree (`complete`).
            break if complete {
                None
            } else {
                Some(range_hash(lo, hi, reader)?)
            };
        }
        let k = split_point(n);
        if m <= k {
            siblings.push(range_hash(lo + k, hi, reader)?);
            hi = lo + k;
        } else {
            siblings.push(range_hash(lo, lo + k, reader)?);
            lo += k;
            m -= k;
            complete = false;
        }
    };
    let mut proof: Vec<Hash> = base.into_iter().collect();
    proof.extend(siblings.into_iter().rev());
    Ok(proof)
}

/// Checks `proof` that the tree of `new` leaves with `new_root` extends the
/// tree of `old` leaves with `old_root` (RFC 9162 §2.1.4.2). Equal sizes
/// need an empty proof and equal roots.
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old > new {
        return Err(ProofError::SizesReversed { old, new });
    }
    if old == 0 {
        return Err(ProofError::EmptyOldTree);
    }
    if old == new {
        if !proof.is_empty() {
            return Err(ProofError::WrongProofLength);
        }
        return if old_root == new_root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    // Step 1 and 2: a non-empty path; a power-of-two old tree is itself a
    // node of the new tree, so its root starts the path.
    let Some((head, tail)) = proof.split_first() else {
        return Err(ProofError::WrongProofLength);
    };
    let (first, rest) = if old.is_power_of_two() {
        (old_root, proof)
    } else {
        (head, tail)
    };
    // Steps 3-4.
    let (mut fn_, mut sn) = (old - 1, new - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    // Steps 5-6.
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if sn == 0 {
            return Err(ProofError::WrongProofLength);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 7.
    if sn != 0 {
        return Err(ProofError::WrongProofLength);
    }
    if fr != *old_root {
        return Err(ProofError::OldRootMismatch);
    }
    if sr != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::MemoryTree;

    #[test]
    fn every_pair_of_small_sizes() {
        let mut tree = MemoryTree::new();
        for i in 0..34u64 {
            tree.push_entry(&i.to_le_bytes());
        }
        for new in 1..=34 {
            let new_root = tree.root_at(new).unwrap();
            for old in 1..=new {
                let old_root = tree.root_at(old).unwrap();
                let proof = consistency_proof(old, new, &tree).unwrap();
                verify_consistency(old, new, &old_root, &new_root, &proof).unwrap();
                if old < new {
                    assert!(verify_consistency(old, new, &new_root, &new_root, &proof).is_err());
                    assert!(verify_consistency(old, new, &old_root, &old_root, &proof).is_err());
                    assert!(
                        verify_consistency(old, new, &old_root, &new_root, &proof[1..]).is_err()
                    );
                    assert!(
                        verify_consistency(old + 1, new, &old_root, &new_root, &proof).is_err()
                    );
                }
            }
        }
        assert_eq!(
            consistency_proof(0, 3, &tree),
            Err(ProofError::EmptyOldTree)
        );
        assert_eq!(
            consistency_proof(4, 3, &tree),
            Err(ProofError::SizesReversed { old: 4, new: 3 })
        );
    }
}
