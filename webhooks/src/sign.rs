//! Signing a delivery: the content `{webhook-id}.{webhook-timestamp}.{body}`,
//! signed with every current key, the signatures space-separated in one
//! `webhook-signature` value (`v1,<base64>` for HMAC-SHA256, `v1a,<base64>`
//! for Ed25519). Several keys sign during a rotation; a consumer needs any one.

use fairtrain_core::encoding::base64_encode;

use super::hmac::hmac_sha256_parts;
use super::secret::{SigningKey, WebhookSecret, WebhookSigningKey};
use super::{HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP};

/// Longest `webhook-id` fairtrain sends or accepts.
pub const MAX_MESSAGE_ID_LEN: usize = 256;

/// The two signature schemes of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureVersion {
    /// `v1`: HMAC-SHA256 with a `whsec_` secret.
    V1,
    /// `v1a`: Ed25519 with a `whsk_` key, verified with its `whpk_`.
    V1a,
}

impl SignatureVersion {
    pub fn as_str(&self) -> &'static str {
        match self {
            SignatureVersion::V1 => "v1",
            SignatureVersion::V1a => "v1a",
        }
    }

    /// `v1` or `v1a`; `None` for versions this code does not know (which a
    /// verifier skips rather than refuses, so a future `v2` breaks nothing).
    pub fn from_tag(tag: &str) -> Option<Self> {
        match tag {
            "v1" => Some(SignatureVersion::V1),
            "v1a" => Some(SignatureVersion::V1a),
            _ => None,
        }
    }
}

/// Why a delivery could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("no signing key")]
    NoKeys,
    #[error("a webhook-id must be 1-256 visible ASCII characters without `.`")]
    BadMessageId,
    #[error("the webhook-timestamp must not be negative")]
    BadTimestamp,
}

/// Is `id` acceptable as a `webhook-id`? Visible ASCII, 1-256 characters and
/// no `.`: the spec asks that ids "not be allowed to include any `.`", which
/// would let bytes move between the id and the timestamp in the signed content.
pub fn is_valid_message_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_MESSAGE_ID_LEN
        && id.bytes().all(|b| b.is_ascii_graphic() && b != b'.')
}

/// The bytes that are signed: `{id}.{timestamp}.{body}`.
pub fn signed_content(id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    let ts = timestamp.to_string();
    let mut out = Vec::with_capacity(id.len() + ts.len() + body.len() + 2);
    out.extend_from_slice(id.as_bytes());
    out.push(b'.');
    out.extend_from_slice(ts.as_bytes());
    out.push(b'.');
    out.extend_from_slice(body);
    out
}

impl WebhookSecret {
    /// The raw HMAC-SHA256 of the signed content.
    pub fn mac(&self, id: &str, timestamp: &str, body: &[u8]) -> [u8; 32] {
        hmac_sha256_parts(
            self.as_bytes(),
            &[id.as_bytes(), b".", timestamp.as_bytes(), b".", body],
        )
    }

    /// `v1,<base64 HMAC-SHA256>` for this delivery.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mac = self.mac(id, &timestamp.to_string(), body);
        format!("v1,{}", base64_encode(&mac))
    }
}

impl WebhookSigningKey {
    /// `v1a,<base64 Ed25519 signature>` for this delivery.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let sig = self
            .signing_key()
            .sign(&signed_content(id, timestamp, body));
        format!("v1a,{}", base64_encode(&sig.to_bytes()))
    }
}

impl SigningKey {
    /// One `webhook-signature` entry for this delivery.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        match self {
            SigningKey::Hmac(secret) => secret.sign(id, timestamp, body),
            SigningKey::Ed25519(key) => key.sign(id, timestamp, body),
        }
    }
}

/// The three headers of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub id: String,
    /// Unix seconds of this attempt (a retry gets a new one and new signatures).
    pub timestamp: i64,
    /// The `webhook-signature` value.
    pub signature: String,
}

impl SignedHeaders {
    /// `(name, value)` pairs, lower-case names as the spec writes them.
    pub fn to_pairs(&self) -> [(&'static str, String); 3] {
        [
            (HEADER_ID, self.id.clone()),
            (HEADER_TIMESTAMP, self.timestamp.to_string()),
            (HEADER_SIGNATURE, self.signature.clone()),
        ]
    }
}

/// Signs one delivery attempt with every key in `keys` (the current one, plus
/// the old one during a rotation).
pub fn sign(
    keys: &[SigningKey],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<SignedHeaders, SignError> {
    if keys.is_empty() {
        return Err(SignError::NoKeys);
    }
    if !is_valid_message_id(id) {
        return Err(SignError::BadMessageId);
    }
    if timestamp < 0 {
        return Err(SignError::BadTimestamp);
    }
    let signature = keys
        .iter()
        .map(|k| k.sign(id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ");
    Ok(SignedHeaders {
        id: id.to_string(),
        timestamp,
        signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::WebhookPublicKey;

    /// The official libraries' shared `sign` vector (JavaScript, Python, Go,
    /// C#, Java, PHP tests; also svix-server's worker tests).
    #[test]
    fn official_library_vector() {
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            secret.sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    /// The official Rust library's `test_sign` vector.
    #[test]
    fn official_rust_library_vector() {
        let secret = WebhookSecret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
        assert_eq!(
            secret.sign(
                "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
                1649367553,
                br#"{"email":"test@example.com","username":"test_user"}"#
            ),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
    }

    /// svix-server's `test_asymmetric_key_signing`: Ed25519 is deterministic,
    /// so the `v1a` signature is a fixed vector; it is also the `v1a` entry of
    /// the spec's example `webhook-signature` header.
    #[test]
    fn svix_v1a_vector() {
        let key = WebhookSigningKey::parse("whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg==").unwrap();
        assert_eq!(
            key.sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#
            ),
            "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg=="
        );
        assert_eq!(
            key.public_key(),
            WebhookPublicKey::parse("whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=").unwrap()
        );
    }

    #[test]
    fn signs_with_every_key() {
        let a = SigningKey::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let b = SigningKey::from(WebhookSigningKey::from_seed(&[1u8; 32]));
        let h = sign(&[a, b], "msg_1", 1614265330, b"{}").unwrap();
        let entries: Vec<&str> = h.signature.split(' ').collect();
        assert_eq!(entries.len(), 2);
        assert!(entries[0].starts_with("v1,") && entries[1].starts_with("v1a,"));
        assert_eq!(h.to_pairs()[1], ("webhook-timestamp", "1614265330".into()));
    }

    #[test]
    fn sign_refusals() {
        let k = SigningKey::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(sign(&[], "msg_1", 1, b""), Err(SignError::NoKeys));
        for bad in ["", "msg.1", "msg 1", "msg\n1", "é"] {
            assert_eq!(
                sign(std::slice::from_ref(&k), bad, 1, b""),
                Err(SignError::BadMessageId),
                "{bad:?}"
            );
        }
        assert_eq!(sign(&[k], "msg_1", -1, b""), Err(SignError::BadTimestamp));
    }

    #[test]
    fn content_layout() {
        assert_eq!(
            signed_content("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", 1674087231, b"{}"),
            b"msg_2KWPBgLlAfxdpx2AI54pPJ85f4W.1674087231.{}"
        );
    }
}
