//! Health and the published key set, over the in-memory platform.

mod support;

use fairtrain_app::health::{self, DatabaseProbe, Ping};
use fairtrain_app::key_set::signed_key_set;
use fairtrain_app::keys::KeyRing;
use fairtrain_app::memory::{block_on, MemoryPlatform, PLATFORM_SEED};
use fairtrain_app::platform::Config;
use fairtrain_app::settings::Settings;
use fairtrain_app::{Kind, Result};
use fairtrain_core::did_key::DidKey;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::key_set;
use serde_json::json;
use support::{t, NOW};

/// The memory platform with a database that does not answer.
struct DatabaseDown(MemoryPlatform);

impl Config for DatabaseDown {
    fn settings(&self) -> &Settings {
        self.0.settings()
    }

    fn keys(&self) -> Result<KeyRing> {
        self.0.keys()
    }

    fn admin_token(&self) -> Option<String> {
        self.0.admin_token()
    }
}

impl DatabaseProbe for DatabaseDown {
    async fn ping_database(&self) -> Result<Ping> {
        Ok(Ping::Failed("D1_ERROR: no such database".into()))
    }
}

#[test]
fn health_reports_each_dependency() {
    let p = MemoryPlatform::new(t(NOW));
    let h = block_on(health::check(&p, "1.2.3")).unwrap();
    let kid = p.keys().unwrap().active().kid.clone();
    assert_eq!(
        serde_json::to_value(&h).unwrap(),
        json!({ "status": "ok", "version": "1.2.3",
                "checks": { "d1": "ok", "signing_keys": format!("ok (1 keys, active {kid})") } })
    );
}

#[test]
fn a_failed_dependency_is_unavailable_with_the_checks() {
    let p = DatabaseDown(MemoryPlatform::new(t(NOW)));
    let e = block_on(health::check(&p, "1.2.3")).unwrap_err();
    assert_eq!(e.kind, Kind::Unavailable);
    assert_eq!(e.retry_after, Some(5));
    assert_eq!(e.detail, "a dependency is not healthy");
    assert_eq!(
        e.members["checks"]["d1"],
        "error: D1_ERROR: no such database"
    );
    assert!(e.members["checks"]["signing_keys"]
        .as_str()
        .unwrap()
        .starts_with("ok (1 keys"));
}

#[test]
fn the_key_set_is_signed_by_its_keys_and_names_the_active_one() {
    let p = MemoryPlatform::new(t(NOW));
    let doc = signed_key_set(&p).unwrap();
    let keys = key_set::verify(&doc).expect("the key set verifies");
    assert_eq!(keys.len(), 1);
    let public = SigningKey::from_seed(&PLATFORM_SEED).public_key();
    assert_eq!(keys[0].public_key().unwrap(), public);
    assert_eq!(doc["active"], keys[0].kid.as_str());
    assert_eq!(doc["issuer"], keys[0].controller.as_str());
    assert_eq!(
        doc["proof"]["verificationMethod"],
        DidKey::from_public_key(public).verification_method()
    );
    assert_eq!(doc["proof"]["created"], NOW);
    assert!(doc["webhooks"]["v1a_public_key"]
        .as_str()
        .unwrap()
        .starts_with("whpk_"));

    let mut tampered = doc.clone();
    tampered["keys"][0]["valid_from"] = json!("2019-01-01T00:00:00Z");
    assert!(key_set::verify(&tampered).is_err());
}
