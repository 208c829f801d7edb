//! Intervals such as `30m`, `36h` or `730d`: a whole number and one of four units.
//!
//! The kernel reads them in `plugin.toml` (job intervals) and plugins read them in their
//! settings (voting windows, validity periods): one syntax and one parser, so an interval that
//! `trama check` accepts in one place is accepted in the other. Four units cover every schedule
//! a welfare service needs and are easy to read; calendars (months, school years) are left to
//! the plugin.

use std::fmt;
use std::time::Duration;

/// Why an interval could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntervalError {
    Malformed(String),
    Zero(String),
    TooLong(String),
}

impl fmt::Display for IntervalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(text) => write!(
                f,
                "{text:?} is not an interval: write a whole number followed by s, m, h or d, such as \"30m\" or \"1h\""
            ),
            Self::Zero(text) => write!(
                f,
                "{text:?} is not an interval: it must be longer than zero"
            ),
            Self::TooLong(text) => write!(f, "{text:?} is too long an interval"),
        }
    }
}

impl std::error::Error for IntervalError {}

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
