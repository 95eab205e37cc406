//! `fairtrain log …`: verify the platform's transparency log offline —
//! signed checkpoints, inclusion proofs (C2SP tlog-proof), consistency
//! proofs, and whole mirrors of the log's tiles (C2SP tlog-tiles).
//!
//! Every Merkle, tile and signed-note operation is `fairtrain-tlog`'s; this
//! module only reads files and answers, and decides which keys count: the
//! platform's published keys (`fairtrain_core::key_set`), as Ed25519 note
//! keys named by the log's origin.

mod mirror;
#[cfg(test)]
mod test_support;

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, ensure, Context, Result};
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::PublicKey;
use fairtrain_core::jcs;
use fairtrain_core::key_set::PublishedKey;
use fairtrain_tlog::{
    leaf_hash, verify_consistency, Checkpoint, Ed25519NoteVerifier, Hash, Note, ProofPolicy,
    TlogProof, Verification,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::client::Api;

#[derive(clap::Args)]
pub struct Args {
    /// A saved key set (`fairtrain keys fetch --out FILE`) for fully offline
    /// use; without it the key set is fetched from --url and verified.
    #[arg(long, global = true, value_name = "FILE")]
    keys: Option<PathBuf>,
    /// Require this log origin; otherwise the checkpoint's first line is taken.
    #[arg(long, global = true)]
    origin: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
pub enum Command {
    /// Verify a signed checkpoint (C2SP tlog-checkpoint) with the platform's keys.
    VerifyCheckpoint { file: PathBuf },
    /// Verify that an entry is in the log: with a tlog-proof (--proof), or
    /// with the raw --index, --checkpoint and --hashes.
    VerifyInclusion {
        /// The entry's exact bytes.
        #[arg(long)]
        entry: PathBuf,
        /// A C2SP tlog-proof.
        #[arg(long, required_unless_present = "index", conflicts_with_all = ["index", "checkpoint", "hashes"])]
        proof: Option<PathBuf>,
        /// The entry's leaf index.
        #[arg(long, requires_all = ["checkpoint", "hashes"])]
        index: Option<u64>,
        /// The signed checkpoint the proof leads to.
        #[arg(long, requires = "index")]
        checkpoint: Option<PathBuf>,
        /// The inclusion proof: base64 hashes, one per line, leaf's sibling first.
        #[arg(long, requires = "index")]
        hashes: Option<PathBuf>,
    },
    /// Verify a C2SP tlog-proof for an entry.
    VerifyProof {
        /// The tlog-proof file.
        proof: PathBuf,
        /// The entry's exact bytes.
        #[arg(long)]
        entry: PathBuf,
    },
    /// Verify that the log's tree at the --new checkpoint extends the one at --old.
    VerifyConsistency {
        #[arg(long)]
        old: PathBuf,
        #[arg(long)]
        new: PathBuf,
        /// The JSON answer of GET /v1/log/consistency?from=<old>&to=<new>.
        #[arg(long)]
        proof: PathBuf,
    },
    /// Fetch an entry and its tlog-proof by the entry's sha256:<hex>, verify
    /// them, and write entry.json and proof.tlog-proof.
    FetchProof {
        entry_hash: String,
        #[arg(long)]
        out_dir: PathBuf,
    },
    /// Download and verify every tile and entry bundle of the log's latest
    /// checkpoint into DIR (tlog-tiles layout). URL is the log's tlog-tiles
    /// prefix; a bare host (no path) means <URL>/log.
    Mirror { url: String, dir: PathBuf },
    /// Verify a mirrored directory offline: checkpoint, tiles and bundles.
    VerifyMirror { dir: PathBuf },
}

pub fn run(api: &Api, args: Args) -> Result<()> {
    let (_, keys) = super::keys::load(api, args.keys.as_deref())?;
    let v = Verifier::new(&keys, args.origin)?;
    let summary = match args.command {
        Command::VerifyCheckpoint { file } => v.open_checkpoint(&read(&file)?)?.to_json(),
        Command::VerifyInclusion {
            entry,
            proof,
            index,
            checkpoint,
            hashes,
        } => {
            let proof = match (proof, index, checkpoint, hashes) {
                (Some(proof), ..) => read_proof(&proof)?,
                (None, Some(index), Some(checkpoint), Some(hashes)) => TlogProof {
                    extra: Vec::new(),
                    index,
                    inclusion_proof: parse_hash_lines(&read(&hashes)?)
                        .with_context(|| format!("reading hashes from {}", hashes.display()))?,
                    checkpoint: read(&checkpoint)?,
                },
                _ => bail!("give --proof, or --index with --checkpoint and --hashes"),
            };
            v.verify_entry(&read(&entry)?, &proof)?
        }
        Command::VerifyProof { proof, entry } => {
            v.verify_entry(&read(&entry)?, &read_proof(&proof)?)?
        }
        Command::VerifyConsistency { old, new, proof } => {
            let proof: ConsistencyProof = serde_json::from_slice(&read(&proof)?)
                .with_context(|| format!("{} is not a consistency proof", proof.display()))?;
            v.verify_consistency(&read(&old)?, &read(&new)?, &proof)?
        }
        Command::FetchProof {
            entry_hash,
            out_dir,
        } => fetch_proof(api, &v, &entry_hash, &out_dir)?,
        Command::Mirror { url, dir } => mirror::mirror(&v, &url, &dir)?,
        Command::VerifyMirror { dir } => mirror::verify_mirror(&v, &dir)?,
    };
    super::print_json(&summary)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

fn read_proof(path: &Path) -> Result<TlogProof> {
    TlogProof::parse(&read(path)?)
        .with_context(|| format!("{} is not a C2SP tlog-proof", path.display()))
}

/// Base64 hashes, one per line (blank lines ignored).
fn parse_hash_lines(data: &[u8]) -> Result<Vec<Hash>> {
    let text = std::str::from_utf8(data).context("not UTF-8")?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| Hash::from_base64(line.trim()).with_context(|| format!("line {}", i + 1)))
        .collect()
}

/// The answer of `GET /v1/log/consistency?from=<a>&to=<b>`.
#[derive(Deserialize)]
struct ConsistencyProof {
    from: u64,
    to: u64,
    proof: Vec<String>,
}

/// The answer of `GET /v1/log/entries/<entry_hash>`.
#[derive(Deserialize)]
struct FetchedEntry {
    index: u64,
    entry_hash: String,
    entry: Value,
    proof: String,
}

/// Decides which signatures count: the platform's keys (each as an Ed25519
/// note key named by the log's origin), and the origin if one is required.
pub(crate) struct Verifier {
    /// (kid, key) for every key in the verified key set, retired ones too,
    /// so checkpoints signed before a rotation still verify.
    keys: Vec<(String, PublicKey)>,
    origin: Option<String>,
}

/// A checkpoint whose signature verified.
pub(crate) struct OpenedCheckpoint {
    pub checkpoint: Checkpoint,
    /// The kid of the platform key that signed it.
    pub signer_kid: String,
    /// Names on signatures by keys we do not know (e.g. witnesses), unchecked.
    pub other_signatures: Vec<String>,
}

impl OpenedCheckpoint {
    pub fn to_json(&self) -> Value {
        json!({
            "origin": self.checkpoint.origin(),
            "size": self.checkpoint.size(),
            "root": self.checkpoint.root().to_base64(),
            "signer_kid": self.signer_kid,
            "other_signatures": self.other_signatures,
        })
    }

    fn describe(&self) -> String {
        format!(
            "{} size {} root {} signed by {}",
            self.checkpoint.origin(),
            self.checkpoint.size(),
            self.checkpoint.root(),
            self.signer_kid
        )
    }
}

impl Verifier {
    pub fn new(keys: &[PublishedKey], origin: Option<String>) -> Result<Self> {
        let keys = keys
            .iter()
            .map(|k| Ok((k.kid.clone(), k.public_key()?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Verifier { keys, origin })
    }

    fn note_verifiers(&self, origin: &str) -> Result<Vec<Ed25519NoteVerifier>> {
        self.keys
            .iter()
            .map(|(_, key)| {
                Ed25519NoteVerifier::new(origin, *key)
                    .with_context(|| format!("origin {origin:?} is not a valid note key name"))
            })
            .collect()
    }

    /// The origin a signed checkpoint claims (checked against the required
    /// one, if any). Not trusted until its signature verifies.
    fn origin_of(&self, signed: &[u8]) -> Result<String> {
        let note = Note::parse(signed).context("not a signed note")?;
        let checkpoint = Checkpoint::parse(note.text()).context("not a tlog-checkpoint")?;
        let origin = checkpoint.origin();
        if let Some(required) = &self.origin {
            ensure!(
                origin == required,
                "the checkpoint is for origin {origin:?}, not {required:?}"
            );
        }
        Ok(origin.to_owned())
    }

    fn opened(
        &self,
        checkpoint: Checkpoint,
        verifiers: &[Ed25519NoteVerifier],
        verification: &Verification,
    ) -> OpenedCheckpoint {
        let kid = verification.verified.iter().find_map(|sig| {
            let i = verifiers.iter().position(|v| sig.is_by(v))?;
            self.keys.get(i).map(|(kid, _)| kid.clone())
        });
        OpenedCheckpoint {
            checkpoint,
            // Opening succeeds only with a signature by one of `verifiers`.
            signer_kid: kid.unwrap_or_default(),
            other_signatures: verification
                .unverified
                .iter()
                .map(|s| format!("{}+{:08x}", s.name(), s.key_id()))
                .collect(),
        }
    }

    /// Parses a signed checkpoint and verifies it is signed by a platform key.
    pub fn open_checkpoint(&self, signed: &[u8]) -> Result<OpenedCheckpoint> {
        let origin = self.origin_of(signed)?;
        let verifiers = self.note_verifiers(&origin)?;
        let (checkpoint, _, verification) = Checkpoint::open(signed, &origin, &verifiers)
            .context("the checkpoint is not signed by the platform's keys")?;
        let opened = self.opened(checkpoint, &verifiers, &verification);
        eprintln!("ok  checkpoint {}", opened.describe());
        Ok(opened)
    }

    /// Verifies that `entry` (its exact bytes) is in the log: `proof`'s
    /// checkpoint is signed by a platform key and its inclusion proof leads
    /// from the entry's leaf hash to that checkpoint's root.
    pub fn verify_entry(&self, entry: &[u8], proof: &TlogProof) -> Result<Value> {
        let origin = self.origin_of(&proof.checkpoint)?;
        let policy = ProofPolicy {
            log_keys: self.note_verifiers(&origin)?,
            origin,
            witnesses: Vec::new(),
            min_witnesses: 0,
        };
        let leaf = leaf_hash(entry);
        let verified = proof
            .verify(&leaf, &policy)
            .context("the entry's inclusion proof does not verify")?;
        let opened = self.opened(
            verified.checkpoint,
            &policy.log_keys,
            &verified.verification,
        );
        let digest = Sha256Digest::of(entry);
        eprintln!(
            "ok  entry {digest} is leaf {} of checkpoint {}",
            proof.index,
            opened.describe()
        );
        Ok(json!({
            "verified": "inclusion",
            "entry_hash": digest.to_string(),
            "leaf_hash": leaf.to_base64(),
            "index": proof.index,
            "checkpoint": opened.to_json(),
        }))
    }

    /// Verifies both checkpoints, that they are of one log, and that
    /// `proof` shows the new tree extends the old one.
    fn verify_consistency(
        &self,
        old: &[u8],
        new: &[u8],
        proof: &ConsistencyProof,
    ) -> Result<Value> {
        let old = self.open_checkpoint(old).context("the old checkpoint")?;
        let new = self.open_checkpoint(new).context("the new checkpoint")?;
        let (o, n) = (&old.checkpoint, &new.checkpoint);
        ensure!(
            o.origin() == n.origin(),
            "the checkpoints are of different logs: {:?} and {:?}",
            o.origin(),
            n.origin()
        );
        ensure!(
            (proof.from, proof.to) == (o.size(), n.size()),
            "the proof is from size {} to {}, the checkpoints are of sizes {} and {}",
            proof.from,
            proof.to,
            o.size(),
            n.size()
        );
        let hashes = proof
            .proof
            .iter()
            .enumerate()
            .map(|(i, h)| Hash::from_base64(h).with_context(|| format!("proof hash {i}")))
            .collect::<Result<Vec<_>>>()?;
        verify_consistency(o.size(), n.size(), o.root(), n.root(), &hashes)
            .context("the consistency proof does not verify")?;
        eprintln!("ok  size {} extends size {}", n.size(), o.size());
        Ok(json!({
            "verified": "consistency",
            "old": old.to_json(),
            "new": new.to_json(),
        }))
    }
}

/// `GET /v1/log/entries/<entry_hash>`: checks the answer is the entry asked
/// for and its proof verifies, then writes `entry.json` (the entry's exact
/// canonical bytes) and `proof.tlog-proof` into `out_dir`.
fn fetch_proof(api: &Api, v: &Verifier, entry_hash: &str, out_dir: &Path) -> Result<Value> {
    let digest: Sha256Digest = entry_hash
        .parse()
        .context("the entry hash must be sha256:<64 lowercase hex digits>")?;
    let answer = api.get(&format!("/v1/log/entries/{digest}"))?;
    if answer.get("status").and_then(Value::as_str) == Some("pooled") {
        bail!("entry {digest} is accepted but not sequenced yet; try again shortly");
    }
    let fetched: FetchedEntry =
        serde_json::from_value(answer).context("unexpected answer from /v1/log/entries")?;
    let entry = jcs::canonicalize_bytes(&fetched.entry).context("the entry is not JCS-able")?;
    let got = Sha256Digest::of(&entry);
    ensure!(
        got == digest && fetched.entry_hash == entry_hash,
        "asked for entry {digest}, got one whose canonical bytes hash to {got} (it says {})",
        fetched.entry_hash
    );
    let proof =
        TlogProof::parse(fetched.proof.as_bytes()).context("the proof is not a tlog-proof")?;
    ensure!(
        proof.index == fetched.index,
        "the answer says index {} but its proof is for index {}",
        fetched.index,
        proof.index
    );
    let mut summary = v.verify_entry(&entry, &proof)?;
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    for (name, data) in [
        ("entry.json", &entry),
        ("proof.tlog-proof", &proof.to_bytes()),
    ] {
        let path = out_dir.join(name);
        std::fs::write(&path, data).with_context(|| format!("writing {}", path.display()))?;
    }
    let obj = summary
        .as_object_mut()
        .ok_or_else(|| anyhow!("internal: summary is not an object"))?;
    obj.insert("out_dir".into(), json!(out_dir.display().to_string()));
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::test_support::TestLog;
    use super::*;

    #[test]
    fn checkpoints_verify_and_tampering_fails() {
        let log = TestLog::new(300);
        let v = log.verifier(None);
        let opened = v.open_checkpoint(&log.checkpoint).unwrap();
        assert_eq!(opened.checkpoint.size(), 300);
        assert_eq!(*opened.checkpoint.root(), log.tree.root());
        assert_eq!(opened.signer_kid, log.kid);
        assert!(log
            .verifier(Some(test_support::ORIGIN))
            .open_checkpoint(&log.checkpoint)
            .is_ok());
        assert!(log
            .verifier(Some("other.example/log"))
            .open_checkpoint(&log.checkpoint)
            .is_err());
        // A changed size (the signature no longer matches), or another key.
        let forged = String::from_utf8(log.checkpoint.clone())
            .unwrap()
            .replacen("\n300\n", "\n301\n", 1);
        assert!(v.open_checkpoint(forged.as_bytes()).is_err());
        let stranger = TestLog::with_seed(300, 9);
        assert!(v.open_checkpoint(&stranger.checkpoint).is_err());
    }

    #[test]
    fn tlog_proofs_verify_and_tampering_fails() {
        let log = TestLog::new(300);
        let v = log.verifier(None);
        for index in [0u64, 1, 255, 256, 299] {
            let proof = log.proof(index);
            let back = TlogProof::parse(&proof.to_bytes()).unwrap();
            let summary = v.verify_entry(&log.entries[index as usize], &back).unwrap();
            assert_eq!(summary["index"], index);
            // Another entry, another index, or a changed proof hash fails.
            let other = &log.entries[(index as usize + 1) % 300];
            assert!(v.verify_entry(other, &back).is_err());
            let mut moved = back.clone();
            moved.index = (index + 1) % 300;
            assert!(v
                .verify_entry(&log.entries[index as usize], &moved)
                .is_err());
            let mut bent = back.clone();
            bent.inclusion_proof[0].0[0] ^= 1;
            assert!(v.verify_entry(&log.entries[index as usize], &bent).is_err());
        }
        // The raw form (hash lines) is the same proof.
        let proof = log.proof(7);
        let lines: String = proof
            .inclusion_proof
            .iter()
            .map(|h| format!("{h}\n"))
            .collect();
        assert_eq!(
            parse_hash_lines(lines.as_bytes()).unwrap(),
            proof.inclusion_proof
        );
        assert!(parse_hash_lines(b"not base64\n").is_err());
        // A proof whose checkpoint a stranger signed fails.
        let stranger = TestLog::with_seed(300, 9);
        assert!(v
            .verify_entry(&stranger.entries[7], &stranger.proof(7))
            .is_err());
    }

    #[test]
    fn consistency_proofs() {
        let small = TestLog::new(100);
        let big = TestLog::new(700);
        let v = big.verifier(None);
        let hashes = fairtrain_tlog::consistency_proof(100, 700, &big.tree).unwrap();
        let proof = ConsistencyProof {
            from: 100,
            to: 700,
            proof: hashes.iter().map(Hash::to_base64).collect(),
        };
        v.verify_consistency(&small.checkpoint, &big.checkpoint, &proof)
            .unwrap();
        // Swapped checkpoints, wrong sizes, or a bent hash fail.
        assert!(v
            .verify_consistency(&big.checkpoint, &small.checkpoint, &proof)
            .is_err());
        let wrong_sizes = ConsistencyProof { from: 101, ..proof };
        assert!(v
            .verify_consistency(&small.checkpoint, &big.checkpoint, &wrong_sizes)
            .is_err());
        let mut bent = hashes.clone();
        bent[0].0[0] ^= 1;
        let bent = ConsistencyProof {
            from: 100,
            to: 700,
            proof: bent.iter().map(Hash::to_base64).collect(),
        };
        assert!(v
            .verify_consistency(&small.checkpoint, &big.checkpoint, &bent)
            .is_err());
        // A different log of the same sizes is not consistent.
        let other = TestLog::with_entries(100, "other", 1);
        let proof = ConsistencyProof {
            from: 100,
            to: 700,
            proof: hashes.iter().map(Hash::to_base64).collect(),
        };
        assert!(v
            .verify_consistency(&other.checkpoint, &big.checkpoint, &proof)
            .is_err());
    }

    #[test]
    fn fetch_proof_writes_and_verifies() {
        let log = TestLog::new(300);
        let v = log.verifier(None);
        let entry = &log.entries[42];
        let hash = Sha256Digest::of(entry).to_string();
        let answer = |index: u64, entry: &[u8]| {
            let entry: Value = serde_json::from_slice(entry).unwrap();
            let body = json!({
                "index": index,
                "entry_hash": hash,
                "entry": entry,
                "proof": String::from_utf8(log.proof(42).to_bytes()).unwrap(),
            });
            serde_json::to_vec(&body).unwrap()
        };
        let mut files = std::collections::HashMap::new();
        files.insert(format!("/v1/log/entries/{hash}"), answer(42, entry));
        let api = Api::new(&test_support::serve(files), None);
        let dir = test_support::TempDir::new();
        let out = dir.path().join("out");
        fetch_proof(&api, &v, &hash, &out).unwrap();
        assert_eq!(std::fs::read(out.join("entry.json")).unwrap(), *entry);
        let proof = read_proof(&out.join("proof.tlog-proof")).unwrap();
        v.verify_entry(&read(&out.join("entry.json")).unwrap(), &proof)
            .unwrap();

        // An answer with another entry, or another index, is refused.
        let mut files = std::collections::HashMap::new();
        files.insert(
            format!("/v1/log/entries/{hash}"),
            answer(42, &log.entries[43]),
        );
        let api = Api::new(&test_support::serve(files), None);
        assert!(fetch_proof(&api, &v, &hash, &dir.path().join("a")).is_err());
        let mut files = std::collections::HashMap::new();
        files.insert(format!("/v1/log/entries/{hash}"), answer(41, entry));
        let api = Api::new(&test_support::serve(files), None);
        assert!(fetch_proof(&api, &v, &hash, &dir.path().join("b")).is_err());
        assert!(!dir.path().join("b").exists());
        assert!(fetch_proof(&api, &v, "sha256:ABC", &dir.path().join("c")).is_err());
    }
}
