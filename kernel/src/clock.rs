//! Wall-clock helpers shared by the kernel (plugins get the same time through `clock.now`).

use std::time::{SystemTime, UNIX_EPOCH};

/// The zone of every Trama territory so far; the SDK's `local` module applies the same rule
/// inside plugins.
pub const ZONE: chrono_tz::Tz = chrono_tz::Europe::Rome;

/// Today's date in [`ZONE`], as `2026-12-04`.
pub fn today() -> String {
    chrono::Utc::now()
        .with_timezone(&ZONE)
        .format("%Y-%m-%d")
        .to_string()
}

/// Unix time in milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}
