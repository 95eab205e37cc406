//! The batch tree: an RFC 6962 Merkle tree over the accepted events of one
//! report, so a receipt or log entry commits to exactly which events were
//! recorded, and any one of them can be proven with a short inclusion proof.
//!
//! - leaf `i` = `SHA-256(0x00 || canonical(event_i))`, the events in report
//!   order ([`UsageEvent::canonical`], JCS);
//! - the root is RFC 6962 MTH over those leaves (the empty tree's root,
//!   SHA-256 of nothing, for no events; the receipt writes `null` instead);
//! - written as standard padded base64, like every root in the log.
//!
//! One log entry (`usage.recorded`) is made per manifest a report touches,
//! with the root of that manifest's accepted events only, still in report
//! order ([`manifest_batches`]). All tree work is `fairtrain-tlog`'s.

use fairtrain_tlog::hash::root_of_leaf_hashes;
use fairtrain_tlog::{inclusion_proof, leaf_hash, verify_inclusion, Hash, MemoryTree, ProofError};

use crate::event::UsageEvent;

/// The event's leaf hash in a batch tree.
pub fn event_leaf_hash(event: &UsageEvent) -> Hash {
    leaf_hash(&event.canonical())
}

fn leaves(events: &[&UsageEvent]) -> Vec<Hash> {
    events.iter().map(|e| event_leaf_hash(e)).collect()
}

/// MTH over `events`, in the order given.
pub fn batch_root(events: &[&UsageEvent]) -> Hash {
    root_of_leaf_hashes(&leaves(events))
}

/// The RFC 6962 inclusion proof of `events[index]` in the tree of `events`.
pub fn event_proof(events: &[&UsageEvent], index: u64) -> Result<Vec<Hash>, ProofError> {
    let mut tree = MemoryTree::new();
    for leaf in leaves(events) {
        tree.push_leaf_hash(leaf);
    }
    inclusion_proof(index, tree.size(), &tree)
}

/// Whether `event` is leaf `index` of the batch tree of `size` events with
/// root `root`.
pub fn verify_event_proof(
    event: &UsageEvent,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> bool {
    verify_inclusion(index, size, &event_leaf_hash(event), proof, root).is_ok()
}

/// One manifest's share of a batch: its events in report order and their root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestBatch<'a> {
    pub manifest_id: String,
    pub events: Vec<&'a UsageEvent>,
    /// [`batch_root`] of `events`.
    pub root: Hash,
}

impl ManifestBatch<'_> {
    pub fn event_count(&self) -> u64 {
        self.events.len() as u64
    }
}

/// `events` split by manifest: manifests in order of first appearance, each
/// one's events in their original order, with their batch root.
pub fn manifest_batches<'a>(events: &[&'a UsageEvent]) -> Vec<ManifestBatch<'a>> {
    let mut batches: Vec<ManifestBatch<'a>> = Vec::new();
    for event in events {
        match batches
            .iter_mut()
            .find(|b| b.manifest_id == event.manifest_id)
        {
            Some(batch) => batch.events.push(event),
            None => batches.push(ManifestBatch {
                manifest_id: event.manifest_id.clone(),
                events: vec![event],
                root: Hash::default(),
            }),
        }
    }
    for batch in &mut batches {
        batch.root = batch_root(&batch.events);
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::tests::event;
    use fairtrain_tlog::{node_hash, EMPTY_ROOT};

    fn events(n: usize) -> Vec<UsageEvent> {
        (0..n).map(|i| event(&format!("e{i}"))).collect()
    }

    fn refs(events: &[UsageEvent]) -> Vec<&UsageEvent> {
        events.iter().collect()
    }

    #[test]
    fn root_follows_rfc6962() {
        let es = events(3);
        let l: Vec<Hash> = es.iter().map(|e| leaf_hash(&e.canonical())).collect();
        // MTH of 3 leaves: H(H(l0, l1), l2).
        let expected = node_hash(&node_hash(&l[0], &l[1]), &l[2]);
        assert_eq!(batch_root(&refs(&es)), expected);
        assert_eq!(batch_root(&refs(&es[..1])), l[0]);
        assert_eq!(batch_root(&[]), EMPTY_ROOT);
        // Order matters.
        let reversed: Vec<&UsageEvent> = es.iter().rev().collect();
        assert_ne!(batch_root(&reversed), expected);
        // The leaf is the canonical bytes with RFC 6962's 0x00 prefix.
        assert_eq!(event_leaf_hash(&es[0]), l[0]);
        assert_ne!(
            event_leaf_hash(&es[0]).0,
            es[0].hash().to_bytes(),
            "a leaf hash is not the plain event hash"
        );
    }

    #[test]
    fn proofs_for_every_event() {
        for n in 1..=9 {
            let es = events(n);
            let r = refs(&es);
            let root = batch_root(&r);
            for i in 0..n as u64 {
                let proof = event_proof(&r, i).unwrap();
                assert!(verify_event_proof(
                    &es[i as usize],
                    i,
                    n as u64,
                    &proof,
                    &root
                ));
                // Another event, index or root does not verify. (The size is
                // bound by the root, not by the proof: RFC 6962 paths for
                // some indexes are the same in trees of nearby sizes.)
                let other = event("other");
                assert!(!verify_event_proof(&other, i, n as u64, &proof, &root));
                if n > 1 {
                    let j = (i + 1) % n as u64;
                    assert!(!verify_event_proof(
                        &es[i as usize],
                        j,
                        n as u64,
                        &proof,
                        &root
                    ));
                }
                assert!(!verify_event_proof(
                    &es[i as usize],
                    i,
                    n as u64,
                    &proof,
                    &EMPTY_ROOT
                ));
            }
            assert!(matches!(
                event_proof(&r, n as u64),
                Err(ProofError::IndexOutOfRange { .. })
            ));
        }
        assert!(event_proof(&[], 0).is_err());
    }

    #[test]
    fn batches_per_manifest_keep_report_order() {
        const OTHER: &str = "urn:uuid:00000000-0000-4000-8000-000000000002";
        let mut es = events(5);
        es[1].manifest_id = OTHER.into();
        es[3].manifest_id = OTHER.into();
        let r = refs(&es);
        let batches = manifest_batches(&r);
        assert_eq!(batches.len(), 2);
        assert_eq!(batches[0].manifest_id, es[0].manifest_id);
        assert_eq!(batches[1].manifest_id, OTHER);
        let ids = |b: &ManifestBatch| {
            b.events
                .iter()
                .map(|e| e.event_id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&batches[0]), ["e0", "e2", "e4"]);
        assert_eq!(ids(&batches[1]), ["e1", "e3"]);
        assert_eq!(batches[0].event_count(), 3);
        assert_eq!(batches[0].root, batch_root(&[&es[0], &es[2], &es[4]]));
        assert_eq!(batches[1].root, batch_root(&[&es[1], &es[3]]));
        assert!(manifest_batches(&[]).is_empty());
    }
}
