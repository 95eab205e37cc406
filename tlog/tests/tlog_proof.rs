//! C2SP tlog-proof end to end: a log signs a checkpoint, witnesses cosign,
//! the proof is written, read back and verified offline.

use fairtrain_core::ed25519::SigningKey;
use fairtrain_tlog::tlog_proof::TLOG_PROOF_HEADER;
use fairtrain_tlog::{
    leaf_hash, Checkpoint, CosignatureSigner, Ed25519NoteSigner, Hash, MemoryTree, ProofPolicy,
    TlogProof, TlogProofError, VerifierKey,
};
use sha2::{Digest, Sha256};

const ORIGIN: &str = "log.fairtrain.example";

struct Setup {
    tree: MemoryTree,
    signed: Vec<u8>,
    policy: ProofPolicy<VerifierKey>,
}

fn setup(entries: u64) -> Setup {
    let tree = MemoryTree::from_entries(
        (0..entries)
            .map(|i| format!("event {i}").into_bytes())
            .collect::<Vec<_>>()
            .iter()
            .map(Vec::as_slice),
    );
    let log = Ed25519NoteSigner::from_seed(ORIGIN, &[7; 32]).unwrap();
    let w1 = CosignatureSigner::new("w1.example", SigningKey::from_seed(&[8; 32]), 1_750_000_000)
        .unwrap();
    let w2 = CosignatureSigner::new("w2.example", SigningKey::from_seed(&[9; 32]), 1_750_000_002)
        .unwrap();
    let cp = Checkpoint::new(ORIGIN, tree.size(), tree.root()).unwrap();
    let signed = cp.sign(&[&log, &w1, &w2]).unwrap().to_bytes();
    let policy = ProofPolicy {
        origin: ORIGIN.to_owned(),
        log_keys: vec![VerifierKey::Ed25519(log.verifier())],
        witnesses: vec![
            VerifierKey::Cosignature(w1.verifier()),
            VerifierKey::Cosignature(w2.verifier()),
        ],
        min_witnesses: 2,
    };
    Setup {
        tree,
        signed,
        policy,
    }
}

#[test]
fn round_trip_and_verify() {
    let s = setup(1000);
    for (index, extra) in [
        (0u64, vec![]),
        (517, b"ctx".to_vec()),
        (999, vec![0u8; 100]),
    ] {
        let proof = TlogProof::build(index, &s.signed, &s.tree, extra.clone()).unwrap();
        let text = proof.to_bytes();
        let parsed = TlogProof::parse(&text).unwrap();
        assert_eq!(parsed, proof);
        assert_eq!(parsed.to_bytes(), text);
        let leaf = leaf_hash(format!("event {index}").as_bytes());
        let ok = parsed.verify(&leaf, &s.policy).unwrap();
        assert_eq!(ok.checkpoint.size(), 1000);
        assert_eq!(ok.witnesses, 2);
        // Wrong entry.
        assert!(matches!(
            parsed.verify(&leaf_hash(b"event x"), &s.policy),
            Err(TlogProofError::Proof(_))
        ));
        // Another index.
        let mut moved = parsed.clone();
        moved.index = (index + 1) % 1000;
        assert!(moved.verify(&leaf, &s.policy).is_err());
    }
}

#[test]
fn layout_matches_the_spec() {
    let s = setup(3);
    let proof = TlogProof::build(2, &s.signed, &s.tree, b"hi".to_vec()).unwrap();
    let text = String::from_utf8(proof.to_bytes()).unwrap();
    let lines: Vec<&str> = text.split('\n').collect();
    assert_eq!(lines[0], TLOG_PROOF_HEADER);
    assert_eq!(lines[1], "extra aGk=");
    assert_eq!(lines[2], "index 2");
    assert_eq!(lines[3], proof.inclusion_proof[0].to_base64());
    assert_eq!(lines[4], "");
    assert!(text.ends_with(std::str::from_utf8(&s.signed).unwrap()));
    // The same shape transparency-dev/formats' proof.TLogProof.Marshal
    // writes: header, index, hashes, blank line, checkpoint.
    let h1 = Hash(Sha256::digest(b"hash1").into());
    let h2 = Hash(Sha256::digest(b"hash2").into());
    let p = TlogProof {
        extra: vec![],
        index: 5,
        inclusion_proof: vec![h1, h2],
        checkpoint: s.signed.clone(),
    };
    let want = format!(
        "c2sp.org/tlog-proof@v1\nindex 5\n{}\n{}\n\n{}",
        h1.to_base64(),
        h2.to_base64(),
        String::from_utf8(s.signed.clone()).unwrap()
    );
    assert_eq!(p.to_bytes(), want.into_bytes());
}

#[test]
fn policy_failures() {
    let s = setup(10);
    let proof = TlogProof::build(4, &s.signed, &s.tree, vec![]).unwrap();
    let leaf = leaf_hash(b"event 4");

    let mut p = s.policy.clone();
    p.min_witnesses = 3;
    assert_eq!(
        proof.verify(&leaf, &p),
        Err(TlogProofError::NotEnoughWitnesses {
            required: 3,
            found: 2
        })
    );
    let mut p = s.policy.clone();
    p.witnesses.truncate(1);
    assert!(matches!(
        proof.verify(&leaf, &p),
        Err(TlogProofError::NotEnoughWitnesses { .. })
    ));
    p.min_witnesses = 1;
    assert!(proof.verify(&leaf, &p).is_ok());

    // Witnesses alone do not make a log signature.
    let mut p = s.policy.clone();
    p.log_keys = vec![VerifierKey::Ed25519(
        Ed25519NoteSigner::from_seed(ORIGIN, &[1; 32])
            .unwrap()
            .verifier(),
    )];
    assert_eq!(proof.verify(&leaf, &p), Err(TlogProofError::NotSignedByLog));

    let mut p = s.policy.clone();
    p.origin = "other.example".into();
    assert!(matches!(
        proof.verify(&leaf, &p),
        Err(TlogProofError::Checkpoint(_))
    ));
}

#[test]
fn strict_parsing() {
    let s = setup(10);
    let good = String::from_utf8(
        TlogProof::build(4, &s.signed, &s.tree, b"x".to_vec())
            .unwrap()
            .to_bytes(),
    )
    .unwrap();
    TlogProof::parse(good.as_bytes()).unwrap();
    let cp = String::from_utf8(s.signed.clone()).unwrap();
    let h = Hash::default().to_base64();
    for bad in [
        String::new(),
        format!("c2sp.org/tlog-proof@v2\nindex 0\n\n{cp}"),
        format!("c2sp.org/tlog-proof@v1\nindex 00\n\n{cp}"),
        format!("c2sp.org/tlog-proof@v1\nindex -1\n\n{cp}"),
        format!("c2sp.org/tlog-proof@v1\nindex 1 \n\n{cp}"),
        format!("c2sp.org/tlog-proof@v1\nindex 1\n{cp}"),
        format!("c2sp.org/tlog-proof@v1\nextra \nindex 1\n\n{cp}"),
        format!("c2sp.org/tlog-proof@v1\nextra !!\nindex 1\n\n{cp}"),
        format!("c2sp.org/tlog-proof@v1\nindex 1\nextra eA==\n\n{cp}"),
        format!("c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\n{cp}"),
        format!(
            "c2sp.org/tlog-proof@v1\nindex 1\n{}\n\n{cp}",
            format!("{h}\n").repeat(65)
        ),
        format!("c2sp.org/tlog-proof@v1\nindex 1\n{h}\n\nnot a checkpoint\n"),
        format!("c2sp.org/tlog-proof@v1\nindex 1\n{h}\n\n"),
        "c2sp.org/tlog-proof@v1\nindex 1".to_string(),
    ] {
        assert!(TlogProof::parse(bad.as_bytes()).is_err(), "{bad:?}");
    }
}
