//! The log in memory: the real sequencer ([`LogSequencer`]) over the
//! in-memory store and publisher. Every append is sequenced and published
//! before it is answered, as if the Durable Object's alarm rang at once.

use fairtrain_core::digest::Sha256Digest;

use super::sequencer_store::{MemoryPublisher, MemorySequencerStore};
use super::MemoryPlatform;
use crate::error::Result;
use crate::log::protocol::{AppendRequest, AppendResponse};
use crate::log::sequencer::{pool_full, AssetEntries, Consistency, EntryLookup, LogSequencer};
use crate::log::sequencer_port::PublishedLog;
use crate::platform::{Clock, Config, Console, Sequencer};

#[derive(Default)]
pub struct Log {
    pub store: MemorySequencerStore,
    pub published: MemoryPublisher,
    /// Set by a test: the next append fails as a full pool does.
    pub refuse_next: bool,
}

impl Log {
    /// Every sequenced entry, decoded.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.store
            .sequenced()
            .iter()
            .filter_map(|b| serde_json::from_slice(b).ok())
            .collect()
    }
}

impl MemoryPlatform {
    /// The log's sequencer, over the platform's log storage.
    fn log_sequencer(&self) -> LogSequencer<MemorySequencerStore> {
        LogSequencer::new(self.state.borrow().log.store.clone(), self.settings())
    }
}

impl Sequencer for MemoryPlatform {
    async fn append(&self, request: &AppendRequest) -> Result<AppendResponse> {
        if std::mem::take(&mut self.state.borrow_mut().log.refuse_next) {
            return Err(pool_full());
        }
        let sequencer = self.log_sequencer();
        let publisher = self.state.borrow().log.published.clone();
        let accepted = sequencer.append(request, self.now().unix_millis() as u64)?;
        // The alarm: its failure leaves the entries pooled, not the append failed.
        loop {
            match sequencer.run(self.keys(), &publisher).await {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    self.error(&format!("log sequencer: {e}"));
                    break;
                }
            }
        }
        Ok(accepted.response)
    }

    async fn checkpoint_at(&self, size: u64) -> Result<Vec<u8>> {
        self.log_sequencer().checkpoint_at(size)
    }

    async fn proof(&self, index: u64) -> Result<Vec<u8>> {
        self.log_sequencer().proof(index)
    }

    async fn entry(&self, hash: &Sha256Digest) -> Result<EntryLookup> {
        self.log_sequencer().entry(hash)
    }

    async fn asset_entries(&self, asset: &Sha256Digest) -> Result<AssetEntries> {
        self.log_sequencer().asset_entries(asset)
    }

    async fn consistency(&self, from: u64, to: u64) -> Result<Consistency> {
        self.log_sequencer().consistency(from, to)
    }
}

impl PublishedLog for MemoryPlatform {
    async fn published(&self, path: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .state
            .borrow()
            .log
            .published
            .object(path)
            .map(|o| o.data))
    }
}
