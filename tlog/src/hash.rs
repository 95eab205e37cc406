//! RFC 6962 §2.1 Merkle hashing: SHA-256 with domain separation between
//! leaves (`0x00`) and interior nodes (`0x01`), so a leaf can never be passed
//! off as a node (second-preimage attacks on the tree shape).

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// Size in bytes of every hash in the log (SHA-256).
pub const HASH_SIZE: usize = 32;

/// A SHA-256 value in the tree: a leaf hash, a node hash or a root.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; HASH_SIZE]);

/// Why bytes or text are not a hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    #[error("a hash is {HASH_SIZE} bytes, found {0}")]
    WrongLength(usize),
    #[error("hash is not canonical standard base64")]
    Base64,
}

impl Hash {
    /// The hash from any byte slice of exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, HashError> {
        let array: [u8; HASH_SIZE] = bytes
            .try_into()
            .map_err(|_| HashError::WrongLength(bytes.len()))?;
        Ok(Hash(array))
    }

    pub fn as_bytes(&self) -> &[u8; HASH_SIZE] {
        &self.0
    }

    /// Standard padded base64 (RFC 4648 §4), the encoding every C2SP format uses.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Parses canonical standard base64 of exactly 32 bytes. The engine
    /// rejects missing padding and non-zero trailing bits, so one hash has
    /// exactly one accepted spelling.
    pub fn from_base64(text: &str) -> Result<Self, HashError> {
        let bytes = STANDARD.decode(text).map_err(|_| HashError::Base64)?;
        Self::from_slice(&bytes)
    }

    /// Lowercase hex, for logs and error messages.
    pub fn to_hex(&self) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(2 * HASH_SIZE);
        for byte in self.0 {
            out.push(char::from(DIGITS[usize::from(byte >> 4)]));
            out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
        }
        out
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    /// Base64, as hashes appear in checkpoints and proofs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64())
    }
}

/// The root of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1).
pub const EMPTY_ROOT: Hash = Hash([
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
]);

/// `SHA-256(0x00 || entry)`: the hash of one log entry.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(entry);
    Hash(h.finalize().into())
}

/// `SHA-256(0x01 || left || right)`: the hash of an interior node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left.0);
    h.update(right.0);
    Hash(h.finalize().into())
}

/// The largest power of two strictly smaller than `n` (`n >= 2`): RFC 6962's
/// split point `k`, which makes the left subtree always perfect.
pub(crate) fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// MTH over a list of leaf hashes, straight from the RFC 6962 definition.
/// Meant for small in-memory lists (a tile, a batch, tests); large trees go
/// through [`crate::merkle::tree_hash`] and a [`crate::merkle::HashReader`].
pub fn root_of_leaf_hashes(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => EMPTY_ROOT,
        1 => leaves[0],
        n => {
            // usize -> u64 is lossless on every target this builds for.
            let k = split_point(n as u64) as usize;
            node_hash(
                &root_of_leaf_hashes(&leaves[..k]),
                &root_of_leaf_hashes(&leaves[k..]),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(EMPTY_ROOT.0, <[u8; 32]>::from(Sha256::digest(b"")));
        assert_eq!(root_of_leaf_hashes(&[]), EMPTY_ROOT);
    }

    #[test]
    fn split_point_is_largest_power_below() {
        assert_eq!(split_point(2), 1);
        assert_eq!(split_point(3), 2);
        assert_eq!(split_point(4), 2);
        assert_eq!(split_point(5), 4);
        assert_eq!(split_point(8), 4);
        assert_eq!(split_point(9), 8);
        assert_eq!(split_point(u64::MAX), 1 << 63);
    }

    #[test]
    fn base64_is_strict() {
        let h = leaf_hash(b"x");
        assert_eq!(Hash::from_base64(&h.to_base64()), Ok(h));
        let unpadded = h.to_base64().trim_end_matches('=').to_string();
        assert_eq!(Hash::from_base64(&unpadded), Err(HashError::Base64));
        assert_eq!(Hash::from_base64("AAAA"), Err(HashError::WrongLength(3)));
        // Non-zero trailing bits: the last character of a 32-byte value
        // carries 2 unused bits.
        let mut tweaked = h.to_base64().into_bytes();
        let last = tweaked.len() - 2;
        tweaked[last] = if tweaked[last] == b'B' { b'C' } else { b'B' };
        // 'B' and 'C' both set an unused bit, so neither is canonical.
        let tweaked = String::from_utf8(tweaked).unwrap();
        assert_eq!(Hash::from_base64(&tweaked), Err(HashError::Base64));
        assert_eq!(h.to_hex().len(), 64);
        assert_eq!(format!("{h}"), h.to_base64());
    }
}
