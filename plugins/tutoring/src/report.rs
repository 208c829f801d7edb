//! Monthly reports for the cooperative and the municipality: hours delivered per family, per
//! tutor and per space, what they cost at the hourly rate of the settings, and CSV exports.
//!
//! Definitions, so the figures can be checked by hand:
//!
//! - a lesson is **held** once its tutor took the register; its minutes count for its tutor
//!   and its space in the month of its date;
//! - a family's **delivered** minutes are those of the lessons its children attended; its
//!   **charged** minutes add absences and late cancellations, which use the allowance too;
//! - the **cost** depends on `billing_basis`: `lesson` pays each hour of lesson held (per tutor,
//!   per space, in total; families then have no cost of their own), `child` pays each hour
//!   charged to a family. Costs are rounded to the cent per row, half up, so a column's rows
//!   may differ from the total by a few cents.

use std::collections::BTreeMap;

use serde::Serialize;
use trama_sdk::csv::Sheet;
use trama_sdk::i18n::{self, Lang};
use trama_sdk::store::Doc;

use crate::config::{BillingBasis, Settings};
use crate::lesson::{Booking, BookingStatus, Lesson, LessonStatus};

/// One line of a report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Row {
    pub id: String,
    pub name: String,
    /// Lessons held (tutors, spaces, totals) or attended (families).
    pub lessons: u32,
    /// Minutes of lesson held (tutors, spaces, totals) or attended (families).
    pub minutes: u32,
    pub present: u32,
    pub present_minutes: u32,
    pub absent: u32,
    pub absent_minutes: u32,
    pub late_cancelled: u32,
    pub late_minutes: u32,
    /// Minutes taken from allowances: attended, missed and cancelled late.
    pub charged_minutes: u32,
    /// What the municipality pays, in cents; `None` where the basis does not apply.
    pub cost_cents: Option<i64>,
}

impl Row {
    fn named(id: &str, name: String) -> Self {
        Self {
            id: id.to_owned(),
            name,
            ..Self::default()
        }
    }

    fn add_booking(&mut self, booking: &Booking) {
        let minutes = u32::from(booking.minutes);
        match booking.status {
            BookingStatus::Present => {
                self.present += 1;
                self.present_minutes += minutes;
            }
            BookingStatus::Absent => {
                self.absent += 1;
                self.absent_minutes += minutes;
            }
            BookingStatus::CancelledLate => {
                self.late_cancelled += 1;
                self.late_minutes += minutes;
            }
            _ => return,
        }
        self.charged_minutes += minutes;
    }

    fn add_lesson(&mut self, lesson: &Lesson) {
        self.lessons += 1;
        self.minutes += u32::from(lesson.minutes);
    }
}

/// A month's report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub month: String,
    pub basis: BillingBasis,
    pub hourly_rate_cents: i64,
    pub families: Vec<Row>,
    pub tutors: Vec<Row>,
    pub spaces: Vec<Row>,
    pub totals: Row,
    /// Lessons of the month that started but whose register was not taken yet.
    pub awaiting_register: u32,
    /// Lessons of the month still to come.
    pub scheduled: u32,
}

/// Names of the people and places in a report, by id.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub families: BTreeMap<String, String>,
    pub tutors: BTreeMap<String, String>,
    pub spaces: BTreeMap<String, String>,
}

/// `minutes` at `rate_cents` an hour, rounded half up to the cent.
pub fn cost(minutes: u32, rate_cents: i64) -> i64 {
    (i64::from(minutes) * rate_cents + 30) / 60
}

/// Builds the report of `month` from its lessons and its bookings.
pub fn build(
    month: &str,
    lessons: &[Doc<Lesson>],
    bookings: &[Doc<Booking>],
    names: &Names,
    settings: &Settings,
    now: i64,
) -> Report {
    let mut families: BTreeMap<String, Row> = BTreeMap::new();
    let mut tutors: BTreeMap<String, Row> = BTreeMap::new();
    let mut spaces: BTreeMap<String, Row> = BTreeMap::new();
    let mut totals = Row::named("", String::new());
    let (mut awaiting_register, mut scheduled) = (0, 0);
    for doc in lessons.iter().filter(|d| d.data.month == month) {
        let l = &doc.data;
        match l.status {
            LessonStatus::Held => {
                row(&mut tutors, &names.tutors, &l.tutor).add_lesson(l);
                row(&mut spaces, &names.spaces, &l.space).add_lesson(l);
                totals.add_lesson(l);
            }
            LessonStatus::Scheduled if l.start_at <= now => awaiting_register += 1,
            LessonStatus::Scheduled => scheduled += 1,
            LessonStatus::Cancelled => {}
        }
    }
    for doc in bookings.iter().filter(|d| d.data.month == month) {
        let b = &doc.data;
        if !matches!(
            b.status,
            BookingStatus::Present | BookingStatus::Absent | BookingStatus::CancelledLate
        ) {
            continue;
        }
        let family = row(&mut families, &names.families, &b.family);
        family.add_booking(b);
        if b.status == BookingStatus::Present {
            family.lessons += 1;
            family.minutes += u32::from(b.minutes);
        }
        row(&mut tutors, &names.tutors, &b.tutor).add_booking(b);
        row(&mut spaces, &names.spaces, &b.space).add_booking(b);
        totals.add_booking(b);
    }
    let rate = settings.hourly_rate_cents;
    let priced = |mut row: Row, family: bool| {
        row.cost_cents = match settings.billing_basis {
            BillingBasis::Lesson if family => None,
            BillingBasis::Lesson => Some(cost(row.minutes, rate)),
            BillingBasis::Child => Some(cost(row.charged_minutes, rate)),
        };
        row
    };
    let sorted = |map: BTreeMap<String, Row>, family: bool| {
        let mut rows: Vec<Row> = map.into_values().map(|r| priced(r, family)).collect();
        rows.sort_by_key(|r| r.name.to_lowercase());
        rows
    };
    Report {
        month: month.to_owned(),
        basis: settings.billing_basis,
        hourly_rate_cents: rate,
        families: sorted(families, true),
        tutors: sorted(tutors, false),
        spaces: sorted(spaces, false),
        totals: priced(totals, false),
        awaiting_register,
        scheduled,
    }
}

/// The row of `id` in `rows`, started on first use under its name in `names` (the id itself
/// when the record is gone).
fn row<'a>(
    rows: &'a mut BTreeMap<String, Row>,
    names: &BTreeMap<String, String>,
    id: &str,
) -> &'a mut Row {
    rows.entry(id.to_owned()).or_insert_with(|| {
        let name = names.get(id).cloned().unwrap_or_else(|| id.to_owned());
        Row::named(id, name)
    })
}

/// Cents as euros, `1234,50` or `1234.50`.
pub fn euros(cents: i64, lang: Lang) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!(
        "{sign}{}{}{:02}",
        cents / 100,
        lang.pick(",", "."),
        cents % 100
    )
}

/// The rows of one part of a report as a sheet for the operator's spreadsheet; `kind` is the
/// catalogue key of the word naming the rows (`"tutoring.csv.row_tutor"`), a last row holds
/// the totals. Words and numbers are written for a reader of `lang`, as the header.
pub fn rows_csv(kind: &str, rows: &[Row], totals: Option<&Row>, lang: Lang) -> String {
    let mut sheet = Sheet::new(lang);
    sheet.header(&[
        "tutoring.csv.kind",
        "tutoring.csv.id",
        "tutoring.csv.name",
        "tutoring.csv.lessons",
        "tutoring.csv.hours",
        "tutoring.csv.present",
        "tutoring.csv.present_hours",
        "tutoring.csv.absent",
        "tutoring.csv.absent_hours",
        "tutoring.csv.late_cancellations",
        "tutoring.csv.late_cancellation_hours",
        "tutoring.csv.charged_hours",
        "tutoring.csv.cost_eur",
    ]);
    let hours = |minutes| crate::allowance::hours_text(minutes, lang);
    let mut line = |kind: &str, row: &Row| {
        let cost = row.cost_cents.map(|c| sheet.cents(c)).unwrap_or_default();
        sheet.row(&[
            kind.to_owned(),
            row.id.clone(),
            row.name.clone(),
            row.lessons.to_string(),
            hours(row.minutes),
            row.present.to_string(),
            hours(row.present_minutes),
            row.absent.to_string(),
            hours(row.absent_minutes),
            row.late_cancelled.to_string(),
            hours(row.late_minutes),
            hours(row.charged_minutes),
            cost,
        ]);
    };
    let kind = i18n::text_for(lang, kind, &[]);
    for row in rows {
        line(&kind, row);
    }
    if let Some(totals) = totals {
        line(&i18n::text_for(lang, "tutoring.csv.total", &[]), totals);
    }
    sheet.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use crate::lesson::Seat;

    fn lesson(id: &str, tutor: &str, status: LessonStatus, start_at: i64) -> Doc<Lesson> {
        Doc {
            id: id.into(),
            version: 1,
            data: Lesson {
                tutor: tutor.into(),
                space: "s1".into(),
                date: "2025-03-10".into(),
                start_at,
                end_at: start_at + 3_600_000,
                status,
                seats: vec![Seat {
                    child: "c".into(),
                    family: "f".into(),
                    booking: "b".into(),
                }],
                ..fixtures::lesson()
            },
        }
    }

    fn booking(family: &str, tutor: &str, status: BookingStatus) -> Doc<Booking> {
        Doc {
            id: format!("{family}-{tutor}-{}", status.key()),
            version: 1,
            data: Booking {
                child: format!("{family}-child"),
                family: family.into(),
                tutor: tutor.into(),
                space: "s1".into(),
                date: "2025-03-10".into(),
                status,
                ..fixtures::booking()
            },
        }
    }

    fn names() -> Names {
        Names {
            families: [
                ("fa".into(), "Bianchi".into()),
                ("fb".into(), "Amato".into()),
            ]
            .into(),
            tutors: [
                ("t1".into(), "Giulia".into()),
                ("t2".into(), "Marco".into()),
            ]
            .into(),
            spaces: [("s1".into(), "Biblioteca".into())].into(),
        }
    }

    #[test]
    fn hours_and_costs_per_family_tutor_and_space() {
        let lessons = vec![
            lesson("l1", "t1", LessonStatus::Held, 0),
            lesson("l2", "t1", LessonStatus::Held, 0),
            lesson("l3", "t2", LessonStatus::Held, 0),
            lesson("l4", "t2", LessonStatus::Scheduled, 10),
            lesson("l5", "t2", LessonStatus::Scheduled, 1_000),
            lesson("l6", "t2", LessonStatus::Cancelled, 0),
        ];
        let bookings = vec![
            booking("fa", "t1", BookingStatus::Present),
            booking("fa", "t2", BookingStatus::Absent),
            booking("fb", "t1", BookingStatus::Present),
            booking("fb", "t2", BookingStatus::CancelledLate),
            booking("fb", "t2", BookingStatus::Cancelled),
            booking("fb", "t2", BookingStatus::Booked),
        ];
        let mut settings = Settings::for_tests(); // 22,00 € an hour, per lesson held
        let report = build("2025-03", &lessons, &bookings, &names(), &settings, 100);
        assert_eq!((report.awaiting_register, report.scheduled), (1, 1));
        assert_eq!(report.totals.lessons, 3);
        assert_eq!(report.totals.minutes, 180);
        assert_eq!(report.totals.cost_cents, Some(6600));
        let tutors: Vec<(&str, u32, Option<i64>)> = report
            .tutors
            .iter()
            .map(|r| (r.name.as_str(), r.lessons, r.cost_cents))
            .collect();
        assert_eq!(
            tutors,
            vec![("Giulia", 2, Some(4400)), ("Marco", 1, Some(2200))]
        );
        // Families sorted by name; Amato attended one hour and cancelled one late.
        let amato = &report.families[0];
        assert_eq!(amato.name, "Amato");
        assert_eq!((amato.lessons, amato.minutes), (1, 60));
        assert_eq!((amato.late_cancelled, amato.charged_minutes), (1, 120));
        assert_eq!(amato.cost_cents, None);
        let bianchi = &report.families[1];
        assert_eq!(
            (bianchi.present, bianchi.absent, bianchi.charged_minutes),
            (1, 1, 120)
        );

        settings.billing_basis = BillingBasis::Child;
        let report = build("2025-03", &lessons, &bookings, &names(), &settings, 100);
        // 4 charged hours: 2 present, 1 absent, 1 late cancellation.
        assert_eq!(report.totals.charged_minutes, 240);
        assert_eq!(report.totals.cost_cents, Some(8800));
        assert_eq!(report.families[0].cost_cents, Some(4400));
    }

    #[test]
    fn costs_round_half_up_to_the_cent() {
        assert_eq!(cost(60, 2200), 2200);
        assert_eq!(cost(45, 2201), 1651); // 1650.75
        assert_eq!(cost(1, 30), 1); // 0.5 rounds up
        assert_eq!(euros(123_456, Lang::It), "1234,56");
        assert_eq!(euros(5, Lang::En), "0.05");
    }

    #[test]
    fn csv_has_a_header_and_a_total() {
        let row = Row {
            id: "t1".into(),
            name: "=Giulia".into(),
            lessons: 2,
            minutes: 90,
            cost_cents: Some(3300),
            ..Row::default()
        };
        // The tutors' sheet of `row`, written for a reader of `locale`.
        let sheet = |locale: &str, lang: Lang| {
            trama_sdk::i18n::set_locale(locale);
            rows_csv(
                "tutoring.csv.row_tutor",
                std::slice::from_ref(&row),
                Some(&row),
                lang,
            )
        };
        let csv = sheet("en", Lang::En);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert!(lines[0].starts_with("\u{feff}kind,id,name,lessons,hours"));
        assert_eq!(lines[1], "tutor,t1,'=Giulia,2,1.5,0,0,0,0,0,0,0,33.00");
        assert!(lines[2].starts_with("total,"));
        let csv = sheet("it", Lang::It);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert!(lines[0].starts_with("\u{feff}tipo;id;nome;lezioni;ore;"));
        assert_eq!(lines[1], "tutor;t1;'=Giulia;2;1,5;0;0;0;0;0;0;0;33,00");
        assert!(lines[2].starts_with("totale;"));
    }
}
