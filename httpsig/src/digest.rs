//! The `Content-Digest` check (RFC 9530) that ties a signature to the body: the signature
//! covers the header, and this compares the header with the bytes actually received.
//! Parsing and formatting the header live in `fairtrain_core::digest`; this maps the outcome to
//! this crate's errors.

use fairtrain_core::digest::{parse_digest_header, DigestHeaderError, Sha256Digest};

use crate::error::Error;

/// Checks a `Content-Digest` value (several lines joined with ", ") against the SHA-256 of the
/// body. Only the `sha-256` member is compared; one without it cannot be checked and fails.
pub fn check_content_digest(header_value: &str, body_digest: &Sha256Digest) -> Result<(), Error> {
    let claimed = parse_digest_header(header_value).map_err(|e| match e {
        DigestHeaderError::NoSha256 => Error::DigestMismatch("no sha-256 member".into()),
        other => Error::Malformed {
            what: "Content-Digest",
            reason: other.to_string(),
        },
    })?;
    if claimed == *body_digest {
        Ok(())
    } else {
        Err(Error::DigestMismatch(
            "sha-256 of the body differs from Content-Digest".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fairtrain_core::digest::format_digest_header;

    #[test]
    fn matches_only_the_right_body() {
        let body = br#"{"hello": "world"}"#;
        let header = format_digest_header(&Sha256Digest::of(body));
        assert_eq!(
            header,
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
        );
        assert!(check_content_digest(&header, &Sha256Digest::of(body)).is_ok());
        let other = check_content_digest(&header, &Sha256Digest::of(b"{}"));
        assert_eq!(other.unwrap_err().code(), "digest-mismatch");
        // A sha-256 member among others is found.
        let both = format!("sha-512=:AAAA:, {header}");
        assert!(check_content_digest(&both, &Sha256Digest::of(body)).is_ok());
    }

    #[test]
    fn unusable_headers() {
        let d = Sha256Digest::of(b"");
        // RFC 9421 B.2's test-request only has sha-512.
        let sha512 = "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:";
        assert_eq!(
            check_content_digest(sha512, &d).unwrap_err().code(),
            "digest-mismatch"
        );
        assert_eq!(
            check_content_digest("sha-256=", &d).unwrap_err().code(),
            "malformed"
        );
        assert_eq!(
            check_content_digest("sha-256=:AAAA:", &d)
                .unwrap_err()
                .code(),
            "malformed"
        );
    }
}
