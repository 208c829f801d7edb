//! Moments as pages show them.

use trama_sdk::clock::DateTime;

/// `31/03/2025 11:05`: in Rome's time, as people in the territory read it (the kernel's clock
/// is UTC; pages and messages never show that).
pub fn when(ms: i64) -> String {
    trama_sdk::local::numeric(ms)
}

/// RFC 3339, for `<time datetime>` and the JSON API.
pub fn iso(ms: i64) -> String {
    DateTime::from_unix_ms(ms).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_are_written_in_rome_time_and_iso_in_utc() {
        // 23:59 UTC on 29 February 2024 is 00:59 on 1 March in Rome.
        assert_eq!(when(1_709_251_199_999), "01/03/2024 00:59");
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
    }
}
