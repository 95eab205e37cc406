//! signed-note, tlog-checkpoint and tlog-cosignature against Go's
//! golang.org/x/mod/sumdb/note tests and the C2SP examples
//! (tests/vectors/signed-note.json).

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_tlog::cosignature::{cosignature_timestamp, cosigned_message};
use fairtrain_tlog::note::{open, MAX_SIGNATURES};
use fairtrain_tlog::{
    Checkpoint, CosignatureSigner, Ed25519NoteSigner, Note, NoteError, NoteSigner, NoteVerifier,
    VerifierKey,
};
use serde_json::Value;

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap()
}

#[test]
fn go_sign_matches_byte_for_byte() {
    let v = common::vector("signed-note.json");
    let go = &v["go_note"];
    let signer = Ed25519NoteSigner::from_private_key_string(s(go, "private_key")).unwrap();
    assert_eq!(signer.verifier().vkey(), s(go, "peter_vkey"));
    let mut note = Note::new(s(go, "text")).unwrap();
    note.sign(&signer).unwrap();
    assert_eq!(note.to_string(), s(go, "signed_by_peter"));
}

#[test]
fn go_open_semantics() {
    let v = common::vector("signed-note.json");
    let go = &v["go_note"];
    let peter = VerifierKey::parse(s(go, "peter_vkey")).unwrap();
    let enoch = VerifierKey::parse(s(go, "enoch_vkey")).unwrap();
    let (text, psig, esig) = (
        s(go, "text"),
        s(go, "peter_sig_line"),
        s(go, "enoch_sig_line"),
    );
    let both = format!("{text}\n{psig}{esig}");

    // One verified, one not.
    let (note, ver) = open(both.as_bytes(), &[&peter]).unwrap();
    assert_eq!(note.text(), text);
    assert_eq!(ver.verified.len(), 1);
    assert!(ver.is_verified_by(&peter));
    assert_eq!(ver.unverified.len(), 1);
    assert_eq!(ver.unverified[0].name(), "EnochRoot");
    assert_eq!(ver.unverified[0].key_id(), 0xaf0cfe78);

    // Both verified, in order.
    let (_, ver) = open(both.as_bytes(), &[&peter, &enoch]).unwrap();
    assert_eq!(
        ver.verified.iter().map(|s| s.name()).collect::<Vec<_>>(),
        ["PeterNeumann", "EnochRoot"]
    );

    // Neither known.
    let none: [&VerifierKey; 0] = [];
    assert_eq!(
        open(both.as_bytes(), &none),
        Err(NoteError::NoKnownSignature)
    );

    // A duplicated verifier is ambiguous only when its key signed.
    assert!(matches!(
        open(
            format!("{text}\n{esig}").as_bytes(),
            &[&enoch, &peter, &enoch]
        ),
        Err(NoteError::AmbiguousKey { .. })
    ));
    open(
        format!("{text}\n{psig}").as_bytes(),
        &[&enoch, &peter, &enoch],
    )
    .unwrap();

    // 101 signatures is too many.
    let many = format!("{text}\n{}", psig.repeat(MAX_SIGNATURES + 1));
    assert_eq!(
        open(many.as_bytes(), &[&peter]),
        Err(NoteError::TooManySignatures)
    );

    // A corrupted signature by a known key rejects the note.
    let corrupt = format!("{text}\n{}ABCD{}", &psig[..60], &psig[60..]);
    assert!(matches!(
        open(corrupt.as_bytes(), &[&peter]),
        Err(NoteError::InvalidSignature { .. })
    ));

    // Repeats are dropped: verified by key, unverified by identical line.
    let enoch_abcd = format!("{}ABCD{}", &esig[..60], &esig[60..]);
    let msg = format!("{text}\n{psig}{psig}{esig}{esig}{enoch_abcd}");
    let (_, ver) = open(msg.as_bytes(), &[&peter]).unwrap();
    assert_eq!(ver.verified.len(), 1);
    assert_eq!(ver.unverified.len(), 2);

    // Malformed messages.
    for bad in go["malformed_messages"].as_array().unwrap() {
        let bad = bad.as_str().unwrap();
        assert!(
            matches!(Note::parse(bad.as_bytes()), Err(NoteError::Malformed(_))),
            "{bad:?}"
        );
    }
    let mut invalid_utf8 = vec![0xff];
    invalid_utf8.extend_from_slice(format!("{text}\n{psig}").as_bytes());
    assert!(Note::parse(&invalid_utf8).is_err());
}

#[test]
fn go_vkey_rejections() {
    let v = common::vector("signed-note.json");
    for bad in v["go_note"]["bad_vkeys_with_fixed_key_id"]
        .as_array()
        .unwrap()
    {
        assert!(VerifierKey::parse(bad.as_str().unwrap()).is_err());
    }
}

#[test]
fn c2sp_examples() {
    let v = common::vector("signed-note.json");
    let ex = &v["c2sp_signed_note"];
    let key = VerifierKey::parse(s(ex, "vkey")).unwrap();
    let (note, ver) = open(s(ex, "note").as_bytes(), &[&key]).unwrap();
    assert_eq!(note.text(), s(ex, "text"));
    assert!(ver.is_verified_by(&key));
    // Any change to the text breaks it.
    let changed = s(ex, "note").replace("example message", "example massage");
    assert!(matches!(
        open(changed.as_bytes(), &[&key]),
        Err(NoteError::InvalidSignature { .. })
    ));

    let cp = &v["c2sp_checkpoint"];
    let note = Note::parse(s(cp, "note").as_bytes()).unwrap();
    let checkpoint = Checkpoint::parse(note.text()).unwrap();
    assert_eq!(checkpoint.origin(), s(cp, "origin"));
    assert_eq!(checkpoint.size(), cp["size"].as_u64().unwrap());
    assert_eq!(checkpoint.root().to_base64(), s(cp, "root_base64"));
    assert_eq!(note.to_string(), s(cp, "note"));

    let co = &v["c2sp_cosignature"];
    let line = s(co, "signature_line");
    let b64 = line.trim_end().rsplit(' ').next().unwrap();
    let raw = STANDARD.decode(b64).unwrap();
    let ts = cosignature_timestamp(&raw[4..]).unwrap();
    assert_eq!(ts, co["timestamp"].as_u64().unwrap());
    assert_eq!(
        cosigned_message(ts, note.text().as_bytes()),
        s(co, "signed_message").as_bytes()
    );
    // The cosigned example checkpoint parses, and the unknown witness is
    // simply an unverified signature.
    let with_cosig = format!("{}{line}", s(cp, "note"));
    let parsed = Note::parse(with_cosig.as_bytes()).unwrap();
    assert_eq!(parsed.signatures().len(), 2);
}

#[test]
fn log_and_witnesses_cosign_a_checkpoint() {
    let log = Ed25519NoteSigner::from_seed("log.fairtrain.example", &[1; 32]).unwrap();
    let w1 = CosignatureSigner::new("w1.example", SigningKey::from_seed(&[2; 32]), 1_700_000_000)
        .unwrap();
    let w2 = CosignatureSigner::new("w2.example", SigningKey::from_seed(&[3; 32]), 1_700_000_001)
        .unwrap();
    let cp = Checkpoint::new(
        "log.fairtrain.example",
        42,
        fairtrain_tlog::leaf_hash(b"root"),
    )
    .unwrap();
    let note = cp.sign(&[&log, &w1, &w2]).unwrap();
    let bytes = note.to_bytes();
    let keys = [
        VerifierKey::Ed25519(log.verifier()),
        VerifierKey::Cosignature(w1.verifier()),
        VerifierKey::Cosignature(w2.verifier()),
    ];
    let (back, _, ver) = Checkpoint::open(&bytes, "log.fairtrain.example", &keys).unwrap();
    assert_eq!(back, cp);
    assert_eq!(ver.verified.len(), 3);
    let w2sig = ver.verified.iter().find(|s| s.is_by(&keys[2])).unwrap();
    assert_eq!(
        cosignature_timestamp(w2sig.signature()),
        Some(1_700_000_001)
    );
    // vkeys round-trip through text (how policies are configured).
    for k in &keys {
        assert_eq!(&VerifierKey::parse(&k.to_string()).unwrap(), k);
    }
    // A cosignature is not a log signature: a w1 key under the Ed25519 type
    // has another key ID, so it is unknown and ignored.
    let w1_as_plain = Ed25519NoteSigner::from_seed("w1.example", &[2; 32])
        .unwrap()
        .verifier();
    assert_ne!(w1_as_plain.key_id(), w1.key_id());
    assert_eq!(
        Checkpoint::open(&bytes, "log.fairtrain.example", &[w1_as_plain])
            .unwrap_err()
            .to_string(),
        "note has no signature from a known key"
    );
}
