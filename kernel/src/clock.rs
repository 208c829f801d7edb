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

/// A time as a person in the territory reads it: `04/12/2026 10:30` in [`ZONE`]'s time
/// (summer time included), as pages show it (the `local_time` filter) and mail says it.
pub fn local_time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&ZONE).format("%d/%m/%Y %H:%M").to_string()
}

/// Unix time in milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}
