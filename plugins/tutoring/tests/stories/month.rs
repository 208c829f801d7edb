//! A month of lessons: reminders, cancellations in time and late, the register and "my
//! bookings" (moved from `tests/e2e/tutoring/month.rs`), natively against the kernel's store,
//! accounts and outbox (`trama-testhost`), on Monday 2 March 2026.

use crate::common;

use common::{LATER, TOMORROW, a_month_of_lessons, child, join, used_minutes};
use serde_json::{Value as Json, json};

/// One field of every item of `/api/mine`.
fn field(items: &Json, name: &str) -> Vec<String> {
    items
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i[name].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn reminders_go_once_for_each_child_booked_and_each_lesson_to_its_tutor() {
    let month = a_month_of_lessons();
    let host = &month.host;

    let sent = host
        .post(Some(&month.operator), "/api/reminders/run", json!({}))
        .assert_status(200);
    // Luca's three bookings and Ugo's one; Giulia's three lessons.
    assert_eq!(
        (
            sent.body["queued"].as_u64(),
            sent.body["already_sent"].as_u64()
        ),
        (Some(4 + 3), Some(0)),
        "{}",
        sent.body
    );
    let again = host.post(Some(&month.operator), "/api/reminders/run", json!({}));
    assert_eq!(
        (
            again.body["queued"].as_u64(),
            again.body["already_sent"].as_u64()
        ),
        (Some(0), Some(7)),
        "{}",
        again.body
    );
    // Only an operator sends them.
    host.post(Some(&month.anna), "/api/reminders/run", json!({}))
        .assert_status(403);

    let notices = host.notifications();
    let to = |id: &str| -> Vec<String> {
        notices
            .iter()
            .filter(|n| n.to == id)
            .map(|n| n.subject.clone())
            .collect()
    };
    let anna = to(&month.anna.id);
    assert_eq!(anna.len(), 3, "{notices:?}");
    assert!(
        anna.contains(&format!(
            "Doposcuola di Prova: Matematica Luca {TOMORROW} 10:00-11:00"
        )),
        "{anna:?}"
    );
    assert_eq!(to(&month.carla.id).len(), 1, "{notices:?}");
    assert_eq!(to(&month.giulia.id).len(), 3, "{notices:?}");
}

#[test]
fn cancelling_before_the_deadline_gives_the_hour_back_and_late_does_not() {
    let month = a_month_of_lessons();
    let host = &month.host;
    let cancel = |who, booking: &str| {
        host.post(
            Some(who),
            &format!("/api/bookings/{booking}/cancel"),
            json!({}),
        )
    };

    // Not by another family.
    cancel(&month.carla, &month.in_time).assert_status(404);
    // Six days ahead: in time, and Luca was alone, so the room and the tutor are free again.
    let cancelled = cancel(&month.anna, &month.in_time).assert_status(200);
    assert_eq!(
        (&cancelled.body["late"], &cancelled.body["status"]),
        (&json!(false), &json!("cancelled"))
    );
    assert_eq!(
        cancelled.body["lesson_dissolved"], true,
        "Luca was alone: the room and tutor are free"
    );
    // Two days ahead, past the 72-hour deadline: the hour is used.
    let cancelled = cancel(&month.anna, &month.late).assert_status(200);
    assert_eq!(
        (&cancelled.body["late"], &cancelled.body["status"]),
        (&json!(true), &json!("cancelled_late"))
    );
    cancel(&month.anna, &month.late).assert_status(409);
    assert_eq!(
        used_minutes(host, &month.anna),
        120,
        "tomorrow's lesson and the late cancellation"
    );
    // The freed slot is offered again.
    let slots = host
        .get(
            Some(&month.anna),
            &format!(
                "/api/slots?child={}&subject=Matematica&from={LATER}&days=1",
                month.luca
            ),
        )
        .assert_status(200);
    assert!(
        slots.body["openings"]
            .as_array()
            .expect("openings")
            .iter()
            .any(|o| o["start"] == "10:00" && o["tutor_id"] == json!(month.giulia_id)),
        "{}",
        slots.body
    );
}

#[test]
fn only_the_lessons_tutor_takes_the_register_and_a_held_lesson_takes_no_one_new() {
    let month = a_month_of_lessons();
    let host = &month.host;
    let path = format!("/api/lessons/{}/attendance", month.lesson);

    host.post(Some(&month.anna), &path, json!({"present": [month.luca]}))
        .assert_status(404);
    host.post(Some(&month.giulia), &path, json!({"present": ["someone"]}))
        .assert_status(422);
    let held = host
        .post(Some(&month.giulia), &path, json!({"present": [month.luca]}))
        .assert_status(200);
    assert_eq!(held.body["status"], "held");
    let statuses: Vec<(&str, &str)> = held.body["children"]
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
    assert!(
        statuses.contains(&(month.luca.as_str(), "present")),
        "{}",
        held.body
    );
    assert!(
        statuses.contains(&(month.ugo.as_str(), "absent")),
        "{}",
        held.body
    );

    let dario = host.account("dario", &["citizen"]);
    let ada = child(host, &dario, "Ada", "Neri", "Primaria");
    join(host, &dario, &ada, &month.lesson).assert_status(409);
}

#[test]
fn my_bookings_say_what_became_of_each_lesson() {
    let month = a_month_of_lessons();
    let host = &month.host;
    month.cancelled_and_held();

    // Anna's three bookings for Luca, the latest lesson first, each with the day in words and
    // what became of it; the one he attended links to the lesson, the cancelled ones (no
    // longer in their lesson) to the family's page.
    let items = host.get(Some(&month.anna), "/api/mine").assert_status(200);
    assert_eq!(
        field(&items.body, "title"),
        vec![
            "Luca Rossi — Matematica, domenica 8 marzo 2026, 10:00-11:00",
            "Luca Rossi — Matematica, mercoledì 4 marzo 2026, 10:00-11:00",
            "Luca Rossi — Matematica, martedì 3 marzo 2026, 10:00-11:00",
        ],
        "{}",
        items.body
    );
    assert_eq!(
        field(&items.body, "status"),
        vec![
            "Disdetta in tempo",
            "Disdetta tardiva (ora consumata)",
            "Presente"
        ]
    );
    let lesson_page = format!("/p/tutoring/lessons/{}", month.lesson);
    assert_eq!(
        field(&items.body, "href"),
        vec![
            "/p/tutoring/family",
            "/p/tutoring/family",
            lesson_page.as_str()
        ]
    );
    // Carla sees Ugo's absence.
    let items = host.get(Some(&month.carla), "/api/mine");
    assert_eq!(
        field(&items.body, "status"),
        vec!["Assente (ora consumata)"]
    );
    // Giulia sees the lesson she is teaching (the other two were called off when Luca left
    // them), with its room and children.
    let items = host.get(Some(&month.giulia), "/api/mine");
    assert_eq!(
        field(&items.body, "title"),
        vec![
            "Lezione di Matematica (Primaria) — martedì 3 marzo 2026, 10:00-11:00, Biblioteca civica; sala 2"
        ],
        "{}",
        items.body
    );
    assert_eq!(field(&items.body, "status"), vec!["Svolta, 2 bambini"]);
    assert_eq!(field(&items.body, "href"), vec![lesson_page]);
    // Only for someone logged in.
    assert_eq!(host.get(None, "/api/mine").status, 401);
}
