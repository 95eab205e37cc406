//! The transparency log natively: the sequencer over the in-memory store
//! and publisher (the pool and its limit, batches, publishing order,
//! recovery after a restart, lookups and proofs), and the log's use cases
//! over the in-memory platform.

mod support;

use std::collections::BTreeMap;

use fairtrain_app::keys::KeyRing;
use fairtrain_app::log::protocol::{AppendRequest, NewEntry};
use fairtrain_app::log::sequencer::{
    EntryLookup, LogSequencer, CHECKPOINT, CHECKPOINT_TYPE, MAX_BATCH, TILE_TYPE,
};
use fairtrain_app::log::{self, IMMUTABLE, MAX_EVENTS};
use fairtrain_app::memory::{
    block_on, MemoryPlatform, MemoryPublisher, MemorySequencerStore, PLATFORM_SEED,
};
use fairtrain_app::settings::Settings;
use fairtrain_app::{Kind, Result};
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::encoding::{base64_decode, base64_encode};
use fairtrain_tlog::bundle::verify_bundle;
use fairtrain_tlog::tile_math::{bundle_at, tile_at};
use fairtrain_tlog::{
    leaf_hash, tree_hash, verify_consistency, Checkpoint, Ed25519NoteVerifier, Hash, ProofPolicy,
    TileSet, TlogProof,
};
use proptest::prelude::*;
use serde_json::{json, Value};
use support::{platform, t, NOW};

const ORIGIN: &str = "fairtrain.local/log";

fn keys() -> Result<KeyRing> {
    let seed = fairtrain_core::encoding::base64url_encode(&PLATFORM_SEED);
    Ok(KeyRing::parse(&format!(
        r#"[{{"seed":"{seed}","valid_from":"2020-01-01T00:00:00Z","active":true}}]"#
    ))
    .unwrap())
}

fn verifiers() -> Vec<Ed25519NoteVerifier> {
    let key = SigningKey::from_seed(&PLATFORM_SEED).public_key();
    vec![Ed25519NoteVerifier::new(ORIGIN, key).unwrap()]
}

fn policy() -> ProofPolicy<Ed25519NoteVerifier> {
    ProofPolicy {
        origin: ORIGIN.into(),
        log_keys: verifiers(),
        witnesses: vec![],
        min_witnesses: 0,
    }
}

/// A log: a sequencer over a store, and where it publishes.
struct Log {
    store: MemorySequencerStore,
    publisher: MemoryPublisher,
    sequencer: LogSequencer<MemorySequencerStore>,
}

impl Log {
    fn new() -> Log {
        Log::with_pool(200_000)
    }

    fn with_pool(max_pool: u64) -> Log {
        let store = MemorySequencerStore::default();
        let settings = Settings {
            log_max_pool: max_pool,
            ..Settings::default()
        };
        Log {
            sequencer: LogSequencer::new(store.clone(), &settings),
            store,
            publisher: MemoryPublisher::default(),
        }
    }

    /// The Durable Object restarted: a new sequencer over the same storage.
    fn restart(&mut self) {
        self.sequencer = LogSequencer::new(self.store.clone(), &Settings::default());
    }

    fn append(&self, entries: &[Vec<u8>]) -> Result<Vec<(Option<u64>, String)>> {
        let accepted = self.sequencer.append(&request(entries, &[]), 1)?;
        Ok(accepted
            .response
            .results
            .into_iter()
            .map(|r| (r.index, r.status))
            .collect())
    }

    /// One alarm: returns whether entries remain pooled.
    fn run(&self) -> Result<bool> {
        block_on(self.sequencer.run(keys(), &self.publisher))
    }

    fn published_checkpoint(&self) -> Option<Checkpoint> {
        let note = self.publisher.object(CHECKPOINT)?.data;
        Some(Checkpoint::open(&note, ORIGIN, &verifiers()).unwrap().0)
    }
}

/// An entry: canonical JSON, unique per `n`.
fn entry(n: u64) -> Vec<u8> {
    format!(r#"{{"n":{n},"type":"test"}}"#).into_bytes()
}

fn entries(range: std::ops::Range<u64>) -> Vec<Vec<u8>> {
    range.map(entry).collect()
}

fn hash(entry: &[u8]) -> Sha256Digest {
    Sha256Digest::of(entry)
}

fn request(entries: &[Vec<u8>], assets: &[&str]) -> AppendRequest {
    AppendRequest {
        entries: entries
            .iter()
            .map(|e| NewEntry {
                entry: base64_encode(e),
                hash: hash(e).to_string(),
                assets: assets.iter().map(ToString::to_string).collect(),
            })
            .collect(),
    }
}

/// The tiles a mirror of the published log fetches for a tree of `size`;
/// panics if one is missing.
fn published_tiles(publisher: &MemoryPublisher, size: u64) -> TileSet {
    let mut set = TileSet::new();
    for level in 0..8u8 {
        for index in 0.. {
            let Some(tile) = tile_at(level, index, size) else {
                break;
            };
            let object = publisher
                .object(&tile.path())
                .unwrap_or_else(|| panic!("tile {} of size {size} is not published", tile.path()));
            assert_eq!(object.content_type, TILE_TYPE);
            set.insert(tile, object.data).unwrap();
        }
    }
    set
}

/// Checks the published log at the published checkpoint as a mirror
/// would: signature, every tile against the root, every bundle against its
/// tile. Returns the checkpoint and the entries.
fn verify_published(log: &Log) -> (Checkpoint, Vec<Vec<u8>>) {
    let checkpoint = log.published_checkpoint().expect("a published checkpoint");
    let size = checkpoint.size();
    let tiles = published_tiles(&log.publisher, size);
    assert_eq!(tree_hash(size, &tiles).unwrap(), *checkpoint.root());
    tiles.authenticate(size, checkpoint.root()).unwrap();
    let mut all = Vec::new();
    for index in 0.. {
        let Some(bundle) = bundle_at(index, size) else {
            break;
        };
        let data = log.publisher.object(&bundle.path()).unwrap().data;
        let (_, tile) = tiles.get(0, index).unwrap();
        let found = verify_bundle(&data, tile).unwrap();
        all.extend(found.into_iter().map(<[u8]>::to_vec));
    }
    assert_eq!(all.len() as u64, size);
    (checkpoint, all)
}

fn root(note: &[u8]) -> Hash {
    *Checkpoint::open(note, ORIGIN, &verifiers())
        .unwrap()
        .0
        .root()
}

#[test]
fn the_same_entry_twice_is_pooled_once_and_later_answered_with_its_index() {
    let log = Log::new();
    let e = entry(1);
    let first = log.append(&[e.clone(), e.clone()]).unwrap();
    assert_eq!(
        first,
        vec![(None, "pooled".into()), (None, "pooled".into())]
    );
    assert_eq!(log.append(std::slice::from_ref(&e)).unwrap()[0].1, "pooled");
    assert!(!log.run().unwrap());
    let (checkpoint, sequenced) = verify_published(&log);
    assert_eq!(checkpoint.size(), 1, "one entry, however often appended");
    assert_eq!(sequenced, vec![e.clone()]);

    log.append(&entries(2..5)).unwrap();
    log.run().unwrap();
    let again = log.sequencer.append(&request(&[e], &[]), 2).unwrap();
    assert!(!again.pooled);
    assert_eq!(again.response.size, 4);
    assert_eq!(
        again.response.results[0].index,
        Some(0),
        "the first index, not a new one"
    );
    assert_eq!(again.response.results[0].status, "sequenced");
}

#[test]
fn a_full_pool_refuses_the_whole_request_with_a_retry() {
    let log = Log::with_pool(5);
    log.append(&entries(0..3)).unwrap();
    let e = log.append(&entries(3..6)).unwrap_err();
    assert_eq!(e.kind, Kind::RateLimited);
    assert_eq!(e.retry_after, Some(1));
    assert_eq!(e.problem().status, 429);
    assert_eq!(
        log.sequencer.entry(&hash(&entry(3))).unwrap_err().kind,
        Kind::NotFound,
        "nothing of a refused request is pooled"
    );
    log.append(&entries(3..5)).unwrap();
    // Sequencing empties the pool: it takes more again.
    log.run().unwrap();
    log.append(&entries(5..10)).unwrap();
}

#[test]
fn an_entry_that_does_not_match_its_hash_is_refused() {
    let log = Log::new();
    let mut bad = request(&[entry(1)], &[]);
    bad.entries[0].hash = hash(&entry(2)).to_string();
    let e = log.sequencer.append(&bad, 1).unwrap_err();
    assert_eq!(e.kind, Kind::BadRequest);
    assert_eq!(e.detail, "append: an entry does not match its hash");
    bad.entries[0].entry = "not base64!".into();
    assert_eq!(
        log.sequencer.append(&bad, 1).unwrap_err().kind,
        Kind::BadRequest
    );
    bad.entries[0].hash = "sha256:zz".into();
    assert_eq!(
        log.sequencer.append(&bad, 1).unwrap_err().kind,
        Kind::BadRequest
    );
    assert!(!log.sequencer.has_work().unwrap());
}

#[test]
fn each_batch_is_one_checkpoint_with_inclusion_and_consistency_proofs() {
    let log = Log::new();
    // Batches that end inside a tile, on a tile boundary, and across one.
    let mut notes = Vec::new();
    let mut next = 0;
    for n in [5, 251, 300, 1] {
        log.append(&entries(next..next + n)).unwrap();
        next += n;
        let before = log.store.checkpoints().len();
        assert!(!log.run().unwrap());
        assert_eq!(
            log.store.checkpoints().len(),
            before + 1,
            "one checkpoint per batch"
        );
        let (checkpoint, sequenced) = verify_published(&log);
        assert_eq!(checkpoint.size(), next);
        assert_eq!(sequenced, entries(0..next), "in the order appended");
        notes.push(log.published_checkpoint().unwrap());
    }
    assert_eq!(
        log.store.checkpoints().keys().copied().collect::<Vec<_>>(),
        vec![5, 256, 556, 557]
    );

    // Every entry proves its inclusion against the latest checkpoint.
    for i in (0..next).step_by(37).chain([next - 1]) {
        let proof = TlogProof::parse(&log.sequencer.proof(i).unwrap()).unwrap();
        assert_eq!(proof.index, i);
        let verified = proof.verify(&leaf_hash(&entry(i)), &policy()).unwrap();
        assert_eq!(verified.checkpoint.size(), next);
        assert!(
            proof.verify(&leaf_hash(&entry(i + 1)), &policy()).is_err(),
            "a proof is for its own entry only"
        );
    }

    // Every checkpoint is consistent with every later one, and still served.
    for (i, a) in notes.iter().enumerate() {
        for b in &notes[i..] {
            let c = log.sequencer.consistency(a.size(), b.size()).unwrap();
            let proof: Vec<Hash> = c
                .proof
                .iter()
                .map(|h| Hash::from_base64(h).unwrap())
                .collect();
            verify_consistency(a.size(), b.size(), a.root(), b.root(), &proof).unwrap();
        }
        let note = log.sequencer.checkpoint_at(a.size()).unwrap();
        assert_eq!(root(&note), *a.root());
    }
}

#[test]
fn a_batch_takes_at_most_max_batch_entries() {
    let log = Log::new();
    log.append(&entries(0..MAX_BATCH + 3)).unwrap();
    assert!(log.run().unwrap(), "entries remain: run again");
    assert_eq!(log.published_checkpoint().unwrap().size(), MAX_BATCH);
    assert!(!log.run().unwrap());
    assert_eq!(verify_published(&log).0.size(), MAX_BATCH + 3);
}

#[test]
fn tiles_and_bundles_are_published_before_the_checkpoint() {
    let log = Log::new();
    log.append(&entries(0..300)).unwrap();
    log.run().unwrap();
    let writes = log.publisher.writes();
    assert_eq!(writes.last().map(String::as_str), Some(CHECKPOINT));
    assert_eq!(writes.iter().filter(|w| *w == CHECKPOINT).count(), 1);
    for path in [
        "tile/0/000",
        "tile/0/001.p/44",
        "tile/1/000.p/1",
        "tile/entries/000",
        "tile/entries/001.p/44",
    ] {
        assert!(writes.contains(&path.to_string()), "{path} in {writes:?}");
    }
    assert_eq!(
        log.publisher.object(CHECKPOINT).unwrap().content_type,
        CHECKPOINT_TYPE
    );
    // Nothing new: nothing written again.
    log.run().unwrap();
    assert_eq!(log.publisher.writes(), writes);
}

#[test]
fn a_publisher_failing_midway_leaves_the_old_checkpoint_and_the_next_run_completes() {
    let log = Log::new();
    log.append(&entries(0..10)).unwrap();
    log.run().unwrap();
    let old = log.publisher.object(CHECKPOINT).unwrap();

    log.append(&entries(10..300)).unwrap();
    log.publisher.fail_after(2);
    assert_eq!(log.run().unwrap_err().kind, Kind::Internal);
    // Sequenced and committed, but the published checkpoint is the old one,
    // and every tile it needs is still there.
    assert_eq!(log.store.checkpoints().len(), 2);
    assert_eq!(log.publisher.object(CHECKPOINT).unwrap(), old);
    assert_eq!(verify_published(&log).0.size(), 10);
    assert!(
        log.sequencer.has_work().unwrap(),
        "committed, not published"
    );

    // Still failing: the retry publishes nothing new either.
    assert!(log.run().is_err());
    assert_eq!(log.publisher.object(CHECKPOINT).unwrap(), old);

    log.publisher.recover();
    assert!(!log.run().unwrap());
    assert_eq!(verify_published(&log).0.size(), 300);
    assert!(!log.sequencer.has_work().unwrap());
}

#[test]
fn a_restarted_sequencer_sequences_what_was_pooled() {
    let mut log = Log::new();
    log.append(&entries(0..7)).unwrap();
    log.restart();
    assert!(
        log.sequencer.has_work().unwrap(),
        "the pool outlives the instance"
    );
    assert_eq!(
        log.sequencer.entry(&hash(&entry(3))).unwrap(),
        EntryLookup::Pooled(fairtrain_app::log::PooledEntry {
            entry_hash: hash(&entry(3)).to_string(),
            status: "pooled".into(),
        })
    );
    assert!(!log.run().unwrap());
    assert_eq!(verify_published(&log).1, entries(0..7));
    // And it still dedupes against the tree it inherited.
    assert_eq!(
        log.append(&[entry(3)]).unwrap(),
        vec![(Some(3), "sequenced".into())]
    );
}

#[test]
fn a_restarted_sequencer_republishes_what_was_committed_but_not_published() {
    let mut log = Log::new();
    log.append(&entries(0..20)).unwrap();
    // The tile and the bundle are written, the checkpoint is refused.
    log.publisher.fail_after(2);
    assert!(log.run().is_err());
    assert_eq!(log.publisher.writes().len(), 2);
    assert!(log.publisher.object(CHECKPOINT).is_none());
    log.restart();
    log.publisher.recover();
    assert!(log.sequencer.has_work().unwrap());
    assert!(!log.run().unwrap());
    assert_eq!(verify_published(&log).0.size(), 20);
    assert!(!log.sequencer.has_work().unwrap());
}

#[test]
fn entries_are_found_by_hash_and_by_asset() {
    let log = Log::new();
    let a = Sha256Digest::of(b"asset a");
    let b = Sha256Digest::of(b"asset b");
    let about_a = request(&entries(0..2), &[&a.to_string()]);
    log.sequencer.append(&about_a, 1).unwrap();
    log.append(&entries(2..4)).unwrap();
    let about_both = request(&[entry(4)], &[&a.to_string(), &b.to_string()]);
    log.sequencer.append(&about_both, 1).unwrap();
    log.run().unwrap();

    let EntryLookup::Sequenced(found) = log.sequencer.entry(&hash(&entry(2))).unwrap() else {
        panic!("entry 2 is sequenced");
    };
    assert_eq!(found.index, 2);
    assert_eq!(found.entry, json!({"n": 2, "type": "test"}));
    assert_eq!(base64_decode(&found.entry_base64).unwrap(), entry(2));
    assert_eq!(found.entry_hash, hash(&entry(2)).to_string());
    TlogProof::parse(found.proof.as_bytes())
        .unwrap()
        .verify(&leaf_hash(&entry(2)), &policy())
        .unwrap();

    let by_a = log.sequencer.asset_entries(&a).unwrap();
    assert_eq!(by_a.asset_hash, a.to_string());
    assert_eq!(
        by_a.entries.iter().map(|e| e.index).collect::<Vec<_>>(),
        vec![0, 1, 4]
    );
    let by_b = log.sequencer.asset_entries(&b).unwrap();
    assert_eq!(by_b.entries.len(), 1);
    assert_eq!(by_b.entries[0].entry_base64, base64_encode(&entry(4)));
    let none = log
        .sequencer
        .asset_entries(&Sha256Digest::of(b"c"))
        .unwrap();
    assert!(none.entries.is_empty());

    let e = log.sequencer.entry(&hash(&entry(99))).unwrap_err();
    assert_eq!(e.kind, Kind::NotFound);
    assert_eq!(
        e.detail,
        format!("no resource at /v1/log/entries/{}", hash(&entry(99)))
    );
}

#[test]
fn an_asset_lookup_returns_at_most_a_hundred_entries() {
    let log = Log::new();
    let a = Sha256Digest::of(b"popular").to_string();
    log.sequencer
        .append(&request(&entries(0..130), &[&a]), 1)
        .unwrap();
    log.run().unwrap();
    let found = log
        .sequencer
        .asset_entries(&Sha256Digest::of(b"popular"))
        .unwrap();
    assert_eq!(
        found.entries.iter().map(|e| e.index).collect::<Vec<_>>(),
        (0..100).collect::<Vec<_>>()
    );
}

#[test]
fn lookups_refuse_what_the_tree_does_not_have() {
    let log = Log::new();
    let empty = log.sequencer.proof(0).unwrap_err();
    assert_eq!(empty.kind, Kind::NotFound);
    assert_eq!(empty.detail, "no resource at the log is empty");
    assert_eq!(
        log.sequencer.consistency(1, 1).unwrap_err().detail,
        "need 0 < from <= to <= 0 (the current tree size)"
    );
    log.append(&entries(0..4)).unwrap();
    log.run().unwrap();
    assert_eq!(
        log.sequencer.proof(4).unwrap_err().detail,
        "no resource at entry 4 (the tree has 4)"
    );
    assert_eq!(
        log.sequencer.checkpoint_at(3).unwrap_err().kind,
        Kind::NotFound
    );
    for (from, to) in [(0, 1), (3, 2), (2, 5)] {
        assert_eq!(
            log.sequencer.consistency(from, to).unwrap_err().kind,
            Kind::BadRequest,
            "{from} -> {to}"
        );
    }
    assert!(log.sequencer.consistency(4, 4).unwrap().proof.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Whatever the batches, the published log verifies after each, and
    /// consistency holds between every two checkpoints.
    #[test]
    fn any_batches_give_a_verifiable_growing_log(batches in prop::collection::vec(1u64..300, 1..6)) {
        let log = Log::new();
        let mut next = 0;
        let mut seen = BTreeMap::new();
        for n in batches {
            log.append(&entries(next..next + n)).unwrap();
            next += n;
            log.run().unwrap();
            let (checkpoint, sequenced) = verify_published(&log);
            prop_assert_eq!(checkpoint.size(), next);
            prop_assert_eq!(sequenced.len() as u64, next);
            seen.insert(checkpoint.size(), *checkpoint.root());
        }
        let sizes: Vec<_> = seen.keys().copied().collect();
        for (i, a) in sizes.iter().enumerate() {
            for b in &sizes[i..] {
                let c = log.sequencer.consistency(*a, *b).unwrap();
                let proof: Vec<Hash> = c.proof.iter().map(|h| Hash::from_base64(h).unwrap()).collect();
                prop_assert!(verify_consistency(*a, *b, &seen[a], &seen[b], &proof).is_ok());
            }
        }
    }
}

// The log's use cases over the in-memory platform.

fn erasure(tag: &str) -> Value {
    json!({ "type": "erasure", "v": 1, "at": "2026-11-22T10:00:00Z",
            "asset_hash": Sha256Digest::of(tag.as_bytes()).to_string(), "reason": tag })
}

#[test]
fn the_operator_appends_events_under_a_signed_promise() {
    let p = platform();
    let before = p.logged().len() as u64;
    let posted = block_on(log::post_events(&p, &[erasure("a"), erasure("b")])).unwrap();
    assert_eq!(posted.log, ORIGIN);
    assert_eq!(posted.tree_size, before);
    assert_eq!(posted.entries.len(), 2);
    assert!(posted.entries.iter().all(|e| e.status == "pooled"));
    let hashes: Vec<_> = posted
        .entries
        .iter()
        .map(|e| e.entry_hash.clone())
        .collect();
    assert_eq!(posted.promise["entries"], json!(hashes));
    assert_eq!(posted.promise["include_by"], "2026-03-01T12:01:00Z");
    fairtrain_core::data_integrity::verify_did_key(&posted.promise).unwrap();
    let logged = support::logged(&p, "erasure");
    assert_eq!(logged.len(), 2);
    assert_eq!(logged[1]["reason"], "b");

    // Appended again: the same entries, now with their index.
    let again = block_on(log::post_events(&p, &[erasure("a")])).unwrap();
    assert_eq!(again.entries[0].index, Some(before));
    assert_eq!(again.entries[0].status, "sequenced");
}

#[test]
fn bad_events_are_refused_and_nothing_is_logged() {
    let p = platform();
    let before = p.logged().len();
    let none = block_on(log::post_events(&p, &[])).unwrap_err();
    assert_eq!(none.kind, Kind::Invalid);
    assert_eq!(none.members["errors"][0]["pointer"], "/events");
    let many = vec![erasure("x"); MAX_EVENTS + 1];
    assert_eq!(
        block_on(log::post_events(&p, &many)).unwrap_err().detail,
        "/events: between 1 and 1000 events per request"
    );
    let mut personal = erasure("y");
    personal["email"] = json!("someone@example.com");
    let bad = block_on(log::post_events(
        &p,
        &[erasure("ok"), personal, json!({"type": "nope"})],
    ))
    .unwrap_err();
    assert_eq!(bad.kind, Kind::Invalid);
    let pointers: Vec<_> = bad.members["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].clone())
        .collect();
    assert_eq!(pointers, vec![json!("/events/1"), json!("/events/2")]);
    assert_eq!(p.logged().len(), before);
}

#[test]
fn a_full_pool_refuses_an_append_with_a_retry() {
    let p = platform();
    p.state.borrow_mut().log.refuse_next = true;
    let e = block_on(log::post_events(&p, &[erasure("full")])).unwrap_err();
    assert_eq!(e.kind, Kind::RateLimited);
    assert_eq!(e.retry_after, Some(1));
    assert!(support::logged(&p, "erasure").is_empty());
    block_on(log::post_events(&p, &[erasure("full")])).unwrap();
}

#[test]
fn the_published_log_is_served_with_its_cache_policy() {
    let p = MemoryPlatform::new(t(NOW));
    let none = block_on(log::public_object(&p, "checkpoint")).unwrap_err();
    assert_eq!(none.kind, Kind::NotFound);
    assert_eq!(
        none.detail,
        "the log has no checkpoint yet: nothing has been appended"
    );
    let events: Vec<_> = (0..300).map(|i| erasure(&format!("e{i}"))).collect();
    block_on(log::post_events(&p, &events)).unwrap();

    let checkpoint = block_on(log::public_object(&p, "checkpoint")).unwrap();
    assert_eq!(checkpoint.cache_control, "no-store");
    assert_eq!(checkpoint.content_type, "text/plain; charset=utf-8");
    assert_eq!(
        Checkpoint::open(&checkpoint.bytes, ORIGIN, &verifiers())
            .unwrap()
            .0
            .size(),
        300
    );
    for (path, cache) in [
        ("tile/0/000", IMMUTABLE),
        ("tile/entries/000", IMMUTABLE),
        ("tile/0/001.p/44", "public, max-age=3600"),
        ("tile/entries/001.p/44", "public, max-age=3600"),
    ] {
        let object = block_on(log::public_object(&p, path)).unwrap();
        assert_eq!(object.cache_control, cache, "{path}");
        assert_eq!(object.content_type, "application/octet-stream");
    }
    for path in ["tile/0/x", "tile/0/000.p/0", "tile/0/002"] {
        let e = block_on(log::public_object(&p, path)).unwrap_err();
        assert_eq!(e.kind, Kind::NotFound, "{path}");
    }
}

#[test]
fn lookups_through_the_platform_parse_what_they_are_given() {
    let p = platform();
    let posted = block_on(log::post_events(&p, &[erasure("look")])).unwrap();
    let hash = &posted.entries[0].entry_hash;
    let EntryLookup::Sequenced(found) = block_on(log::entry(&p, hash)).unwrap() else {
        panic!("sequenced at once in memory");
    };
    let size = found.index + 1;
    assert_eq!(found.entry["reason"], "look");
    let note = block_on(log::checkpoint_at(&p, &size.to_string())).unwrap();
    assert_eq!(
        Checkpoint::open(&note, ORIGIN, &verifiers())
            .unwrap()
            .0
            .size(),
        size
    );
    let proof = block_on(log::proof(&p, &found.index.to_string())).unwrap();
    assert_eq!(TlogProof::parse(&proof).unwrap().index, found.index);
    let asset = Sha256Digest::of(b"look").to_string();
    let by_asset = block_on(log::asset_entries(&p, &asset)).unwrap();
    assert_eq!(by_asset.entries[0].index, found.index);
    let c = block_on(log::consistency(&p, Some("1"), Some(&size.to_string()))).unwrap();
    assert_eq!((c.from, c.to), (1, size));

    let refused: [(Result<()>, &str); 6] = [
        (
            block_on(log::entry(&p, "sha256:zz")).map(drop),
            "entry hash: ",
        ),
        (
            block_on(log::asset_entries(&p, "zz")).map(drop),
            "asset hash: ",
        ),
        (
            block_on(log::checkpoint_at(&p, "abc")).map(drop),
            "the size must be a non-negative integer",
        ),
        (
            block_on(log::proof(&p, "-1")).map(drop),
            "the index must be a non-negative integer",
        ),
        (
            block_on(log::consistency(&p, Some("1"), None)).map(drop),
            "`to` is required: a tree size",
        ),
        (
            block_on(log::consistency(&p, Some("x"), Some("2"))).map(drop),
            "`from` is required: a tree size",
        ),
    ];
    for (result, detail) in refused {
        let e = result.unwrap_err();
        assert_eq!(e.kind, Kind::BadRequest);
        assert!(e.detail.starts_with(detail), "{}", e.detail);
    }
}
