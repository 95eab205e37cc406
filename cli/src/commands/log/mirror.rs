//! `fairtrain log mirror` and `fairtrain log verify-mirror`: every tile and
//! entry bundle of a checkpoint's tree, in the C2SP tlog-tiles layout
//! (`checkpoint`, `tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]`),
//! authenticated against the checkpoint's signed root.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use anyhow::{anyhow, ensure, Context, Result};
use fairtrain_tlog::note::MAX_NOTE_SIZE;
use fairtrain_tlog::tile_math::{changed_bundles, changed_tiles};
use fairtrain_tlog::{tree_hash, verify_bundle, BundleId, Checkpoint, TileId, TileSet};
use fairtrain_tlog::{HASH_SIZE, TILE_WIDTH};
use serde_json::{json, Value};

use super::{OpenedCheckpoint, Verifier};
use crate::client::Api;

/// Concurrent downloads (or file reads).
const THREADS: usize = 8;
const CHECKPOINT_LIMIT: u64 = MAX_NOTE_SIZE as u64;
const TILE_LIMIT: u64 = TILE_WIDTH as u64 * HASH_SIZE as u64;
/// 256 entries, each a 2-byte length and at most 65535 bytes.
const BUNDLE_LIMIT: u64 = TILE_WIDTH as u64 * (2 + u16::MAX as u64);

/// Every tile and entry bundle of a tree, with its bytes. Built only by
/// [`load`], which reads every one the tree has.
struct Contents {
    tiles: TileSet,
    bundles: Vec<(BundleId, Vec<u8>)>,
}

/// Reads every tile and bundle of the tree of `size` leaves (each at its
/// path in that tree) through `read(path, max_len)`, a few at a time.
fn load(size: u64, read: impl Fn(&str, u64) -> Result<Vec<u8>> + Sync) -> Result<Contents> {
    let tiles: Vec<TileId> = changed_tiles(0, size)?;
    let bundles: Vec<BundleId> = changed_bundles(0, size)?;
    let wanted: Vec<(String, u64)> = tiles
        .iter()
        .map(|t| (t.path(), TILE_LIMIT))
        .chain(bundles.iter().map(|b| (b.path(), BUNDLE_LIMIT)))
        .collect();
    let mut data = read_all(&wanted, read)?.into_iter();
    let mut set = TileSet::new();
    for (tile, bytes) in tiles.iter().zip(data.by_ref()) {
        set.insert(*tile, bytes)?;
    }
    Ok(Contents {
        tiles: set,
        bundles: bundles.into_iter().zip(data).collect(),
    })
}

/// Checks every tile against the checkpoint's root (`TileSet::authenticate`)
/// and every entry bundle against its level-0 tile.
fn verify(checkpoint: &Checkpoint, contents: &Contents) -> Result<()> {
    contents
        .tiles
        .authenticate(checkpoint.size(), checkpoint.root())
        .context("the tiles do not authenticate against the checkpoint's root")?;
    for (bundle, data) in &contents.bundles {
        let (_, tile) = contents
            .tiles
            .get(0, bundle.index())
            .filter(|(tile, _)| *tile == bundle.tile())
            .ok_or_else(|| anyhow!("tile {} is missing", bundle.tile()))?;
        verify_bundle(data, tile).with_context(|| {
            format!(
                "entry bundle {bundle} does not match tile {}",
                bundle.tile()
            )
        })?;
    }
    Ok(())
}

fn summary(dir: &Path, opened: &OpenedCheckpoint, contents: &Contents) -> Value {
    json!({
        "verified": "mirror",
        "dir": dir.display().to_string(),
        "checkpoint": opened.to_json(),
        "tiles": contents.tiles.len(),
        "entry_bundles": contents.bundles.len(),
        "entries": opened.checkpoint.size(),
    })
}

/// The tlog-tiles prefix for `url`: as given, or `<url>/log` for a bare
/// host (the fairtrain API serves the log under `/log`).
fn log_prefix(url: &str) -> String {
    let url = url.trim_end_matches('/');
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    if after_scheme.contains('/') {
        url.to_owned()
    } else {
        format!("{url}/log")
    }
}

/// Downloads the log's latest checkpoint and its whole tree into `dir`,
/// verifies everything, and, if `dir` already held a checkpoint, that the
/// new tree extends it. Tiles are written before the checkpoint, so `dir`
/// always holds everything its checkpoint needs.
pub fn mirror(v: &Verifier, url: &str, dir: &Path) -> Result<Value> {
    // No token: the log is public, and the mirror may be anyone's.
    let log = Api::new(&log_prefix(url), None);
    let signed = log.get_bytes("/checkpoint", CHECKPOINT_LIMIT)?;
    let opened = v.open_checkpoint(&signed).context("the log's checkpoint")?;
    let previous = previous_checkpoint(v, dir)?;
    let (new, size) = (&opened.checkpoint, opened.checkpoint.size());
    if let Some(old) = &previous {
        ensure!(
            old.origin() == new.origin(),
            "{} mirrors {:?}, not {:?}",
            dir.display(),
            old.origin(),
            new.origin()
        );
        ensure!(
            old.size() <= size,
            "the log's checkpoint (size {size}) is older than the mirror's (size {})",
            old.size()
        );
    }
    let contents = load(size, |path, limit| {
        log.get_bytes(&format!("/{path}"), limit)
    })?;
    verify(new, &contents)?;
    if let Some(old) = &previous {
        // The new tiles are bound to the new root; the old root must be
        // the root of their first old.size() leaves.
        let old_root = tree_hash(old.size(), &contents.tiles)?;
        ensure!(
            old_root == *old.root(),
            "the log's tree of size {size} does not extend the mirror's checkpoint of size {}: the log forked or rewrote history",
            old.size()
        );
        eprintln!("ok  size {size} extends the mirror's size {}", old.size());
    }
    write(dir, &contents, &signed)?;
    eprintln!(
        "ok  mirrored {} tiles and {} entry bundles into {}",
        contents.tiles.len(),
        contents.bundles.len(),
        dir.display()
    );
    let mut out = summary(dir, &opened, &contents);
    out["previous_size"] = json!(previous.map(|c| c.size()));
    Ok(out)
}

/// Verifies a mirror offline: its checkpoint, then every tile and bundle
/// of that checkpoint's tree.
pub fn verify_mirror(v: &Verifier, dir: &Path) -> Result<Value> {
    let signed = read_limited(&dir.join("checkpoint"), CHECKPOINT_LIMIT)?;
    let opened = v.open_checkpoint(&signed)?;
    let contents = load(opened.checkpoint.size(), |path, limit| {
        read_limited(&dir.join(path), limit)
    })?;
    verify(&opened.checkpoint, &contents)?;
    eprintln!(
        "ok  {} tiles and {} entry bundles in {}",
        contents.tiles.len(),
        contents.bundles.len(),
        dir.display()
    );
    Ok(summary(dir, &opened, &contents))
}

/// The checkpoint `dir` already mirrors, if any; it must verify.
fn previous_checkpoint(v: &Verifier, dir: &Path) -> Result<Option<Checkpoint>> {
    let path = dir.join("checkpoint");
    if !path.exists() {
        return Ok(None);
    }
    let opened = v
        .open_checkpoint(&read_limited(&path, CHECKPOINT_LIMIT)?)
        .with_context(|| format!("{} (remove it to start afresh)", path.display()))?;
    Ok(Some(opened.checkpoint))
}

fn write(dir: &Path, contents: &Contents, checkpoint: &[u8]) -> Result<()> {
    let tiles = contents.tiles.iter().map(|(t, d)| (t.path(), d));
    let bundles = contents
        .bundles
        .iter()
        .map(|(b, d)| (b.path(), d.as_slice()));
    for (rel, data) in tiles.chain(bundles) {
        let path = dir.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, data).with_context(|| format!("writing {}", path.display()))?;
    }
    // Last, and atomically: the checkpoint is what says the mirror is complete.
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let (tmp, path) = (dir.join("checkpoint.tmp"), dir.join("checkpoint"));
    std::fs::write(&tmp, checkpoint).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))
}

fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut data = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut data)
        .with_context(|| format!("reading {}", path.display()))?;
    ensure!(
        data.len() as u64 <= limit,
        "{} is larger than {limit} bytes",
        path.display()
    );
    Ok(data)
}

/// Results of one worker: (item number, bytes).
type Got = Vec<(usize, Vec<u8>)>;

/// `read(path, limit)` for every item, on a few threads; results in order.
/// The first failure stops the others and is returned.
fn read_all(
    items: &[(String, u64)],
    read: impl Fn(&str, u64) -> Result<Vec<u8>> + Sync,
) -> Result<Vec<Vec<u8>>> {
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let worker = || -> Result<Got> {
        let mut got = Vec::new();
        while !failed.load(Ordering::Relaxed) {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some((path, limit)) = items.get(i) else {
                break;
            };
            match read(path, *limit).with_context(|| format!("fetching {path}")) {
                Ok(data) => got.push((i, data)),
                Err(e) => {
                    failed.store(true, Ordering::Relaxed);
                    return Err(e);
                }
            }
        }
        Ok(got)
    };
    let results: Vec<Result<Got>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS.min(items.len()))
            .map(|_| s.spawn(worker))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow!("a worker thread panicked")))
            })
            .collect()
    });
    let mut out: Vec<Option<Vec<u8>>> = vec![None; items.len()];
    for result in results {
        for (i, data) in result? {
            if let Some(slot) = out.get_mut(i) {
                *slot = Some(data);
            }
        }
    }
    out.into_iter()
        .zip(items)
        .map(|(data, (path, _))| data.ok_or_else(|| anyhow!("{path} was not read")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{serve, TempDir, TestLog, ORIGIN};
    use super::*;

    fn flip_byte(path: &Path, at: usize) {
        let mut data = std::fs::read(path).unwrap();
        let at = at.min(data.len() - 1);
        data[at] ^= 1;
        std::fs::write(path, data).unwrap();
    }

    #[test]
    fn prefixes() {
        assert_eq!(
            log_prefix("http://127.0.0.1:8787"),
            "http://127.0.0.1:8787/log"
        );
        assert_eq!(
            log_prefix("http://127.0.0.1:8787/"),
            "http://127.0.0.1:8787/log"
        );
        assert_eq!(
            log_prefix("https://x.example/log/"),
            "https://x.example/log"
        );
        assert_eq!(
            log_prefix("https://cdn.example/fairtrain"),
            "https://cdn.example/fairtrain"
        );
    }

    #[test]
    fn verify_mirror_passes_and_catches_tampering() {
        // 600 entries: full and partial tiles and bundles, two tile levels.
        let log = TestLog::new(600);
        let v = log.verifier(Some(ORIGIN));
        let dir = TempDir::new();
        log.write_mirror(dir.path());
        let summary = verify_mirror(&v, dir.path()).unwrap();
        assert_eq!(summary["entries"], 600);
        assert_eq!(summary["tiles"], 4);
        assert_eq!(summary["entry_bundles"], 3);

        for (rel, at) in [
            ("tile/0/000", 5),
            ("tile/0/001", 8191),
            ("tile/0/002.p/88", 100),
            ("tile/1/000.p/2", 0),
            ("tile/entries/000", 0),
            ("tile/entries/001", 10),
            ("tile/entries/002.p/88", 9999),
            ("checkpoint", 25),
        ] {
            let path = dir.path().join(rel);
            flip_byte(&path, at);
            assert!(verify_mirror(&v, dir.path()).is_err(), "{rel} tampered");
            flip_byte(&path, at);
            verify_mirror(&v, dir.path()).unwrap();
        }
        // A validly signed checkpoint of another tree of this size fails.
        let checkpoint = dir.path().join("checkpoint");
        let forked = TestLog::with_entries(600, "forked", 1);
        std::fs::write(&checkpoint, &forked.checkpoint).unwrap();
        assert!(verify_mirror(&v, dir.path()).is_err());
        std::fs::write(&checkpoint, &log.checkpoint).unwrap();
        // A truncated or missing bundle fails too.
        let bundle = dir.path().join("tile/entries/001");
        let data = std::fs::read(&bundle).unwrap();
        std::fs::write(&bundle, &data[..data.len() - 1]).unwrap();
        assert!(verify_mirror(&v, dir.path()).is_err());
        std::fs::remove_file(&bundle).unwrap();
        assert!(verify_mirror(&v, dir.path()).is_err());
    }

    #[test]
    fn a_three_level_mirror() {
        // The spec's example tree of 70,000: levels 0-2, full and partial.
        let log = TestLog::new(70_000);
        let v = log.verifier(None);
        let dir = TempDir::new();
        log.write_mirror(dir.path());
        let summary = verify_mirror(&v, dir.path()).unwrap();
        assert_eq!(summary["tiles"], 274 + 2 + 1);
        assert_eq!(summary["entry_bundles"], 274);
        for rel in ["tile/1/000", "tile/2/000.p/1"] {
            flip_byte(&dir.path().join(rel), 7);
            assert!(verify_mirror(&v, dir.path()).is_err(), "{rel} tampered");
            flip_byte(&dir.path().join(rel), 7);
        }
    }

    #[test]
    fn mirror_over_http_then_grow() {
        let dir = TempDir::new();
        let small = TestLog::new(600);
        let url = serve(small.served());
        let v = small.verifier(None);
        let out = mirror(&v, &url, dir.path()).unwrap();
        assert_eq!(out["entries"], 600);
        assert_eq!(out["previous_size"], Value::Null);
        verify_mirror(&v, dir.path()).unwrap();

        // The log grows: the mirror follows and checks it extends.
        let big = TestLog::new(1000);
        let out = mirror(&v, &format!("{}/log", serve(big.served())), dir.path()).unwrap();
        assert_eq!(out["previous_size"], 600);
        assert_eq!(verify_mirror(&v, dir.path()).unwrap()["entries"], 1000);

        // A log that rewrote history is refused, and the mirror is untouched.
        let forked = TestLog::with_entries(1200, "forked", 1);
        assert!(mirror(&v, &serve(forked.served()), dir.path()).is_err());
        // So is a rollback to a smaller tree.
        assert!(mirror(&v, &serve(small.served()), dir.path()).is_err());
        assert_eq!(verify_mirror(&v, dir.path()).unwrap()["entries"], 1000);

        // A tampered tile on the wire is refused before anything is written.
        let fresh = TempDir::new();
        let mut served = big.served();
        if let Some(tile) = served.get_mut("/log/tile/0/001") {
            tile[3] ^= 1;
        }
        let err = mirror(&v, &serve(served), fresh.path()).unwrap_err();
        assert!(format!("{err:#}").contains("authenticate"), "{err:#}");
        assert!(!fresh.path().join("checkpoint").exists());
    }

    #[test]
    fn the_empty_log() {
        let log = TestLog::new(0);
        let v = log.verifier(None);
        let dir = TempDir::new();
        let out = mirror(&v, &serve(log.served()), dir.path()).unwrap();
        assert_eq!(out["tiles"], 0);
        verify_mirror(&v, dir.path()).unwrap();
    }
}
