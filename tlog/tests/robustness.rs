//! Parsers of untrusted input never panic: random bytes and random
//! mutations of valid inputs only ever produce errors (or valid values).

mod common;

use common::Rng;
use fairtrain_tlog::bundle::parse_bundle;
use fairtrain_tlog::{
    verify_consistency, verify_inclusion, Checkpoint, Ed25519NoteSigner, Hash, MemoryTree, Note,
    TilePath, TlogProof, VerifierKey,
};

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(3) {
        match rng.below(3) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len() as u64) as usize;
                out[i] = rng.next() as u8;
            }
            1 if !out.is_empty() => {
                out.remove(rng.below(out.len() as u64) as usize);
            }
            _ => {
                let i = rng.below(out.len() as u64 + 1) as usize;
                out.insert(
                    i,
                    *b"\n \x2b0x/.p=\xe2\x80\x94A"
                        .get(rng.below(12) as usize)
                        .unwrap_or(&0),
                );
            }
        }
    }
    out
}

fn feed(input: &[u8]) {
    let _ = Note::parse(input);
    let _ = TlogProof::parse(input);
    let _ = parse_bundle(input);
    if let Ok(text) = std::str::from_utf8(input) {
        let _ = Checkpoint::parse(text);
        let _ = TilePath::parse(text);
        let _ = VerifierKey::parse(text);
    }
}

#[test]
fn random_and_mutated_inputs() {
    let mut rng = Rng(77);
    let signer = Ed25519NoteSigner::from_seed("log.example", &[4; 32]).unwrap();
    let tree = MemoryTree::from_entries([&b"a"[..], b"b", b"c", b"d", b"e"]);
    let cp = Checkpoint::new("log.example", 5, tree.root()).unwrap();
    let signed = cp.sign(&[&signer]).unwrap().to_bytes();
    let proof = TlogProof::build(3, &signed, &tree, b"x".to_vec())
        .unwrap()
        .to_bytes();
    let seeds: Vec<Vec<u8>> = vec![
        signed.clone(),
        proof,
        cp.to_text().into_bytes(),
        b"tile/0/x001/x234/067.p/12".to_vec(),
        b"tile/entries/000".to_vec(),
        signer.verifier().vkey().into_bytes(),
        vec![0, 3, 1, 2, 3, 0, 0],
    ];
    for _ in 0..1500 {
        let len = rng.below(120) as usize;
        feed(&rng.bytes(len));
        let seed = &seeds[rng.below(seeds.len() as u64) as usize];
        let m = mutate(&mut rng, seed);
        feed(&m);
        // A mutated signed note never verifies unless unchanged in meaning.
        if let Ok(note) = Note::parse(&m) {
            if note.text() != cp.to_text() {
                assert!(note.verify(&[signer.verifier()]).is_err());
            }
        }
    }
}

#[test]
fn extreme_proof_parameters() {
    let h = Hash::default();
    let long = vec![h; 200];
    for (index, size) in [
        (0, 0),
        (u64::MAX, u64::MAX),
        (u64::MAX - 1, u64::MAX),
        (0, u64::MAX),
        (5, 3),
    ] {
        assert!(verify_inclusion(index, size, &h, &long, &h).is_err());
        assert!(verify_inclusion(index, size, &h, &[], &h).is_err() || size == 1);
        let _ = verify_consistency(index, size, &h, &h, &long);
        let _ = verify_consistency(size, index, &h, &h, &[]);
    }
    // Reading a tree that is not there is an error, not a panic.
    let tree = MemoryTree::new();
    assert!(fairtrain_tlog::inclusion_proof(3, u64::MAX, &tree).is_err());
    assert!(fairtrain_tlog::consistency_proof(1, u64::MAX, &tree).is_err());
    assert!(fairtrain_tlog::tree_hash(u64::MAX, &tree).is_err());
}
