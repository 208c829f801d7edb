//! The month's report, its exports and the calendars agree with what happened (moved from
//! `tests/e2e/tutoring/reports.rs`), natively against the kernel's store (`trama-testhost`).

use crate::common;

use common::{Month, TOMORROW, a_month_of_lessons};
use serde_json::Value as Json;

/// A download's text, checking its content type.
fn text(month: &Month, who: Option<&trama_testhost::Account>, path: &str, kind: &str) -> String {
    let answer = month.host.get(who, path);
    assert_eq!(answer.status, 200, "{path}: {}", answer.body);
    let (_, content_type, bytes) = answer.file.expect("a file");
    assert!(content_type.starts_with(kind), "{path}: {content_type}");
    String::from_utf8(bytes).expect("UTF-8")
}

#[test]
fn the_report_of_the_month_counts_lessons_hours_absences_and_costs_to_the_cent() {
    let month = a_month_of_lessons();
    month.cancelled_and_held();
    let host = &month.host;

    // One lesson held by Giulia in the library, one hour, 22,00 €; Anna's Luca attended,
    // Carla's Ugo missed it (and the hour is used); Luca's late cancellation is in March too.
    let report = host
        .get(Some(&month.operator), "/api/reports?month=2026-03")
        .assert_status(200);
    let report = report.body;
    let totals = &report["totals"];
    assert_eq!(
        (totals["lessons"].as_u64(), totals["minutes"].as_u64()),
        (Some(1), Some(60)),
        "{report}"
    );
    assert_eq!(
        (totals["present"].as_u64(), totals["absent"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(totals["cost_cents"], 2200);
    assert_eq!(totals["late_cancelled"].as_u64(), Some(1));
    let tutors = report["tutors"].as_array().expect("tutors");
    assert_eq!(tutors.len(), 1);
    assert_eq!(tutors[0]["name"], "Giulia Neri");
    assert_eq!(
        (
            tutors[0]["lessons"].as_u64(),
            tutors[0]["cost_cents"].as_i64()
        ),
        (Some(1), Some(2200))
    );
    let spaces = report["spaces"].as_array().expect("spaces");
    assert_eq!(
        (spaces[0]["name"].as_str(), spaces[0]["minutes"].as_u64()),
        (Some("Biblioteca civica; sala 2"), Some(60))
    );
    let family = |name: &str| {
        report["families"]
            .as_array()
            .expect("families")
            .iter()
            .find(|f| f["name"] == name)
            .cloned()
            .unwrap_or(Json::Null)
    };
    let anna = family("anna rossi");
    assert_eq!(
        (anna["lessons"].as_u64(), anna["minutes"].as_u64()),
        (Some(1), Some(60)),
        "{report}"
    );
    assert_eq!(
        anna["charged_minutes"].as_u64(),
        Some(120),
        "the late cancellation too"
    );
    let carla = family("carla bianchi");
    assert_eq!(
        (carla["absent"].as_u64(), carla["minutes"].as_u64()),
        (Some(1), Some(0)),
        "{report}"
    );
    assert_eq!(carla["charged_minutes"].as_u64(), Some(60));

    // The territory's indicators read the registers' events: the minutes the children attended
    // and the children present are the report's, exactly.
    let registers: Vec<Json> = host
        .published()
        .into_iter()
        .filter(|event| event.name == "tutoring.attendance_recorded")
        .map(|event| event.payload)
        .collect();
    let attended: u64 = registers
        .iter()
        .map(|p| p["attended_minutes"].as_u64().expect("minutes"))
        .sum();
    let delivered: u64 = report["families"]
        .as_array()
        .expect("families")
        .iter()
        .map(|f| f["minutes"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!((attended, delivered), (60, 60), "{registers:?}");
    let present: std::collections::BTreeSet<&str> = registers
        .iter()
        .flat_map(|p| p["present"].as_array().into_iter().flatten())
        .filter_map(Json::as_str)
        .collect();
    assert_eq!(Some(present.len() as u64), totals["present"].as_u64());

    // Reports are for operators.
    assert_eq!(host.get(Some(&month.anna), "/api/reports").status, 403);
}

#[test]
fn the_exports_have_the_same_figures_for_an_italian_spreadsheet() {
    let month = a_month_of_lessons();
    month.cancelled_and_held();

    // A byte-order mark, `;` between fields, Italian headers and decimal commas.
    let csv = text(
        &month,
        Some(&month.operator),
        "/reports/tutors.csv?month=2026-03",
        "text/csv",
    );
    assert!(
        csv.starts_with("\u{feff}tipo;id;nome;lezioni;ore;"),
        "{csv}"
    );
    assert!(
        csv.contains(&format!(
            "tutor;{};Giulia Neri;1;1;1;1;1;1;",
            month.giulia_id
        )),
        "{csv}"
    );
    assert!(csv.contains("\r\ntotale;"), "{csv}");
    assert!(csv.contains(";22,00\r\n"), "{csv}");
    let detail = text(
        &month,
        Some(&month.operator),
        "/reports/lessons.csv?month=2026-03",
        "text/csv",
    );
    assert!(
        detail.contains(";anna rossi;Luca Rossi;present;1\r\n"),
        "{detail}"
    );
    assert!(
        detail.contains(";carla bianchi;<Ugo> Bianchi;absent;1\r\n"),
        "{detail}"
    );
    month
        .host
        .get(Some(&month.anna), "/reports/tutors.csv?month=2026-03")
        .assert_status(403);
}

#[test]
fn the_calendars_show_the_lessons_in_rome_time_and_the_cancelled_ones_so() {
    let month = a_month_of_lessons();
    month.cancelled_and_held();
    let host = &month.host;
    let local = |path: &str| path.trim_start_matches("/p/tutoring").to_owned();

    // Anna's calendar: three events, the two cancelled ones marked so.
    let family = host.get(Some(&month.anna), "/api/family");
    let feed = local(family.body["family"]["feed_path"].as_str().expect("feed"));
    let ics = text(&month, None, &feed, "text/calendar");
    assert!(
        ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"),
        "{ics}"
    );
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 3, "{ics}");
    assert_eq!(ics.matches("STATUS:CANCELLED").count(), 2, "{ics}");
    let compact = TOMORROW.replace('-', "");
    assert!(
        ics.contains(&format!("DTSTART;TZID=Europe/Rome:{compact}T100000\r\n")),
        "{ics}"
    );
    assert!(
        ics.contains("LOCATION:Biblioteca civica\\; sala 2\\, Via Roma 1\\, Prova\r\n"),
        "{ics}"
    );
    assert!(
        ics.contains("BEGIN:VTIMEZONE\r\nTZID:Europe/Rome\r\n"),
        "{ics}"
    );
    assert!(
        !ics.replace("\r\n", "").contains('\n'),
        "every line ends with CRLF"
    );

    // Giulia's calendar, from her page, names the children.
    let me = host.get(Some(&month.giulia), "/api/tutor");
    let feed = local(me.body["tutor"]["feed_path"].as_str().expect("tutor feed"));
    let ics = text(&month, None, &feed, "text/calendar");
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 3, "{ics}");
    assert!(ics.contains("Bambini: Luca R.\\, <Ugo> B."), "{ics}");
    // A made-up address is a 404.
    host.get(None, "/feeds/family/00000000000000000000000000000000.ics")
        .assert_status(404);
}
