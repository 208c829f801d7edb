//! Tutoring paths: a child's mark in a subject at the start and at the end of homework help,
//! on the instance's scale; ending one publishes `tutoring.path_completed` with both marks and
//! the minutes attended meanwhile — nothing that names the child — and the operators' count of
//! paths ended agrees with the events.

use crate::common;

use common::a_month_of_lessons;
use serde_json::json;
use trama_contracts::tutoring::PathCompleted;

fn completed(host: &trama_testhost::TestHost<tutoring::Tutoring>) -> Vec<PathCompleted> {
    host.published()
        .into_iter()
        .filter(|e| e.name == "tutoring.path_completed")
        .map(|e| serde_json::from_value(e.payload).expect("the contract's payload"))
        .collect()
}

#[test]
fn a_path_ended_publishes_the_marks_before_and_after_without_the_child() {
    let month = a_month_of_lessons();
    let host = &month.host;
    let luca = &month.luca;
    let paths = format!("/api/children/{luca}/paths");

    // Anna starts Luca's path in Matematica with his "5" (2 on the scale of seven marks).
    let started = host
        .post(
            Some(&month.anna),
            &paths,
            json!({ "subject": "Matematica", "grade": 2 }),
        )
        .assert_status(201);
    assert_eq!(started.body["open"], true);
    // One open path per subject; marks on the scale; subjects the child is enrolled for.
    let again = host.post(
        Some(&month.anna),
        &paths,
        json!({ "subject": "Matematica", "grade": 3 }),
    );
    assert_eq!(again.status, 409);
    let wrong = host.post(
        Some(&month.anna),
        &paths,
        json!({ "subject": "Italiano", "grade": 8 }),
    );
    assert_eq!(wrong.problem_fields(), ["subject", "grade"]);
    // Nobody else's child.
    let refused = host.post(
        Some(&month.carla),
        &paths,
        json!({ "subject": "Matematica", "grade": 2 }),
    );
    assert_eq!(refused.status, 404);
    let none = host.post(
        Some(&month.carla),
        &format!("/api/children/{}/paths/end", month.ugo),
        json!({ "subject": "Matematica", "grade": 4 }),
    );
    assert_eq!(none.status, 404, "no path open for Ugo");

    // Luca attends an hour of Matematica; at the end of the term his mark is a "7".
    month.cancelled_and_held();
    let ended = host
        .post(
            Some(&month.anna),
            &format!("{paths}/end"),
            json!({ "subject": "Matematica", "grade": 4 }),
        )
        .assert_status(201);
    assert_eq!(ended.body["attended_minutes"], 60);
    assert_eq!(
        completed(host),
        [PathCompleted {
            subject: "Matematica".into(),
            level: "Primaria".into(),
            grade_before: 2,
            grade_after: 4,
            levels: 7,
            attended_minutes: 60,
        }]
    );
    let raw = host
        .published()
        .into_iter()
        .find(|e| e.name == "tutoring.path_completed")
        .expect("published")
        .payload
        .to_string();
    assert!(
        !raw.contains(luca.as_str()) && !raw.contains("Luca"),
        "{raw}"
    );

    // The child's page shows the path with its marks in words.
    let page = host
        .page(Some(&month.anna), &format!("/children/{luca}"))
        .assert_status(200);
    let shown = &page.body["progress"]["paths"][0];
    assert_eq!(shown["start"], "2 — Insufficiente (5)");
    assert_eq!(shown["end"], "4 — Discreto (7)");

    // The operators' count: one path ended in March, suppressed as a count of one child.
    let outcomes = host
        .get(Some(&month.operator), "/api/outcomes")
        .assert_status(200);
    let march = &outcomes.body["months"][0];
    assert_eq!(
        (
            march["month"].clone(),
            march["ended"].clone(),
            march["improved_share"].clone()
        ),
        (json!("2026-03"), json!("< 5"), json!(null))
    );
    assert_eq!(host.get(Some(&month.anna), "/api/outcomes").status, 403);

    // Anna's data has the path; after an erasure its marks stay, linked to nobody.
    let data = host.personal_data(&month.anna);
    assert_eq!(data["paths"][0]["grade_start"], 2, "{data}");
    host.erase(&month.anna);
    let outcomes = host
        .get(Some(&month.operator), "/api/outcomes")
        .assert_status(200);
    assert_eq!(outcomes.body["months"][0]["ended"], "< 5");
}
