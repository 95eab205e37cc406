//! The log's outbox: state first, then the log.
//!
//! A use case that changes state and logs it records the log entry in the
//! same all-or-nothing write as the state (the store methods take
//! [`PendingEntry`]s), then [`flush`]es it: appended to the log, told to
//! webhook subscribers, and forgotten. If the append fails, or the Worker
//! dies before it, the entry stays pending and [`sweep`] appends it. So the
//! log never says something happened that did not, and what happened is
//! logged. Entries are deterministic (their time is the state's), so a
//! retried use case records the same entry and the sequencer keeps one.

use fairtrain_consent::log_event::Entry;
use fairtrain_core::encoding::{base64_decode, base64_encode};
use serde::Serialize;

use super::protocol::{AppendRequest, NewEntry};
use crate::error::Result;
use crate::platform::Platform;

/// At most this many entries per append (the sequencer's request limit).
const SWEEP_BATCH: u32 = 1000;

/// A log entry recorded with the state it describes, not yet in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEntry {
    /// `sha256:<hex>` of the entry bytes.
    pub hash: String,
    /// The entry bytes (canonical JSON), base64.
    pub entry: String,
    /// `sha256:<hex>` of each asset the entry concerns.
    pub assets: Vec<String>,
}

impl From<&Entry> for PendingEntry {
    fn from(e: &Entry) -> PendingEntry {
        PendingEntry {
            hash: e.hash.to_string(),
            entry: base64_encode(&e.bytes),
            assets: e.asset_hashes.iter().map(ToString::to_string).collect(),
        }
    }
}

impl PendingEntry {
    pub fn all(entries: &[Entry]) -> Vec<PendingEntry> {
        entries.iter().map(PendingEntry::from).collect()
    }

    fn new_entry(&self) -> NewEntry {
        NewEntry {
            entry: self.entry.clone(),
            hash: self.hash.clone(),
            assets: self.assets.clone(),
        }
    }
}

#[allow(async_fn_in_trait)]
pub trait LogOutboxStore {
    /// The oldest pending entries, at most `limit`.
    async fn pending_log_entries(&self, limit: u32) -> Result<Vec<PendingEntry>>;
    /// Forgets entries the log now holds.
    async fn forget_logged(&self, hashes: &[String]) -> Result<()>;
}

/// Where an entry recorded with its state stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Logged {
    /// The log holds it (pooled or sequenced); the tree had `tree_size`
    /// entries when it was accepted.
    Logged { tree_size: u64 },
    /// The log could not take it now; the sweep will append it.
    Pending,
}

/// Appends entries already recorded in the outbox, tells subscribers, and
/// forgets them. A failure to append is not the caller's failure (the
/// state stands and the sweep will log it): it is reported as `Pending`.
pub async fn flush(p: &impl Platform, entries: &[Entry]) -> Logged {
    if entries.is_empty() {
        return Logged::Pending;
    }
    match try_flush(p, entries).await {
        Ok(size) => Logged::Logged { tree_size: size },
        Err(e) => {
            p.error(&format!(
                "log outbox: {} entries left for the sweep: {e}",
                entries.len()
            ));
            Logged::Pending
        }
    }
}

async fn try_flush(p: &impl Platform, entries: &[Entry]) -> Result<u64> {
    let appended = super::append(p, entries.to_vec()).await?;
    let hashes: Vec<String> = entries.iter().map(|e| e.hash.to_string()).collect();
    p.forget_logged(&hashes).await?;
    Ok(appended.size)
}

/// Appends what a failed or interrupted flush left (oldest first), tells
/// subscribers, and forgets it; returns how many entries it logged.
pub async fn sweep(p: &impl Platform) -> Result<usize> {
    let mut logged = 0;
    loop {
        let pending = p.pending_log_entries(SWEEP_BATCH).await?;
        if pending.is_empty() {
            return Ok(logged);
        }
        let request = AppendRequest {
            entries: pending.iter().map(PendingEntry::new_entry).collect(),
        };
        p.append(&request).await?;
        let outgoing: Vec<_> = pending
            .iter()
            .filter_map(|e| {
                let bytes = base64_decode(&e.entry).ok()?;
                let value = serde_json::from_slice(&bytes).ok()?;
                let entry = fairtrain_consent::log_event::entry_from_json(&value).ok()?;
                crate::webhooks::from_log_event(&entry.event, &entry.hash)
            })
            .collect();
        crate::webhooks::emit(p, &outgoing).await;
        let hashes: Vec<String> = pending.iter().map(|e| e.hash.clone()).collect();
        p.forget_logged(&hashes).await?;
        logged += pending.len();
        if pending.len() < SWEEP_BATCH as usize {
            return Ok(logged);
        }
    }
}
