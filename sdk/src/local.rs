//! Wall-clock time in the instance's zone, Europe/Rome, and how pages write it.
//!
//! The kernel's clock is UTC, and a citizen must never read "07:06 UTC" for something that
//! happened at 08:06 in her town. Plugins carry no time-zone database, so the conversion
//! applies Italy's rule directly: Central European Time (UTC+1), and summer time (UTC+2) from
//! 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October — the
//! European Union's rule since 1996. Should the EU abolish the change, this module is the one
//! place to update; every Trama territory today is Italian, so the zone is not a setting yet.
//!
//! A local time that does not exist (02:30 on the last Sunday of March) is read as if the
//! clocks had not moved yet, i.e. 03:30 summer time; one that happens twice (02:30 on the last
//! Sunday of October) is the first of the two.

use crate::clock::{Date, DateTime};
use crate::i18n::Lang;

const MS_PER_MINUTE: i64 = 60_000;

/// The last Sunday of `month` in `year`.
fn last_sunday(year: i32, month: u8) -> Date {
    let first_of_next = if month == 12 {
        Date::new(year + 1, 1, 1)
    } else {
        Date::new(year, month + 1, 1)
    };
    // Months 3 and 10 always have a first day; the fallback is never taken.
    let last = first_of_next
        .map(|d| d.add_days(-1))
        .unwrap_or(Date::from_days_since_epoch(0));
    let back = i64::from(weekday(last) % 7); // Sunday is 7 → 0 days back.
    last.add_days(-back)
}

/// The day of the week of `date`, Monday 1 to Sunday 7.
pub fn weekday(date: Date) -> u8 {
    // 1970-01-01 was a Thursday.
    (date.days_since_epoch() + 3).rem_euclid(7) as u8 + 1
}

/// Minutes Rome is ahead of UTC at the instant `utc_ms`: 120 in summer, 60 otherwise.
pub fn offset_minutes(utc_ms: i64) -> i64 {
    let year = DateTime::from_unix_ms(utc_ms).date.year;
    let starts = last_sunday(year, 3).to_unix_ms() + 60 * MS_PER_MINUTE;
    let ends = last_sunday(year, 10).to_unix_ms() + 60 * MS_PER_MINUTE;
    if (starts..ends).contains(&utc_ms) {
        120
    } else {
        60
    }
}

/// The local date and time in Rome at the instant `utc_ms`. The result's fields are local
/// time, although [`DateTime`] prints them with a `Z`.
pub fn local(utc_ms: i64) -> DateTime {
    DateTime::from_unix_ms(utc_ms + offset_minutes(utc_ms) * MS_PER_MINUTE)
}

/// Today's date in Rome.
pub fn today(now_ms: i64) -> Date {
    local(now_ms).date
}

/// The instant (UTC milliseconds) of `minute` minutes after midnight on `date` in Rome.
pub fn to_utc_ms(date: Date, minute: u16) -> i64 {
    let wall = date.to_unix_ms() + i64::from(minute) * MS_PER_MINUTE;
    for offset in [120, 60] {
        let utc = wall - offset * MS_PER_MINUTE;
        if offset_minutes(utc) == offset {
            return utc;
        }
    }
    // The hour skipped in March: as if the clocks had not moved yet.
    wall - 60 * MS_PER_MINUTE
}

/// `HH:MM` for a minute of the day.
pub fn hhmm(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// `HHMM`, the compact form used in ids.
pub fn hhmm_compact(minute: u16) -> String {
    format!("{:02}{:02}", minute / 60, minute % 60)
}

/// The name of `month` (1–12) for a reader of `lang`, for pages: `marzo`, `March`, `März`
/// (from the catalogues, `sdk.months.m01` to `m12`).
pub fn month_name(month: u8, lang: Lang) -> String {
    const KEYS: [&str; 12] = [
        "sdk.months.m01",
        "sdk.months.m02",
        "sdk.months.m03",
        "sdk.months.m04",
        "sdk.months.m05",
        "sdk.months.m06",
        "sdk.months.m07",
        "sdk.months.m08",
        "sdk.months.m09",
        "sdk.months.m10",
        "sdk.months.m11",
        "sdk.months.m12",
    ];
    crate::i18n::text_for(lang, KEYS[usize::from(month.clamp(1, 12) - 1)], &[])
}

/// `date` written out in `lang`: `3 dicembre 2026`, `3 December 2026`.
pub fn long_date(date: Date, lang: Lang) -> String {
    format!(
        "{} {} {}",
        date.day,
        month_name(date.month, lang),
        date.year
    )
}

/// The instant `utc_ms` as people in Italy read it, in Rome's time: `03/12/2026 07:06`. No
/// zone is written, because it is the territory's own.
pub fn numeric(utc_ms: i64) -> String {
    let t = local(utc_ms);
    format!(
        "{:02}/{:02}/{} {:02}:{:02}",
        t.date.day, t.date.month, t.date.year, t.hour, t.minute
    )
}

/// The instant `utc_ms` written out in `lang`, in Rome's time: `3 dicembre 2026, 07:06`.
pub fn long_date_time(utc_ms: i64, lang: Lang) -> String {
    let t = local(utc_ms);
    format!("{}, {:02}:{:02}", long_date(t.date, lang), t.hour, t.minute)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    #[test]
    fn weekdays_start_on_monday() {
        assert_eq!(weekday(date("2025-03-31")), 1);
        assert_eq!(weekday(date("2025-03-30")), 7);
        assert_eq!(weekday(date("1970-01-01")), 4);
    }

    #[test]
    fn summer_time_follows_the_european_rule() {
        assert_eq!(last_sunday(2025, 3), date("2025-03-30"));
        assert_eq!(last_sunday(2025, 10), date("2025-10-26"));
        assert_eq!(last_sunday(2024, 3), date("2024-03-31"));
        // 15:00 in January is 14:00 UTC; in July 13:00 UTC.
        let winter = to_utc_ms(date("2025-01-15"), 15 * 60);
        assert_eq!(
            DateTime::from_unix_ms(winter).to_string(),
            "2025-01-15T14:00:00Z"
        );
        let summer = to_utc_ms(date("2025-07-15"), 15 * 60);
        assert_eq!(
            DateTime::from_unix_ms(summer).to_string(),
            "2025-07-15T13:00:00Z"
        );
        assert_eq!(local(summer).hour, 15);
        assert_eq!(local(winter).hour, 15);
    }

    #[test]
    fn the_changes_happen_at_one_in_the_morning_utc() {
        // 2025-03-30 00:59 UTC is 01:59 CET; 01:00 UTC is 03:00 CEST.
        let before = to_utc_ms(date("2025-03-30"), 60 + 59);
        assert_eq!(offset_minutes(before), 60);
        let after = to_utc_ms(date("2025-03-30"), 3 * 60);
        assert_eq!(offset_minutes(after), 120);
        assert_eq!(after - before, 60_000);
        // The skipped 02:30 becomes 03:30 summer time.
        let skipped = to_utc_ms(date("2025-03-30"), 2 * 60 + 30);
        assert_eq!(local(skipped).hour, 3);
        // In October 02:30 happens twice; the first (summer time) is taken.
        let twice = to_utc_ms(date("2025-10-26"), 2 * 60 + 30);
        assert_eq!(offset_minutes(twice), 120);
        assert_eq!(local(twice).hour, 2);
    }

    #[test]
    fn today_changes_at_local_midnight() {
        // 23:30 UTC on 14 July is already 15 July in Rome.
        let t = DateTime::from_unix_ms(to_utc_ms(date("2025-07-15"), 30)).to_unix_ms();
        assert_eq!(today(t), date("2025-07-15"));
        assert_eq!(DateTime::from_unix_ms(t).date, date("2025-07-14"));
    }

    #[test]
    fn times_are_written_with_two_digits() {
        assert_eq!(hhmm(9 * 60 + 5), "09:05");
        assert_eq!(hhmm_compact(15 * 60), "1500");
        assert_eq!(month_name(3, Lang::It), "marzo");
        assert_eq!(month_name(12, Lang::En), "December");
    }

    #[test]
    fn instants_are_written_in_rome_time() {
        // 23:59:59 UTC on 29 February 2024 is already 1 March in Rome (winter, UTC+1).
        let leap = 1_709_251_199_999;
        assert_eq!(numeric(leap), "01/03/2024 00:59");
        assert_eq!(long_date_time(leap, Lang::It), "1 marzo 2024, 00:59");
        assert_eq!(long_date_time(leap, Lang::En), "1 March 2024, 00:59");
        // 09:05 UTC on 31 July is 11:05 summer time.
        let summer = to_utc_ms(date("2025-07-31"), 11 * 60 + 5);
        assert_eq!(numeric(summer), "31/07/2025 11:05");
        assert_eq!(long_date(date("2026-12-03"), Lang::It), "3 dicembre 2026");
    }
}
