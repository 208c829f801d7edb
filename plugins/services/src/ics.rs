//! The `.ics` file (RFC 5545) of a confirmed booking, for the person's calendar. Times are
//! written in UTC (`Z`), which every calendar shows in its own zone; text escapes `\`, `;`,
//! `,` and line breaks; long lines are folded at 75 octets, never inside a character. The
//! `UID` is the booking's, so a second download updates the same event.

use trama_sdk::clock::DateTime;

/// What the event says.
pub struct Event<'a> {
    pub uid: &'a str,
    pub start_ms: i64,
    pub minutes: u16,
    pub stamp_ms: i64,
    pub summary: &'a str,
    pub location: &'a str,
    pub description: &'a str,
}

fn utc(ms: i64) -> String {
    let t = DateTime::from_unix_ms(ms);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.date.year, t.date.month, t.date.day, t.hour, t.minute, t.second
    )
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` folded at 75 octets and ended by CRLF.
fn push_line(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// The calendar with the one event.
pub fn calendar(event: &Event<'_>) -> String {
    let mut out = String::new();
    let end = event.start_ms + i64::from(event.minutes) * 60_000;
    for line in [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Trama//services 1.0//IT".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}", event.uid),
        format!("DTSTAMP:{}", utc(event.stamp_ms)),
        format!("DTSTART:{}", utc(event.start_ms)),
        format!("DTEND:{}", utc(end)),
        format!("SUMMARY:{}", escape(event.summary)),
        format!("LOCATION:{}", escape(event.location)),
        format!("DESCRIPTION:{}", escape(event.description)),
        "END:VEVENT".to_owned(),
        "END:VCALENDAR".to_owned(),
    ] {
        push_line(&mut out, &line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_in_utc_with_escaped_and_folded_text() {
        let text = calendar(&Event {
            uid: "booking-1@services.trama",
            // 2026-12-10 09:00 in Rome is 08:00 UTC.
            start_ms: 1_796_889_600_000,
            minutes: 90,
            stamp_ms: 1_796_889_600_000,
            summary: "Baby sitting; a casa, Rossi",
            location: "Via Roma 1",
            description: &"è".repeat(60),
        });
        assert!(text.contains("DTSTART:20261210T080000Z\r\n"), "{text}");
        assert!(text.contains("DTEND:20261210T093000Z\r\n"));
        assert!(text.contains("SUMMARY:Baby sitting\\; a casa\\, Rossi\r\n"));
        assert!(text.lines().all(|l| l.len() <= 76));
    }
}
