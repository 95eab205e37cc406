//! Constant-time comparison for secrets (API keys, webhook signatures), so that
//! response timing tells an attacker nothing about how much of a guess matched.

/// True if `a == b`, taking time that depends only on the lengths.
pub fn eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    // black_box keeps the optimiser from turning the fold into an early exit.
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn compares() {
        assert!(super::eq(b"abc", b"abc"));
        assert!(!super::eq(b"abc", b"abd"));
        assert!(!super::eq(b"abc", b"ab"));
        assert!(super::eq(b"", b""));
    }
}
