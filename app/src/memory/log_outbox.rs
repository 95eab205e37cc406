use std::collections::BTreeMap;

use fairtrain_core::time::Timestamp;

use super::{MemoryPlatform, State};
use crate::error::Result;
use crate::log::outbox::{LogOutboxStore, PendingEntry};

#[derive(Default)]
pub struct Tables {
    /// By hash, with when it was recorded.
    pub pending: BTreeMap<String, (Timestamp, PendingEntry)>,
}

impl State {
    /// Records `entries` in the outbox, in the same write as the state they
    /// describe (the caller holds the one borrow for both).
    pub fn record_log_entries(&mut self, entries: &[PendingEntry], at: Timestamp) {
        for e in entries {
            self.log_outbox
                .pending
                .entry(e.hash.clone())
                .or_insert_with(|| (at, e.clone()));
        }
    }
}

impl LogOutboxStore for MemoryPlatform {
    async fn pending_log_entries(&self, limit: u32) -> Result<Vec<PendingEntry>> {
        let s = self.state.borrow();
        let mut all: Vec<&(Timestamp, PendingEntry)> = s.log_outbox.pending.values().collect();
        all.sort_by_key(|(at, e)| (*at, e.hash.clone()));
        Ok(all
            .into_iter()
            .take(limit as usize)
            .map(|(_, e)| e.clone())
            .collect())
    }

    async fn forget_logged(&self, hashes: &[String]) -> Result<()> {
        let mut s = self.state.borrow_mut();
        for h in hashes {
            s.log_outbox.pending.remove(h);
        }
        Ok(())
    }
}
