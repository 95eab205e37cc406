//! Reading the tree: checkpoints, inclusion proofs (C2SP tlog-proof),
//! entries by hash or by asset, and consistency proofs.

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::encoding::base64_encode;
use fairtrain_tlog::{consistency_proof, TlogProof};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::store::{Found, SequencerStore, StoredTiles};
use super::LogSequencer;
use crate::error::{Error, Result};

/// Most entries returned by one asset lookup.
pub const MAX_ASSET_ENTRIES: u64 = 100;

/// A sequenced entry with its index, content and inclusion proof.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedEntry {
    pub index: u64,
    pub entry_hash: String,
    /// The entry, as JSON.
    pub entry: Value,
    /// The entry's exact bytes (canonical JSON), base64.
    pub entry_base64: String,
    /// A C2SP tlog-proof against the latest checkpoint.
    pub proof: String,
}

/// An entry accepted but not yet in a checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PooledEntry {
    pub entry_hash: String,
    /// Always `pooled`.
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryLookup {
    Sequenced(LoggedEntry),
    Pooled(PooledEntry),
}

/// The entries about one asset, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssetEntries {
    pub asset_hash: String,
    pub entries: Vec<LoggedEntry>,
}

/// A consistency proof between two tree sizes (hashes in base64).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Consistency {
    pub from: u64,
    pub to: u64,
    pub proof: Vec<String>,
}

impl<S: SequencerStore> LogSequencer<S> {
    /// The signed checkpoint issued at `size`.
    pub fn checkpoint_at(&self, size: u64) -> Result<Vec<u8>> {
        let (_, note) = self
            .store
            .checkpoint(Some(size))?
            .ok_or_else(|| Error::not_found("/checkpoint"))?;
        Ok(note)
    }

    /// The tlog-proof of entry `index` against the latest checkpoint.
    pub fn proof(&self, index: u64) -> Result<Vec<u8>> {
        let (size, note) = self
            .store
            .checkpoint(None)?
            .ok_or_else(|| Error::not_found("the log is empty"))?;
        if index >= size {
            return Err(Error::not_found(&format!(
                "entry {index} (the tree has {size})"
            )));
        }
        let proof = TlogProof::build(index, &note, &StoredTiles::new(&self.store), Vec::new())?;
        Ok(proof.to_bytes())
    }

    /// The entry with this hash: sequenced (with its proof) or pooled.
    pub fn entry(&self, hash: &Sha256Digest) -> Result<EntryLookup> {
        match self.store.find(hash.as_bytes())? {
            Some(Found::Sequenced(i)) => Ok(EntryLookup::Sequenced(self.logged(i)?)),
            Some(Found::Pooled) => Ok(EntryLookup::Pooled(PooledEntry {
                entry_hash: hash.to_string(),
                status: "pooled".into(),
            })),
            None => Err(Error::not_found(&format!("/v1/log/entries/{hash}"))),
        }
    }

    /// The sequenced entries about `asset` (at most [`MAX_ASSET_ENTRIES`]).
    pub fn asset_entries(&self, asset: &Sha256Digest) -> Result<AssetEntries> {
        let asset = asset.to_string();
        let entries = self
            .store
            .asset_indexes(&asset, MAX_ASSET_ENTRIES)?
            .into_iter()
            .map(|i| self.logged(i))
            .collect::<Result<_>>()?;
        Ok(AssetEntries {
            asset_hash: asset,
            entries,
        })
    }

    /// The consistency proof from tree size `from` to `to`, both within
    /// the current tree.
    pub fn consistency(&self, from: u64, to: u64) -> Result<Consistency> {
        let size = self.store.size()?;
        if from == 0 || from > to || to > size {
            return Err(Error::bad_request(format!(
                "need 0 < from <= to <= {size} (the current tree size)"
            )));
        }
        let proof = consistency_proof(from, to, &StoredTiles::new(&self.store))?;
        Ok(Consistency {
            from,
            to,
            proof: proof.iter().map(|h| h.to_base64()).collect(),
        })
    }

    fn logged(&self, index: u64) -> Result<LoggedEntry> {
        let bytes = self
            .store
            .entry(index)?
            .ok_or_else(|| Error::internal("log storage: sequenced entry missing"))?;
        let entry: Value = serde_json::from_slice(&bytes)?;
        let proof = String::from_utf8(self.proof(index)?)?;
        Ok(LoggedEntry {
            index,
            entry_hash: Sha256Digest::of(&bytes).to_string(),
            entry,
            entry_base64: base64_encode(&bytes),
            proof,
        })
    }
}
