//! Scheduled reviews of the personal plan: the first one `review_days` after the opening, a
//! daily job that reminds the care manager once per due date, overdue reviews marked on the
//! desk and the case page, and a recorded review that sets the next date.

use casework::Casework;
use serde_json::json;
use trama_testhost::TestHost;

use crate::common;

use common::{CODE, brief_intake};

/// The desk of these stories: one need, one team, a review every 90 days.
fn host() -> TestHost<Casework> {
    common::host_with(json!({ "needs": ["Casa"], "teams": ["Nord"], "review_days": 90 }))
}

#[test]
fn a_due_review_reminds_the_care_manager_once_and_recording_one_sets_the_next() {
    let host = host();
    let carla = host.account("carla", &["care_manager"]);
    let dario = host.account("dario", &["care_manager"]);
    let ugo = host.account("ugo", &["citizen"]);
    let id = common::open(&host, &carla, brief_intake(CODE, "Nord"));
    let page = format!("/cases/{id}");

    // 90 days after 1 December 2026.
    let file = host.page(Some(&carla), &page).assert_status(200);
    assert_eq!(file.body["review"]["next"]["date"], "2027-03-01");
    assert_eq!(file.body["review"]["next"]["overdue"], false);
    host.run_job("review-reminders").expect("the job runs");
    assert!(host.notifications_to(&carla).is_empty());

    // On the day: one reminder, and only one however often the job runs.
    host.set_time("2027-03-01T01:00:00+01:00");
    host.run_job("review-reminders").expect("the job runs");
    host.run_job("review-reminders")
        .expect("the job runs again");
    let told = host.notifications_to(&carla);
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].subject.contains("1 marzo 2027"), "{told:?}");
    assert!(
        !told[0].body.contains("Mario"),
        "no names by mail: {told:?}"
    );
    assert!(
        host.audited(&id)
            .contains(&"case.review_reminded".to_owned())
    );
    // The day after, the desk and the case page say it is overdue.
    host.set_time("2027-03-02T09:00:00+01:00");
    let desk = host.page(Some(&carla), "/").assert_status(200);
    assert_eq!(
        desk.body["assigned"][0]["review"]["overdue"], true,
        "{}",
        desk.body
    );
    let file = host.page(Some(&carla), &page).assert_status(200);
    assert_eq!(file.body["review"]["next"]["overdue"], true);

    // Nobody else records or moves a review of the case.
    for who in [&dario, &ugo] {
        let refused = host.post(
            Some(who),
            &format!("/api/cases/{id}/reviews"),
            json!({ "note": "x", "plan": "on_track" }),
        );
        assert_eq!(refused.status, 404, "{}", who.username);
        let refused = host.post(
            Some(who),
            &format!("/api/cases/{id}/review-date"),
            json!({ "date": "2027-04-01" }),
        );
        assert_eq!(refused.status, 404, "{}", who.username);
    }
    // Each mistake beside its field.
    let wrong = host.post(
        Some(&carla),
        &format!("/api/cases/{id}/reviews"),
        json!({ "note": "", "plan": "boh", "next": "2020-01-01", "situation": "6" }),
    );
    assert_eq!(
        wrong.problem_fields(),
        ["note", "plan", "next", "situation"]
    );
    let wrong = host.post(
        Some(&carla),
        &format!("/api/cases/{id}/review-date"),
        json!({ "date": "31/03/2027" }),
    );
    assert_eq!(wrong.problem_fields(), ["date"]);
    let form = host.submit(Some(&carla), &format!("{page}/reviews"), &[("note", "")]);
    assert_eq!(form.status, 422);
    assert_eq!(form.template.as_deref(), Some("case.html"));
    assert!(form.body["form"]["problems"]["plan"].is_string());

    // A review: the next one 90 days on, no longer overdue; audited without the note.
    let recorded = host
        .post(
            Some(&carla),
            &format!("/api/cases/{id}/reviews"),
            json!({ "note": "Trovato un alloggio temporaneo", "plan": "adjusted", "situation": 3 }),
        )
        .assert_status(201);
    assert_eq!(recorded.body["next"], "2027-05-31");
    let file = host.page(Some(&carla), &page).assert_status(200);
    assert_eq!(file.body["review"]["next"]["overdue"], false);
    assert_eq!(file.body["review"]["history"][0]["plan"], "rivisto");
    assert!(host.audited(&id).contains(&"case.reviewed".to_owned()));

    // The care manager moves it; the new date gets its own reminder.
    host.post(
        Some(&carla),
        &format!("/api/cases/{id}/review-date"),
        json!({ "date": "2027-04-15" }),
    )
    .assert_status(201);
    assert!(
        host.audited(&id)
            .contains(&"case.review_scheduled".to_owned())
    );
    host.set_time("2027-04-15T08:00:00+02:00");
    host.run_job("review-reminders").expect("the job runs");
    assert_eq!(host.notifications_to(&carla).len(), 2);

    // A closed case is reminded no more.
    host.post(
        Some(&carla),
        &format!("/api/cases/{id}/close"),
        json!({ "outcome": "achieved" }),
    )
    .assert_status(201);
    host.set_time("2027-09-01T08:00:00+02:00");
    host.run_job("review-reminders").expect("the job runs");
    assert_eq!(host.notifications_to(&carla).len(), 2);
    let closed = host.post(
        Some(&carla),
        &format!("/api/cases/{id}/review-date"),
        json!({ "date": "2027-10-01" }),
    );
    assert_eq!(closed.status, 409);
}
