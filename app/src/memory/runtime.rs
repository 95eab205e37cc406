//! Clock, randomness, configuration, console, queues and blobs in memory.

use fairtrain_core::time::Timestamp;

use super::MemoryPlatform;
use crate::error::Result;
use crate::keys::KeyRing;
use crate::platform::{Blobs, Clock, Config, Console, Ids, Queues};
use crate::settings::Settings;
use crate::webhooks::{AttemptMessage, DeadDelivery};

/// Runs a use case's future to completion (they never wait on anything but
/// the in-memory platform).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

impl Clock for MemoryPlatform {
    fn now(&self) -> Timestamp {
        self.now.get()
    }
}

impl Ids for MemoryPlatform {
    /// Deterministic (SplitMix64): the same test makes the same ids.
    fn fill_random(&self, buf: &mut [u8]) -> Result<()> {
        for chunk in buf.chunks_mut(8) {
            let mut z = self.random.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
            self.random.set(z);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
        Ok(())
    }
}

impl Config for MemoryPlatform {
    fn settings(&self) -> &Settings {
        &self.settings
    }

    fn keys(&self) -> Result<KeyRing> {
        Ok(self.keys.clone())
    }

    fn admin_token(&self) -> Option<String> {
        self.admin_token.clone()
    }
}

impl Console for MemoryPlatform {
    fn info(&self, message: &str) {
        self.console.borrow_mut().push(format!("info: {message}"));
    }

    fn error(&self, message: &str) {
        self.console.borrow_mut().push(format!("error: {message}"));
    }
}

impl Queues for MemoryPlatform {
    async fn send_usage(&self, bodies: Vec<String>) -> Result<()> {
        self.state.borrow_mut().queued.usage.extend(bodies);
        Ok(())
    }

    async fn send_webhook_attempts(&self, attempts: &[AttemptMessage], delay_s: u32) -> Result<()> {
        self.state
            .borrow_mut()
            .queued
            .webhook_attempts
            .extend(attempts.iter().map(|a| (a.clone(), delay_s)));
        Ok(())
    }

    async fn park_webhook_delivery(&self, dead: &DeadDelivery) -> Result<()> {
        self.state
            .borrow_mut()
            .queued
            .webhook_dead_letters
            .push(dead.clone());
        Ok(())
    }
}

impl Blobs for MemoryPlatform {
    async fn discard(&self, key: &str) {
        self.state
            .borrow_mut()
            .contributions
            .discarded
            .push(key.to_string());
    }

    async fn abort_multipart(&self, key: &str, upload_id: &str) {
        self.state
            .borrow_mut()
            .contributions
            .aborted
            .push(format!("{key} {upload_id}"));
    }
}
