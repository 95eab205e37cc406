//! Delivery retries, per the spec's "Deliverability and reliability" and
//! "Delivery success and failure": its example schedule (immediately, 5 s,
//! 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h: ten attempts over about
//! 3 days 3.5 hours), its status-code handling, and `Retry-After`
//! (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) on 429 and 503.
//!
//! Attempts are numbered from 1. Jitter, which the spec recommends, is
//! applied by [`with_jitter`] from caller-supplied randomness.

use fairtrain_core::time::Timestamp;

/// Delay before each attempt, in seconds: index 0 is attempt 1 (immediate).
pub const RETRY_SCHEDULE_SECS: [u64; 10] = [
    0,
    5,
    5 * 60,
    30 * 60,
    2 * 3600,
    5 * 3600,
    10 * 3600,
    14 * 3600,
    20 * 3600,
    24 * 3600,
];

/// How many attempts a message gets.
pub const MAX_ATTEMPTS: u32 = RETRY_SCHEDULE_SECS.len() as u32;

/// The most a `Retry-After` may push an attempt back: one day, the longest
/// step of the schedule.
pub const RETRY_AFTER_CAP_SECS: u64 = 24 * 3600;

/// Delay before attempt `attempt` (1-based): `Some(0)` for the first,
/// `None` past the last.
pub fn delay_before_attempt(attempt: u32) -> Option<u64> {
    let index = usize::try_from(attempt.checked_sub(1)?).ok()?;
    RETRY_SCHEDULE_SECS.get(index).copied()
}

/// After attempt `attempt` (1-based) failed: how long to wait before the
/// next one, or `None` if it was the last. (`0`, no attempt yet, gives `Some(0)`.)
pub fn next_attempt_delay(attempt: u32) -> Option<u64> {
    if attempt == 0 {
        return Some(0);
    }
    delay_before_attempt(attempt.checked_add(1)?)
}

/// `delay` plus up to 10% more, chosen by `random` (caller-supplied, e.g.
/// from `crypto.getRandomValues`), so that endpoints failing together are
/// not retried together.
pub fn with_jitter(delay: u64, random: u32) -> u64 {
    let extra = (u128::from(delay) * u128::from(random % 1001) / 10_000) as u64;
    delay.saturating_add(extra)
}

/// What a response status means for the delivery (the spec's table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseClass {
    /// 2xx.
    Success,
    /// 410 Gone: the receiver wants no more; disable the endpoint.
    Gone,
    /// 429, 502, 504: the receiver is overloaded; retry and throttle.
    Throttle,
    /// Anything else, including 3xx (redirects are not followed).
    Failure,
}

pub fn classify_status(status: u16) -> ResponseClass {
    match status {
        200..=299 => ResponseClass::Success,
        410 => ResponseClass::Gone,
        429 | 502 | 504 => ResponseClass::Throttle,
        _ => ResponseClass::Failure,
    }
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Done: the receiver answered 2xx.
    Delivered,
    /// 410: stop, and disable the endpoint.
    DisableEndpoint,
    /// Try again after this many seconds (before jitter).
    RetryIn { seconds: u64, throttle: bool },
    /// The schedule is exhausted: mark the message failed (and notify).
    GiveUp,
}

/// The decision after attempt `attempt` (1-based) got `status` (`None` for a
/// timeout, connection reset or other network failure) and, possibly, a
/// `Retry-After` header. `Retry-After` is honoured on 429 and 503: the next
/// attempt waits at least that long (at most [`RETRY_AFTER_CAP_SECS`]), never
/// less than the schedule says.
pub fn next_step(
    attempt: u32,
    status: Option<u16>,
    retry_after: Option<&str>,
    now: Timestamp,
) -> NextStep {
    next_step_on(&RETRY_SCHEDULE_SECS, attempt, status, retry_after, now)
}

/// [`next_step`] on another schedule (delays before attempts 1, 2, …; a
/// development setting shortens the spec's three days to seconds for tests).
pub fn next_step_on(
    schedule: &[u64],
    attempt: u32,
    status: Option<u16>,
    retry_after: Option<&str>,
    now: Timestamp,
) -> NextStep {
    let class = status.map(classify_status);
    match class {
        Some(ResponseClass::Success) => return NextStep::Delivered,
        Some(ResponseClass::Gone) => return NextStep::DisableEndpoint,
        _ => {}
    }
    let next = usize::try_from(attempt).ok().and_then(|a| schedule.get(a));
    let Some(&scheduled) = next else {
        return NextStep::GiveUp;
    };
    let asked = match status {
        Some(429 | 503) => retry_after
            .and_then(|v| parse_retry_after(v, now, RETRY_AFTER_CAP_SECS))
            .unwrap_or(0),
        _ => 0,
    };
    NextStep::RetryIn {
        seconds: scheduled.max(asked),
        throttle: class == Some(ResponseClass::Throttle),
    }
}

/// A schedule written as comma-separated seconds (`"0,1,1,2"`): 1 to 20
/// attempts, the first immediate.
pub fn parse_schedule(text: &str) -> Option<Vec<u64>> {
    let steps: Vec<u64> = text
        .split(',')
        .map(|s| s.trim().parse::<u64>().ok())
        .collect::<Option<_>>()?;
    (!steps.is_empty() && steps.len() <= 20 && steps[0] == 0).then_some(steps)
}

/// Parses a `Retry-After` value: delay-seconds (`120`) or an HTTP-date in any
/// of the three forms RFC 9110 §5.6.7 requires recipients to accept
/// (`Sun, 06 Nov 1994 08:49:37 GMT`, `Sunday, 06-Nov-94 08:49:37 GMT`,
/// `Sun Nov  6 08:49:37 1994`). Returns seconds from `now`, 0 for a date in
/// the past, at most `cap`; `None` if the value is neither form.
pub fn parse_retry_after(value: &str, now: Timestamp, cap: u64) -> Option<u64> {
    let value = value.trim_matches(|c| c == ' ' || c == '\t');
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Overlong digit strings saturate (they are "a long time").
        return Some(value.parse::<u64>().unwrap_or(u64::MAX).min(cap));
    }
    let when = parse_http_date(value, now)?;
    let delta = when.unix_seconds() - now.unix_seconds();
    Some(u64::try_from(delta).unwrap_or(0).min(cap))
}

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const LONG_DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn digits(text: &str, len: usize) -> Option<u32> {
    (text.len() == len && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

fn month(text: &str) -> Option<u32> {
    MONTHS.iter().position(|m| *m == text).map(|i| i as u32 + 1)
}

/// `HH:MM:SS` (ranges are checked by the RFC 3339 parser).
fn time_of_day(text: &str) -> Option<(u32, u32, u32)> {
    let mut parts = text.split(':');
    let h = digits(parts.next()?, 2)?;
    let m = digits(parts.next()?, 2)?;
    let s = digits(parts.next()?, 2)?;
    parts.next().is_none().then_some((h, m, s))
}

fn build(year: u32, month: u32, day: u32, (h, m, s): (u32, u32, u32)) -> Option<Timestamp> {
    Timestamp::parse_rfc3339(&format!(
        "{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z"
    ))
    .ok()
}

/// An HTTP-date (RFC 9110 §5.6.7), case-sensitive as the grammar is.
pub fn parse_http_date(text: &str, now: Timestamp) -> Option<Timestamp> {
    if let Some((day_name, rest)) = text.split_once(", ") {
        if DAYS.contains(&day_name) {
            // IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
            let f: Vec<&str> = rest.split(' ').collect();
            if f.len() != 5 || f[4] != "GMT" {
                return None;
            }
            return build(
                digits(f[2], 4)?,
                month(f[1])?,
                digits(f[0], 2)?,
                time_of_day(f[3])?,
            );
        }
        if LONG_DAYS.contains(&day_name) {
            // rfc850-date: `Sunday, 06-Nov-94 08:49:37 GMT`.
            let f: Vec<&str> = rest.split(' ').collect();
            if f.len() != 3 || f[2] != "GMT" {
                return None;
            }
            let d: Vec<&str> = f[0].split('-').collect();
            if d.len() != 3 {
                return None;
            }
            let yy = digits(d[2], 2)?;
            // RFC 9110: a two-digit year more than 50 years in the future is
            // the most recent past year with those digits.
            let now_year = now.format_rfc3339_seconds()[..4].parse::<u32>().ok()?;
            let mut year = now_year / 100 * 100 + yy;
            if year > now_year + 50 {
                year -= 100;
            }
            return build(year, month(d[1])?, digits(d[0], 2)?, time_of_day(f[1])?);
        }
        return None;
    }
    // asctime-date: `Sun Nov  6 08:49:37 1994` (day padded with a space).
    let b = text.as_bytes();
    if b.len() != 24 || !DAYS.contains(&text.get(..3)?) || b[3] != b' ' || b[7] != b' ' {
        return None;
    }
    let day_text = text.get(8..10)?;
    let day = match day_text.as_bytes() {
        [b' ', d] if d.is_ascii_digit() => u32::from(d - b'0'),
        _ => digits(day_text, 2)?,
    };
    if b[10] != b' ' || b[19] != b' ' {
        return None;
    }
    build(
        digits(text.get(20..)?, 4)?,
        month(text.get(4..7)?)?,
        day,
        time_of_day(text.get(11..19)?)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_schedules() {
        let now = Timestamp::from_unix_seconds(0).unwrap();
        let s = parse_schedule("0, 1,2").unwrap();
        assert_eq!(
            next_step_on(&s, 1, Some(500), None, now),
            NextStep::RetryIn {
                seconds: 1,
                throttle: false
            }
        );
        assert_eq!(
            next_step_on(&s, 2, Some(429), Some("7"), now),
            NextStep::RetryIn {
                seconds: 7,
                throttle: true
            }
        );
        assert_eq!(next_step_on(&s, 3, None, None, now), NextStep::GiveUp);
        assert_eq!(parse_schedule("1,2"), None);
        assert_eq!(parse_schedule(""), None);
        assert_eq!(parse_schedule("0,x"), None);
    }

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn schedule_matches_the_spec() {
        // The spec's table: delay and time since start.
        let since_start = [
            "00:00:00", "00:00:05", "00:05:05", "00:35:05", "02:35:05", "07:35:05", "17:35:05",
            "31:35:05", "51:35:05", "75:35:05",
        ];
        let mut total = 0;
        for (i, expected) in since_start.iter().enumerate() {
            total += delay_before_attempt(i as u32 + 1).unwrap();
            let text = format!(
                "{:02}:{:02}:{:02}",
                total / 3600,
                total / 60 % 60,
                total % 60
            );
            assert_eq!(&text, expected, "attempt {}", i + 1);
        }
        assert_eq!(delay_before_attempt(0), None);
        assert_eq!(delay_before_attempt(11), None);
        assert_eq!(next_attempt_delay(1), Some(5));
        assert_eq!(next_attempt_delay(2), Some(300));
        assert_eq!(next_attempt_delay(9), Some(86_400));
        assert_eq!(next_attempt_delay(10), None);
        assert_eq!(next_attempt_delay(u32::MAX), None);
        assert_eq!(MAX_ATTEMPTS, 10);
    }

    #[test]
    fn jitter_adds_at_most_ten_percent() {
        assert_eq!(with_jitter(1000, 0), 1000);
        assert_eq!(with_jitter(1000, 1000), 1100);
        assert_eq!(with_jitter(1000, 1001), 1000);
        for r in [1, 77, 500, 999, u32::MAX] {
            let d = with_jitter(36_000, r);
            assert!((36_000..=39_600).contains(&d));
        }
        assert_eq!(with_jitter(u64::MAX, 1000), u64::MAX);
    }

    #[test]
    fn status_handling() {
        let now = at("2026-01-01T00:00:00Z");
        assert_eq!(next_step(1, Some(204), None, now), NextStep::Delivered);
        assert_eq!(next_step(10, Some(200), None, now), NextStep::Delivered);
        assert_eq!(
            next_step(1, Some(410), None, now),
            NextStep::DisableEndpoint
        );
        assert_eq!(
            next_step(1, Some(301), None, now),
            NextStep::RetryIn {
                seconds: 5,
                throttle: false
            }
        );
        assert_eq!(
            next_step(3, None, None, now),
            NextStep::RetryIn {
                seconds: 1800,
                throttle: false
            }
        );
        assert_eq!(
            next_step(1, Some(502), None, now),
            NextStep::RetryIn {
                seconds: 5,
                throttle: true
            }
        );
        assert_eq!(next_step(10, Some(500), None, now), NextStep::GiveUp);
        // Retry-After on 429 / 503 lengthens the wait, never shortens it.
        assert_eq!(
            next_step(1, Some(429), Some("120"), now),
            NextStep::RetryIn {
                seconds: 120,
                throttle: true
            }
        );
        assert_eq!(
            next_step(3, Some(503), Some("120"), now),
            NextStep::RetryIn {
                seconds: 1800,
                throttle: false
            }
        );
        assert_eq!(
            next_step(1, Some(503), Some("Thu, 01 Jan 2026 01:00:00 GMT"), now),
            NextStep::RetryIn {
                seconds: 3600,
                throttle: false
            }
        );
        // Capped at a day.
        assert_eq!(
            next_step(1, Some(429), Some("99999999"), now),
            NextStep::RetryIn {
                seconds: RETRY_AFTER_CAP_SECS,
                throttle: true
            }
        );
        // Ignored on other statuses, and when unparseable.
        assert_eq!(
            next_step(1, Some(500), Some("120"), now),
            NextStep::RetryIn {
                seconds: 5,
                throttle: false
            }
        );
        assert_eq!(
            next_step(1, Some(429), Some("soon"), now),
            NextStep::RetryIn {
                seconds: 5,
                throttle: true
            }
        );
        assert_eq!(classify_status(299), ResponseClass::Success);
        assert_eq!(classify_status(300), ResponseClass::Failure);
        assert_eq!(classify_status(504), ResponseClass::Throttle);
    }

    #[test]
    fn retry_after_forms() {
        // RFC 9110 §5.6.7's three spellings of one instant.
        let now = at("1994-11-06T08:00:00Z");
        for v in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(parse_retry_after(v, now, u64::MAX), Some(2977), "{v}");
        }
        assert_eq!(parse_retry_after("120", now, 3600), Some(120));
        assert_eq!(parse_retry_after(" 120 ", now, 3600), Some(120));
        assert_eq!(parse_retry_after("0", now, 3600), Some(0));
        assert_eq!(parse_retry_after("7200", now, 3600), Some(3600));
        assert_eq!(
            parse_retry_after("99999999999999999999999", now, 60),
            Some(60)
        );
        // A date in the past means "now".
        assert_eq!(
            parse_retry_after(
                "Wed, 21 Oct 2015 07:28:00 GMT",
                at("2026-01-01T00:00:00Z"),
                60
            ),
            Some(0)
        );
        for bad in [
            "",
            "-1",
            "1.5",
            "120s",
            "soon",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "sun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "Sun, 31 Feb 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:60 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 GMT extra",
        ] {
            assert_eq!(parse_retry_after(bad, now, 60), None, "{bad:?}");
        }
    }

    #[test]
    fn rfc850_two_digit_years() {
        // From 2026, "94" is 1994 (2094 is over 50 years ahead), "30" is 2030.
        let now = at("2026-06-01T00:00:00Z");
        assert_eq!(
            parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", now),
            Some(at("1994-11-06T08:49:37Z"))
        );
        assert_eq!(
            parse_http_date("Wednesday, 06-Nov-30 08:49:37 GMT", now),
            Some(at("2030-11-06T08:49:37Z"))
        );
    }
}
