//! UTC timestamps and RFC 3339 text, without a date-time crate (wasm size).
//!
//! Precision is the millisecond: what `Date.now()` gives the Worker and what
//! signed documents need. The canonical text form, written by
//! [`Timestamp::format_rfc3339`], is UTC with a `Z`, whole seconds when the
//! millisecond part is zero and exactly three fractional digits otherwise:
//! `2026-01-15T12:34:56Z`, `2026-01-15T12:34:56.250Z`. So equal instants have
//! equal text, and the common case matches XML Schema `dateTimeStamp` as the
//! VC specs use it.
//!
//! Parsing is strict RFC 3339 §5.6 `date-time` (`T` and `Z` in either case,
//! numeric offsets converted to UTC, any number of fractional digits,
//! truncated to milliseconds). Years are 0000-9999, as RFC 3339 can write.
//! Leap seconds (`:60`) are rejected: Unix time cannot represent them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant, in milliseconds since 1970-01-01T00:00:00Z (leap seconds not counted).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    unix_millis: i64,
}

/// Why a timestamp could not be parsed or built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("not an RFC 3339 date-time: {0}")]
    Syntax(&'static str),
    #[error("invalid date: {0}")]
    InvalidDate(&'static str),
    #[error("leap seconds (:60) are not supported")]
    LeapSecond,
    #[error("timestamp outside 0000-01-01T00:00:00Z..=9999-12-31T23:59:59.999Z")]
    OutOfRange,
}

/// 0000-01-01T00:00:00Z in Unix milliseconds.
const MIN_MILLIS: i64 = -62_167_219_200_000;
/// 9999-12-31T23:59:59.999Z in Unix milliseconds.
const MAX_MILLIS: i64 = 253_402_300_799_999;

const MILLIS_PER_DAY: i64 = 86_400_000;

impl Timestamp {
    /// The Unix epoch.
    pub const UNIX_EPOCH: Timestamp = Timestamp { unix_millis: 0 };

    pub fn from_unix_millis(unix_millis: i64) -> Result<Self, TimeError> {
        if (MIN_MILLIS..=MAX_MILLIS).contains(&unix_millis) {
            Ok(Timestamp { unix_millis })
        } else {
            Err(TimeError::OutOfRange)
        }
    }

    pub fn from_unix_seconds(unix_seconds: i64) -> Result<Self, TimeError> {
        let millis = unix_seconds
            .checked_mul(1000)
            .ok_or(TimeError::OutOfRange)?;
        Self::from_unix_millis(millis)
    }

    /// The current time from the OS clock. Not available in wasm32 (there is
    /// no clock there without JS); the Worker uses `Date.now()` and
    /// [`Timestamp::from_unix_millis`].
    #[cfg(not(target_arch = "wasm32"))]
    pub fn now() -> Self {
        let millis = match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).unwrap_or(MAX_MILLIS),
            Err(e) => i64::try_from(e.duration().as_millis())
                .map(|m| -m)
                .unwrap_or(MIN_MILLIS),
        };
        Timestamp {
            unix_millis: millis.clamp(MIN_MILLIS, MAX_MILLIS),
        }
    }

    pub fn unix_millis(&self) -> i64 {
        self.unix_millis
    }

    /// Whole seconds since the epoch (rounded down, also before 1970).
    pub fn unix_seconds(&self) -> i64 {
        self.unix_millis.div_euclid(1000)
    }

    /// Milliseconds within the second, 0..=999.
    pub fn subsec_millis(&self) -> u32 {
        self.unix_millis.rem_euclid(1000) as u32
    }

    /// This instant plus `millis` (which may be negative), if still in range.
    pub fn checked_add_millis(&self, millis: i64) -> Option<Self> {
        self.unix_millis
            .checked_add(millis)
            .and_then(|m| Self::from_unix_millis(m).ok())
    }

    /// This instant plus `seconds` (which may be negative), if still in range.
    pub fn checked_add_seconds(&self, seconds: i64) -> Option<Self> {
        seconds
            .checked_mul(1000)
            .and_then(|m| self.checked_add_millis(m))
    }

    /// The canonical form: `YYYY-MM-DDTHH:MM:SSZ`, or `...SS.mmmZ` when the
    /// millisecond part is not zero.
    pub fn format_rfc3339(&self) -> String {
        let mut out = self.format_rfc3339_seconds();
        let millis = self.subsec_millis();
        if millis != 0 {
            out.pop(); // the 'Z'
            out.push_str(&format!(".{millis:03}Z"));
        }
        out
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, dropping any milliseconds.
    pub fn format_rfc3339_seconds(&self) -> String {
        let days = self.unix_millis.div_euclid(MILLIS_PER_DAY);
        let ms_of_day = self.unix_millis.rem_euclid(MILLIS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let secs = ms_of_day / 1000;
        format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }

    /// Strict RFC 3339 `date-time` (see the module docs).
    pub fn parse_rfc3339(text: &str) -> Result<Self, TimeError> {
        let b = text.as_bytes();
        // Fixed-position part: YYYY-MM-DDTHH:MM:SS (19 bytes).
        if b.len() < 20 {
            return Err(TimeError::Syntax("too short"));
        }
        let year = digits(b, 0, 4)?;
        expect(b, 4, b'-')?;
        let month = digits(b, 5, 2)?;
        expect(b, 7, b'-')?;
        let day = digits(b, 8, 2)?;
        if !matches!(b[10], b'T' | b't') {
            return Err(TimeError::Syntax("expected 'T' between date and time"));
        }
        let hour = digits(b, 11, 2)?;
        expect(b, 13, b':')?;
        let minute = digits(b, 14, 2)?;
        expect(b, 16, b':')?;
        let second = digits(b, 17, 2)?;

        let mut i = 19;
        let mut millis: i64 = 0;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                // Keep the first three digits; further ones are truncated.
                if i - start < 3 {
                    millis = millis * 10 + i64::from(b[i] - b'0');
                }
                i += 1;
            }
            if i == start {
                return Err(TimeError::Syntax("empty fractional seconds"));
            }
            for _ in (i - start)..3 {
                millis *= 10;
            }
        }

        let offset_minutes: i64 = match b.get(i) {
            Some(b'Z' | b'z') => {
                i += 1;
                0
            }
            Some(&sign @ (b'+' | b'-')) => {
                if b.len() < i + 6 {
                    return Err(TimeError::Syntax("truncated UTC offset"));
                }
                let oh = digits(b, i + 1, 2)?;
                expect(b, i + 3, b':')?;
                let om = digits(b, i + 4, 2)?;
                if oh > 23 || om > 59 {
                    return Err(TimeError::InvalidDate("UTC offset out of range"));
                }
                i += 6;
                let minutes = i64::from(oh * 60 + om);
                if sign == b'-' {
                    -minutes
                } else {
                    minutes
                }
            }
            _ => return Err(TimeError::Syntax("expected 'Z' or a numeric UTC offset")),
        };
        if i != b.len() {
            return Err(TimeError::Syntax("unexpected characters after the offset"));
        }

        if !(1..=12).contains(&month) {
            return Err(TimeError::InvalidDate("month must be 01-12"));
        }
        if day < 1 || day > days_in_month(year, month) {
            return Err(TimeError::InvalidDate("day out of range for the month"));
        }
        if hour > 23 {
            return Err(TimeError::InvalidDate("hour must be 00-23"));
        }
        if minute > 59 {
            return Err(TimeError::InvalidDate("minute must be 00-59"));
        }
        if second == 60 {
            return Err(TimeError::LeapSecond);
        }
        if second > 59 {
            return Err(TimeError::InvalidDate("second must be 00-59"));
        }

        let days = days_from_civil(i64::from(year), month, day);
        let local_secs =
            days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
        let utc_secs = local_secs - offset_minutes * 60;
        Self::from_unix_millis(utc_secs * 1000 + millis)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format_rfc3339())
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.format_rfc3339())
    }
}

impl FromStr for Timestamp {
    type Err = TimeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse_rfc3339(s)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.format_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Timestamp::parse_rfc3339(&text).map_err(serde::de::Error::custom)
    }
}

fn digits(b: &[u8], at: usize, len: usize) -> Result<u32, TimeError> {
    let slice = b.get(at..at + len).ok_or(TimeError::Syntax("too short"))?;
    slice.iter().try_fold(0u32, |acc, &c| {
        if c.is_ascii_digit() {
            Ok(acc * 10 + u32::from(c - b'0'))
        } else {
            Err(TimeError::Syntax("expected a digit"))
        }
    })
}

fn expect(b: &[u8], at: usize, want: u8) -> Result<(), TimeError> {
    if b.get(at) == Some(&want) {
        Ok(())
    } else {
        Err(TimeError::Syntax("misplaced separator"))
    }
}

fn is_leap_year(year: u32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`, valid far beyond the years we accept).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400); // [0, 399]
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn epoch_and_known_instants() {
        assert_eq!(parse("1970-01-01T00:00:00Z"), Timestamp::UNIX_EPOCH);
        assert_eq!(parse("2023-02-24T23:36:38Z").unix_seconds(), 1_677_281_798);
        assert_eq!(parse("2026-01-15T12:34:56Z").unix_seconds(), 1_768_480_496);
        assert_eq!(parse("2000-03-01T00:00:00Z").unix_seconds(), 951_868_800);
        assert_eq!(parse("1969-12-31T23:59:59Z").unix_seconds(), -1);
        assert_eq!(parse("0000-01-01T00:00:00Z").unix_millis(), MIN_MILLIS);
        assert_eq!(parse("9999-12-31T23:59:59.999Z").unix_millis(), MAX_MILLIS);
    }

    #[test]
    fn canonical_format() {
        let t = Timestamp::from_unix_seconds(1_768_480_496).unwrap();
        assert_eq!(t.format_rfc3339(), "2026-01-15T12:34:56Z");
        assert_eq!(t.to_string(), "2026-01-15T12:34:56Z");
        let t = Timestamp::from_unix_millis(1_768_480_496_250).unwrap();
        assert_eq!(t.format_rfc3339(), "2026-01-15T12:34:56.250Z");
        assert_eq!(t.format_rfc3339_seconds(), "2026-01-15T12:34:56Z");
        assert_eq!(t.subsec_millis(), 250);
        let before = Timestamp::from_unix_millis(-1).unwrap();
        assert_eq!(before.format_rfc3339(), "1969-12-31T23:59:59.999Z");
        assert_eq!(before.unix_seconds(), -1);
        assert_eq!(
            Timestamp::from_unix_millis(MIN_MILLIS)
                .unwrap()
                .format_rfc3339(),
            "0000-01-01T00:00:00Z"
        );
    }

    #[test]
    fn leap_years() {
        assert_eq!(
            parse("2024-02-29T00:00:00Z").format_rfc3339(),
            "2024-02-29T00:00:00Z"
        );
        assert_eq!(
            parse("2000-02-29T12:00:00Z").format_rfc3339(),
            "2000-02-29T12:00:00Z"
        );
        for bad in [
            "2023-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2100-02-29T00:00:00Z",
        ] {
            assert!(
                matches!(
                    Timestamp::parse_rfc3339(bad),
                    Err(TimeError::InvalidDate(_))
                ),
                "{bad}"
            );
        }
        // The day after Feb 28 in a leap year and not.
        assert_eq!(
            parse("2024-03-01T00:00:00Z").unix_seconds()
                - parse("2024-02-28T00:00:00Z").unix_seconds(),
            2 * 86_400
        );
        assert_eq!(
            parse("2023-03-01T00:00:00Z").unix_seconds()
                - parse("2023-02-28T00:00:00Z").unix_seconds(),
            86_400
        );
    }

    #[test]
    fn offsets_convert_to_utc() {
        assert_eq!(
            parse("2026-01-15T14:34:56+02:00").format_rfc3339(),
            "2026-01-15T12:34:56Z"
        );
        assert_eq!(
            parse("2026-01-15T07:04:56-05:30").format_rfc3339(),
            "2026-01-15T12:34:56Z"
        );
        // Crossing a day, month and year boundary.
        assert_eq!(
            parse("2025-12-31T23:30:00-01:00").format_rfc3339(),
            "2026-01-01T00:30:00Z"
        );
        assert_eq!(
            parse("2024-03-01T00:30:00+01:00").format_rfc3339(),
            "2024-02-29T23:30:00Z"
        );
        // "-00:00" (unknown local offset) is still UTC.
        assert_eq!(
            parse("2026-01-15T12:34:56-00:00"),
            parse("2026-01-15T12:34:56Z")
        );
        // Lowercase t and z are allowed by RFC 3339's ABNF.
        assert_eq!(parse("2026-01-15t12:34:56z"), parse("2026-01-15T12:34:56Z"));
    }

    #[test]
    fn fractional_seconds() {
        assert_eq!(parse("2026-01-15T12:34:56.5Z").subsec_millis(), 500);
        assert_eq!(parse("2026-01-15T12:34:56.05Z").subsec_millis(), 50);
        assert_eq!(parse("2026-01-15T12:34:56.123456789Z").subsec_millis(), 123);
        assert_eq!(
            parse("2026-01-15T12:34:56.000Z"),
            parse("2026-01-15T12:34:56Z")
        );
        assert_eq!(
            parse("2026-01-15T12:34:56.120+00:00").format_rfc3339(),
            "2026-01-15T12:34:56.120Z"
        );
        assert_eq!(
            parse("1969-12-31T23:59:59.5Z").unix_millis(),
            -500,
            "fractions before the epoch"
        );
    }

    #[test]
    fn rejections() {
        let cases = [
            "",
            "2026-01-15",
            "2026-01-15T12:34:56",
            "2026-01-15 12:34:56Z",
            "2026-1-15T12:34:56Z",
            "2026-01-15T12:34Z",
            "2026-01-15T12:34:56.Z",
            "2026-01-15T12:34:56+0200",
            "2026-01-15T12:34:56+02",
            "2026-01-15T12:34:56Z ",
            "2026-01-15T12:34:56ZZ",
            "+2026-01-15T12:34:56Z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-01-00T00:00:00Z",
            "2026-01-15T24:00:00Z",
            "2026-01-15T12:60:00Z",
            "2026-01-15T12:34:61Z",
            "2026-01-15T12:34:56+24:00",
            "2026-01-15T12:34:56+02:60",
            "２026-01-15T12:34:56Z",
            "2026-01-15T12:34:56.１Z",
        ];
        for case in cases {
            assert!(Timestamp::parse_rfc3339(case).is_err(), "{case:?}");
        }
        assert_eq!(
            Timestamp::parse_rfc3339("2016-12-31T23:59:60Z"),
            Err(TimeError::LeapSecond)
        );
        // Valid syntax, but before year 0 once converted to UTC.
        assert_eq!(
            Timestamp::parse_rfc3339("0000-01-01T00:00:00+01:00"),
            Err(TimeError::OutOfRange)
        );
        assert_eq!(
            Timestamp::parse_rfc3339("9999-12-31T23:59:59-01:00"),
            Err(TimeError::OutOfRange)
        );
        assert_eq!(
            Timestamp::from_unix_millis(MAX_MILLIS + 1),
            Err(TimeError::OutOfRange)
        );
        assert_eq!(
            Timestamp::from_unix_seconds(i64::MAX),
            Err(TimeError::OutOfRange)
        );
    }

    #[test]
    fn round_trip_many_days() {
        // Every day from 1600 to 2400 (covers all leap-year rules), each at a
        // different time of day.
        let start = parse("1600-01-01T00:00:00Z").unix_millis();
        let end = parse("2400-12-31T00:00:00Z").unix_millis();
        let (mut t, mut i) = (start, 0i64);
        while t <= end {
            let offset = (i * 7_919_993) % MILLIS_PER_DAY;
            let ts = Timestamp::from_unix_millis(t + offset).unwrap();
            assert_eq!(parse(&ts.format_rfc3339()), ts);
            t += MILLIS_PER_DAY;
            i += 1;
        }
    }

    #[test]
    fn arithmetic_and_order() {
        let t = parse("2026-01-15T12:34:56Z");
        assert_eq!(
            t.checked_add_seconds(3600).unwrap().format_rfc3339(),
            "2026-01-15T13:34:56Z"
        );
        assert_eq!(
            t.checked_add_millis(-56_000).unwrap().format_rfc3339(),
            "2026-01-15T12:34:00Z"
        );
        assert!(t < t.checked_add_millis(1).unwrap());
        assert_eq!(
            Timestamp::from_unix_millis(MAX_MILLIS)
                .unwrap()
                .checked_add_millis(1),
            None
        );
        assert_eq!(t.checked_add_seconds(i64::MAX), None);
    }

    #[test]
    fn serde_as_string() {
        let t = parse("2026-01-15T12:34:56.250+01:00");
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"2026-01-15T11:34:56.250Z\"");
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), t);
        assert!(serde_json::from_str::<Timestamp>("\"2026-02-30T00:00:00Z\"").is_err());
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn now_is_after_2025() {
        assert!(Timestamp::now() > parse("2025-01-01T00:00:00Z"));
    }
}
