//! Pricing accepted events into the ledger, exactly once (the usage queue's
//! job).
//!
//! Delivery is at-least-once and unordered. Every write is keyed: an event
//! by its id, a ledger line by (event, leaf, kind), a per-epoch charge by
//! its key ([`super::epoch`]). A message is written all or nothing, so a
//! failure leaves nothing half done, and a redelivery after a failure *or*
//! after success adds nothing. An event id seen again with different
//! content is kept aside as a conflict and never priced. A message that
//! keeps failing goes to the dead-letter queue (parked, replayable), never
//! dropped.

use std::collections::{BTreeSet, HashMap};

use fairtrain_core::money::Rate;
use fairtrain_manifest::terms::{AttributionModel, UsagePolicy};
use fairtrain_settlement::{LedgerLine, LineKind};
use fairtrain_usage::{price_event, UsageEvent};

use super::epoch::{self, Claims};
use super::message::UsageMessage;
use super::store::{EpochKey, PricedMessage, RecordedEvent};
use crate::error::{Error, Kind, Result};
use crate::faults::Fault;
use crate::platform::Platform;

/// How often a message is priced again, in place, when a per-epoch key it
/// claimed was claimed by another message meanwhile.
const CLAIM_ATTEMPTS: usize = 3;

/// Manifests' usage policies, each read once for a piece of work (a queue
/// batch, a reconciliation).
#[derive(Debug, Default)]
pub struct Policies(HashMap<String, Option<UsagePolicy>>);

impl Policies {
    /// The policies of the manifests `messages` name.
    pub async fn load<'a>(
        p: &impl Platform,
        messages: impl IntoIterator<Item = &'a UsageMessage>,
    ) -> Result<Policies> {
        let mut policies = Policies::default();
        let ids = messages
            .into_iter()
            .flat_map(|m| m.events.iter())
            .filter_map(|q| q.event["manifest_id"].as_str());
        policies.extend(p, ids).await?;
        Ok(policies)
    }

    /// Reads the policies of the manifests among `ids` not read yet.
    pub async fn extend<'a>(
        &mut self,
        p: &impl Platform,
        ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<()> {
        let missing: BTreeSet<&str> = ids
            .into_iter()
            .filter(|id| !self.0.contains_key(*id))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let missing: Vec<&str> = missing.into_iter().collect();
        let found = p.manifest_terms(&missing).await?;
        for id in missing {
            self.0.insert(id.to_string(), None);
        }
        for t in found {
            self.0.insert(t.id, Some(t.usage_policy));
        }
        Ok(())
    }

    /// A policy read; `None` if there is no such manifest.
    pub fn get(&self, manifest_id: &str) -> Option<&UsagePolicy> {
        self.0.get(manifest_id).and_then(Option::as_ref)
    }
}

/// An event of the message, decoded, with its policy.
struct Decoded<'a> {
    event: UsageEvent,
    policy: &'a UsagePolicy,
    rate: Rate,
    recorded: RecordedEvent,
}

/// Prices one message into the ledger (see the module docs).
pub async fn price(p: &impl Platform, policies: &Policies, msg: &UsageMessage) -> Result<()> {
    let fault = p.usage_fault(&msg.report_id).await?;
    if fault == Some(Fault::BeforeWrite) {
        return Err(Error::unavailable("injected fault before the write"));
    }
    let now = p.now();
    let mut decoded = Vec::with_capacity(msg.events.len());
    let mut keys: BTreeSet<EpochKey> = BTreeSet::new();
    for q in &msg.events {
        let event = UsageEvent::from_json(&q.event)?;
        let policy = policies
            .get(&event.manifest_id)
            .ok_or_else(|| Error::unavailable(format!("no policy for {}", event.manifest_id)))?;
        let rate = Rate::from_price(&policy.price)?;
        if policy.attribution_model == AttributionModel::PerEpoch {
            keys.extend(q.assets.iter().map(|a| epoch::key(&event, a.leaf)));
        }
        decoded.push(Decoded {
            recorded: RecordedEvent {
                event: event.clone(),
                event_hash: q.hash.parse()?,
                report_id: msg.report_id.clone(),
                batch_leaf: q.batch_leaf,
            },
            event,
            policy,
            rate,
        });
    }
    let keys: Vec<EpochKey> = keys.into_iter().collect();
    let mut attempt = 1;
    loop {
        let held = if keys.is_empty() {
            Vec::new()
        } else {
            p.epoch_claims(&keys).await?
        };
        let priced = price_all(msg, &decoded, Claims::new(held), now)?;
        match p.record_priced(&priced, now).await {
            Err(e) if e.kind == Kind::Conflict && attempt < CLAIM_ATTEMPTS => attempt += 1,
            written => break written?,
        }
    }
    if fault == Some(Fault::AfterWrite) {
        return Err(Error::unavailable("injected fault after the write"));
    }
    Ok(())
}

/// The message's events and lines, per-epoch charges decided by `claims`.
fn price_all(
    msg: &UsageMessage,
    decoded: &[Decoded<'_>],
    mut claims: Claims,
    now: fairtrain_core::time::Timestamp,
) -> Result<PricedMessage> {
    let mut priced = PricedMessage::default();
    for (q, d) in msg.events.iter().zip(decoded) {
        let e = &d.event;
        let flags: Vec<bool> = if d.policy.attribution_model == AttributionModel::PerEpoch {
            q.assets
                .iter()
                .map(|a| claims.claim(&e.event_id, epoch::key(e, a.leaf)))
                .collect()
        } else {
            Vec::new()
        };
        let charges = price_event(d.policy, e, &flags)?;
        for (a, c) in q.assets.iter().zip(charges) {
            priced.lines.push(LedgerLine {
                event_id: e.event_id.clone(),
                event_hash: d.recorded.event_hash,
                manifest_id: e.manifest_id.clone(),
                leaf_index: a.leaf,
                creator: a.creator.clone(),
                model_id: e.model_id.clone(),
                training_run_id: e.training_run_id.clone(),
                kind: LineKind::Usage,
                units: c.units,
                currency: d.rate.currency.clone(),
                minor_units: d.rate.minor_units,
                amount: c.amount,
                priced_at: now,
            });
        }
        priced.events.push(d.recorded.clone());
    }
    priced.claims = claims.made();
    Ok(priced)
}
