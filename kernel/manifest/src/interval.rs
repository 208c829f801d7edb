//! Job intervals such as `30m` or `1h`.
//!
//! Four units cover every schedule a welfare service needs (reminders, deadlines, nightly
//! tidying) and are easy to read in a `plugin.toml`; calendars are left to the plugin.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// Why an interval could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntervalError {
    #[error(
        "{0:?} is not an interval: write a whole number followed by s, m, h or d, such as \"30m\" or \"1h\""
    )]
    Malformed(String),
    #[error("{0:?} is not an interval: it must be longer than zero")]
    Zero(String),
    #[error("{0:?} is too long an interval")]
    TooLong(String),
}

/// Parses `<n>s`, `<n>m`, `<n>h` or `<n>d`.
pub fn parse_interval(text: &str) -> Result<Duration, IntervalError> {
    let malformed = || IntervalError::Malformed(text.to_owned());
    let unit_at = text.len().checked_sub(1).ok_or_else(malformed)?;
    let (count, unit) = text.split_at_checked(unit_at).ok_or_else(malformed)?;
    if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed());
    }
    let seconds_per_unit: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 60 * 60,
        "d" => 24 * 60 * 60,
        _ => return Err(malformed()),
    };
    let count: u64 = count
        .parse()
        .map_err(|_| IntervalError::TooLong(text.to_owned()))?;
    if count == 0 {
        return Err(IntervalError::Zero(text.to_owned()));
    }
    count
        .checked_mul(seconds_per_unit)
        .map(Duration::from_secs)
        .ok_or_else(|| IntervalError::TooLong(text.to_owned()))
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_interval(&text).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_scale_the_count() {
        assert_eq!(parse_interval("45s"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_interval("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_interval("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_interval("2d"), Ok(Duration::from_secs(172_800)));
    }

    #[test]
    fn malformed_zero_and_huge_intervals_are_refused() {
        for bad in ["", "h", "1", "1w", "-1h", "1.5h", " 1h", "1è"] {
            assert!(
                matches!(parse_interval(bad), Err(IntervalError::Malformed(_))),
                "{bad}"
            );
        }
        assert_eq!(parse_interval("0m"), Err(IntervalError::Zero("0m".into())));
        assert!(matches!(
            parse_interval("99999999999999999999d"),
            Err(IntervalError::TooLong(_))
        ));
    }
}
