//! What the application needs from the platform it runs on: a clock,
//! randomness, configuration and keys, the log's sequencer, the queues,
//! blob storage, and one repository per aggregate.
//!
//! Each port is a small trait; [`Platform`] is all of them. The Worker
//! implements them over D1, R2, Durable Objects and Queues; `memory` (the
//! feature of the same name) implements them in memory for native tests and
//! the CLI's stand-in platform. Use cases take `&impl Platform`.
//!
//! Methods are `async fn` without `Send` bounds: the Worker's futures hold
//! JavaScript values and never cross threads.

use fairtrain_core::time::Timestamp;

use crate::error::Result;
use crate::keys::KeyRing;
use crate::settings::Settings;

pub use crate::api_keys::store::ApiKeyStore;
pub use crate::auth::store::NonceStore;
pub use crate::consents::store::ConsentStore;
pub use crate::contributions::store::{ContributionStore, UploadStore};
pub use crate::creators::store::CreatorStore;
pub use crate::dead_letters::store::DeadLetterStore;
pub use crate::faults::Faults;
pub use crate::integrations::store::IntegrationStore;
pub use crate::licenses::store::LicenseStore;
pub use crate::log::outbox::LogOutboxStore;
pub use crate::log::sequencer_port::Sequencer;
pub use crate::manifests::store::ManifestStore;
pub use crate::policies::store::PolicyStore;
pub use crate::settlements::store::SettlementStore;
pub use crate::usage::store::UsageStore;
pub use crate::webhooks::sender::WebhookSender;
pub use crate::webhooks::store::WebhookStore;

/// The time of the piece of work: read once, so one request sees one time.
pub trait Clock {
    fn now(&self) -> Timestamp;
}

/// Where the application says what happened in work that has no caller to
/// tell (queues, cron, best-effort side effects).
pub trait Console {
    fn info(&self, message: &str);
    fn error(&self, message: &str);
}

/// Fresh identifiers and secrets from a cryptographically secure source.
pub trait Ids {
    /// Random bytes.
    fn fill_random(&self, buf: &mut [u8]) -> Result<()>;

    /// A random (version 4) UUID in its usual text form.
    fn uuid(&self) -> Result<String> {
        let mut b = [0u8; 16];
        self.fill_random(&mut b)?;
        Ok(fairtrain_core::fields::urn_uuid_v4(b)
            .trim_start_matches("urn:uuid:")
            .to_string())
    }

    /// `urn:uuid:<uuid>`.
    fn urn(&self) -> Result<String> {
        Ok(format!("urn:uuid:{}", self.uuid()?))
    }
}

/// The deployment's settings and the platform's signing keys.
pub trait Config {
    fn settings(&self) -> &Settings;
    /// The platform's keys; a missing or broken key set is `Unavailable`.
    fn keys(&self) -> Result<KeyRing>;
    /// The operator's bootstrap token, if configured.
    fn admin_token(&self) -> Option<String>;
}

/// What the queues carry, sent by the application; the consumers are jobs.
#[allow(async_fn_in_trait)]
pub trait Queues {
    /// Usage messages (JSON text each) onto the usage queue, in batches.
    async fn send_usage(&self, bodies: Vec<String>) -> Result<()>;
    /// Webhook delivery attempts, each to run `delay_s` seconds from now.
    async fn send_webhook_attempts(
        &self,
        attempts: &[crate::webhooks::AttemptMessage],
        delay_s: u32,
    ) -> Result<()>;
    /// A webhook delivery whose last attempt failed, onto the dead-letter queue.
    async fn park_webhook_delivery(&self, dead: &crate::webhooks::DeadDelivery) -> Result<()>;
}

/// Blob storage, for what the application decides about stored objects
/// (streaming bytes in and out stays with the runtime's adapter).
#[allow(async_fn_in_trait)]
pub trait Blobs {
    /// Best effort: an object we will not keep.
    async fn discard(&self, key: &str);
    /// Abandons a multipart upload (best effort) .
    async fn abort_multipart(&self, key: &str, upload_id: &str);
}

/// Every port. Implemented automatically by anything that implements them all.
pub trait Platform:
    Clock
    + Console
    + Ids
    + Config
    + Queues
    + Blobs
    + Sequencer
    + LogOutboxStore
    + ApiKeyStore
    + NonceStore
    + CreatorStore
    + PolicyStore
    + ConsentStore
    + ContributionStore
    + UploadStore
    + ManifestStore
    + LicenseStore
    + UsageStore
    + SettlementStore
    + WebhookStore
    + WebhookSender
    + IntegrationStore
    + DeadLetterStore
    + Faults
{
}

impl<T> Platform for T where
    T: Clock
        + Console
        + Ids
        + Config
        + Queues
        + Blobs
        + Sequencer
        + LogOutboxStore
        + ApiKeyStore
        + NonceStore
        + CreatorStore
        + PolicyStore
        + ConsentStore
        + ContributionStore
        + UploadStore
        + ManifestStore
        + LicenseStore
        + UsageStore
        + SettlementStore
        + WebhookStore
        + WebhookSender
        + IntegrationStore
        + DeadLetterStore
        + Faults
{
}
