//! iCalendar feeds (RFC 5545) of a tutor's lessons and of a family's bookings, for phone and
//! desktop calendars to subscribe to.
//!
//! **Times** are written as local times with `TZID=Europe/Rome`, and the feed carries the
//! matching `VTIMEZONE` (the European Union's summer-time rule), so a lesson at 15:00 stays at
//! 15:00 in Rome across the change of time, and shows right in a calendar set to another zone.
//! `DTSTAMP` is UTC, as the standard requires.
//!
//! **Lines** end with CRLF; text values escape `\`, `;`, `,` and line breaks; lines longer than
//! 75 octets are folded (CRLF and a space), never inside a UTF-8 character.
//!
//! **Identity.** Each event's `UID` is stable (`lesson-{id}@…` for tutors, `booking-{id}@…`
//! for families) and its `SEQUENCE` is the document's version, so a cancelled lesson comes back
//! as the same event with `STATUS:CANCELLED` and calendars remove it.

use trama_sdk::clock::{Date, DateTime};

use trama_sdk::local;

/// The product identifier of the feeds.
const PRODID: &str = "-//Trama//tutoring 1.0//IT";

/// The `VTIMEZONE` of Europe/Rome since 1996.
const VTIMEZONE: &[&str] = &[
    "BEGIN:VTIMEZONE",
    "TZID:Europe/Rome",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "TZNAME:CEST",
    "DTSTART:19700329T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "TZNAME:CET",
    "DTSTART:19701025T030000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
];

/// The address of a tutor's feed.
pub fn tutor_feed_path(token: &str) -> String {
    format!("{}/feeds/tutor/{token}.ics", crate::web::BASE)
}

/// The address of a family's feed.
pub fn family_feed_path(token: &str) -> String {
    format!("{}/feeds/family/{token}.ics", crate::web::BASE)
}

/// One event of a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Unique and stable, e.g. `lesson-0190…@tutoring.trama`.
    pub uid: String,
    /// Grows with every change (the document's version).
    pub sequence: u64,
    /// Local date and minutes after midnight in Rome.
    pub date: Date,
    pub start: u16,
    pub minutes: u16,
    pub summary: String,
    pub location: String,
    pub description: String,
    pub cancelled: bool,
}

/// Escapes a TEXT value: backslash, semicolon, comma and line breaks.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            // Other control characters are not allowed in TEXT.
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets and ends it (and each continuation) with CRLF.
pub fn fold(line: &str, out: &mut String) {
    let mut used = 0;
    for c in line.chars() {
        let width = c.len_utf8();
        if used + width > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += width;
    }
    out.push_str("\r\n");
}

/// `YYYYMMDDTHHMMSS` for a local date and minute (minute 1440 is the next midnight).
fn local_stamp(date: Date, minute: u16) -> String {
    let date = date.add_days(i64::from(minute / 1440));
    let minute = minute % 1440;
    format!(
        "{:04}{:02}{:02}T{:02}{:02}00",
        date.year,
        date.month,
        date.day,
        minute / 60,
        minute % 60
    )
}

fn utc_stamp(ms: i64) -> String {
    let t = DateTime::from_unix_ms(ms);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.date.year, t.date.month, t.date.day, t.hour, t.minute, t.second
    )
}

/// A whole feed named `name`, stamped at `now_ms`.
pub fn calendar(name: &str, events: &[Event], now_ms: i64) -> String {
    let mut out = String::new();
    let mut line = |text: String| fold(&text, &mut out);
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line(format!("PRODID:{PRODID}"));
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    line(format!("X-WR-CALNAME:{}", escape(name)));
    line("X-WR-TIMEZONE:Europe/Rome".into());
    for l in VTIMEZONE {
        line((*l).to_owned());
    }
    let stamp = utc_stamp(now_ms);
    for e in events {
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", e.uid));
        line(format!("DTSTAMP:{stamp}"));
        line(format!("SEQUENCE:{}", e.sequence));
        line(format!(
            "DTSTART;TZID=Europe/Rome:{}",
            local_stamp(e.date, e.start)
        ));
        line(format!(
            "DTEND;TZID=Europe/Rome:{}",
            local_stamp(e.date, e.start + e.minutes)
        ));
        line(format!("SUMMARY:{}", escape(&e.summary)));
        if !e.location.is_empty() {
            line(format!("LOCATION:{}", escape(&e.location)));
        }
        if !e.description.is_empty() {
            line(format!("DESCRIPTION:{}", escape(&e.description)));
        }
        line(format!(
            "STATUS:{}",
            if e.cancelled {
                "CANCELLED"
            } else {
                "CONFIRMED"
            }
        ));
        line("TRANSP:OPAQUE".into());
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

/// The time of a lesson in words for descriptions: `15:00-16:00`.
pub fn span(start: u16, minutes: u16) -> String {
    format!("{}-{}", local::hhmm(start), local::hhmm(start + minutes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("Sala 2, piano 1; via Roma\\3\r\nsecondo rigo\nterzo"),
            "Sala 2\\, piano 1\\; via Roma\\\\3\\nsecondo rigo\\nterzo"
        );
        assert_eq!(escape("a\u{7}b"), "ab");
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_characters() {
        let mut out = String::new();
        let text = format!("SUMMARY:{}", "è".repeat(60));
        fold(&text, &mut out);
        for physical in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(
                physical.len() <= 75,
                "{} octets: {physical}",
                physical.len()
            );
        }
        // Unfolding gives the line back.
        assert_eq!(out.replace("\r\n ", "").trim_end_matches("\r\n"), text);
        let mut short = String::new();
        fold("BEGIN:VEVENT", &mut short);
        assert_eq!(short, "BEGIN:VEVENT\r\n");
    }

    #[test]
    fn a_feed_has_local_times_a_timezone_and_crlf() {
        let event = Event {
            uid: "lesson-1@tutoring".into(),
            sequence: 3,
            date: Date::parse("2025-03-31").unwrap(),
            start: 23 * 60,
            minutes: 60,
            summary: "Matematica, Primaria".into(),
            location: "Biblioteca; sala 2".into(),
            description: "Luca R.\nSara B.".into(),
            cancelled: true,
        };
        let ics = calendar("Doposcuola: Giulia", &[event], 1_743_426_000_000);
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(!ics.replace("\r\n", "").contains('\n'));
        for needle in [
            "TZID:Europe/Rome\r\n",
            "DTSTAMP:20250331T130000Z\r\n",
            "DTSTART;TZID=Europe/Rome:20250331T230000\r\n",
            // Midnight is the next day.
            "DTEND;TZID=Europe/Rome:20250401T000000\r\n",
            "SUMMARY:Matematica\\, Primaria\r\n",
            "LOCATION:Biblioteca\\; sala 2\r\n",
            "DESCRIPTION:Luca R.\\nSara B.\r\n",
            "STATUS:CANCELLED\r\n",
            "SEQUENCE:3\r\n",
            "UID:lesson-1@tutoring\r\n",
        ] {
            assert!(ics.contains(needle), "missing {needle:?} in\n{ics}");
        }
    }
}
