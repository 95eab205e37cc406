//! Small logs built in memory for the `log` commands' tests: entries, a
//! tree, a checkpoint signed with a known seed, the matching key set, and a
//! tiny HTTP server to fetch them from.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fairtrain_core::data_integrity::{self, ProofOptions};
use fairtrain_core::did_key::DidKey;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::key_set::{self, PublishedKey};
use fairtrain_core::time::Timestamp;
use fairtrain_tlog::tile_math::{changed_bundles, changed_tiles};
use fairtrain_tlog::tile_reader::tile_data;
use fairtrain_tlog::{encode_bundle, Checkpoint, Ed25519NoteSigner, MemoryTree, TlogProof};
use serde_json::json;

use super::Verifier;

pub const ORIGIN: &str = "fairtrain.test/log";

pub struct TestLog {
    pub entries: Vec<Vec<u8>>,
    pub tree: MemoryTree,
    pub checkpoint: Vec<u8>,
    pub kid: String,
    pub key_set: serde_json::Value,
    keys: Vec<PublishedKey>,
}

impl TestLog {
    pub fn new(size: u64) -> Self {
        Self::with_entries(size, "entry", 1)
    }

    /// The same entries, signed by another key.
    pub fn with_seed(size: u64, seed: u8) -> Self {
        Self::with_entries(size, "entry", seed)
    }

    /// `size` canonical-JSON entries named `kind`, signed with key `[seed; 32]`.
    pub fn with_entries(size: u64, kind: &str, seed: u8) -> Self {
        let entries: Vec<Vec<u8>> = (0..size)
            .map(|n| format!(r#"{{"kind":"{kind}","n":{n}}}"#).into_bytes())
            .collect();
        let tree = MemoryTree::from_entries(entries.iter().map(Vec::as_slice));
        let key = SigningKey::from_seed(&[seed; 32]);
        let signer = Ed25519NoteSigner::new(ORIGIN, key.clone()).unwrap();
        let checkpoint = Checkpoint::new(ORIGIN, size, tree.root())
            .unwrap()
            .sign(&[&signer])
            .unwrap()
            .to_bytes();
        let t = Timestamp::parse_rfc3339("2026-01-01T00:00:00Z").unwrap();
        let published = PublishedKey::describe(key.public_key(), true, t, None);
        let doc = json!({
            "issuer": published.controller,
            "active": published.kid,
            "keys": [published],
        });
        let did = DidKey::from_public_key(key.public_key());
        let key_set = data_integrity::sign(&doc, ProofOptions::assertion(&did, t), &key).unwrap();
        let keys = key_set::verify(&key_set).unwrap();
        TestLog {
            entries,
            tree,
            checkpoint,
            kid: keys[0].kid.clone(),
            key_set,
            keys,
        }
    }

    pub fn verifier(&self, origin: Option<&str>) -> Verifier {
        Verifier::new(&self.keys, origin.map(str::to_owned)).unwrap()
    }

    pub fn proof(&self, index: u64) -> TlogProof {
        TlogProof::build(index, &self.checkpoint, &self.tree, Vec::new()).unwrap()
    }

    /// What the log serves, by URL path: the checkpoint, tiles and bundles
    /// under `/log/`, and the key set.
    pub fn served(&self) -> HashMap<String, Vec<u8>> {
        let size = self.tree.size();
        let mut out = HashMap::new();
        out.insert("/log/checkpoint".to_owned(), self.checkpoint.clone());
        for tile in changed_tiles(0, size).unwrap() {
            out.insert(format!("/log/{tile}"), tile_data(tile, &self.tree).unwrap());
        }
        for bundle in changed_bundles(0, size).unwrap() {
            let first = bundle.index() as usize * 256;
            let entries = &self.entries[first..first + usize::from(bundle.width())];
            let data = encode_bundle(entries.iter().map(Vec::as_slice)).unwrap();
            out.insert(format!("/log/{bundle}"), data);
        }
        out.insert(
            "/.well-known/fairtrain/keys".to_owned(),
            serde_json::to_vec(&self.key_set).unwrap(),
        );
        out
    }

    /// The log's files as a mirror directory holds them.
    pub fn write_mirror(&self, dir: &Path) {
        for (path, data) in self.served() {
            if let Some(rel) = path.strip_prefix("/log/") {
                let path = dir.join(rel);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, data).unwrap();
            }
        }
    }
}

/// Serves `files` (by exact path) over HTTP/1.1 on localhost, 404 for
/// anything else; returns the base URL. Runs until the test ends.
pub fn serve(files: HashMap<String, Vec<u8>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let files = Arc::new(files);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let files = Arc::clone(&files);
            std::thread::spawn(move || answer(stream, &files));
        }
    });
    url
}

fn answer(mut stream: TcpStream, files: &HashMap<String, Vec<u8>>) -> Option<()> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 || header == "\r\n" {
            break;
        }
    }
    let path = request_line.split(' ').nth(1)?;
    let (status, body) = match files.get(path) {
        Some(body) => ("200 OK", body.as_slice()),
        None => ("404 Not Found", &b"not found"[..]),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body).ok()
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let name = format!(
            "fairtrain-cli-test-{:016x}",
            u64::from_le_bytes(crate::random::bytes().unwrap())
        );
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
