//! Wall-clock time from the kernel, and the few UTC calendar sums plugins need.
//!
//! Plugins run on `wasm32-unknown-unknown`, which has no clock, so time comes from the host.
//! The calendar helpers use the proleptic Gregorian calendar in UTC (Howard Hinnant's
//! `days_from_civil` algorithms) instead of pulling a date crate into every plugin.

use std::fmt;

use crate::host::clock as wit;
use crate::{Error, Result};

const MS_PER_DAY: i64 = 86_400_000;

/// Unix time in milliseconds.
pub fn now_ms() -> i64 {
    wit::now()
}

/// The current date and time in UTC.
pub fn now() -> DateTime {
    DateTime::from_unix_ms(now_ms())
}

/// Today's date in UTC.
pub fn today() -> Date {
    now().date
}

/// A calendar day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    /// 1 to 12.
    pub month: u8,
    /// 1 to 31.
    pub day: u8,
}

impl Date {
    /// The date, if it exists in the calendar (no 30 February).
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        let valid = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        valid.then_some(Self { year, month, day })
    }

    /// Reads `YYYY-MM-DD`, as sent by `<input type="date">`.
    pub fn parse(text: &str) -> Result<Self> {
        let invalid = || {
            Error::bad_request(format!(
                "`{text}` is not a date: write it as YYYY-MM-DD, e.g. 2025-03-31"
            ))
        };
        let mut parts = text.trim().splitn(3, '-');
        let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(invalid());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(invalid());
        }
        let (Ok(year), Ok(month), Ok(day)) = (y.parse(), m.parse(), d.parse()) else {
            return Err(invalid());
        };
        Self::new(year, month, day).ok_or_else(invalid)
    }

    /// Days since 1970-01-01 (negative before it).
    pub fn days_since_epoch(self) -> i64 {
        let (m, d) = (i64::from(self.month), i64::from(self.day));
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` days since 1970-01-01.
    pub fn from_days_since_epoch(days: i64) -> Self {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Self {
            // Years beyond ±2 billion do not occur in welfare records.
            year: i32::try_from(year).unwrap_or(if year < 0 { i32::MIN } else { i32::MAX }),
            month: month as u8,
            day: day as u8,
        }
    }

    /// The date `days` later (or earlier, if negative).
    pub fn add_days(self, days: i64) -> Self {
        Self::from_days_since_epoch(self.days_since_epoch() + days)
    }

    /// Whole days from `self` to `other` (negative if `other` is earlier).
    pub fn days_until(self, other: Date) -> i64 {
        other.days_since_epoch() - self.days_since_epoch()
    }

    /// Unix time in milliseconds of this day's midnight, UTC.
    pub fn to_unix_ms(self) -> i64 {
        self.days_since_epoch() * MS_PER_DAY
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A moment in UTC, to the millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    pub date: Date,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub millisecond: u16,
}

impl DateTime {
    pub fn from_unix_ms(ms: i64) -> Self {
        let days = ms.div_euclid(MS_PER_DAY);
        let in_day = ms.rem_euclid(MS_PER_DAY);
        Self {
            date: Date::from_days_since_epoch(days),
            hour: (in_day / 3_600_000) as u8,
            minute: (in_day / 60_000 % 60) as u8,
            second: (in_day / 1000 % 60) as u8,
            millisecond: (in_day % 1000) as u16,
        }
    }

    pub fn to_unix_ms(self) -> i64 {
        self.date.to_unix_ms()
            + i64::from(self.hour) * 3_600_000
            + i64::from(self.minute) * 60_000
            + i64::from(self.second) * 1000
            + i64::from(self.millisecond)
    }
}

/// RFC 3339 to the second, e.g. `2025-03-31T09:05:00Z`.
impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}T{:02}:{:02}:{:02}Z",
            self.date, self.hour, self.minute, self.second
        )
    }
}

fn is_leap(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_milliseconds_become_utc_calendar_time() {
        // 2024-02-29T23:59:59.999Z, a leap day.
        let t = DateTime::from_unix_ms(1_709_251_199_999);
        assert_eq!(t.to_string(), "2024-02-29T23:59:59Z");
        assert_eq!(t.millisecond, 999);
        assert_eq!(t.to_unix_ms(), 1_709_251_199_999);
        assert_eq!(
            DateTime::from_unix_ms(0).to_string(),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            DateTime::from_unix_ms(-1).to_string(),
            "1969-12-31T23:59:59Z"
        );
    }

    #[test]
    fn days_round_trip_across_centuries() {
        for days in (-800_000..800_000).step_by(997) {
            let date = Date::from_days_since_epoch(days);
            assert_eq!(date.days_since_epoch(), days, "{date}");
            assert!(
                Date::new(date.year, date.month, date.day).is_some(),
                "{date}"
            );
        }
    }

    #[test]
    fn dates_parse_strictly() {
        assert_eq!(Date::parse("2025-03-31").ok(), Date::new(2025, 3, 31));
        for bad in ["2025-02-29", "2025-3-31", "31/03/2025", "2025-13-01", ""] {
            let err = Date::parse(bad).unwrap_err();
            assert!(err.message().contains("YYYY-MM-DD"), "{bad}: {err}");
        }
        assert!(Date::parse("2024-02-29").is_ok());
    }

    #[test]
    fn adding_days_crosses_month_and_year_ends() {
        let new_year = Date::parse("2024-12-31").map(|d| d.add_days(1)).ok();
        assert_eq!(new_year, Date::new(2025, 1, 1));
        let (a, b) = (Date::new(2024, 1, 1), Date::new(2025, 1, 1));
        assert_eq!(a.zip(b).map(|(a, b)| a.days_until(b)), Some(366));
    }
}
