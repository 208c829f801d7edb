//! Weekly hours (a tutor's availability, a space's opening hours) and the quarter hours that
//! lessons take.
//!
//! People write weekly hours the way they say them: `lun 15:00-18:00`, `lun-ven 15-18`,
//! `mar, gio 14.30-17.30`, in Italian or English, one entry per line or separated by `;`.
//! Times fall on quarter hours, because a lesson claims its tutor, its space and its children
//! quarter hour by quarter hour (see [`cells`]): two lessons overlap exactly when they share a
//! quarter hour, so overlapping lessons of any length collide on the same claim.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use trama_sdk::clock::Date;
use trama_sdk::{i18n, t};

use trama_sdk::local;

/// The grid every time falls on.
pub const CELL_MINUTES: u16 = 15;
const DAY_MINUTES: u16 = 24 * 60;

/// Hours on one day of the week: minutes after midnight, `from` before `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Window {
    /// Monday 1 to Sunday 7.
    pub weekday: u8,
    pub from: u16,
    pub to: u16,
}

impl Window {
    pub fn covers(&self, weekday: u8, start: u16, end: u16) -> bool {
        self.weekday == weekday && self.from <= start && end <= self.to
    }

    /// `lun 15:00-18:00`, the day in the reader's language.
    pub fn describe(&self) -> String {
        format!(
            "{} {}-{}",
            day_name(self.weekday),
            local::hhmm(self.from),
            local::hhmm(self.to)
        )
    }
}

/// Whether one of `windows` holds the whole of `start..end` on `weekday`.
pub fn covers(windows: &[Window], weekday: u8, start: u16, end: u16) -> bool {
    windows.iter().any(|w| w.covers(weekday, start, end))
}

/// The short name of a weekday (1 = Monday), from the catalogues (`tutoring.days.short_*`).
pub fn day_name(weekday: u8) -> String {
    const KEYS: [&str; 7] = [
        "tutoring.days.short_1",
        "tutoring.days.short_2",
        "tutoring.days.short_3",
        "tutoring.days.short_4",
        "tutoring.days.short_5",
        "tutoring.days.short_6",
        "tutoring.days.short_7",
    ];
    i18n::text(KEYS[usize::from(weekday.clamp(1, 7) - 1)], &[])
}

/// The whole name of a weekday, for pages (`tutoring.days.long_*`).
pub fn day_long_name(weekday: u8) -> String {
    const KEYS: [&str; 7] = [
        "tutoring.days.long_1",
        "tutoring.days.long_2",
        "tutoring.days.long_3",
        "tutoring.days.long_4",
        "tutoring.days.long_5",
        "tutoring.days.long_6",
        "tutoring.days.long_7",
    ];
    i18n::text(KEYS[usize::from(weekday.clamp(1, 7) - 1)], &[])
}

/// Every window as text, `lun 15:00-18:00; mer 15:00-17:00`.
pub fn describe(windows: &[Window]) -> String {
    windows
        .iter()
        .map(Window::describe)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The windows as lines to put back in a text box. The days are written with the Italian
/// abbreviations [`parse_day`] reads whatever the catalogues say, so the box reads back as it
/// was saved (they are input syntax, not text to translate).
pub fn to_lines(windows: &[Window]) -> String {
    const DAYS: [&str; 7] = ["lun", "mar", "mer", "gio", "ven", "sab", "dom"];
    let mut out = String::new();
    for w in windows {
        let _ = writeln!(
            out,
            "{} {}-{}",
            DAYS[usize::from(w.weekday.clamp(1, 7) - 1)],
            local::hhmm(w.from),
            local::hhmm(w.to)
        );
    }
    out
}

fn parse_day(word: &str) -> Option<u8> {
    let word = word.trim().to_lowercase();
    let word = word.trim_end_matches('.');
    let day = match word {
        "lun" | "lunedì" | "lunedi" | "mon" | "monday" => 1,
        "mar" | "martedì" | "martedi" | "tue" | "tues" | "tuesday" => 2,
        "mer" | "mercoledì" | "mercoledi" | "wed" | "wednesday" => 3,
        "gio" | "giovedì" | "giovedi" | "thu" | "thur" | "thurs" | "thursday" => 4,
        "ven" | "venerdì" | "venerdi" | "fri" | "friday" => 5,
        "sab" | "sabato" | "sat" | "saturday" => 6,
        "dom" | "domenica" | "sun" | "sunday" => 7,
        _ => return None,
    };
    Some(day)
}

/// Reads `15:30`, `15.30` or `15` as minutes after midnight, on the quarter-hour grid;
/// `24:00` is the end of the day.
pub fn parse_time(text: &str) -> Result<u16, String> {
    let text = text.trim();
    let bad = || t!("tutoring.schedule.not_a_time", text = text);
    let (h, m) = match text.split_once([':', '.']) {
        Some((h, m)) => (h, m),
        None => (text, "0"),
    };
    if h.is_empty() || h.len() > 2 || m.is_empty() || m.len() > 2 {
        return Err(bad());
    }
    let (Ok(h), Ok(m)) = (h.parse::<u16>(), m.parse::<u16>()) else {
        return Err(bad());
    };
    if m >= 60 || h > 24 || (h == 24 && m > 0) {
        return Err(bad());
    }
    let minute = h * 60 + m;
    if minute % CELL_MINUTES != 0 {
        return Err(t!("tutoring.schedule.not_on_quarter", text = text));
    }
    Ok(minute)
}

fn parse_days(text: &str) -> Result<Vec<u8>, String> {
    let unknown = |word: &str| t!("tutoring.schedule.not_a_day", word = word.trim());
    let mut days = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let first = parse_day(a).ok_or_else(|| unknown(a))?;
                let last = parse_day(b).ok_or_else(|| unknown(b))?;
                if first > last {
                    return Err(t!("tutoring.schedule.days_reversed", part = part));
                }
                days.extend(first..=last);
            }
            None => days.push(parse_day(part).ok_or_else(|| unknown(part))?),
        }
    }
    if days.is_empty() {
        return Err(unknown(text));
    }
    Ok(days)
}

/// Reads one entry, `lun-ven 15:00-18:00`, into one window per day.
pub fn parse_entry(text: &str) -> Result<Vec<Window>, String> {
    let text = text.trim();
    let shape = || t!("tutoring.schedule.entry_shape", text = text);
    // The hours are the last word; the days are everything before it.
    let Some((days, hours)) = text.rsplit_once(char::is_whitespace) else {
        return Err(shape());
    };
    let Some((from, to)) = hours.split_once('-') else {
        return Err(shape());
    };
    let days = parse_days(days)?;
    let (from, to) = (parse_time(from)?, parse_time(to)?);
    if from >= to || to > DAY_MINUTES {
        return Err(t!("tutoring.schedule.end_before_start", text = text));
    }
    Ok(days
        .into_iter()
        .map(|weekday| Window { weekday, from, to })
        .collect())
}

/// Reads every entry and merges windows that touch or overlap on the same day, so that
/// `lun 15-16; lun 16-18` covers a lesson from 15:30 to 16:30.
pub fn parse_windows(entries: &[&str]) -> Result<Vec<Window>, Vec<String>> {
    let mut windows = Vec::new();
    let mut errors = Vec::new();
    for entry in entries {
        match parse_entry(entry) {
            Ok(found) => windows.extend(found),
            Err(err) => errors.push(err),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(merge(windows))
}

/// Sorts windows and joins those of one day that touch or overlap.
pub fn merge(mut windows: Vec<Window>) -> Vec<Window> {
    windows.sort();
    let mut merged: Vec<Window> = Vec::with_capacity(windows.len());
    for w in windows {
        match merged.last_mut() {
            Some(last) if last.weekday == w.weekday && w.from <= last.to => {
                last.to = last.to.max(w.to);
            }
            _ => merged.push(w),
        }
    }
    merged
}

/// Reads a list of dates (`2025-04-25`), sorted and without repeats.
pub fn parse_dates(entries: &[&str]) -> Result<Vec<String>, Vec<String>> {
    let mut dates = Vec::new();
    let mut errors = Vec::new();
    for entry in entries {
        match Date::parse(entry) {
            Ok(date) => dates.push(date.to_string()),
            Err(_) => errors.push(t!("tutoring.schedule.not_a_date", entry = entry)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    dates.sort();
    dates.dedup();
    Ok(dates)
}

/// The quarter hours from `start` for `minutes` (each the minute it starts at).
pub fn cells(start: u16, minutes: u16) -> Vec<u16> {
    (0..minutes / CELL_MINUTES)
        .map(|i| start + i * CELL_MINUTES)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_read_in_both_languages() {
        let windows =
            parse_windows(&["lun-mer 15:00-18:00", "Friday 14.30-16", "gio, sab 9-12:15"]).unwrap();
        let text = describe(&windows);
        assert_eq!(
            text,
            "lun 15:00-18:00; mar 15:00-18:00; mer 15:00-18:00; gio 09:00-12:15; ven 14:30-16:00; sab 09:00-12:15"
        );
        assert!(covers(&windows, 5, 14 * 60 + 30, 15 * 60 + 30));
        assert!(!covers(&windows, 5, 15 * 60 + 30, 16 * 60 + 30));
        assert!(!covers(&windows, 7, 15 * 60, 16 * 60));
        assert_eq!(
            to_lines(&windows[..1]),
            "lun 15:00-18:00\n",
            "the text box reads back whatever the language"
        );
        i18n::set_locale("en");
        assert!(describe(&windows).starts_with("Mon 15:00-18:00; Tue"));
        assert_eq!(day_long_name(7), "Sunday");
        i18n::set_locale("it");
        assert_eq!(day_long_name(3), "mercoledì");
    }

    #[test]
    fn touching_windows_merge() {
        let windows = parse_windows(&["lun 15-16", "lun 16-18", "lun 17-17:30"]).unwrap();
        assert_eq!(
            windows,
            vec![Window {
                weekday: 1,
                from: 900,
                to: 1080
            }]
        );
        assert!(covers(&windows, 1, 930, 990));
    }

    #[test]
    fn mistakes_are_named() {
        i18n::set_locale("en");
        let errors = parse_windows(&[
            "lun 15:10-16:00",
            "funday 9-10",
            "mar 18-15",
            "mer",
            "gio 25-26",
        ])
        .unwrap_err();
        assert_eq!(errors.len(), 5, "{errors:?}");
        assert!(errors[0].contains("quarter hour"), "{}", errors[0]);
        assert!(errors[1].contains("`funday`"), "{}", errors[1]);
        assert!(errors[2].contains("end must come after"), "{}", errors[2]);
        assert!(errors[3].contains("write days and hours"), "{}", errors[3]);
        assert!(errors[4].contains("not a time"), "{}", errors[4]);
        i18n::set_locale("it");
        assert_eq!(parse_time("24:00"), Ok(1440));
        assert!(parse_time("24:15").is_err());
        assert_eq!(
            parse_time("9:10").unwrap_err(),
            "l'orario 9:10 non cade su un quarto d'ora (:00, :15, :30, :45)"
        );
    }

    #[test]
    fn dates_are_sorted_and_unique() {
        assert_eq!(
            parse_dates(&["2025-05-01", "2025-04-25", "2025-05-01"]).unwrap(),
            vec!["2025-04-25", "2025-05-01"]
        );
        assert!(parse_dates(&["25/04/2025"]).is_err());
    }

    #[test]
    fn a_lesson_takes_its_quarter_hours() {
        assert_eq!(cells(900, 60), vec![900, 915, 930, 945]);
        assert_eq!(cells(900, 90).len(), 6);
    }
}
