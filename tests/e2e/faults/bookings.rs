//! Tutoring bookings survive a kill -9, on SQLite and on PostgreSQL.

use std::collections::BTreeMap;

use serde_json::json;

use super::{TILLS, burst_until_killed, connect, documents};
use crate::sandbox::assert_audit_intact;
use crate::support::{PgDatabase, Server, TestInstance, add_user, login, today_plus};
use crate::tutoring::{API as TUTORING, manifest, space, tutor};

/// Tills book lessons for eight families, each at its own tutor and room, one hour after
/// another, until the server is killed.
pub(super) async fn bookings_survive_a_crash(instance: TestInstance, id: &str, db_url: &str) {
    add_user(&instance, "operatrice", "operator");
    let server = Server::start(&[instance.path()]);
    let operator = login(&server, "operatrice").await;
    let mut places = Vec::new();
    for till in 0..TILLS {
        let room = space(&operator, &server, &format!("Aula {till}"), 3).await;
        let (teacher, _) = tutor(
            &operator,
            &server,
            &format!("Tutor {till}"),
            &["Matematica"],
            &["Primaria"],
        )
        .await;
        let (status, family) = TUTORING
            .post(
                &operator,
                &server,
                "/api/families",
                json!({"name": format!("Famiglia {till}"), "phone": "0612345678"}),
            )
            .await;
        assert_eq!(status, 201, "{family}");
        let family = crate::support::id(&family);
        let (status, child) = TUTORING.post(
            &operator,
            &server,
            &format!("/api/families/{family}/children"),
            json!({"first_name": format!("Bimbo {till}"), "last_name": "Prova", "level": "Primaria", "subjects": ["Matematica"]}),
        )
        .await;
        assert_eq!(status, 201, "{child}");
        places.push((crate::support::id(&child), teacher, room));
    }
    // The n-th booking of a till opens a group on day 1 + n / 12 at 8:00 + n % 12 hours.
    let sent = burst_until_killed(
        server,
        &operator,
        "/p/tutoring/api/bookings",
        move |till, n| {
            let (child, teacher, room) = &places[till];
            json!({
                "child": child,
                "subject": "Matematica",
                "tutor": teacher,
                "space": room,
                "date": today_plus(1 + i64::try_from(n / 12).expect("small")),
                "start": format!("{:02}:00", 8 + n % 12),
            })
        },
    )
    .await;

    let server = Server::start(&[instance.path()]);
    let db = connect(db_url).await;
    let lessons = documents(&db, id, "tutoring", "lessons").await;
    let bookings = documents(&db, id, "tutoring", "bookings").await;
    let claims = documents(&db, id, "tutoring", "claims").await;
    let allowances = documents(&db, id, "tutoring", "allowances").await;

    // Every acknowledged booking is there, in its lesson.
    for (_, answer) in sent
        .iter()
        .filter_map(|s| s.answer.as_ref())
        .filter(|(status, _)| *status == 201)
    {
        let lesson = answer["lesson_id"].as_str().expect("lesson id");
        let booking = bookings
            .values()
            .find(|b| b["lesson"] == lesson)
            .unwrap_or_else(|| panic!("acknowledged booking in {lesson} is missing: {answer}"));
        assert_eq!(booking["status"], "booked");
    }
    // Every booking is whole: its lesson holds its seat, its child's quarter hours are
    // claimed for it, and it is counted in its family's hours.
    let mut used: BTreeMap<(String, String), u64> = BTreeMap::new();
    for (booking_id, booking) in &bookings {
        let lesson = &lessons[booking["lesson"].as_str().expect("lesson")];
        let seated = lesson["seats"]
            .as_array()
            .expect("seats")
            .iter()
            .any(|seat| seat["booking"] == booking_id.as_str());
        assert!(seated, "booking {booking_id} has a seat in {lesson}");
        let minutes = booking["minutes"].as_u64().expect("minutes");
        let claimed = claims
            .values()
            .filter(|claim| claim["booking"] == booking_id.as_str())
            .count();
        assert_eq!(
            u64::try_from(claimed).expect("small") * 15,
            minutes,
            "the child's quarter hours of {booking_id}"
        );
        *used
            .entry((
                booking["family"].as_str().expect("family").to_owned(),
                booking["period"].as_str().expect("period").to_owned(),
            ))
            .or_default() += minutes;
    }
    // Nothing is taken without a booking: no seat, no claim, no hour.
    for (lesson_id, lesson) in &lessons {
        for seat in lesson["seats"].as_array().expect("seats") {
            let booking = seat["booking"].as_str().expect("booking");
            assert!(
                bookings.contains_key(booking),
                "seat of {booking} in {lesson_id}"
            );
        }
    }
    for (claim_id, claim) in &claims {
        let lesson = claim["lesson"].as_str().expect("lesson");
        assert!(
            lessons.contains_key(lesson),
            "claim {claim_id} of a missing lesson"
        );
        if let Some(booking) = claim["booking"].as_str() {
            assert!(
                bookings.contains_key(booking),
                "claim {claim_id} of a missing booking"
            );
        }
    }
    for allowance in allowances.values() {
        let key = (
            allowance["family"].as_str().expect("family").to_owned(),
            allowance["period"].as_str().expect("period").to_owned(),
        );
        assert_eq!(
            allowance["used_minutes"].as_u64().expect("used"),
            used.get(&key).copied().unwrap_or(0),
            "hours used by {key:?}"
        );
    }
    // The restarted server serves the same lessons.
    for (lesson_id, lesson) in lessons.iter().take(3) {
        let (status, view) = operator
            .get_json(&server, &format!("/p/tutoring/api/lessons/{lesson_id}"))
            .await;
        assert_eq!(status, 200, "{view}");
        assert_eq!(
            view["taken"],
            json!(lesson["seats"].as_array().map(Vec::len))
        );
    }
    db.close().await.ok();
    server.kill();
    assert_audit_intact(instance.path());
}

/// Enough funded hours that the families never run out during the burst.
pub(super) const TUTORING_SETTINGS: &str = "allowance_hours_per_child = 1000";

#[tokio::test(flavor = "multi_thread")]
async fn bookings_survive_a_kill_9_on_sqlite() {
    let body = manifest(TUTORING_SETTINGS);
    let instance = TestInstance::new("crash-tutoring", &body);
    let url = format!(
        "sqlite://{}?mode=ro",
        instance.path().join("data/trama.db").display()
    );
    bookings_survive_a_crash(instance, "crash-tutoring", &url).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bookings_survive_a_kill_9_on_postgres() {
    let db = PgDatabase::create().await;
    let body = format!(
        "[database]\nurl = \"{}\"\n{}",
        db.url,
        manifest(TUTORING_SETTINGS)
    );
    bookings_survive_a_crash(
        TestInstance::new("crash-tutoring-pg", &body),
        "crash-tutoring-pg",
        &db.url,
    )
    .await;
}
