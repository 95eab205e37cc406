//! A sequencer writing tiles and entry bundles to a bucket by path, and a
//! client verifying entries and growth from those files alone.

mod common;

use std::collections::BTreeMap;

use fairtrain_tlog::bundle::{append_entries, verify_bundle};
use fairtrain_tlog::tile_math::{right_edge_bundle, right_edge_tiles};
use fairtrain_tlog::tile_reader::{
    tiles_for_consistency_proof, tiles_for_inclusion_proof, tiles_with_authentication,
};
use fairtrain_tlog::{
    append_leaf_hashes, consistency_proof, inclusion_proof, leaf_hash, verify_consistency,
    verify_inclusion, BundleId, Checkpoint, Ed25519NoteSigner, Hash, TilePath, TileSet,
};

const ORIGIN: &str = "log.fairtrain.example";

#[derive(Default)]
struct Sequencer {
    bucket: BTreeMap<String, Vec<u8>>,
    size: u64,
    checkpoints: Vec<Vec<u8>>,
}

impl Sequencer {
    fn append(&mut self, entries: &[Vec<u8>], signer: &Ed25519NoteSigner) {
        let mut edge = TileSet::new();
        for t in right_edge_tiles(self.size) {
            edge.insert(t, self.bucket[&t.path()].clone()).unwrap();
        }
        let partial = right_edge_bundle(self.size).map(|b| self.bucket[&b.path()].as_slice());
        let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
        let bundles = append_entries(self.size, partial, &refs).unwrap();
        let leaves: Vec<Hash> = refs.iter().map(|e| leaf_hash(e)).collect();
        let out = append_leaf_hashes(self.size, &edge, &leaves).unwrap();
        for (id, data) in bundles {
            self.bucket.insert(id.path(), data);
        }
        for (id, data) in out.tiles {
            self.bucket.insert(id.path(), data);
        }
        self.size = out.size;
        let cp = Checkpoint::new(ORIGIN, out.size, out.root).unwrap();
        self.checkpoints
            .push(cp.sign(&[signer]).unwrap().to_bytes());
    }

    /// What the Worker does for `GET /log/<path>`: refuse anything that is
    /// not a canonical tile path, then serve the object.
    fn get(&self, path: &str) -> Option<&[u8]> {
        let parsed = TilePath::parse(path).ok()?;
        assert_eq!(parsed.path(), path);
        self.bucket.get(path).map(Vec::as_slice)
    }
}

#[test]
fn client_verifies_from_served_files() {
    let signer = Ed25519NoteSigner::from_seed(ORIGIN, &[5; 32]).unwrap();
    let verifier = signer.verifier();
    let mut rng = common::Rng(9);
    let mut seq = Sequencer::default();
    let mut all: Vec<Vec<u8>> = Vec::new();
    for batch in [1usize, 2, 300, 255, 1, 700, 64, 3] {
        let entries: Vec<Vec<u8>> = (0..batch)
            .map(|i| format!("event {} {}", all.len() + i, rng.next()).into_bytes())
            .collect();
        all.extend(entries.iter().cloned());
        seq.append(&entries, &signer);
    }
    for path in seq.bucket.keys() {
        assert_eq!(TilePath::parse(path).unwrap().path(), *path);
    }

    let (cp, _, _) =
        Checkpoint::open(seq.checkpoints.last().unwrap(), ORIGIN, &[&verifier]).unwrap();
    let size = cp.size();
    assert_eq!(size, all.len() as u64);
    for _ in 0..20 {
        let index = rng.below(size);
        // Fetch the planned tiles, authenticate them, prove, and check the
        // entry bytes against the entry bundle.
        let mut set = TileSet::new();
        for t in tiles_with_authentication(tiles_for_inclusion_proof(index, size).unwrap(), size) {
            set.insert(t, seq.get(&t.path()).unwrap().to_vec()).unwrap();
        }
        set.authenticate(size, cp.root()).unwrap();
        let proof = inclusion_proof(index, size, &set).unwrap();
        verify_inclusion(
            index,
            size,
            &leaf_hash(&all[index as usize]),
            &proof,
            cp.root(),
        )
        .unwrap();

        let bundle = fairtrain_tlog::tile_math::bundle_at(index / 256, size).unwrap();
        let (_, tile) = set.get(0, index / 256).unwrap();
        let entries = verify_bundle(seq.get(&bundle.path()).unwrap(), tile).unwrap();
        assert_eq!(entries[(index % 256) as usize], &all[index as usize][..]);
    }

    // Every earlier checkpoint is consistent with the latest, from tiles.
    for old in &seq.checkpoints {
        let (old_cp, _, _) = Checkpoint::open(old, ORIGIN, &[&verifier]).unwrap();
        let mut set = TileSet::new();
        for t in tiles_for_consistency_proof(old_cp.size(), size).unwrap() {
            set.insert(t, seq.get(&t.path()).unwrap().to_vec()).unwrap();
        }
        let proof = consistency_proof(old_cp.size(), size, &set).unwrap();
        verify_consistency(old_cp.size(), size, old_cp.root(), cp.root(), &proof).unwrap();
    }

    // The router refuses junk and non-canonical spellings of real objects.
    for bad in [
        "tile/0/x000/001",
        "tile/0/001.p/0256",
        "tile/entries/1",
        "tile/../0/000",
        "checkpoint",
    ] {
        assert!(seq.get(bad).is_none(), "{bad}");
    }
    assert!(seq.get(&BundleId::new(0, 256).unwrap().path()).is_some());
}
