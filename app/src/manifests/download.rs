//! Short-lived download URLs for a manifest's assets, signed by the
//! platform after checking access and, now, the asset's consent.

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::encoding::base64url_encode;
use fairtrain_core::principal::Principal;
use fairtrain_core::time::Timestamp;
use serde::Serialize;

use super::access::{bad_hash, consent_now_valid, require_reader};
use crate::error::{Error, Kind, Result};
use crate::platform::Platform;

/// How long a signed download URL lives.
pub const DOWNLOAD_TTL_S: u64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DownloadUrl {
    pub url: String,
    pub expires_at: Option<Timestamp>,
    pub content_hash: Sha256Digest,
}

/// A URL under `origin` from which `reader` may fetch one asset of the
/// manifest for [`DOWNLOAD_TTL_S`] seconds, if its consent holds now.
pub async fn download_url(
    p: &impl Platform,
    reader: &Principal,
    manifest_id: &str,
    hash: &str,
    origin: &str,
) -> Result<DownloadUrl> {
    require_reader(p, reader, manifest_id).await?;
    let hash: Sha256Digest = hash.parse().map_err(bad_hash)?;
    if let Err(reason) = consent_now_valid(p, manifest_id, &hash).await? {
        return Err(Error::new(
            Kind::Gone,
            "the creator's consent for this asset no longer holds; it is not served, even under this manifest",
        )
        .with("reason", reason)
        .with("content_hash", hash.to_string()));
    }
    let now = p.now();
    let exp = now.unix_millis() as u64 / 1000 + DOWNLOAD_TTL_S;
    let ring = p.keys()?;
    let message = download_message(&hash, manifest_id, &reader.id, exp);
    let sig = base64url_encode(&ring.active_signer().sign(message.as_bytes()).to_bytes());
    let query = form_urlencoded(&[
        ("m", manifest_id),
        ("b", &reader.id),
        ("exp", &exp.to_string()),
        ("sig", &sig),
    ]);
    Ok(DownloadUrl {
        url: format!("{origin}/v1/blobs/{hash}?{query}"),
        expires_at: now.checked_add_seconds(DOWNLOAD_TTL_S as i64),
        content_hash: hash,
    })
}

/// What the platform signs for a download URL.
pub(super) fn download_message(
    hash: &Sha256Digest,
    manifest_id: &str,
    buyer: &str,
    exp: u64,
) -> String {
    format!("fairtrain download\n{hash}\n{manifest_id}\n{buyer}\n{exp}")
}

/// `application/x-www-form-urlencoded` (the WHATWG URL standard's serializer).
fn form_urlencoded(pairs: &[(&str, &str)]) -> String {
    fn encode(text: &str, out: &mut String) {
        for b in text.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                    out.push(b as char)
                }
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
    }
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode(name, &mut out);
        out.push('=');
        encode(value, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::form_urlencoded;

    #[test]
    fn form_encoding_escapes_what_the_url_standard_escapes() {
        assert_eq!(
            form_urlencoded(&[("m", "urn:uuid:0a-b"), ("sig", "aZ9-_"), ("x", "a b+c/é*.")]),
            "m=urn%3Auuid%3A0a-b&sig=aZ9-_&x=a+b%2Bc%2F%C3%A9*."
        );
    }
}
