//! C2SP tlog-checkpoint: the signed tree head, a note whose text is the
//! origin line, the tree size, the base64 root hash and optional extension
//! lines, each ending in a newline.

use std::fmt;

use crate::decimal::parse_u64;
use crate::hash::Hash;
use crate::keys::{NoteSigner, NoteVerifier};
use crate::note::{Note, NoteError, Verification};

/// Why a checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("malformed checkpoint: {0}")]
    Malformed(&'static str),
    #[error("checkpoint is for origin {found:?}, expected {expected:?}")]
    WrongOrigin { expected: String, found: String },
    #[error(transparent)]
    Note(#[from] NoteError),
}

/// A tree head: which log, how many leaves, which root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    origin: String,
    size: u64,
    root: Hash,
    extensions: Vec<String>,
}

fn check_line(line: &str, what: &'static str) -> Result<(), CheckpointError> {
    if line.is_empty() || line.contains('\n') || line.chars().any(|c| c < ' ') {
        return Err(CheckpointError::Malformed(what));
    }
    Ok(())
}

impl Checkpoint {
    /// A checkpoint without extension lines (they are NOT RECOMMENDED).
    pub fn new(origin: &str, size: u64, root: Hash) -> Result<Self, CheckpointError> {
        Self::with_extensions(origin, size, root, Vec::new())
    }

    /// A checkpoint with extension lines (each non-empty, without newline).
    pub fn with_extensions(
        origin: &str,
        size: u64,
        root: Hash,
        extensions: Vec<String>,
    ) -> Result<Self, CheckpointError> {
        check_line(origin, "origin must be a non-empty line")?;
        for ext in &extensions {
            check_line(ext, "extension lines must be non-empty lines")?;
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// Parses a note text as a checkpoint.
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(CheckpointError::Malformed("text must end with a newline"))?;
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or_default();
        let size = lines
            .next()
            .ok_or(CheckpointError::Malformed("missing tree size"))?;
        let root = lines
            .next()
            .ok_or(CheckpointError::Malformed("missing root hash"))?;
        let size = parse_u64(size).ok_or(CheckpointError::Malformed(
            "tree size is not a canonical decimal",
        ))?;
        let root = Hash::from_base64(root)
            .map_err(|_| CheckpointError::Malformed("root hash is not base64 of 32 bytes"))?;
        Self::with_extensions(origin, size, root, lines.map(str::to_owned).collect())
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn root(&self) -> &Hash {
        &self.root
    }

    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// The note text.
    pub fn to_text(&self) -> String {
        self.to_string()
    }

    /// The checkpoint as a note signed by `signers` (the log key first).
    pub fn sign(&self, signers: &[&dyn NoteSigner]) -> Result<Note, CheckpointError> {
        let mut note = Note::new(self.to_text())?;
        for signer in signers {
            note.sign(signer)?;
        }
        Ok(note)
    }

    /// Parses and verifies a signed checkpoint from `origin`. Per the spec
    /// unknown signatures are ignored, so `verifiers` decides who counts:
    /// pass the log's keys (and witnesses', to learn which cosigned).
    pub fn open<V: NoteVerifier>(
        msg: &[u8],
        origin: &str,
        verifiers: &[V],
    ) -> Result<(Checkpoint, Note, Verification), CheckpointError> {
        let note = Note::parse(msg)?;
        // Parse before verifying: a malformed body is reported as such.
        let checkpoint = Checkpoint::parse(note.text())?;
        if checkpoint.origin != origin {
            return Err(CheckpointError::WrongOrigin {
                expected: origin.to_owned(),
                found: checkpoint.origin,
            });
        }
        let verification = note.verify(verifiers)?;
        Ok((checkpoint, note, verification))
    }
}

impl fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.root.to_base64()
        )?;
        for ext in &self.extensions {
            writeln!(f, "{ext}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Ed25519NoteSigner;

    const SPEC_TEXT: &str =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    #[test]
    fn spec_example_parses() {
        let cp = Checkpoint::parse(SPEC_TEXT).unwrap();
        assert_eq!(cp.origin(), "example.com/behind-the-sofa");
        assert_eq!(cp.size(), 20_852_163);
        assert_eq!(
            cp.root().to_base64(),
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
        );
        assert!(cp.extensions().is_empty());
        assert_eq!(cp.to_text(), SPEC_TEXT);
        // The spec's signed example parses as a note too (key not published).
        let signed = format!("{SPEC_TEXT}\n\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n");
        assert_eq!(Note::parse(signed.as_bytes()).unwrap().text(), SPEC_TEXT);
    }

    #[test]
    fn strict_parsing() {
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        let ok = |t: &str| Checkpoint::parse(t).is_ok();
        assert!(ok(&format!("o\n0\n{root}\n")));
        assert!(ok(&format!("o w/ space\n1\n{root}\next one\next two\n")));
        for bad in [
            format!("o\n1\n{root}"),
            format!("\n1\n{root}\n"),
            format!("o\n01\n{root}\n"),
            format!("o\n+1\n{root}\n"),
            format!("o\n1 \n{root}\n"),
            format!("o\n18446744073709551616\n{root}\n"),
            "o\n1\nAAAA\n".to_string(),
            format!("o\n1\n{}\n", root.trim_end_matches('=')),
            format!("o\n1\n{root}\n\n"),
            format!("o\n1\n{root}\next\n\n"),
            "o\n1\n".to_string(),
            "o\n".to_string(),
            String::new(),
        ] {
            assert!(Checkpoint::parse(&bad).is_err(), "{bad:?}");
        }
        let with_ext = Checkpoint::parse(&format!("o\n1\n{root}\nx\ny\n")).unwrap();
        assert_eq!(with_ext.extensions(), ["x", "y"]);
        assert_eq!(with_ext.to_text(), format!("o\n1\n{root}\nx\ny\n"));
        assert!(Checkpoint::new("a\nb", 1, Hash::default()).is_err());
        assert!(Checkpoint::with_extensions("a", 1, Hash::default(), vec![String::new()]).is_err());
    }

    #[test]
    fn sign_and_open() {
        let log = Ed25519NoteSigner::from_seed("log.example/a", &[1; 32]).unwrap();
        let other = Ed25519NoteSigner::from_seed("log.example/b", &[2; 32]).unwrap();
        let cp = Checkpoint::new("log.example/a", 7, crate::hash::leaf_hash(b"r")).unwrap();
        let signed = cp.sign(&[&log]).unwrap().to_bytes();
        let (back, _, v) = Checkpoint::open(&signed, "log.example/a", &[log.verifier()]).unwrap();
        assert_eq!(back, cp);
        assert_eq!(v.verified.len(), 1);
        assert!(matches!(
            Checkpoint::open(&signed, "log.example/b", &[log.verifier()]),
            Err(CheckpointError::WrongOrigin { .. })
        ));
        assert!(matches!(
            Checkpoint::open(&signed, "log.example/a", &[other.verifier()]),
            Err(CheckpointError::Note(NoteError::NoKnownSignature))
        ));
    }
}
