//! The Worker as the application's platform: [`Runtime`] implements every
//! port of `fairtrain_app::platform` over the bindings (D1 in `crate::d1`,
//! R2, the log's Durable Object, Queues) for one piece of work: a request,
//! a queue batch or a cron run.

pub mod blobs;
pub mod keys;
pub mod queues;
pub mod random;
pub mod sequencer;
pub mod webhooks;

use fairtrain_app::keys::KeyRing;
use fairtrain_app::platform::{Clock, Config, Console, Ids};
use fairtrain_app::settings::Settings;
use fairtrain_app::{Error, Result};
use fairtrain_core::time::Timestamp;
use worker::Env;

pub struct Runtime {
    pub env: Env,
    /// Read once per piece of work, so it sees one time.
    now: Timestamp,
    /// Ties log lines to the problem document a client saw.
    pub request_id: String,
    settings: Settings,
}

impl Runtime {
    pub fn new(env: Env, request_id: String) -> Result<Runtime> {
        let now = Timestamp::from_unix_millis(worker::Date::now().as_millis() as i64)?;
        let settings = Settings::from_vars(|name| {
            env.var(name)
                .ok()
                .map(|v| v.to_string())
                .filter(|v| !v.is_empty())
        });
        Ok(Runtime {
            env,
            now,
            request_id,
            settings,
        })
    }

    /// For work no request started (queue batches, cron).
    pub fn background(env: Env) -> Result<Runtime> {
        Runtime::new(env, uuid::Uuid::new_v4().to_string())
    }

    pub fn db(&self) -> Result<worker::D1Database> {
        self.env
            .d1("DB")
            .map_err(|e| Error::internal(format!("D1 binding DB: {e}")))
    }
}

impl Clock for Runtime {
    fn now(&self) -> Timestamp {
        self.now
    }
}

impl Ids for Runtime {
    fn fill_random(&self, buf: &mut [u8]) -> Result<()> {
        random::fill(buf)
    }
}

impl Config for Runtime {
    fn settings(&self) -> &Settings {
        &self.settings
    }

    fn keys(&self) -> Result<KeyRing> {
        keys::load(&self.env)
    }

    fn admin_token(&self) -> Option<String> {
        self.env
            .secret("ADMIN_TOKEN")
            .ok()
            .map(|s| s.to_string())
            .filter(|s| !s.is_empty())
    }
}

impl Console for Runtime {
    fn info(&self, message: &str) {
        worker::console_log!("{message}");
    }

    fn error(&self, message: &str) {
        worker::console_error!("request {}: {message}", self.request_id);
    }
}
