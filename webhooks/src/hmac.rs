//! HMAC-SHA256 (RFC 2104 with SHA-256, as FIPS 198-1 and RFC 4231 use it),
//! over the `sha2` crate the project already has: a dozen lines, so no `hmac`
//! dependency. Checked against the RFC 4231 test vectors below.

use sha2::{Digest, Sha256};

/// SHA-256's block size in bytes (B in RFC 2104).
const BLOCK: usize = 64;

/// `HMAC-SHA256(key, message)`: 32 bytes.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    hmac_sha256_parts(key, &[message])
}

/// HMAC-SHA256 over the concatenation of `parts`, without building it.
pub fn hmac_sha256_parts(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // Keys longer than the block are hashed first; shorter ones are zero-padded.
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut ipad = [0x36u8; BLOCK];
    let mut opad = [0x5cu8; BLOCK];
    for i in 0..BLOCK {
        ipad[i] ^= block[i];
        opad[i] ^= block[i];
    }
    let mut inner = Sha256::new();
    inner.update(ipad);
    for part in parts {
        inner.update(part);
    }
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(opad);
    outer.update(inner);
    // Best effort: do not leave the padded key in these stack copies.
    block.fill(0);
    ipad.fill(0);
    opad.fill(0);
    std::hint::black_box((&block, &ipad, &opad));
    outer.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    /// RFC 4231 §4, HMAC-SHA-256 outputs (test case 5 truncates to 128 bits
    /// and is checked on its prefix).
    #[test]
    fn rfc4231_vectors() {
        let cases: [(Vec<u8>, Vec<u8>, &str); 7] = [
            (
                vec![0x0b; 20],
                b"Hi There".to_vec(),
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                vec![0xaa; 20],
                vec![0xdd; 50],
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            ),
            (
                unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                vec![0xcd; 50],
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            ),
            (
                vec![0x0c; 20],
                b"Test With Truncation".to_vec(),
                "a3b6167473100ee06e0c796c2955552b",
            ),
            (
                vec![0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
            (
                vec![0xaa; 131],
                b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".to_vec(),
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ];
        for (i, (key, data, expected)) in cases.iter().enumerate() {
            let mac = hex::encode(hmac_sha256(key, data));
            assert!(mac.starts_with(expected), "RFC 4231 test case {}", i + 1);
        }
    }

    #[test]
    fn parts_equal_whole() {
        let whole = hmac_sha256(b"key", b"msg_1.1614265330.{}");
        let parts = hmac_sha256_parts(b"key", &[b"msg_1", b".", b"1614265330", b".", b"{}"]);
        assert_eq!(whole, parts);
        // A key of exactly one block is used as is, not hashed.
        assert_ne!(
            hmac_sha256(&[1u8; 64], b"x"),
            hmac_sha256(&Sha256::digest([1u8; 64]), b"x")
        );
    }
}
