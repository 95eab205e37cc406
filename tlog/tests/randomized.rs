//! Randomized cross-checks: proofs from every source (memory, tiles) agree
//! with each other and with the RFC 6962 definition, and any tampering is
//! caught. Deterministic seeds, so failures reproduce.

mod common;

use common::Rng;
use fairtrain_tlog::hash::root_of_leaf_hashes;
use fairtrain_tlog::tile_math::{changed_tiles, right_edge_tiles};
use fairtrain_tlog::tile_reader::{
    tile_data, tiles_for_consistency_proof, tiles_for_inclusion_proof, tiles_with_authentication,
};
use fairtrain_tlog::{
    append_leaf_hashes, consistency_proof, inclusion_proof, leaf_hash, tree_hash,
    verify_consistency, verify_inclusion, Hash, MemoryTree, TileSet,
};

fn random_tree(rng: &mut Rng, size: u64) -> (MemoryTree, Vec<Hash>) {
    let mut tree = MemoryTree::new();
    let mut leaves = Vec::new();
    for _ in 0..size {
        let len = rng.below(40) as usize;
        let leaf = leaf_hash(&rng.bytes(len));
        tree.push_leaf_hash(leaf);
        leaves.push(leaf);
    }
    (tree, leaves)
}

/// A proof with one random bit flipped, or a hash dropped, added or moved.
fn tamper(rng: &mut Rng, proof: &[Hash]) -> Vec<Hash> {
    let mut p = proof.to_vec();
    match (rng.below(4), p.is_empty()) {
        (0, false) => {
            let i = rng.below(p.len() as u64) as usize;
            p[i].0[rng.below(32) as usize] ^= 1 << rng.below(8);
        }
        (1, false) => {
            p.remove(rng.below(p.len() as u64) as usize);
        }
        (2, false) if p.len() > 1 && p.windows(2).any(|w| w[0] != w[1]) => {
            while p == proof {
                let (i, j) = (
                    rng.below(p.len() as u64) as usize,
                    rng.below(p.len() as u64) as usize,
                );
                p.swap(i, j);
            }
        }
        _ => {
            let at = rng.below(p.len() as u64 + 1) as usize;
            p.insert(at, Hash(rng.bytes(32).try_into().unwrap()));
        }
    }
    p
}

#[test]
fn all_pairs_of_small_sizes() {
    let mut rng = Rng(1);
    let (tree, leaves) = random_tree(&mut rng, 80);
    let roots: Vec<Hash> = (0..=80)
        .map(|n| root_of_leaf_hashes(&leaves[..n]))
        .collect();
    for size in 1..=80u64 {
        assert_eq!(tree.root_at(size).unwrap(), roots[size as usize]);
        for index in 0..size {
            let proof = inclusion_proof(index, size, &tree).unwrap();
            let leaf = leaves[index as usize];
            verify_inclusion(index, size, &leaf, &proof, &roots[size as usize]).unwrap();
            let bad = tamper(&mut rng, &proof);
            assert!(verify_inclusion(index, size, &leaf, &bad, &roots[size as usize]).is_err());
            let wrong_index = (index + 1 + rng.below(size)) % size;
            if wrong_index != index && leaves[wrong_index as usize] != leaf {
                assert!(
                    verify_inclusion(wrong_index, size, &leaf, &proof, &roots[size as usize])
                        .is_err()
                );
            }
        }
        for old in 1..=size {
            let proof = consistency_proof(old, size, &tree).unwrap();
            verify_consistency(
                old,
                size,
                &roots[old as usize],
                &roots[size as usize],
                &proof,
            )
            .unwrap();
            if old < size {
                let bad = tamper(&mut rng, &proof);
                assert!(verify_consistency(
                    old,
                    size,
                    &roots[old as usize],
                    &roots[size as usize],
                    &bad
                )
                .is_err());
                // A different old tree (same size, other root) is refused.
                let other = Hash(rng.bytes(32).try_into().unwrap());
                assert!(
                    verify_consistency(old, size, &other, &roots[size as usize], &proof).is_err()
                );
            }
        }
    }
}

#[test]
fn larger_trees_from_tiles() {
    let mut rng = Rng(2);
    for size in [255u64, 256, 257, 511, 4096, 65_537] {
        let (tree, leaves) = random_tree(&mut rng, size);
        let root = tree.root();
        for _ in 0..12 {
            let index = rng.below(size);
            let tiles =
                tiles_with_authentication(tiles_for_inclusion_proof(index, size).unwrap(), size);
            let mut set = TileSet::new();
            for t in tiles {
                set.insert(t, tile_data(t, &tree).unwrap()).unwrap();
            }
            set.authenticate(size, &root).unwrap();
            assert_eq!(tree_hash(size, &set).unwrap(), root);
            let proof = inclusion_proof(index, size, &set).unwrap();
            assert_eq!(proof, inclusion_proof(index, size, &tree).unwrap());
            verify_inclusion(index, size, &leaves[index as usize], &proof, &root).unwrap();
            assert!(verify_inclusion(
                index,
                size,
                &leaves[index as usize],
                &tamper(&mut rng, &proof),
                &root
            )
            .is_err());

            let old = 1 + rng.below(size);
            let mut set = TileSet::new();
            for t in tiles_for_consistency_proof(old, size).unwrap() {
                set.insert(t, tile_data(t, &tree).unwrap()).unwrap();
            }
            let proof = consistency_proof(old, size, &set).unwrap();
            verify_consistency(old, size, &tree.root_at(old).unwrap(), &root, &proof).unwrap();
        }
    }
}

#[test]
fn random_append_batches_match_memory_tree() {
    let mut rng = Rng(3);
    let mut tree = MemoryTree::new();
    let mut store = TileSet::new();
    for _ in 0..60 {
        let old = tree.size();
        let batch = match rng.below(4) {
            0 => rng.below(3),
            1 => rng.below(300),
            2 => 256 - old % 256,
            _ => rng.below(1500),
        };
        let leaves: Vec<Hash> = (0..batch).map(|_| leaf_hash(&rng.bytes(8))).collect();
        leaves.iter().for_each(|l| {
            tree.push_leaf_hash(*l);
        });
        // The sequencer only ever loads the right-edge tiles.
        let mut edge = TileSet::new();
        for t in right_edge_tiles(old) {
            let (_, data) = store.get(t.level(), t.index()).unwrap();
            edge.insert(t, data.to_vec()).unwrap();
        }
        let out = append_leaf_hashes(old, &edge, &leaves).unwrap();
        assert_eq!(out.root, tree.root());
        assert_eq!(
            out.tiles.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
            changed_tiles(old, tree.size()).unwrap()
        );
        for (t, data) in out.tiles {
            assert_eq!(data, tile_data(t, &tree).unwrap());
            store.insert(t, data).unwrap();
        }
    }
    assert!(tree.size() > 10_000);
}
