use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::time::Timestamp;
use fairtrain_settlement::LineKind;

use super::MemoryPlatform;
use crate::error::{Error, Result};
use crate::usage::store::{
    EpochClaim, EpochKey, Lines, ModelUsage, PricedMessage, StoredEvent, StoredLine, StoredReport,
    UsageCounts, UsageStore,
};

#[derive(Default)]
pub struct Tables {
    pub reports: BTreeMap<String, StoredReport>,
    /// In order of recording (`seq` = index).
    pub events: Vec<StoredEvent>,
    /// Event id → index in `events`.
    pub event_index: HashMap<String, usize>,
    /// (event id, hash) seen with content other than the recorded one.
    pub conflicts: BTreeSet<(String, Sha256Digest)>,
    /// In ledger order (`seq` increasing from 1).
    pub ledger: Vec<StoredLine>,
    /// (event id, leaf, kind) of every line.
    pub line_keys: HashSet<(String, u64, LineKind)>,
    /// Per-epoch key → the event holding it.
    pub claims: BTreeMap<EpochKey, String>,
}

impl Tables {
    /// Appends a line unless its key is taken; whether it was.
    pub fn push_line(
        &mut self,
        line: fairtrain_settlement::LedgerLine,
        settlement_id: Option<&str>,
    ) -> bool {
        let key = (line.event_id.clone(), line.leaf_index, line.kind);
        if !self.line_keys.insert(key) {
            return false;
        }
        let seq = self.ledger.last().map_or(0, |l| l.seq) + 1;
        self.ledger.push(StoredLine {
            seq,
            line,
            settlement_id: settlement_id.map(String::from),
        });
        true
    }

    fn recorded_hash(&self, event_id: &str) -> Option<Sha256Digest> {
        self.event_index
            .get(event_id)
            .map(|i| self.events[*i].recorded.event_hash)
    }
}

fn selects(lines: Lines<'_>, l: &StoredLine) -> bool {
    match lines {
        Lines::All => true,
        Lines::OpenOf(creator) => l.line.creator == creator && l.settlement_id.is_none(),
        Lines::Settlement(id) => l.settlement_id.as_deref() == Some(id),
        Lines::Model(model) => l.line.model_id == model,
        Lines::UsageOf(ids) => l.line.kind == LineKind::Usage && ids.contains(&l.line.event_id),
    }
}

impl UsageStore for MemoryPlatform {
    async fn report(&self, id: &str) -> Result<Option<StoredReport>> {
        Ok(self.state.borrow().usage.reports.get(id).cloned())
    }

    async fn insert_report(&self, report: &StoredReport) -> Result<()> {
        self.state
            .borrow_mut()
            .usage
            .reports
            .entry(report.id.clone())
            .or_insert_with(|| report.clone());
        Ok(())
    }

    async fn report_ids(&self) -> Result<Vec<String>> {
        let s = self.state.borrow();
        let mut all: Vec<(Timestamp, String)> = s
            .usage
            .reports
            .values()
            .map(|r| (r.received_at, r.id.clone()))
            .collect();
        all.sort();
        Ok(all.into_iter().map(|(_, id)| id).collect())
    }

    async fn event_hashes(&self, event_ids: &[&str]) -> Result<Vec<(String, Sha256Digest)>> {
        let s = self.state.borrow();
        Ok(event_ids
            .iter()
            .filter_map(|id| s.usage.recorded_hash(id).map(|h| (id.to_string(), h)))
            .collect())
    }

    async fn event_ids_of_report(&self, report_id: &str) -> Result<Vec<String>> {
        let s = self.state.borrow();
        Ok(s.usage
            .events
            .iter()
            .filter(|e| e.recorded.report_id == report_id)
            .map(|e| e.recorded.event.event_id.clone())
            .collect())
    }

    async fn unreported_event_ids(&self, limit: usize) -> Result<Vec<String>> {
        let s = self.state.borrow();
        Ok(s.usage
            .events
            .iter()
            .filter(|e| !s.usage.reports.contains_key(&e.recorded.report_id))
            .take(limit)
            .map(|e| e.recorded.event.event_id.clone())
            .collect())
    }

    async fn events_after(&self, after: i64, limit: usize) -> Result<Vec<StoredEvent>> {
        let s = self.state.borrow();
        Ok(s.usage
            .events
            .iter()
            .filter(|e| e.seq > after)
            .take(limit)
            .cloned()
            .collect())
    }

    async fn epoch_claims(&self, keys: &[EpochKey]) -> Result<Vec<EpochClaim>> {
        let s = self.state.borrow();
        Ok(keys
            .iter()
            .filter_map(|k| {
                s.usage.claims.get(k).map(|e| EpochClaim {
                    key: k.clone(),
                    event_id: e.clone(),
                })
            })
            .collect())
    }

    async fn record_priced(&self, priced: &PricedMessage, _at: Timestamp) -> Result<()> {
        let mut s = self.state.borrow_mut();
        let u = &mut s.usage;
        // The content each event id stands recorded with once the events
        // are written (the first content wins).
        let mut standing: HashMap<&str, Sha256Digest> = HashMap::new();
        for e in &priced.events {
            let id = e.event.event_id.as_str();
            let h = u.recorded_hash(id).unwrap_or(e.event_hash);
            standing.entry(id).or_insert(h);
        }
        let hash_in_message: HashMap<&str, Sha256Digest> = priced
            .events
            .iter()
            .rev()
            .map(|e| (e.event.event_id.as_str(), e.event_hash))
            .collect();
        // Claims only for events recorded with their content; a key held
        // already means someone priced against other claims: nothing is written.
        let claims: Vec<&EpochClaim> = priced
            .claims
            .iter()
            .filter(|c| {
                let id = c.event_id.as_str();
                standing.contains_key(id) && standing.get(id) == hash_in_message.get(id)
            })
            .collect();
        let mut keys = HashSet::new();
        if claims
            .iter()
            .any(|c| u.claims.contains_key(&c.key) || !keys.insert(&c.key))
        {
            return Err(Error::conflict(
                "a per-epoch charge was claimed by another event meanwhile",
            ));
        }
        for e in &priced.events {
            let id = &e.event.event_id;
            match u.recorded_hash(id) {
                None => {
                    let seq = u.events.len() as i64;
                    u.event_index.insert(id.clone(), u.events.len());
                    u.events.push(StoredEvent {
                        seq,
                        recorded: e.clone(),
                    });
                }
                Some(h) if h != e.event_hash => {
                    u.conflicts.insert((id.clone(), e.event_hash));
                }
                Some(_) => {}
            }
        }
        for c in claims {
            u.claims.insert(c.key.clone(), c.event_id.clone());
        }
        for l in &priced.lines {
            if u.recorded_hash(&l.event_id) == Some(l.event_hash) {
                u.push_line(l.clone(), None);
            }
        }
        Ok(())
    }

    async fn ledger_page(
        &self,
        lines: Lines<'_>,
        after: i64,
        limit: usize,
    ) -> Result<Vec<StoredLine>> {
        let s = self.state.borrow();
        Ok(s.usage
            .ledger
            .iter()
            .filter(|l| l.seq > after && selects(lines, l))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn usage_counts(&self) -> Result<UsageCounts> {
        let s = self.state.borrow();
        Ok(UsageCounts {
            events: s.usage.events.len() as u64,
            conflicts: s.usage.conflicts.len() as u64,
            reports: s.usage.reports.len() as u64,
            lines: s.usage.ledger.len() as u64,
        })
    }

    async fn model_usage(&self, model_id: &str) -> Result<ModelUsage> {
        let s = self.state.borrow();
        let mut usage = ModelUsage::default();
        let mut manifests = BTreeSet::new();
        let mut runs = BTreeSet::new();
        for e in s
            .usage
            .events
            .iter()
            .map(|e| &e.recorded.event)
            .filter(|e| e.model_id == model_id)
        {
            usage.events += 1;
            usage.samples += e.samples_count;
            manifests.insert(e.manifest_id.clone());
            runs.insert(e.training_run_id.clone());
        }
        usage.manifest_ids = manifests.into_iter().collect();
        usage.training_runs = runs.into_iter().collect();
        Ok(usage)
    }

    async fn model_assets(&self, model_id: &str) -> Result<Vec<(String, u64)>> {
        let s = self.state.borrow();
        let assets: BTreeSet<(String, u64)> = s
            .usage
            .ledger
            .iter()
            .filter(|l| l.line.model_id == model_id)
            .map(|l| (l.line.manifest_id.clone(), l.line.leaf_index))
            .collect();
        Ok(assets.into_iter().collect())
    }
}
