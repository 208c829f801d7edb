//! The `tutoring` plugin over HTTP: a month of lessons reaching the kernel's "my bookings" page,
//! the exports and calendars served as files, the pages and forms without JavaScript, and fifty
//! families racing for the last place in a group. The domain rules — groups of three, double
//! bookings, funded hours, deadlines, reminders, the report's figures — are the plugin's own
//! tests, run natively (`plugins/tutoring/tests/`).

mod month;
mod race;
mod reports;
mod surveys;

use serde_json::{Value as Json, json};

use crate::support::{Client, Plugin, Server, id};

/// The plugin's routes.
pub(crate) const API: Plugin = Plugin("tutoring");

// Lessons are booked on `today_plus(n)` days: at 10:00 in Rome on any of them, a lesson is in
// the future and inside the booking window.

/// The plugin with two subjects and two levels; each test adds its own settings.
pub(crate) fn manifest(settings: &str) -> String {
    format!(
        r#"
[plugins.tutoring]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "log", "clock", "notify"]
[plugins.tutoring.settings]
service_name = "Doposcuola di Prova"
subjects = ["Italiano", "Matematica"]
levels = ["Primaria", "Secondaria di primo grado"]
{settings}
"#
    )
}

pub(super) fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// `YYYY-MM` of a `YYYY-MM-DD`.
pub(super) fn month_of(date: &str) -> &str {
    &date[..7]
}

pub(crate) async fn space(operator: &Client, server: &Server, name: &str, capacity: u32) -> String {
    let (status, space) = API
        .post(
            operator,
            server,
            "/api/spaces",
            json!({
                "name": name,
                "address": "Via Roma 1, Prova",
                "capacity": capacity,
                "opening": ["lun-dom 08:00-20:00"],
            }),
        )
        .await;
    assert_eq!(status, 201, "{space}");
    id(&space)
}

/// Giulia Neri, primary-school maths, registered by the operator and linked to the account
/// `giulia` (a `tutor`, logged in) with her claim code: returns her tutor id and her session.
pub(super) async fn giulia_teaches(operator: &Client, server: &Server) -> (String, Client) {
    let (giulia_id, code) = tutor(
        operator,
        server,
        "Giulia Neri",
        &["Matematica"],
        &["Primaria"],
    )
    .await;
    let giulia = crate::support::login(server, "giulia").await;
    let (status, claimed) = API
        .post(&giulia, server, "/api/tutor/claim", json!({"code": code}))
        .await;
    assert_eq!(status, 200, "{claimed}");
    (giulia_id, giulia)
}

/// Registers a tutor available every day from 8 to 20; returns (id, claim code).
pub(crate) async fn tutor(
    operator: &Client,
    server: &Server,
    name: &str,
    subjects: &[&str],
    levels: &[&str],
) -> (String, String) {
    let (status, tutor) = API
        .post(
            operator,
            server,
            "/api/tutors",
            json!({
                "name": name,
                "subjects": subjects,
                "levels": levels,
                "availability": ["lun-dom 08:00-20:00"],
            }),
        )
        .await;
    assert_eq!(status, 201, "{tutor}");
    let code = tutor["claim_code"].as_str().expect("claim code").to_owned();
    (id(&tutor), code)
}

pub(super) async fn child(
    client: &Client,
    server: &Server,
    first: &str,
    last: &str,
    level: &str,
) -> String {
    let (status, child) = API.post(
        client,
        server,
        "/api/family/children",
        json!({"first_name": first, "last_name": last, "level": level, "subjects": ["Matematica"]}),
    )
    .await;
    assert_eq!(status, 201, "{child}");
    id(&child)
}

/// Opens a new group in Matematica at `start` on `date`.
pub(super) async fn open(
    client: &Client,
    server: &Server,
    child: &str,
    (tutor, space): (&str, &str),
    date: &str,
    start: &str,
) -> (u16, Json) {
    API.post(
        client,
        server,
        "/api/bookings",
        json!({"child": child, "subject": "Matematica", "tutor": tutor, "space": space, "date": date, "start": start}),
    )
    .await
}

pub(super) async fn join(
    client: &Client,
    server: &Server,
    child: &str,
    lesson: &str,
) -> (u16, Json) {
    API.post(
        client,
        server,
        "/api/bookings",
        json!({"child": child, "lesson": lesson}),
    )
    .await
}

/// `martedì 3 giugno 2025`: the date `n` days after today (UTC) as the pages write it.
pub(super) fn day_in_words(n: i64) -> String {
    const WEEKDAYS: [&str; 7] = [
        "lunedì",
        "martedì",
        "mercoledì",
        "giovedì",
        "venerdì",
        "sabato",
        "domenica",
    ];
    let date = today() + time::Duration::days(n);
    format!(
        "{} {}",
        WEEKDAYS[usize::from(date.weekday().number_days_from_monday())],
        crate::support::date_in_words(n)
    )
}

/// This plugin's items on the kernel's "my applications and bookings" page (`/me`, as JSON).
pub(super) async fn my_items(client: &Client, server: &Server) -> Vec<Json> {
    let section = API.my_section(client, server, "/me").await;
    assert_eq!(section["title"], "Doposcuola", "{section}");
    section["items"].as_array().cloned().unwrap_or_default()
}

/// One field of every item.
pub(super) fn field<'a>(items: &'a [Json], name: &str) -> Vec<&'a str> {
    items
        .iter()
        .map(|i| i[name].as_str().unwrap_or_default())
        .collect()
}
