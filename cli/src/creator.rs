//! The creator's side of the API: the key file `fairtrain keygen` writes, and
//! requests signed with it (HTTP Message Signatures, RFC 9421): `@method`,
//! `@target-uri`, and `content-digest` when there is a body, with a fresh
//! 16-byte nonce and a five-minute lifetime. Every creator command sends
//! through [`Creator::send`].

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::{format_digest_header, Sha256Digest};
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::encoding::{base64url_decode, base64url_encode};
use fairtrain_core::jcs;
use fairtrain_core::time::Timestamp;
use fairtrain_httpsig::{RequestParts, Signer};
use serde::Deserialize;
use serde_json::Value;

use crate::client::Api;

/// `--key FILE`: the creator's key file.
#[derive(clap::Args, Clone)]
pub struct KeyArg {
    /// The creator's key file (from `fairtrain keygen`).
    #[arg(long = "key", env = "FAIRTRAIN_KEY", value_name = "FILE")]
    pub path: PathBuf,
}

impl KeyArg {
    pub fn load(&self) -> Result<Creator> {
        Creator::load(&self.path)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    did: String,
    seed: String,
}

/// A creator: their signing key and did:key.
pub struct Creator {
    key: SigningKey,
    did: DidKey,
}

enum Payload<'a> {
    None,
    Bytes(Vec<u8>),
    Reader(&'a mut dyn Read),
}

/// A request body.
pub enum Body<'a> {
    None,
    Json(&'a Value),
    /// Streamed bytes of a known length and digest.
    Stream {
        reader: &'a mut dyn Read,
        len: u64,
        digest: Sha256Digest,
        content_type: &'a str,
        /// Further headers (e.g. `Fairtrain-Envelope`).
        headers: Vec<(&'static str, String)>,
    },
}

impl Creator {
    pub fn from_key(key: SigningKey) -> Creator {
        let did = DidKey::from_public_key(key.public_key());
        Creator { key, did }
    }

    /// Reads a key file (`{"did": …, "seed": base64url}`) and checks that the
    /// seed is the DID's.
    pub fn load(path: &Path) -> Result<Creator> {
        let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let file: KeyFile = serde_json::from_slice(&text)
            .with_context(|| format!("{} is not a fairtrain key file", path.display()))?;
        let seed = base64url_decode(&file.seed)
            .ok()
            .and_then(|s| <[u8; 32]>::try_from(s.as_slice()).ok())
            .with_context(|| format!("{}: seed must be base64url of 32 bytes", path.display()))?;
        let creator = Creator::from_key(SigningKey::from_seed(&seed));
        if creator.did.to_string() != file.did {
            bail!(
                "{}: the seed belongs to {}, not to {}",
                path.display(),
                creator.did,
                file.did
            );
        }
        Ok(creator)
    }

    pub fn did(&self) -> &DidKey {
        &self.did
    }

    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// The `Signature-Input` and `Signature` headers for a request with these
    /// headers (those that are signed must be among them), at `now`.
    pub fn signature_headers(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        now: i64,
        nonce: &str,
    ) -> Result<[(&'static str, String); 2]> {
        let mut parts = RequestParts::new(method, url)
            .map_err(|e| anyhow::anyhow!("cannot sign a request to {url}: {e}"))?;
        for (name, value) in headers {
            parts.push_header(name, value.clone());
        }
        let signed = Signer::new(self.key.clone())
            .sign(&parts, now, nonce)
            .map_err(|e| anyhow::anyhow!("signing the request: {e}"))?;
        Ok([
            ("Signature-Input", signed.signature_input),
            ("Signature", signed.signature),
        ])
    }

    /// Sends a signed request and returns the JSON answer (problem+json
    /// answers become errors).
    pub fn send(&self, api: &Api, method: &str, path: &str, body: Body<'_>) -> Result<Value> {
        let url = api.url(path);
        let mut headers: Vec<(&str, String)> = Vec::new();
        let payload = match body {
            Body::None => Payload::None,
            Body::Json(value) => {
                let bytes = serde_json::to_vec(value)?;
                headers.push(("Content-Type", "application/json".into()));
                headers.push((
                    "Content-Digest",
                    format_digest_header(&Sha256Digest::of(&bytes)),
                ));
                Payload::Bytes(bytes)
            }
            Body::Stream {
                reader,
                len,
                digest,
                content_type,
                headers: extra,
            } => {
                headers.push(("Content-Type", content_type.to_owned()));
                headers.push(("Content-Digest", format_digest_header(&digest)));
                // An explicit length: ureq then streams without chunking.
                headers.push(("Content-Length", len.to_string()));
                headers.extend(extra);
                Payload::Reader(reader)
            }
        };
        let nonce = base64url_encode(&crate::random::bytes::<16>()?);
        let now = Timestamp::now().unix_seconds();
        let signature = self.signature_headers(method, &url, &headers, now, &nonce)?;
        let mut builder = ureq::http::Request::builder().method(method).uri(&url);
        for (name, value) in headers.iter().chain(signature.iter()) {
            builder = builder.header(*name, value.as_str());
        }
        match payload {
            Payload::None => api.run(path, builder.body(())?),
            Payload::Bytes(bytes) => api.run(path, builder.body(bytes)?),
            Payload::Reader(reader) => {
                api.run(path, builder.body(ureq::SendBody::from_reader(reader))?)
            }
        }
    }
}

/// Reads a JSON document strictly (no duplicate members), refusing files
/// larger than `limit` bytes.
pub fn read_json(path: &Path, limit: u64) -> Result<Value> {
    let len = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    if len > limit {
        bail!("{} is larger than {limit} bytes", path.display());
    }
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    jcs::parse_strict_slice(&bytes).with_context(|| format!("{} is not valid JSON", path.display()))
}

/// Writes pretty JSON (with a final newline).
pub fn write_json(path: &Path, value: &Value) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fairtrain_httpsig::Policy;

    fn creator() -> Creator {
        Creator::from_key(SigningKey::from_seed(&[12; 32]))
    }

    #[test]
    fn key_files_as_keygen_writes_them() {
        let dir = std::env::temp_dir().join(format!("fairtrain-cli-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let c = creator();
        let path = dir.join("key.json");
        let file = serde_json::json!({"did": c.did().to_string(), "seed": base64url_encode(&c.key().seed())});
        write_json(&path, &file).unwrap();
        assert_eq!(Creator::load(&path).unwrap().did(), c.did());

        let other = Creator::from_key(SigningKey::from_seed(&[13; 32]));
        let wrong = serde_json::json!({"did": other.did().to_string(), "seed": base64url_encode(&c.key().seed())});
        write_json(&path, &wrong).unwrap();
        assert!(Creator::load(&path).is_err());
        let short = serde_json::json!({"did": c.did().to_string(), "seed": "AAAA"});
        write_json(&path, &short).unwrap();
        assert!(Creator::load(&path).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// What the Worker does with a creator's request: the default policy.
    #[test]
    fn signed_requests_pass_the_workers_policy() {
        let c = creator();
        let url = "http://127.0.0.1:8787/v1/consents";
        let body = br#"{"a":1}"#;
        let digest = format_digest_header(&Sha256Digest::of(body));
        let headers = vec![
            ("Content-Type", "application/json".to_string()),
            ("Content-Digest", digest.clone()),
        ];
        let now = 1_770_000_000;
        let sig = c
            .signature_headers("POST", url, &headers, now, "bm9uY2U")
            .unwrap();
        let mut parts = RequestParts::new("POST", url).unwrap();
        for (n, v) in headers.iter().chain(sig.iter()) {
            parts.push_header(n, v.clone());
        }
        let verified = Policy::default().verify(&parts, true, now + 1).unwrap();
        assert_eq!(verified.did, *c.did());
        assert_eq!(verified.nonce, "bm9uY2U");
        verified.check_body(&Sha256Digest::of(body)).unwrap();
        assert!(verified.check_body(&Sha256Digest::of(b"other")).is_err());
        // Another method or target does not verify.
        let mut moved = RequestParts::new("POST", "http://127.0.0.1:8787/v1/assets").unwrap();
        for (n, v) in headers.iter().chain(sig.iter()) {
            moved.push_header(n, v.clone());
        }
        assert!(Policy::default().verify(&moved, true, now + 1).is_err());
        // Without a body: method and target only.
        let sig = c
            .signature_headers(
                "GET",
                "http://127.0.0.1:8787/v1/creators/me",
                &[],
                now,
                "bg",
            )
            .unwrap();
        let mut get = RequestParts::new("GET", "http://127.0.0.1:8787/v1/creators/me").unwrap();
        for (n, v) in sig.iter() {
            get.push_header(n, v.clone());
        }
        Policy::default().verify(&get, false, now).unwrap();
        assert!(
            Policy::default().verify(&get, false, now + 301).is_err(),
            "expired"
        );
    }
}
