use std::collections::BTreeMap;

use fairtrain_core::time::Timestamp;

use super::MemoryPlatform;
use crate::dead_letters::store::{DeadLetter, DeadLetterStore};
use crate::error::Result;

#[derive(Default)]
pub struct Tables {
    /// (queue, message id) → the letter.
    pub letters: BTreeMap<(String, String), DeadLetter>,
}

impl DeadLetterStore for MemoryPlatform {
    async fn park(&self, letter: &DeadLetter) -> Result<()> {
        self.state
            .borrow_mut()
            .dead_letters
            .letters
            .entry((letter.queue.clone(), letter.message_id.clone()))
            .or_insert_with(|| letter.clone());
        Ok(())
    }

    async fn dead_letters(&self, queue: Option<&str>, limit: usize) -> Result<Vec<DeadLetter>> {
        let s = self.state.borrow();
        let mut out: Vec<DeadLetter> = s
            .dead_letters
            .letters
            .values()
            .filter(|l| queue.is_none_or(|q| l.queue == q))
            .cloned()
            .collect();
        out.sort_by_key(|l| l.parked_at);
        out.truncate(limit);
        Ok(out)
    }

    async fn dead_letter(&self, queue: &str, message_id: &str) -> Result<Option<DeadLetter>> {
        Ok(self
            .state
            .borrow()
            .dead_letters
            .letters
            .get(&(queue.to_string(), message_id.to_string()))
            .cloned())
    }

    async fn mark_replayed(&self, queue: &str, message_id: &str, at: Timestamp) -> Result<()> {
        if let Some(l) = self
            .state
            .borrow_mut()
            .dead_letters
            .letters
            .get_mut(&(queue.to_string(), message_id.to_string()))
        {
            l.replayed_at = Some(at);
        }
        Ok(())
    }
}
