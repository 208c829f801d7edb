//! A month of lessons over HTTP, as wiring: bookings, cancellations and the register reach the
//! kernel's "my bookings" page (`/me`), escaped. The month's rules — reminders, deadlines,
//! refusals, the register — are the plugin's own tests (`plugins/tutoring/tests/month.rs`).

use serde_json::json;

use super::{
    API, child, day_in_words, field, giulia_teaches, join, manifest, my_items, open, space,
};
use crate::support::{Client, Server, TestInstance, add_user, id, login, sign_up, today_plus};

#[tokio::test(flavor = "multi_thread")]
async fn a_month_of_lessons_reaches_me_the_exports_the_calendars_and_the_pages() {
    let story = a_month_of_lessons().await;
    super::reports::reports_calendars_and_pages(story).await;
}

/// The month's lessons, once they took place: what the report and the calendars must show.
pub(super) struct Month {
    pub(super) instance: TestInstance,
    pub(super) server: Server,
    pub(super) operator: Client,
    pub(super) giulia: Client,
    pub(super) giulia_id: String,
    pub(super) anna: Client,
    pub(super) luca: String,
    pub(super) library: String,
    /// Tomorrow's lesson, held.
    pub(super) lesson: String,
    pub(super) tomorrow: String,
    pub(super) later: String,
}

/// Giulia teaches in the library; Anna's Luca and Carla's Ugo book, cancel, attend or miss.
async fn a_month_of_lessons() -> Month {
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
    let (giulia_id, giulia) = giulia_teaches(&operator, &server).await;

    let anna = sign_up(&server, "anna", "Anna Rossi").await;
    let luca = child(&anna, &server, "Luca", "Rossi", "Primaria").await;
    let carla = sign_up(&server, "carla", "Carla Bianchi").await;
    let ugo = child(&carla, &server, "<Ugo>", "Bianchi", "Primaria").await;

    // Tomorrow's lesson, with Luca and Ugo; two more for Luca, the day after tomorrow (within
    // the 72-hour deadline) and in six days (before it).
    let (tomorrow, soon, later) = (today_plus(1), today_plus(2), today_plus(6));
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

    // Luca's two later bookings are cancelled, in time and late; Giulia takes the register of
    // tomorrow's lesson: Luca came, Ugo did not. (Reminders, deadlines, refusals and the
    // register's rules are the plugin's own tests: `plugins/tutoring/tests/month.rs`.)
    for booking in [&in_time, &late] {
        let (status, cancelled) = API
            .post(
                &anna,
                &server,
                &format!("/api/bookings/{}/cancel", id(booking)),
                json!({}),
            )
            .await;
        assert_eq!(status, 200, "{cancelled}");
    }
    let (status, held) = API
        .post(
            &giulia,
            &server,
            &format!("/api/lessons/{lesson}/attendance"),
            json!({"present": [luca]}),
        )
        .await;
    assert_eq!(status, 200, "{held}");

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

    Month {
        instance,
        server,
        operator,
        giulia,
        giulia_id,
        anna,
        luca,
        library,
        lesson,
        tomorrow,
        later,
    }
}
