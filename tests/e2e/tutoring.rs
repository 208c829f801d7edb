//! The `tutoring` plugin over HTTP: groups that fill up to three children and refuse the fourth,
//! tutors and rooms that cannot be booked twice, funded hours that run out, cancellations in
//! time and late, the register, reminders, the monthly report, the calendars, and fifty
//! families racing for the last place in a group.

use reqwest::Method;
use serde_json::{Value as Json, json};

use crate::support::{Client, PgDatabase, Server, TestInstance, add_user, login, sign_up};

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

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// `YYYY-MM-DD`, `n` days after today (UTC). A lesson at 10:00 in Rome on any of these days is
/// in the future and inside the booking window.
pub(crate) fn day(n: i64) -> String {
    (today() + time::Duration::days(n)).to_string()
}

/// `YYYY-MM` of a `YYYY-MM-DD`.
fn month_of(date: &str) -> &str {
    &date[..7]
}

pub(crate) async fn post(client: &Client, server: &Server, path: &str, body: Json) -> (u16, Json) {
    client
        .send_json(server, Method::POST, &format!("/p/tutoring{path}"), &body)
        .await
}

async fn get(client: &Client, server: &Server, path: &str) -> (u16, Json) {
    client.get_json(server, &format!("/p/tutoring{path}")).await
}

/// The message of an error answer.
fn message(answer: &Json) -> String {
    answer["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

pub(crate) fn id(answer: &Json) -> String {
    answer["id"].as_str().expect("an id").to_owned()
}

pub(crate) async fn space(operator: &Client, server: &Server, name: &str, capacity: u32) -> String {
    let (status, space) = post(
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

/// Registers a tutor available every day from 8 to 20; returns (id, claim code).
pub(crate) async fn tutor(
    operator: &Client,
    server: &Server,
    name: &str,
    subjects: &[&str],
    levels: &[&str],
) -> (String, String) {
    let (status, tutor) = post(
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

async fn child(client: &Client, server: &Server, first: &str, last: &str, level: &str) -> String {
    let (status, child) = post(
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
async fn open(
    client: &Client,
    server: &Server,
    child: &str,
    (tutor, space): (&str, &str),
    date: &str,
    start: &str,
) -> (u16, Json) {
    post(
        client,
        server,
        "/api/bookings",
        json!({"child": child, "subject": "Matematica", "tutor": tutor, "space": space, "date": date, "start": start}),
    )
    .await
}

async fn join(client: &Client, server: &Server, child: &str, lesson: &str) -> (u16, Json) {
    post(
        client,
        server,
        "/api/bookings",
        json!({"child": child, "lesson": lesson}),
    )
    .await
}

/// `martedì 3 giugno 2025`: the date `n` days after today (UTC) as the pages write it.
fn day_in_words(n: i64) -> String {
    const WEEKDAYS: [&str; 7] = [
        "lunedì",
        "martedì",
        "mercoledì",
        "giovedì",
        "venerdì",
        "sabato",
        "domenica",
    ];
    const MONTHS: [&str; 12] = [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ];
    let date = today() + time::Duration::days(n);
    format!(
        "{} {} {} {}",
        WEEKDAYS[usize::from(date.weekday().number_days_from_monday())],
        date.day(),
        MONTHS[usize::from(u8::from(date.month())) - 1],
        date.year()
    )
}

/// This plugin's items on the kernel's "my applications and bookings" page (`/me`, as JSON).
async fn my_items(client: &Client, server: &Server) -> Vec<Json> {
    let (status, me) = client.get_json(server, "/me").await;
    assert_eq!(status, 200, "{me}");
    let section = me["services"]
        .as_array()
        .expect("services")
        .iter()
        .find(|s| s["plugin"] == "tutoring")
        .cloned()
        .unwrap_or(Json::Null);
    assert_eq!(
        (&section["title"], &section["failed"]),
        (&json!("Doposcuola"), &json!(false)),
        "{me}"
    );
    section["items"].as_array().cloned().unwrap_or_default()
}

/// One field of every item.
fn field<'a>(items: &'a [Json], name: &str) -> Vec<&'a str> {
    items
        .iter()
        .map(|i| i[name].as_str().unwrap_or_default())
        .collect()
}

/// A first day from which four consecutive days fall in one month, so that every lesson of a
/// test takes its hours from the same monthly allowance.
fn base_day() -> i64 {
    let first = today() + time::Duration::days(1);
    let last = first + time::Duration::days(3);
    if first.month() == last.month() {
        1
    } else {
        // The first of next month, at most four days away.
        (1..=5)
            .find(|n| (today() + time::Duration::days(*n)).day() == 1)
            .unwrap_or(1)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_fills_to_three_and_double_bookings_and_spent_hours_are_refused() {
    let instance = TestInstance::new("tutoring", &manifest("allowance_hours_per_child = 2"));
    add_user(&instance, "operatrice", "operator");
    add_user(&instance, "giulia", "tutor");
    let server = Server::start(&[instance.path()]);
    let operator = login(&server, "operatrice").await;

    // Only operators register spaces and tutors; every broken field is named.
    let anna = sign_up(&server, "anna", "Anna Rossi").await;
    let (status, _) = post(&anna, &server, "/api/spaces", json!({})).await;
    assert_eq!(status, 403);
    let (status, refused) = post(
        &operator,
        &server,
        "/api/tutors",
        json!({"name": "G", "subjects": ["Latino"], "levels": [], "availability": ["lun 15:10-18:00"]}),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    let fields: Vec<&str> = refused["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter_map(|p| p["field"].as_str())
        .collect();
    assert_eq!(fields, vec!["name", "subjects", "levels", "availability"]);

    let library = space(&operator, &server, "Biblioteca civica, sala studio", 6).await;
    let hall = space(&operator, &server, "Sala di quartiere", 4).await;
    let (giulia_id, code) = tutor(
        &operator,
        &server,
        "Giulia Neri",
        &["Matematica", "Italiano"],
        &["Primaria"],
    )
    .await;
    let (marco_id, _) = tutor(
        &operator,
        &server,
        "Marco Bassi",
        &["Matematica"],
        &["Primaria", "Secondaria di primo grado"],
    )
    .await;
    let giulia = login(&server, "giulia").await;
    let (status, linked) = post(
        &giulia,
        &server,
        "/api/tutor/claim",
        json!({"code": code.to_lowercase()}),
    )
    .await;
    assert_eq!((status, &linked["linked"]), (200, &json!(true)), "{linked}");
    // A code works once.
    let (status, _) = post(&anna, &server, "/api/tutor/claim", json!({"code": code})).await;
    assert_eq!(status, 403, "only tutors claim");

    // Two families: Anna with two children in primary school and one in middle school, Bruno
    // with one. Carla and Dario come later.
    let luca = child(&anna, &server, "Luca", "Rossi", "Primaria").await;
    let marta = child(&anna, &server, "Marta", "Rossi", "Primaria").await;
    let pietro = child(
        &anna,
        &server,
        "Pietro",
        "Rossi",
        "Secondaria di primo grado",
    )
    .await;
    let bruno = sign_up(&server, "bruno", "Bruno Verdi").await;
    let sara = child(&bruno, &server, "Sara", "Verdi", "Primaria").await;
    let carla = sign_up(&server, "carla", "Carla Bianchi").await;
    let ugo = child(&carla, &server, "Ugo", "Bianchi", "Primaria").await;
    let dario = sign_up(&server, "dario", "Dario Neri").await;
    let ada = child(&dario, &server, "Ada", "Neri", "Primaria").await;

    let base = base_day();
    let d1 = day(base);

    // Anna opens a group with Giulia in the library; Marta joins it.
    let (status, first) = open(&anna, &server, &luca, (&giulia_id, &library), &d1, "10:00").await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["opened_group"], true);
    assert_eq!(first["start"], "10:00");
    assert_eq!(first["end"], "11:00");
    let lesson = first["lesson_id"].as_str().expect("lesson").to_owned();
    let (status, second) = join(&anna, &server, &marta, &lesson).await;
    assert_eq!(
        (status, second["seats_taken"].as_u64()),
        (201, Some(2)),
        "{second}"
    );

    // A middle-school child cannot join a primary-school group.
    let (status, refused) = join(&anna, &server, &pietro, &lesson).await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        message(&refused).contains("livello «Primaria»"),
        "{refused}"
    );

    // Nobody books someone else's child.
    let (status, _) = join(&bruno, &server, &ugo, &lesson).await;
    assert_eq!(status, 404);

    // Bruno's Sara takes the third place; Carla's Ugo is refused, and told why.
    let (status, third) = join(&bruno, &server, &sara, &lesson).await;
    assert_eq!(
        (status, third["seats_taken"].as_u64()),
        (201, Some(3)),
        "{third}"
    );
    let (status, fourth) = join(&carla, &server, &ugo, &lesson).await;
    assert_eq!(status, 409, "{fourth}");
    assert!(
        message(&fourth).contains("il gruppo è al completo: 3 posti su 3 già occupati"),
        "{fourth}"
    );
    // The same refusal on the booking page, for people.
    let page = carla
        .post_form(
            &server,
            "/p/tutoring/bookings",
            &[("child", &ugo), ("lesson", &lesson)],
        )
        .await;
    assert_eq!(page.status().as_u16(), 409);
    let html = page.text().await.expect("page");
    assert!(html.contains("il gruppo è al completo"), "{html}");
    // And the full group is no longer offered.
    let (status, slots) = get(
        &carla,
        &server,
        &format!("/api/slots?child={ugo}&subject=Matematica&from={d1}&days=1"),
    )
    .await;
    assert_eq!(status, 200, "{slots}");
    assert!(
        slots["groups"].as_array().expect("groups").is_empty(),
        "{slots}"
    );
    let giulia_at_ten = slots["openings"]
        .as_array()
        .expect("openings")
        .iter()
        .any(|o| o["tutor_id"] == json!(giulia_id) && o["start"] == "10:00");
    assert!(!giulia_at_ten, "Giulia is busy at 10:00: {slots}");

    // Giulia cannot be booked twice at the same time, nor for an overlapping hour, in any room.
    for start in ["10:00", "10:30"] {
        let (status, refused) = open(&dario, &server, &ada, (&giulia_id, &hall), &d1, start).await;
        assert_eq!(status, 409, "{start}: {refused}");
        assert!(
            message(&refused).contains("il tutor Giulia Neri è già impegnato"),
            "{refused}"
        );
    }
    // The library room cannot hold two groups at once.
    let (status, refused) = open(&dario, &server, &ada, (&marco_id, &library), &d1, "10:00").await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        message(&refused).contains("lo spazio «Biblioteca civica, sala studio» è già occupato"),
        "{refused}"
    );
    // Another tutor in another room is fine, and so is Giulia right after her lesson.
    let (status, ok) = open(&dario, &server, &ada, (&marco_id, &hall), &d1, "10:00").await;
    assert_eq!(status, 201, "{ok}");
    let (status, ok) = open(&carla, &server, &ugo, (&giulia_id, &library), &d1, "11:00").await;
    assert_eq!(status, 201, "{ok}");
    // Ada cannot be in two lessons at once either.
    let (status, ok) = open(&dario, &server, &ada, (&giulia_id, &library), &d1, "12:00").await;
    assert_eq!(status, 201, "{ok}");
    let (status, refused) = open(&dario, &server, &ada, (&marco_id, &hall), &d1, "12:15").await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        message(&refused).contains("Ada ha già una lezione"),
        "{refused}"
    );

    // Bruno has 2 funded hours for one child: Sara's first lesson used one, a second uses the
    // other, and a third is refused with the figures.
    let (status, second) = open(
        &bruno,
        &server,
        &sara,
        (&marco_id, &hall),
        &day(base + 1),
        "16:00",
    )
    .await;
    assert_eq!(status, 201, "{second}");
    assert_eq!(second["remaining_minutes"], 0, "{second}");
    let (status, refused) = open(
        &bruno,
        &server,
        &sara,
        (&marco_id, &hall),
        &day(base + 2),
        "16:00",
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    let text = message(&refused);
    assert!(
        text.contains("ore finanziate esaurite: la famiglia Bruno Verdi ha usato 2 ore su 2"),
        "{refused}"
    );
    // Nothing of the refused booking was written: no lesson, no hour.
    let (_, family) = get(&bruno, &server, "/api/family").await;
    let used: u64 = family["periods"]
        .as_array()
        .expect("periods")
        .iter()
        .map(|p| p["used_minutes"].as_u64().expect("minutes"))
        .sum();
    assert_eq!(used, 120, "{family}");
    let (_, lessons) = get(
        &operator,
        &server,
        &format!("/api/lessons?from={}&to={}", day(base + 2), day(base + 2)),
    )
    .await;
    assert_eq!(lessons, json!([]), "the refused booking opened no lesson");

    // The operator gives Bruno two more hours for that month; now the booking goes through.
    let (_, families) = get(&operator, &server, "/api/families").await;
    let bruno_family = families
        .as_array()
        .expect("families")
        .iter()
        .find(|f| f["name"] == "Bruno Verdi")
        .and_then(|f| f["id"].as_str())
        .expect("Bruno's family")
        .to_owned();
    let (status, set) = post(
        &operator,
        &server,
        &format!("/api/families/{bruno_family}/allowance"),
        json!({"period": month_of(&day(base)), "hours": "4", "note": "due ore in più per le verifiche"}),
    )
    .await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(
        (
            set["granted_minutes"].as_u64(),
            set["remaining_minutes"].as_u64()
        ),
        (Some(240), Some(120))
    );
    let (status, third) = open(
        &bruno,
        &server,
        &sara,
        (&marco_id, &hall),
        &day(base + 2),
        "16:00",
    )
    .await;
    assert_eq!(status, 201, "{third}");
}

#[tokio::test(flavor = "multi_thread")]
async fn cancellations_attendance_reminders_the_report_and_the_calendars_agree() {
    let settings = r#"
allowance_hours_per_child = 10
cancellation_deadline_hours = 72
attendance_opens_minutes_before = 2880
reminder_hours = 168
hourly_rate_cents = 2200
"#;
    let instance = TestInstance::new("tutoring-month", &manifest(settings));
    add_user(&instance, "operatrice", "operator");
    add_user(&instance, "giulia", "tutor");
    let server = Server::start(&[instance.path()]);
    let operator = login(&server, "operatrice").await;
    let library = space(&operator, &server, "Biblioteca civica; sala 2", 4).await;
    let (giulia_id, code) = tutor(
        &operator,
        &server,
        "Giulia Neri",
        &["Matematica"],
        &["Primaria"],
    )
    .await;
    let giulia = login(&server, "giulia").await;
    let (status, _) = post(&giulia, &server, "/api/tutor/claim", json!({"code": code})).await;
    assert_eq!(status, 200);

    let anna = sign_up(&server, "anna", "Anna Rossi").await;
    let luca = child(&anna, &server, "Luca", "Rossi", "Primaria").await;
    let carla = sign_up(&server, "carla", "Carla Bianchi").await;
    let ugo = child(&carla, &server, "<Ugo>", "Bianchi", "Primaria").await;

    // Tomorrow's lesson, with Luca and Ugo; two more for Luca, the day after tomorrow (within
    // the 72-hour deadline) and in six days (before it).
    let (tomorrow, soon, later) = (day(1), day(2), day(6));
    let (status, booked) = open(
        &anna,
        &server,
        &luca,
        (&giulia_id, &library),
        &tomorrow,
        "10:00",
    )
    .await;
    assert_eq!(status, 201, "{booked}");
    let lesson = booked["lesson_id"].as_str().expect("lesson").to_owned();
    let (status, _) = join(&carla, &server, &ugo, &lesson).await;
    assert_eq!(status, 201);
    let (status, late) = open(
        &anna,
        &server,
        &luca,
        (&giulia_id, &library),
        &soon,
        "10:00",
    )
    .await;
    assert_eq!(status, 201, "{late}");
    let (status, in_time) = open(
        &anna,
        &server,
        &luca,
        (&giulia_id, &library),
        &later,
        "10:00",
    )
    .await;
    assert_eq!(status, 201, "{in_time}");

    // Reminders: one per child booked and one per lesson for the tutor, once.
    let (status, sent) = post(&operator, &server, "/api/reminders/run", json!({})).await;
    assert_eq!(status, 200, "{sent}");
    let queued =
        sent["queued"].as_u64().expect("queued") + sent["already_sent"].as_u64().expect("already");
    assert_eq!(queued, 4 + 3, "{sent}");
    let (_, again) = post(&operator, &server, "/api/reminders/run", json!({})).await;
    assert_eq!(
        (again["queued"].as_u64(), again["already_sent"].as_u64()),
        (Some(0), Some(7)),
        "{again}"
    );
    let (_, inbox) = anna.get_json(&server, "/notifications").await;
    let subjects: Vec<&str> = inbox["notifications"]
        .as_array()
        .expect("inbox")
        .iter()
        .filter_map(|n| n["subject"].as_str())
        .collect();
    assert_eq!(subjects.len(), 3, "{inbox}");
    assert!(
        subjects.contains(
            &format!("Doposcuola di Prova: Matematica Luca {tomorrow} 10:00-11:00").as_str()
        ),
        "{subjects:?}"
    );
    let (_, tutor_inbox) = giulia.get_json(&server, "/notifications").await;
    assert_eq!(
        tutor_inbox["notifications"].as_array().map(Vec::len),
        Some(3),
        "{tutor_inbox}"
    );

    // Cancelling six days ahead gives the hour back; two days ahead, past the deadline, it
    // does not. A booking cannot be cancelled twice, nor by another family.
    let (status, refused) = post(
        &carla,
        &server,
        &format!("/api/bookings/{}/cancel", id(&in_time)),
        json!({}),
    )
    .await;
    assert_eq!(status, 404, "{refused}");
    let (status, cancelled) = post(
        &anna,
        &server,
        &format!("/api/bookings/{}/cancel", id(&in_time)),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(
        (&cancelled["late"], &cancelled["status"]),
        (&json!(false), &json!("cancelled"))
    );
    assert_eq!(
        cancelled["lesson_dissolved"], true,
        "Luca was alone: the room and tutor are free"
    );
    let (status, cancelled) = post(
        &anna,
        &server,
        &format!("/api/bookings/{}/cancel", id(&late)),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(
        (&cancelled["late"], &cancelled["status"]),
        (&json!(true), &json!("cancelled_late"))
    );
    let (status, twice) = post(
        &anna,
        &server,
        &format!("/api/bookings/{}/cancel", id(&late)),
        json!({}),
    )
    .await;
    assert_eq!(status, 409, "{twice}");
    let (_, family) = get(&anna, &server, "/api/family").await;
    let used: u64 = family["periods"]
        .as_array()
        .expect("periods")
        .iter()
        .map(|p| p["used_minutes"].as_u64().expect("minutes"))
        .sum();
    assert_eq!(
        used, 120,
        "tomorrow's lesson and the late cancellation: {family}"
    );
    // The freed slot is offered again.
    let (status, slots) = get(
        &anna,
        &server,
        &format!("/api/slots?child={luca}&subject=Matematica&from={later}&days=1"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        slots["openings"]
            .as_array()
            .expect("openings")
            .iter()
            .any(|o| o["start"] == "10:00" && o["tutor_id"] == json!(giulia_id)),
        "{slots}"
    );

    // Only the lesson's tutor (or an operator) takes the register: Luca came, Ugo did not.
    let (status, _) = post(
        &anna,
        &server,
        &format!("/api/lessons/{lesson}/attendance"),
        json!({"present": [luca]}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, refused) = post(
        &giulia,
        &server,
        &format!("/api/lessons/{lesson}/attendance"),
        json!({"present": ["someone"]}),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    let (status, held) = post(
        &giulia,
        &server,
        &format!("/api/lessons/{lesson}/attendance"),
        json!({"present": [luca]}),
    )
    .await;
    assert_eq!(status, 200, "{held}");
    assert_eq!(held["status"], "held");
    let statuses: Vec<(&str, &str)> = held["children"]
        .as_array()
        .expect("children")
        .iter()
        .map(|c| {
            (
                c["child"].as_str().unwrap_or_default(),
                c["status"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert!(statuses.contains(&(luca.as_str(), "present")), "{held}");
    assert!(statuses.contains(&(ugo.as_str(), "absent")), "{held}");

    // "My applications and bookings" (`/me`): Anna's three bookings for Luca, the latest lesson
    // first, each with the day in words and what became of it; the one he attended links to
    // the lesson, the cancelled ones (no longer in their lesson) to the family's page.
    let items = my_items(&anna, &server).await;
    assert_eq!(
        field(&items, "title"),
        vec![
            format!("Luca Rossi — Matematica, {}, 10:00-11:00", day_in_words(6)),
            format!("Luca Rossi — Matematica, {}, 10:00-11:00", day_in_words(2)),
            format!("Luca Rossi — Matematica, {}, 10:00-11:00", day_in_words(1)),
        ],
        "{items:?}"
    );
    assert_eq!(
        field(&items, "status"),
        vec![
            "Disdetta in tempo",
            "Disdetta tardiva (ora consumata)",
            "Presente"
        ]
    );
    let lesson_page = format!("/p/tutoring/lessons/{lesson}");
    assert_eq!(
        field(&items, "href"),
        vec![
            "/p/tutoring/family",
            "/p/tutoring/family",
            lesson_page.as_str()
        ]
    );
    for href in field(&items, "href") {
        let (status, _) = anna.page(&server, href).await;
        assert_eq!(status, 200, "{href}");
    }
    // Carla sees Ugo's absence; the page escapes the name her family typed.
    let items = my_items(&carla, &server).await;
    assert_eq!(field(&items, "status"), vec!["Assente (ora consumata)"]);
    let (status, html) = carla.page(&server, "/me").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("&lt;Ugo&gt; Bianchi") && !html.contains("<Ugo>"),
        "{html}"
    );
    // Giulia, the tutor, sees the lesson she is teaching (the other two were called off when
    // Luca left them), with its room and children.
    let items = my_items(&giulia, &server).await;
    assert_eq!(
        field(&items, "title"),
        vec![format!(
            "Lezione di Matematica (Primaria) — {}, 10:00-11:00, Biblioteca civica; sala 2",
            day_in_words(1)
        )],
        "{items:?}"
    );
    assert_eq!(field(&items, "status"), vec!["Svolta, 2 bambini"]);
    assert_eq!(field(&items, "href"), vec![lesson_page.as_str()]);
    let (status, _) = Client::new()
        .get_json(&server, "/p/tutoring/api/mine")
        .await;
    assert_eq!(status, 401, "only for someone logged in");
    // A held lesson takes no one new.
    let dario = sign_up(&server, "dario", "Dario Neri").await;
    let ada = child(&dario, &server, "Ada", "Neri", "Primaria").await;
    let (status, refused) = join(&dario, &server, &ada, &lesson).await;
    assert_eq!(status, 409, "{refused}");

    // The month of tomorrow's lesson: one lesson held by Giulia in the library, one hour,
    // 22,00 €; Anna's Luca attended, Carla's Ugo missed it (and the hour is used).
    let month = month_of(&tomorrow);
    let (status, report) = get(&operator, &server, &format!("/api/reports?month={month}")).await;
    assert_eq!(status, 200, "{report}");
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
    let late_here = u64::from(month_of(&soon) == month);
    assert_eq!(totals["late_cancelled"].as_u64(), Some(late_here));
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
    let anna_row = family("Anna Rossi");
    assert_eq!(
        (anna_row["lessons"].as_u64(), anna_row["minutes"].as_u64()),
        (Some(1), Some(60)),
        "{report}"
    );
    assert_eq!(
        anna_row["charged_minutes"].as_u64(),
        Some(60 + 60 * late_here)
    );
    let carla_row = family("Carla Bianchi");
    assert_eq!(
        (carla_row["absent"].as_u64(), carla_row["minutes"].as_u64()),
        (Some(1), Some(0)),
        "{report}"
    );
    assert_eq!(carla_row["charged_minutes"].as_u64(), Some(60));

    // The same figures in the exports.
    let csv = operator
        .http
        .get(server.url(&format!("/p/tutoring/reports/tutors.csv?month={month}")))
        .send()
        .await
        .expect("csv");
    assert_eq!(csv.status().as_u16(), 200);
    let csv = csv.text().await.expect("csv text");
    // For an Italian spreadsheet: a byte-order mark, `;` between fields, Italian headers and
    // decimal commas.
    assert!(
        csv.starts_with("\u{feff}tipo;id;nome;lezioni;ore;"),
        "{csv}"
    );
    assert!(
        csv.contains(&format!("tutor;{giulia_id};Giulia Neri;1;1;1;1;1;1;")),
        "{csv}"
    );
    assert!(csv.contains("\r\ntotale;"), "{csv}");
    assert!(csv.contains(";22,00\r\n"), "{csv}");
    let detail = operator
        .http
        .get(server.url(&format!("/p/tutoring/reports/lessons.csv?month={month}")))
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("csv text");
    assert!(
        detail.contains(";Anna Rossi;Luca Rossi;present;1\r\n"),
        "{detail}"
    );
    assert!(
        detail.contains(";Carla Bianchi;<Ugo> Bianchi;absent;1\r\n"),
        "{detail}"
    );
    let (status, _) = get(&anna, &server, "/api/reports").await;
    assert_eq!(status, 403, "reports are for operators");

    // Anna's calendar: three events in Rome time, the two cancelled ones marked so.
    let (_, family) = get(&anna, &server, "/api/family").await;
    let feed = family["family"]["feed_path"]
        .as_str()
        .expect("feed")
        .to_owned();
    let response = reqwest::get(server.url(&feed)).await.expect("feed");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().ok(),
        Some("text/calendar; charset=utf-8")
    );
    let ics = response.text().await.expect("ics");
    assert!(
        ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"),
        "{ics}"
    );
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 3, "{ics}");
    assert_eq!(ics.matches("STATUS:CANCELLED").count(), 2, "{ics}");
    let compact = tomorrow.replace('-', "");
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
    // Giulia's calendar, from her page; a made-up address is a 404.
    let (_, me) = get(&giulia, &server, "/api/tutor").await;
    let feed = me["tutor"]["feed_path"]
        .as_str()
        .expect("tutor feed")
        .to_owned();
    let ics = reqwest::get(server.url(&feed))
        .await
        .expect("feed")
        .text()
        .await
        .expect("ics");
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 3, "{ics}");
    assert!(ics.contains("Bambini: Luca R.\\, <Ugo> B."), "{ics}");
    let bogus =
        reqwest::get(server.url("/p/tutoring/feeds/family/00000000000000000000000000000000.ics"))
            .await
            .expect("feed");
    assert_eq!(bogus.status().as_u16(), 404);

    // The pages render, escape what families typed, and work without JavaScript.
    for (client, path, expected) in [
        (&anna, "/p/tutoring/".to_owned(), "Luca Rossi"),
        (&anna, "/p/tutoring/family".to_owned(), "Disdetta tardiva"),
        (
            &anna,
            format!("/p/tutoring/book?child={luca}&subject=Matematica&from={later}&days=2"),
            "Apri un nuovo gruppo",
        ),
        (&giulia, "/p/tutoring/tutor".to_owned(), "Giulia Neri"),
        (
            &giulia,
            format!("/p/tutoring/lessons/{lesson}"),
            "&lt;Ugo&gt; B.",
        ),
        (
            &operator,
            format!("/p/tutoring/lessons/{lesson}"),
            "&lt;Ugo&gt; Bianchi",
        ),
        (
            &operator,
            format!("/p/tutoring/reports?month={month}"),
            "22,00",
        ),
        (
            &operator,
            "/p/tutoring/families".to_owned(),
            "Carla Bianchi",
        ),
        (&operator, "/p/tutoring/tutors".to_owned(), "Giulia Neri"),
        (
            &operator,
            "/p/tutoring/spaces".to_owned(),
            "Biblioteca civica; sala 2",
        ),
        (
            &operator,
            format!("/p/tutoring/lessons?from={tomorrow}&to={later}"),
            "Giulia Neri",
        ),
        (
            &giulia,
            format!("/p/tutoring/lessons/{lesson}"),
            "Correggi il registro",
        ),
        (&anna, format!("/p/tutoring/lessons/{lesson}"), "Luca Rossi"),
        (
            &anna,
            format!("/p/tutoring/children/{luca}"),
            "Ancora iscritto",
        ),
        (
            &operator,
            format!("/p/tutoring/tutors/{giulia_id}"),
            "lun 08:00-20:00",
        ),
        (
            &operator,
            format!("/p/tutoring/spaces/{library}"),
            "Via Roma 1, Prova",
        ),
    ] {
        let (status, html) = client.page(&server, &path).await;
        assert_eq!(status, 200, "{path}: {html}");
        assert!(html.contains(expected), "{path} lacks {expected}: {html}");
        assert!(!html.contains("<Ugo>"), "{path} does not escape: {html}");
    }
    // A family sees only its own children in a lesson.
    let (_, html) = anna
        .page(&server, &format!("/p/tutoring/lessons/{lesson}"))
        .await;
    assert!(!html.contains("Ugo"), "{html}");

    // Forms: a mistake shows the page again with the fields to fix and what was typed.
    let response = anna
        .post_form(
            &server,
            "/p/tutoring/family/children",
            &[("first_name", "Marta")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.expect("page");
    assert!(html.contains("Controlla i campi"), "{html}");
    assert!(html.contains("value=\"Marta\""), "{html}");
    assert!(html.contains("aria-invalid=\"true\""), "{html}");
    let response = operator
        .post_form(
            &server,
            "/p/tutoring/spaces",
            &[
                ("name", "Sala"),
                ("address", "Via Po 2"),
                ("capacity", "0"),
                ("opening", "lun 9-12"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.expect("page");
    assert!(html.contains("un numero intero da 1 a 50"), "{html}");
    let response = operator
        .post_form(
            &server,
            "/p/tutoring/tutors",
            &[
                ("name", "Marco Bassi"),
                ("subjects", "Matematica"),
                ("levels", "Primaria"),
                ("availability", "lun 15:10-18"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.expect("page");
    assert!(html.contains("non cade su un quarto d&#x27;ora"), "{html}");
    // A family registered at the desk, by form.
    let response = operator
        .post_form(
            &server,
            "/p/tutoring/families",
            &[("name", "Famiglia Esposito"), ("phone", "06 1234567")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(location.starts_with("/p/tutoring/families/"), "{location}");
    let (status, html) = operator.page(&server, &location).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Famiglia Esposito") && html.contains("senza account"),
        "{html}"
    );
    // Booking and cancelling through the pages.
    let response = anna
        .post_form(
            &server,
            "/p/tutoring/bookings",
            &[
                ("child", &luca),
                ("subject", "Matematica"),
                ("tutor", &giulia_id),
                ("space", &library),
                ("date", &later),
                ("start", "15:00"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/p/tutoring/family");
    let (_, family) = get(&anna, &server, "/api/family").await;
    let booking = family["upcoming"][0]["id"]
        .as_str()
        .expect("booking")
        .to_owned();
    let response = anna
        .post_form(
            &server,
            &format!("/p/tutoring/bookings/{booking}/cancel"),
            &[],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let response = anna
        .post_form(
            &server,
            &format!("/p/tutoring/bookings/{booking}/cancel"),
            &[],
        )
        .await;
    assert_eq!(response.status().as_u16(), 409);
    assert!(
        response
            .text()
            .await
            .expect("page")
            .contains("non si può più disdire")
    );
}

/// Fifty families booking the last place of a group at the same moment: one gets it, the other
/// forty-nine are told the group is full, and none of them loses an hour.
async fn race_for_the_last_place(instance: TestInstance) {
    add_user(&instance, "operatrice", "operator");
    let server = Server::start(&[instance.path()]);
    let operator = login(&server, "operatrice").await;
    let library = space(&operator, &server, "Biblioteca civica", 6).await;
    let (giulia, _) = tutor(
        &operator,
        &server,
        "Giulia Neri",
        &["Matematica"],
        &["Primaria"],
    )
    .await;

    // Families registered at the desk, one child each; the operator books for them.
    let mut children = Vec::new();
    let mut families = Vec::new();
    for n in 0..52 {
        let (status, family) = post(
            &operator,
            &server,
            "/api/families",
            json!({"name": format!("Famiglia {n:02}"), "phone": "0612345678"}),
        )
        .await;
        assert_eq!(status, 201, "{family}");
        let family = id(&family);
        let (status, child) = post(
            &operator,
            &server,
            &format!("/api/families/{family}/children"),
            json!({"first_name": format!("Bimbo {n:02}"), "last_name": "Prova", "level": "Primaria", "subjects": ["Matematica"]}),
        )
        .await;
        assert_eq!(status, 201, "{child}");
        children.push(id(&child));
        families.push(family);
    }
    let date = day(1);
    let (status, first) = open(
        &operator,
        &server,
        &children[0],
        (&giulia, &library),
        &date,
        "15:00",
    )
    .await;
    assert_eq!(status, 201, "{first}");
    let lesson = first["lesson_id"].as_str().expect("lesson").to_owned();
    let (status, _) = join(&operator, &server, &children[1], &lesson).await;
    assert_eq!(status, 201);

    let token = operator.csrf(&server).await;
    let url = server.url("/p/tutoring/api/bookings");
    let mut tasks = Vec::new();
    for child in &children[2..] {
        let request = operator
            .http
            .post(&url)
            .header("x-csrf-token", &token)
            .json(&json!({"child": child, "lesson": lesson}));
        tasks.push(tokio::spawn(async move {
            let response = request.send().await.expect("booking");
            let status = response.status().as_u16();
            (status, response.json::<Json>().await.unwrap_or(Json::Null))
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("task"));
    }
    let won = results.iter().filter(|(status, _)| *status == 201).count();
    assert_eq!(won, 1, "{results:?}");
    for (status, answer) in results.iter().filter(|(status, _)| *status != 201) {
        assert_eq!(*status, 409, "{answer}");
        assert!(
            message(answer).contains("il gruppo è al completo: 3 posti su 3"),
            "{answer}"
        );
    }

    let (_, view) = get(&operator, &server, &format!("/api/lessons/{lesson}")).await;
    assert_eq!(view["taken"], 3, "{view}");
    assert_eq!(view["children"].as_array().map(Vec::len), Some(3));
    // One hour used by each of the three families seated, none by the others.
    let mut charged = 0;
    for family in &families[2..] {
        let (_, data) = get(&operator, &server, &format!("/api/families/{family}")).await;
        let used: u64 = data["periods"]
            .as_array()
            .expect("periods")
            .iter()
            .map(|p| p["used_minutes"].as_u64().expect("minutes"))
            .sum();
        charged += used;
    }
    assert_eq!(charged, 60, "only the winner's family used an hour");
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_families_race_for_the_last_place_and_one_gets_it() {
    race_for_the_last_place(TestInstance::new("tutoring-race", &manifest(""))).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_families_race_for_the_last_place_on_postgres_and_one_gets_it() {
    let db = PgDatabase::create().await;
    let body = format!("[database]\nurl = \"{}\"\n{}", db.url, manifest(""));
    race_for_the_last_place(TestInstance::new("tutoring-race-pg", &body)).await;
}
