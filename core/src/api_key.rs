//! API keys for buyers, orchestrators and auditors, and the operator token.
//!
//! A key is `ftk_<id>_<secret>`: the id (16 hex digits) finds the row, the
//! whole token's SHA-256 is what is stored, so a database leak reveals no
//! usable key. The secret is 32 random bytes, base64url without padding.

use crate::digest::Sha256Digest;
use crate::encoding::{base64url_decode, base64url_encode};

const PREFIX: &str = "ftk_";
pub const ID_HEX_LEN: usize = 16;
const SECRET_LEN: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiKeyError {
    #[error("an API key starts with `ftk_`")]
    Prefix,
    #[error("an API key is `ftk_<16 hex digits>_<43 base64url characters>`")]
    Shape,
}

/// A freshly minted key: the token is shown to its owner once, the hash is stored.
#[derive(Clone)]
pub struct NewApiKey {
    pub id: String,
    pub token: String,
    pub token_hash: Sha256Digest,
}

impl std::fmt::Debug for NewApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApiKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Mint a key from 40 random bytes (8 for the id, 32 for the secret); the caller
/// brings the randomness so this stays the same natively and in wasm.
pub fn mint(random: &[u8; 40]) -> NewApiKey {
    let id = hex::encode(&random[..8]);
    let token = format!("{PREFIX}{id}_{}", base64url_encode(&random[8..]));
    let token_hash = hash(&token);
    NewApiKey {
        id,
        token,
        token_hash,
    }
}

/// Split a presented token into its id, checking its shape; the caller then
/// compares `hash(token)` with the stored hash in constant time.
pub fn parse_id(token: &str) -> Result<&str, ApiKeyError> {
    let rest = token.strip_prefix(PREFIX).ok_or(ApiKeyError::Prefix)?;
    let (id, secret) = rest.split_once('_').ok_or(ApiKeyError::Shape)?;
    let id_ok = id.len() == ID_HEX_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let secret_ok = base64url_decode(secret)
        .map(|s| s.len() == SECRET_LEN)
        .unwrap_or(false);
    if id_ok && secret_ok {
        Ok(id)
    } else {
        Err(ApiKeyError::Shape)
    }
}

/// What is stored for a token (API key or operator token).
pub fn hash(token: &str) -> Sha256Digest {
    Sha256Digest::of(token.as_bytes())
}

/// Does the presented token match the stored hash? Constant time.
pub fn matches(token: &str, stored: &Sha256Digest) -> bool {
    crate::ct::eq(hash(token).as_bytes(), stored.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_keys_parse_and_match() {
        let k = mint(&[7u8; 40]);
        assert_eq!(k.id, "0707070707070707");
        assert_eq!(parse_id(&k.token).unwrap(), k.id);
        assert!(matches(&k.token, &k.token_hash));
        let other = mint(&[8u8; 40]);
        assert!(!matches(&other.token, &k.token_hash));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let k = mint(&[1u8; 40]);
        assert_eq!(parse_id("Bearer x"), Err(ApiKeyError::Prefix));
        assert_eq!(parse_id("ftk_nounderscore"), Err(ApiKeyError::Shape));
        assert_eq!(
            parse_id(&k.token[..k.token.len() - 1]),
            Err(ApiKeyError::Shape)
        );
        assert_eq!(
            parse_id(&k.token.replace("ftk_01", "ftk_0G")),
            Err(ApiKeyError::Shape)
        );
        assert!(
            !format!("{k:?}").contains(&k.token),
            "Debug must not print the secret"
        );
    }
}
