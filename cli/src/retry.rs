//! When and how soon to send a request again: one rule for every command
//! that retries (usage reports, upload parts).

use std::time::Duration;

use fairtrain_core::time::Timestamp;

use crate::client::Refused;

/// Longest wait between tries, whatever Retry-After says.
pub const MAX_WAIT_SECONDS: u64 = 300;

/// How long to wait before try `attempt + 1`: Retry-After (delta-seconds or
/// an HTTP-date) when given, else 1, 2, 4, 8 s; at most [`MAX_WAIT_SECONDS`].
pub fn retry_delay(retry_after: Option<&str>, attempt: u32, now: Timestamp) -> Duration {
    let backoff = 1u64 << attempt.saturating_sub(1).min(6);
    let seconds = match retry_after.map(str::trim) {
        Some(v) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
            v.parse::<u64>().unwrap_or(MAX_WAIT_SECONDS)
        }
        Some(v) => match http_date(v) {
            Some(at) => u64::try_from(at.unix_seconds() - now.unix_seconds()).unwrap_or(0),
            None => backoff,
        },
        None => backoff,
    };
    Duration::from_secs(seconds.min(MAX_WAIT_SECONDS))
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110).
fn http_date(text: &str) -> Option<Timestamp> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| m == month)? + 1;
    Timestamp::parse_rfc3339(&format!("{year}-{month:02}-{day:0>2}T{time}Z")).ok()
}

/// A failure to get any answer after which the platform may still have
/// received the report: a retry of the same report is safe and useful.
pub fn transient(e: &anyhow::Error) -> bool {
    e.chain().any(|c| match c.downcast_ref::<ureq::Error>() {
        Some(ureq::Error::Timeout(_)) => true,
        Some(ureq::Error::Io(io)) => io.kind() != std::io::ErrorKind::ConnectionRefused,
        _ => false,
    })
}

/// The platform's refusal behind an error, if it answered at all.
pub fn refused(e: &anyhow::Error) -> Option<&Refused> {
    e.chain().find_map(|c| c.downcast_ref::<Refused>())
}

/// How long to wait before sending an idempotent request again after try
/// `attempt` failed with `e`, or `None` when it should not be: the failure
/// is for good (a 4xx other than 429, a local error) or no tries are left.
/// A failure for now is no answer at all, 429, or a 5xx of a busy platform.
pub fn wait_before_retry(e: &anyhow::Error, attempt: u32, tries: u32) -> Option<Duration> {
    if attempt >= tries {
        return None;
    }
    let busy = refused(e).filter(|r| matches!(r.status, 429 | 500 | 502 | 503 | 504));
    if busy.is_none() && !transient(e) {
        return None;
    }
    let after = busy.and_then(|r| r.retry_after.as_deref());
    Some(retry_delay(after, attempt, Timestamp::now()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn retry_delays() {
        let now = t("2026-03-01T12:00:00Z");
        assert_eq!(retry_delay(Some("7"), 1, now), Duration::from_secs(7));
        assert_eq!(retry_delay(Some(" 0 "), 3, now), Duration::ZERO);
        assert_eq!(retry_delay(Some("86400"), 1, now), Duration::from_secs(300));
        assert_eq!(retry_delay(None, 1, now), Duration::from_secs(1));
        assert_eq!(retry_delay(None, 4, now), Duration::from_secs(8));
        assert_eq!(retry_delay(Some("soon"), 2, now), Duration::from_secs(2));
        assert_eq!(
            retry_delay(Some("Sun, 01 Mar 2026 12:00:42 GMT"), 1, now),
            Duration::from_secs(42)
        );
        assert_eq!(
            retry_delay(Some("Sun, 01 Mar 2026 11:00:00 GMT"), 1, now),
            Duration::ZERO
        );
    }
}
