//! Durations in the settings: voting windows, accreditation validity, waiting times.
//!
//! They are written as in the kernel's job intervals — a whole number followed by `s`, `m`, `h`
//! or `d` (`7d`, `36h`, `730d`) — because a committee thinks of a week or of two years, and one
//! syntax across `plugin.toml` and the settings is one thing less to learn; the SDK's
//! `interval` module is the kernel's parser. The kernel checks only the length of these
//! settings, so the plugin reads them here and says exactly which setting is wrong.

use trama_sdk::{interval, t};

const SECOND: i64 = 1000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// Longer than any accreditation (about 27 years): past it a typing mistake is likelier.
const MAX_MS: i64 = 10_000 * DAY;

/// A length of time, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration(i64);

impl Duration {
    pub fn from_ms(ms: i64) -> Self {
        Self(ms)
    }

    pub fn as_ms(self) -> i64 {
        self.0
    }

    /// Reads `7d`, `36h`, `90m` or `30s` with the kernel's own interval parser
    /// ([`trama_sdk::interval`]); the error says what was wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let interval = interval::parse(text).map_err(|err| err.to_string())?;
        i64::try_from(interval.as_millis())
            .ok()
            .filter(|ms| *ms <= MAX_MS)
            .map(Self)
            .ok_or_else(|| format!("`{text}` is too long a duration: at most 10000d"))
    }

    /// In words, in the largest unit that divides it: "7 giorni", "36 hours".
    pub fn describe(self) -> String {
        let one = |n: i64| n == 1;
        if self.0 % DAY == 0 {
            let count = self.0 / DAY;
            if one(count) {
                t!("admissions.duration.days_one", count = count)
            } else {
                t!("admissions.duration.days_other", count = count)
            }
        } else if self.0 % HOUR == 0 {
            let count = self.0 / HOUR;
            if one(count) {
                t!("admissions.duration.hours_one", count = count)
            } else {
                t!("admissions.duration.hours_other", count = count)
            }
        } else if self.0 % MINUTE == 0 {
            let count = self.0 / MINUTE;
            if one(count) {
                t!("admissions.duration.minutes_one", count = count)
            } else {
                t!("admissions.duration.minutes_other", count = count)
            }
        } else {
            let count = (self.0 + SECOND - 1) / SECOND;
            if one(count) {
                t!("admissions.duration.seconds_one", count = count)
            } else {
                t!("admissions.duration.seconds_other", count = count)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_job_intervals() {
        assert_eq!(Duration::parse("7d"), Ok(Duration(7 * DAY)));
        assert_eq!(Duration::parse(" 36h "), Ok(Duration(36 * HOUR)));
        assert_eq!(Duration::parse("90m"), Ok(Duration(90 * MINUTE)));
        assert_eq!(Duration::parse("5s"), Ok(Duration(5 * SECOND)));
        for bad in ["", "d", "7", "7w", "-1d", "1.5d", "7 d"] {
            let err = Duration::parse(bad).unwrap_err();
            assert!(err.contains("not an interval"), "{bad}: {err}");
        }
        assert!(
            Duration::parse("0d")
                .unwrap_err()
                .contains("longer than zero")
        );
        assert!(Duration::parse("10001d").unwrap_err().contains("too long"));
        assert!(Duration::parse("99999999999999999999d").is_err());
    }

    #[test]
    fn durations_are_described_in_their_largest_unit() {
        use trama_sdk::i18n::set_locale;
        set_locale("it");
        assert_eq!(Duration(7 * DAY).describe(), "7 giorni");
        assert_eq!(Duration(90 * MINUTE).describe(), "90 minuti");
        assert_eq!(Duration(1500).describe(), "2 secondi");
        assert_eq!(Duration(HOUR).describe(), "1 ora");
        set_locale("en");
        assert_eq!(Duration(DAY).describe(), "1 day");
        assert_eq!(Duration(36 * HOUR).describe(), "36 hours");
        set_locale("it");
    }
}
