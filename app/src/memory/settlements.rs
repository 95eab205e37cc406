use std::collections::{BTreeMap, HashSet};

use fairtrain_core::time::Timestamp;
use fairtrain_settlement::{Carried, CarriedBalances, LedgerLine, LineKind};
use serde_json::Value;

use super::MemoryPlatform;
use crate::error::{Error, Result};
use crate::settlements::store::{
    PayoutStatus, SettlementStore, SettlementSummary, StoredPayoutLine, StoredReconciliation,
    StoredRevenue, StoredSettlement,
};

#[derive(Default)]
pub struct Tables {
    pub settlements: BTreeMap<String, StoredSettlement>,
    pub payout_lines: Vec<StoredPayoutLine>,
    /// Revenue reports, with the settlement that used each.
    pub revenue: Vec<(StoredRevenue, Option<String>)>,
    pub reconciliations: BTreeMap<String, StoredReconciliation>,
    // For inbound webhooks.
    /// Line id → when the rail confirmed its payout, and when a dispute on
    /// it was first opened (`confirmed_at`, `disputed_at`).
    pub rail_times: BTreeMap<String, RailTimes>,
}

impl SettlementStore for MemoryPlatform {
    async fn last_period_end(&self) -> Result<Option<Timestamp>> {
        let s = self.state.borrow();
        Ok(s.settlements
            .settlements
            .values()
            .map(|s| s.summary.period_end)
            .max())
    }

    async fn claim_open_lines(&self, id: &str) -> Result<()> {
        let mut s = self.state.borrow_mut();
        for l in s
            .usage
            .ledger
            .iter_mut()
            .filter(|l| l.settlement_id.is_none())
        {
            l.settlement_id = Some(id.to_string());
        }
        Ok(())
    }

    async fn release_settlement(&self, id: &str) -> Result<()> {
        let mut s = self.state.borrow_mut();
        let u = &mut s.usage;
        let mine = |l: &crate::usage::store::StoredLine| l.settlement_id.as_deref() == Some(id);
        let pools: Vec<(String, u64, LineKind)> = u
            .ledger
            .iter()
            .filter(|l| mine(l) && l.line.kind != LineKind::Usage)
            .map(|l| (l.line.event_id.clone(), l.line.leaf_index, l.line.kind))
            .collect();
        u.ledger
            .retain(|l| !(mine(l) && l.line.kind != LineKind::Usage));
        for key in pools {
            u.line_keys.remove(&key);
        }
        for l in u.ledger.iter_mut().filter(|l| mine(l)) {
            l.settlement_id = None;
        }
        for (_, used) in s.settlements.revenue.iter_mut() {
            if used.as_deref() == Some(id) {
                *used = None;
            }
        }
        Ok(())
    }

    async fn carried_balances(&self, creator: Option<&str>) -> Result<CarriedBalances> {
        let s = self.state.borrow();
        let t = &s.settlements;
        let end_of = |sid: &str| t.settlements.get(sid).map(|s| s.summary.period_end);
        // The line of each (creator, currency) with the latest period end.
        let mut latest: BTreeMap<(String, String), (Option<Timestamp>, Carried)> = BTreeMap::new();
        for l in t
            .payout_lines
            .iter()
            .filter(|l| creator.is_none_or(|c| l.creator == c))
        {
            let end = end_of(&l.settlement_id);
            let carried = Carried {
                minor_units: l.minor_units,
                amount: l.carried_out,
            };
            let e = latest
                .entry((l.creator.clone(), l.currency.clone()))
                .or_insert((end, carried));
            if end > e.0 {
                *e = (end, carried);
            }
        }
        Ok(latest.into_iter().map(|(k, (_, c))| (k, c)).collect())
    }

    async fn usage_units(&self, id: &str, manifest_id: &str) -> Result<Vec<(String, u64)>> {
        let s = self.state.borrow();
        let mut units: BTreeMap<String, u64> = BTreeMap::new();
        for l in s.usage.ledger.iter().filter(|l| {
            l.settlement_id.as_deref() == Some(id)
                && l.line.manifest_id == manifest_id
                && l.line.kind == LineKind::Usage
        }) {
            *units.entry(l.line.creator.clone()).or_default() += l.line.units;
        }
        Ok(units.into_iter().collect())
    }

    async fn unsettled_revenue(&self, manifest_id: &str, currency: &str) -> Result<u128> {
        let s = self.state.borrow();
        Ok(s.settlements
            .revenue
            .iter()
            .filter(|(r, used)| {
                used.is_none() && r.manifest_id == manifest_id && r.currency == currency
            })
            .map(|(r, _)| u128::from(r.amount_minor))
            .sum())
    }

    async fn add_pool_lines(
        &self,
        id: &str,
        lines: &[LedgerLine],
        revenue_manifests: &[String],
    ) -> Result<()> {
        let mut s = self.state.borrow_mut();
        let mut keys = HashSet::new();
        let taken = lines.iter().any(|l| {
            let key = (l.event_id.clone(), l.leaf_index, l.kind);
            s.usage.line_keys.contains(&key) || !keys.insert(key)
        });
        if taken {
            return Err(Error::internal(
                "UNIQUE constraint failed: usage_ledger.event_id, usage_ledger.leaf_index, usage_ledger.kind",
            ));
        }
        for l in lines {
            s.usage.push_line(l.clone(), Some(id));
        }
        for (r, used) in s.settlements.revenue.iter_mut() {
            if used.is_none() && revenue_manifests.contains(&r.manifest_id) {
                *used = Some(id.to_string());
            }
        }
        Ok(())
    }

    async fn insert_revenue(&self, revenue: &StoredRevenue) -> Result<()> {
        let mut s = self.state.borrow_mut();
        if s.settlements
            .revenue
            .iter()
            .any(|(r, _)| r.id == revenue.id)
        {
            return Err(Error::internal(
                "UNIQUE constraint failed: revenue_reports.id",
            ));
        }
        s.settlements.revenue.push((revenue.clone(), None));
        Ok(())
    }

    async fn insert_settlement(
        &self,
        settlement: &StoredSettlement,
        lines: &[StoredPayoutLine],
    ) -> Result<()> {
        let mut s = self.state.borrow_mut();
        let t = &mut s.settlements;
        let summary = &settlement.summary;
        if t.settlements.contains_key(&summary.id)
            || t.settlements
                .values()
                .any(|s| s.summary.period_end == summary.period_end)
        {
            return Err(Error::internal("UNIQUE constraint failed: settlements"));
        }
        let mut ids = HashSet::new();
        if lines.iter().any(|l| {
            !ids.insert(l.line_id.clone()) || t.payout_lines.iter().any(|o| o.line_id == l.line_id)
        }) {
            return Err(Error::internal(
                "UNIQUE constraint failed: settlement_lines",
            ));
        }
        t.settlements.insert(summary.id.clone(), settlement.clone());
        t.payout_lines.extend(lines.iter().cloned());
        Ok(())
    }

    async fn settlement_statement(&self, id: &str) -> Result<Option<Value>> {
        let s = self.state.borrow();
        Ok(s.settlements
            .settlements
            .get(id)
            .map(|s| s.statement.clone()))
    }

    async fn settlements(&self, limit: usize) -> Result<Vec<SettlementSummary>> {
        let s = self.state.borrow();
        let mut all: Vec<SettlementSummary> = s
            .settlements
            .settlements
            .values()
            .map(|s| s.summary.clone())
            .collect();
        all.sort_by_key(|s| std::cmp::Reverse(s.period_end));
        all.truncate(limit);
        Ok(all)
    }

    async fn payout_lines(&self, settlement_id: Option<&str>) -> Result<Vec<StoredPayoutLine>> {
        let s = self.state.borrow();
        let mut lines: Vec<StoredPayoutLine> = s
            .settlements
            .payout_lines
            .iter()
            .filter(|l| settlement_id.is_none_or(|id| l.settlement_id == id))
            .cloned()
            .collect();
        lines.sort_by(|a, b| {
            (&a.settlement_id, &a.creator, &a.currency).cmp(&(
                &b.settlement_id,
                &b.creator,
                &b.currency,
            ))
        });
        Ok(lines)
    }

    async fn insert_reconciliation(&self, reconciliation: &StoredReconciliation) -> Result<()> {
        let mut s = self.state.borrow_mut();
        if s.settlements
            .reconciliations
            .contains_key(&reconciliation.id)
        {
            return Err(Error::internal(
                "UNIQUE constraint failed: reconciliations.id",
            ));
        }
        s.settlements
            .reconciliations
            .insert(reconciliation.id.clone(), reconciliation.clone());
        Ok(())
    }

    async fn reconciliation(&self, id: &str) -> Result<Option<StoredReconciliation>> {
        Ok(self
            .state
            .borrow()
            .settlements
            .reconciliations
            .get(id)
            .cloned())
    }

    // Writes for inbound webhooks.
    async fn confirm_payout(
        &self,
        line_id: &str,
        payout_id: &str,
        amount_minor: &str,
        at: Timestamp,
    ) -> Result<bool> {
        Ok(self.with_payout_line(line_id, |l, times| {
            l.payout_status = PayoutStatus::Confirmed;
            l.payout_id = Some(payout_id.to_string());
            l.confirmed_amount_minor = Some(amount_minor.to_string());
            l.failure_reason = None;
            times.confirmed_at = Some(at);
        }))
    }

    async fn fail_payout(
        &self,
        line_id: &str,
        payout_id: Option<&str>,
        reason: &str,
    ) -> Result<bool> {
        Ok(self.with_payout_line(line_id, |l, _| {
            l.payout_status = PayoutStatus::Failed;
            if let Some(p) = payout_id {
                l.payout_id = Some(p.to_string());
            }
            l.failure_reason = Some(reason.to_string());
        }))
    }

    async fn open_dispute(
        &self,
        line_id: &str,
        dispute_id: &str,
        reason: &str,
        at: Timestamp,
    ) -> Result<bool> {
        Ok(self.with_payout_line(line_id, |l, times| {
            l.dispute_id = Some(dispute_id.to_string());
            l.failure_reason.get_or_insert_with(|| reason.to_string());
            times.disputed_at.get_or_insert(at);
        }))
    }
}

// For inbound webhooks.
/// When the payment rail answered about a line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RailTimes {
    pub confirmed_at: Option<Timestamp>,
    pub disputed_at: Option<Timestamp>,
}

impl MemoryPlatform {
    /// Changes a payout line (and its rail times); `false` if there is no
    /// such line.
    fn with_payout_line(
        &self,
        line_id: &str,
        change: impl FnOnce(&mut StoredPayoutLine, &mut RailTimes),
    ) -> bool {
        let mut s = self.state.borrow_mut();
        let t = &mut s.settlements;
        let Some(line) = t.payout_lines.iter_mut().find(|l| l.line_id == line_id) else {
            return false;
        };
        change(line, t.rail_times.entry(line_id.to_string()).or_default());
        true
    }
}
