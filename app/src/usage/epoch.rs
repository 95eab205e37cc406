//! The per-epoch rule, in one place: under `per_epoch` pricing an asset is
//! charged once per (manifest, training run, epoch). The first event to
//! claim that key holds it; the line of the event that holds it carries the
//! charge, every other event's line for the same key is zero.
//!
//! Pricing claims keys as it goes ([`Claims::claim`]); reconciliation asks
//! the same question of the claims as stored ([`Claims::charges`]).

use std::collections::HashMap;

use fairtrain_usage::UsageEvent;

use super::store::{EpochClaim, EpochKey};

/// The key `event`'s use of the asset at `leaf` is charged under.
pub fn key(event: &UsageEvent, leaf: u64) -> EpochKey {
    EpochKey {
        manifest_id: event.manifest_id.clone(),
        training_run_id: event.training_run_id.clone(),
        epoch: event.epoch,
        leaf,
    }
}

/// Who holds which keys, and the claims made since they were read.
#[derive(Debug, Default)]
pub struct Claims {
    held: HashMap<EpochKey, String>,
    made: Vec<EpochClaim>,
}

impl Claims {
    /// The claims as stored.
    pub fn new(held: impl IntoIterator<Item = EpochClaim>) -> Claims {
        Claims {
            held: held.into_iter().map(|c| (c.key, c.event_id)).collect(),
            made: Vec::new(),
        }
    }

    /// Whether `event_id`'s line for `key` carries the charge: it holds the key.
    pub fn charges(&self, event_id: &str, key: &EpochKey) -> bool {
        self.held.get(key).is_some_and(|holder| holder == event_id)
    }

    /// Claims `key` for `event_id` if no event holds it yet; then whether
    /// `event_id`'s line for it carries the charge.
    pub fn claim(&mut self, event_id: &str, key: EpochKey) -> bool {
        if !self.held.contains_key(&key) {
            self.made.push(EpochClaim {
                key: key.clone(),
                event_id: event_id.to_string(),
            });
            self.held.insert(key.clone(), event_id.to_string());
        }
        self.charges(event_id, &key)
    }

    /// The claims made by [`Claims::claim`], in order.
    pub fn made(self) -> Vec<EpochClaim> {
        self.made
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(run: &str, epoch: u64, leaf: u64) -> EpochKey {
        EpochKey {
            manifest_id: "m".into(),
            training_run_id: run.into(),
            epoch,
            leaf,
        }
    }

    #[test]
    fn the_first_claim_wins_and_the_holder_keeps_charging() {
        let mut c = Claims::new([EpochClaim {
            key: k("r", 1, 0),
            event_id: "old".into(),
        }]);
        assert!(!c.claim("a", k("r", 1, 0)), "held by an earlier event");
        assert!(c.claim("a", k("r", 1, 1)), "unheld: claimed");
        assert!(!c.claim("b", k("r", 1, 1)), "claimed just now by a");
        assert!(c.claim("a", k("r", 1, 1)), "a again: still a's");
        assert!(c.claim("b", k("r", 2, 1)), "another epoch is another key");
        assert!(c.claim("b", k("s", 1, 1)), "another run is another key");
        assert!(c.charges("old", &k("r", 1, 0)));
        assert!(!c.charges("a", &k("r", 1, 0)));
        assert!(!c.charges("a", &k("r", 9, 9)), "no one holds it");
        let made: Vec<(EpochKey, String)> =
            c.made().into_iter().map(|c| (c.key, c.event_id)).collect();
        assert_eq!(
            made,
            [
                (k("r", 1, 1), "a".to_string()),
                (k("r", 2, 1), "b".to_string()),
                (k("s", 1, 1), "b".to_string())
            ]
        );
    }
}
