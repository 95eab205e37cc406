//! The platform in memory: every port implemented over plain collections,
//! for native tests of the rules and the CLI's stand-in platform. One
//! implementation of each repository's contract beside the D1 one; the
//! contracts (all-or-nothing writes, first writer wins) hold here too.
//!
//! Single-threaded, like a Worker isolate: state sits in `RefCell`s and no
//! borrow is held across an `.await`.

mod api_keys;
mod auth;
mod consents;
pub mod contributions;
mod creators;
mod dead_letters;
mod faults;
mod health;
mod integrations;
mod licenses;
mod log_outbox;
pub mod manifests;
mod policies;
mod runtime;
mod sequencer;
mod sequencer_store;
mod settlements;
mod usage;
mod webhooks;

use std::cell::{Cell, RefCell};

use fairtrain_core::time::Timestamp;

use crate::keys::KeyRing;
use crate::settings::Settings;

pub use runtime::block_on;

/// Everything stored, one table set per aggregate.
#[derive(Default)]
pub struct State {
    pub api_keys: api_keys::Tables,
    pub auth: auth::Tables,
    pub consents: consents::Tables,
    pub contributions: contributions::Tables,
    pub creators: creators::Tables,
    pub dead_letters: dead_letters::Tables,
    pub faults: faults::Tables,
    pub integrations: integrations::Tables,
    pub licenses: licenses::Tables,
    pub manifests: manifests::Tables,
    pub policies: policies::Tables,
    pub log: sequencer::Log,
    pub log_outbox: log_outbox::Tables,
    pub settlements: settlements::Tables,
    pub usage: usage::Tables,
    pub webhooks: webhooks::Tables,
    /// What was sent to the queues, in order.
    pub queued: Queued,
}

#[derive(Default)]
pub struct Queued {
    /// Usage message bodies (JSON text).
    pub usage: Vec<String>,
    /// Webhook attempts with their delay in seconds.
    pub webhook_attempts: Vec<(crate::webhooks::AttemptMessage, u32)>,
    /// Webhook deliveries parked on the dead-letter queue.
    pub webhook_dead_letters: Vec<crate::webhooks::DeadDelivery>,
}

pub struct MemoryPlatform {
    now: Cell<Timestamp>,
    random: Cell<u64>,
    settings: Settings,
    keys: KeyRing,
    admin_token: Option<String>,
    pub state: RefCell<State>,
    /// What the application logged, as `level: message`.
    pub console: RefCell<Vec<String>>,
}

// The platform may move to another thread (the CLI's test server runs it
// on its own, behind a mutex): it must stay `Send`.
const _: fn() = || {
    fn send<T: Send>() {}
    send::<MemoryPlatform>();
};

/// The seed of the platform key the in-memory platform signs with.
pub const PLATFORM_SEED: [u8; 32] = [7; 32];
/// The in-memory platform's operator token.
pub const ADMIN_TOKEN: &str = "memory-admin-token";

impl MemoryPlatform {
    /// A platform at `now` with production settings and one active key
    /// (seed [`PLATFORM_SEED`]).
    pub fn new(now: Timestamp) -> MemoryPlatform {
        MemoryPlatform::with_settings(now, Settings::default())
    }

    pub fn with_settings(now: Timestamp, settings: Settings) -> MemoryPlatform {
        let seed = fairtrain_core::encoding::base64url_encode(&PLATFORM_SEED);
        let keys = KeyRing::parse(&format!(
            r#"[{{"seed":"{seed}","valid_from":"2020-01-01T00:00:00Z","active":true}}]"#
        ))
        .expect("the memory platform's key set is well-formed");
        MemoryPlatform {
            now: Cell::new(now),
            random: Cell::new(0x9e37_79b9_7f4a_7c15),
            settings,
            keys,
            admin_token: Some(ADMIN_TOKEN.to_string()),
            state: RefCell::new(State::default()),
            console: RefCell::new(Vec::new()),
        }
    }

    /// Moves the clock.
    pub fn set_now(&self, now: Timestamp) {
        self.now.set(now);
    }

    pub fn advance_seconds(&self, seconds: i64) {
        let next = self
            .now
            .get()
            .checked_add_seconds(seconds)
            .expect("the test clock stays in range");
        self.now.set(next);
    }

    pub fn settings_mut(&mut self) -> &mut Settings {
        &mut self.settings
    }

    /// Entries appended to the log so far, decoded.
    pub fn logged(&self) -> Vec<serde_json::Value> {
        self.state.borrow().log.events()
    }
}

pub use sequencer_store::{MemoryPublisher, MemorySequencerStore};
