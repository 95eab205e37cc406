//! The platform's signing keys, loaded from the `PLATFORM_SIGNING_KEYS`
//! secret (the format and its rules: `fairtrain_app::keys`), parsed once per
//! isolate.

use std::cell::RefCell;

use fairtrain_app::keys::KeyRing;
use fairtrain_app::{Error, Result};

thread_local! {
    // Parsed once per isolate; re-parsed only if the secret changes.
    static CACHE: RefCell<Option<(String, KeyRing)>> = const { RefCell::new(None) };
}

/// The key ring from the environment. A missing or broken secret is a
/// deployment error: 503, with the reason in the log.
pub fn load(env: &worker::Env) -> Result<KeyRing> {
    let secret = env
        .secret("PLATFORM_SIGNING_KEYS")
        .map(|s| s.to_string())
        .map_err(|_| Error::unavailable("the platform signing keys are not configured"))?;
    CACHE.with(|cache| {
        if let Some((raw, ring)) = cache.borrow().as_ref() {
            if *raw == secret {
                return Ok(ring.clone());
            }
        }
        let ring = KeyRing::parse(&secret).map_err(|e| {
            worker::console_error!("PLATFORM_SIGNING_KEYS: {e}");
            Error::unavailable("the platform signing keys are misconfigured")
        })?;
        *cache.borrow_mut() = Some((secret, ring.clone()));
        Ok(ring)
    })
}
