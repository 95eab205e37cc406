//! The log in memory: entries sequenced the moment they are appended
//! (deduplicated by hash), enough for the application's contract.

use std::collections::HashMap;

use fairtrain_core::encoding::base64_decode;

use super::MemoryPlatform;
use crate::error::{Error, Result};
use crate::log::protocol::{AppendRequest, AppendResponse, AppendResult};
use crate::platform::Sequencer;

#[derive(Default)]
pub struct Log {
    /// Entry bytes, by index.
    pub entries: Vec<Vec<u8>>,
    /// Entry hash → index.
    pub index: HashMap<String, u64>,
    /// Set by a test: the next append fails as a full pool does.
    pub refuse_next: bool,
}

impl Log {
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.entries
            .iter()
            .filter_map(|b| serde_json::from_slice(b).ok())
            .collect()
    }
}

impl Sequencer for MemoryPlatform {
    async fn append(&self, request: &AppendRequest) -> Result<AppendResponse> {
        let mut state = self.state.borrow_mut();
        let log = &mut state.log;
        if std::mem::take(&mut log.refuse_next) {
            return Err(Error::new(
                crate::error::Kind::RateLimited,
                "the log's pool is full; retry shortly",
            )
            .retry_after(1));
        }
        let size = log.entries.len() as u64;
        let mut results = Vec::new();
        for e in &request.entries {
            let bytes = base64_decode(&e.entry)?;
            let (index, status) = match log.index.get(&e.hash) {
                Some(i) => (Some(*i), "sequenced"),
                None => {
                    let i = log.entries.len() as u64;
                    log.entries.push(bytes);
                    log.index.insert(e.hash.clone(), i);
                    (None, "pooled")
                }
            };
            results.push(AppendResult {
                entry_hash: e.hash.clone(),
                index,
                status: status.into(),
            });
        }
        Ok(AppendResponse { size, results })
    }

    // Reads for the ledger.
    /// Every entry appended is sequenced at once, so the checkpoint covers
    /// them all (unsigned: only its origin, size and root are read).
    async fn published_checkpoint(&self) -> Result<Option<String>> {
        let state = self.state.borrow();
        let entries = &state.log.entries;
        if entries.is_empty() {
            return Ok(None);
        }
        let mut tree = fairtrain_tlog::MemoryTree::new();
        for e in entries {
            tree.push_entry(e);
        }
        Ok(Some(format!(
            "{}\n{}\n{}\n",
            self.settings.log_origin,
            entries.len(),
            tree.root().to_base64()
        )))
    }
}
