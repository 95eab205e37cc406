//! RFC 6962 hashing and proofs against transparency-dev/merkle's published
//! vectors (tests/vectors/transparency-dev-merkle.json).

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use fairtrain_tlog::hash::root_of_leaf_hashes;
use fairtrain_tlog::{
    consistency_proof, inclusion_proof, leaf_hash, verify_consistency, verify_inclusion, Hash,
    HashReader, MemoryTree, NodeId, EMPTY_ROOT,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn reference_tree() -> (Value, MemoryTree) {
    let v = common::vector("transparency-dev-merkle.json");
    let mut tree = MemoryTree::new();
    for input in v["leaf_inputs_hex"].as_array().unwrap() {
        tree.push_entry(&common::hex(input.as_str().unwrap()));
    }
    (v, tree)
}

fn h(hex: &Value) -> Hash {
    Hash::from_slice(&common::hex(hex.as_str().unwrap())).unwrap()
}

/// A base64 field as a hash, and whether it was one. Our types hold only
/// 32-byte hashes, so a value of another length is refused where it is
/// parsed (`Hash::from_slice`): a case with one counts as an error unless it
/// expects success, as Go's equal-sizes consistency case does (it compares
/// roots byte for byte). Such values become a 32-byte stand-in, a
/// domain-separated SHA-256 of the raw bytes, which keeps equal values equal
/// and different ones different, and never equals a real hash.
fn b64_hash(v: &Value, exact: &mut bool) -> Hash {
    let bytes = STANDARD.decode(v.as_str().unwrap_or("")).unwrap();
    Hash::from_slice(&bytes).unwrap_or_else(|_| {
        *exact = false;
        let mut h = Sha256::new();
        h.update(b"stand-in for a value that is not a 32-byte hash:");
        h.update(&bytes);
        Hash(h.finalize().into())
    })
}

fn b64_proof(v: &Value, exact: &mut bool) -> Vec<Hash> {
    v.as_array()
        .map(|items| items.iter().map(|x| b64_hash(x, exact)).collect())
        .unwrap_or_default()
}

#[test]
fn leaf_node_and_root_hashes() {
    let (v, tree) = reference_tree();
    let leaves: Vec<Hash> = v["leaf_inputs_hex"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| leaf_hash(&common::hex(x.as_str().unwrap())))
        .collect();
    for (level, hashes) in v["node_hashes_hex"].as_array().unwrap().iter().enumerate() {
        for (index, want) in hashes.as_array().unwrap().iter().enumerate() {
            let node = NodeId::new(level as u8, index as u64);
            assert_eq!(tree.read_node(node).unwrap(), h(want), "{node:?}");
        }
    }
    let roots = v["root_hashes_hex"].as_array().unwrap();
    assert_eq!(roots.len(), 9);
    assert_eq!(h(&roots[0]), EMPTY_ROOT);
    for (size, want) in roots.iter().enumerate() {
        assert_eq!(tree.root_at(size as u64).unwrap(), h(want), "size {size}");
        assert_eq!(root_of_leaf_hashes(&leaves[..size]), h(want), "size {size}");
    }
}

#[test]
fn inclusion_cases() {
    let (v, tree) = reference_tree();
    let cases = v["inclusion"].as_array().unwrap();
    assert_eq!(cases.len(), 98);
    let mut happy = 0;
    for case in cases {
        let name = case["file"].as_str().unwrap();
        let want_err = case["wantErr"].as_bool().unwrap();
        let index = case["leafIdx"].as_u64().unwrap();
        let size = case["treeSize"].as_u64().unwrap();
        let mut exact = true;
        let root = b64_hash(&case["root"], &mut exact);
        let leaf = b64_hash(&case["leafHash"], &mut exact);
        let proof = b64_proof(&case["proof"], &mut exact);
        let got = verify_inclusion(index, size, &leaf, &proof, &root);
        assert_eq!(got.is_err() || !exact, want_err, "{name}: {got:?}");
        if !want_err {
            happy += 1;
            // Our generator must produce exactly the published proof.
            assert_eq!(
                inclusion_proof(index, size, &tree).unwrap(),
                proof,
                "{name}"
            );
        }
    }
    assert!(happy >= 5);
}

#[test]
fn consistency_cases() {
    let (v, tree) = reference_tree();
    let cases = v["consistency"].as_array().unwrap();
    assert_eq!(cases.len(), 98);
    let mut happy = 0;
    for case in cases {
        let name = case["file"].as_str().unwrap();
        let want_err = case["wantErr"].as_bool().unwrap();
        let size1 = case["size1"].as_u64().unwrap();
        let size2 = case["size2"].as_u64().unwrap();
        let mut exact = true;
        let root1 = b64_hash(&case["root1"], &mut exact);
        let root2 = b64_hash(&case["root2"], &mut exact);
        let proof = b64_proof(&case["proof"], &mut exact);
        let got = verify_consistency(size1, size2, &root1, &root2, &proof);
        if want_err {
            assert!(got.is_err() || !exact, "{name}: {got:?}");
        } else {
            assert_eq!(got, Ok(()), "{name}");
        }
        if !want_err && size2 <= tree.size() {
            happy += 1;
            assert_eq!(
                consistency_proof(size1, size2, &tree).unwrap(),
                proof,
                "{name}"
            );
        }
    }
    assert!(happy >= 5);
}

#[test]
fn every_proof_of_the_reference_tree() {
    let (v, tree) = reference_tree();
    let roots: Vec<Hash> = v["root_hashes_hex"]
        .as_array()
        .unwrap()
        .iter()
        .map(h)
        .collect();
    for size in 1..=8u64 {
        for index in 0..size {
            let proof = inclusion_proof(index, size, &tree).unwrap();
            let leaf = tree.leaf_hash(index).unwrap();
            verify_inclusion(index, size, &leaf, &proof, &roots[size as usize]).unwrap();
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
        }
    }
}
