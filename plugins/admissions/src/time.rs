//! Moments as pages show them.

use trama_sdk::clock::DateTime;

/// `2025-03-31 09:05 UTC`: the kernel's clock is UTC, and saying so avoids a wrong hour.
pub fn when(ms: i64) -> String {
    let t = DateTime::from_unix_ms(ms);
    format!("{} {:02}:{:02} UTC", t.date, t.hour, t.minute)
}

/// RFC 3339, for `<time datetime>` and the JSON API.
pub fn iso(ms: i64) -> String {
    DateTime::from_unix_ms(ms).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_are_written_in_utc() {
        assert_eq!(when(1_709_251_199_999), "2024-02-29 23:59 UTC");
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
    }
}
