//! The platform's signing keys, as the `PLATFORM_SIGNING_KEYS` secret lists them.
//!
//! The secret is a JSON array; each entry is one key with its validity window:
//! `{"seed": "<base64url 32 bytes>", "valid_from": "<RFC 3339>", "valid_until": null, "active": true}`.
//! Retired keys may keep only `public_key_multibase`, so the private half can be
//! destroyed while signatures made with it stay verifiable. Exactly one key is
//! active: it signs everything new. Rotation = add the new key as active, mark
//! the old one inactive with a `valid_until`, keep both listed.

use fairtrain_core::did_key::DidKey;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::encoding;
use fairtrain_core::key_set::PublishedKey;
use fairtrain_core::time::Timestamp;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyEntry {
    #[serde(default)]
    seed: Option<String>,
    #[serde(default)]
    public_key_multibase: Option<String>,
    valid_from: String,
    #[serde(default)]
    valid_until: Option<String>,
    #[serde(default)]
    active: bool,
}

#[derive(Clone)]
pub struct KeyRing {
    pub keys: Vec<PublishedKey>,
    active: usize,
    active_signer: SigningKey,
    /// Signing keys we hold, by index into `keys`.
    signers: Vec<(usize, SigningKey)>,
}

impl KeyRing {
    pub fn active(&self) -> &PublishedKey {
        &self.keys[self.active]
    }

    /// The key that signs everything new. `parse` guarantees it has a seed.
    pub fn active_signer(&self) -> &SigningKey {
        &self.active_signer
    }

    /// Every key we hold a private half for, with its public description.
    pub fn signers(&self) -> impl Iterator<Item = (&PublishedKey, &SigningKey)> {
        self.signers.iter().map(|(i, k)| (&self.keys[*i], k))
    }

    pub fn parse(secret: &str) -> Result<KeyRing, String> {
        let entries: Vec<KeyEntry> = serde_json::from_str(secret)
            .map_err(|e| format!("PLATFORM_SIGNING_KEYS is not a JSON array of keys: {e}"))?;
        let mut keys = Vec::new();
        let mut signers = Vec::new();
        let mut active = None;
        for (i, e) in entries.into_iter().enumerate() {
            let (public_key, signer) = match (&e.seed, &e.public_key_multibase) {
                (Some(seed), _) => {
                    let bytes = encoding::base64url_decode(seed)
                        .map_err(|err| format!("key {i}: seed: {err}"))?;
                    let seed: [u8; 32] = bytes
                        .try_into()
                        .map_err(|_| format!("key {i}: seed must be 32 bytes"))?;
                    let sk = SigningKey::from_seed(&seed);
                    (sk.public_key(), Some(sk))
                }
                (None, Some(mb)) => {
                    let did = DidKey::from_public_key_multibase(mb)
                        .map_err(|err| format!("key {i}: {err}"))?;
                    (did.public_key(), None)
                }
                (None, None) => {
                    return Err(format!("key {i}: needs a seed or a public_key_multibase"))
                }
            };
            let time =
                |t: &str| Timestamp::parse_rfc3339(t).map_err(|err| format!("key {i}: {t}: {err}"));
            let valid_from = time(&e.valid_from)?;
            let valid_until = e.valid_until.as_deref().map(time).transpose()?;
            if e.active {
                if active.is_some() {
                    return Err("more than one key is marked active".into());
                }
                if signer.is_none() {
                    return Err(format!("key {i} is active but has no seed"));
                }
                active = Some(i);
            }
            if let Some(sk) = signer {
                signers.push((i, sk));
            }
            keys.push(PublishedKey::describe(
                public_key,
                e.active,
                valid_from,
                valid_until,
            ));
        }
        let active = active.ok_or("no key is marked active")?;
        let active_signer = signers
            .iter()
            .find(|(i, _)| *i == active)
            .map(|(_, k)| k.clone())
            .ok_or("the active key has no seed")?;
        Ok(KeyRing {
            keys,
            active,
            active_signer,
            signers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

    #[test]
    fn one_active_key_signs_and_retired_keys_stay_listed() {
        let retired = DidKey::from_public_key(SigningKey::from_seed(&[9; 32]).public_key());
        let secret = format!(
            r#"[{{"seed":"{SEED}","valid_from":"2026-01-01T00:00:00Z","active":true}},
               {{"public_key_multibase":"{}","valid_from":"2025-01-01T00:00:00Z","valid_until":"2026-01-01T00:00:00Z"}}]"#,
            retired.public_key_multibase()
        );
        let ring = KeyRing::parse(&secret).unwrap();
        assert_eq!(ring.keys.len(), 2);
        assert_eq!(ring.active().status, "active");
        assert_eq!(ring.keys[1].status, "retired");
        assert_eq!(ring.signers().count(), 1);
    }

    #[test]
    fn refuses_no_active_key_two_active_keys_and_an_active_key_without_seed() {
        let k = |active: bool| {
            format!(r#"{{"seed":"{SEED}","valid_from":"2026-01-01T00:00:00Z","active":{active}}}"#)
        };
        assert!(KeyRing::parse(&format!("[{}]", k(false))).is_err());
        assert!(KeyRing::parse(&format!("[{},{}]", k(true), k(true))).is_err());
        let pk = DidKey::from_public_key(SigningKey::from_seed(&[1; 32]).public_key());
        let public_only = format!(
            r#"[{{"public_key_multibase":"{}","valid_from":"2026-01-01T00:00:00Z","active":true}}]"#,
            pk.public_key_multibase()
        );
        assert!(KeyRing::parse(&public_only).is_err());
        assert!(KeyRing::parse("not json").is_err());
    }
}
