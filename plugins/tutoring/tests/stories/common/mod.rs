//! What the tutoring stories share: the host on a fixed day, and the operator's and families'
//! first steps.

// Each story file uses some of these.
#![allow(dead_code)]

use serde_json::{Value as Json, json};
use trama_testhost::{Account, Answer, TestHost};
use tutoring::Tutoring;

/// Monday 2 March 2026, 9:00 in Rome: the stories' lessons are on the days after, in March.
pub const NOW: &str = "2026-03-02T09:00:00+01:00";

/// The plugin with two subjects and two levels, and `settings` of the story.
pub fn host(settings: Json) -> TestHost<Tutoring> {
    let mut all = json!({
        "service_name": "Doposcuola di Prova",
        "subjects": ["Italiano", "Matematica"],
        "levels": ["Primaria", "Secondaria di primo grado"],
    });
    if let (Some(all), Some(more)) = (all.as_object_mut(), settings.as_object()) {
        all.extend(more.clone());
    }
    let host = TestHost::with_settings(env!("CARGO_MANIFEST_DIR"), all).expect("the manifest");
    host.set_time(NOW);
    host
}

pub fn id(answer: &Answer) -> String {
    answer.body["id"].as_str().expect("an id").to_owned()
}

pub fn space(host: &TestHost<Tutoring>, operator: &Account, name: &str, capacity: u32) -> String {
    let space = host
        .post(
            Some(operator),
            "/api/spaces",
            json!({
                "name": name,
                "address": "Via Roma 1, Prova",
                "capacity": capacity,
                "opening": ["lun-dom 08:00-20:00"],
            }),
        )
        .assert_status(201);
    id(&space)
}

/// Registers a tutor available every day from 8 to 20; returns (id, claim code).
pub fn tutor(
    host: &TestHost<Tutoring>,
    operator: &Account,
    name: &str,
    subjects: &[&str],
    levels: &[&str],
) -> (String, String) {
    let tutor = host
        .post(
            Some(operator),
            "/api/tutors",
            json!({
                "name": name,
                "subjects": subjects,
                "levels": levels,
                "availability": ["lun-dom 08:00-20:00"],
            }),
        )
        .assert_status(201);
    let code = tutor.body["claim_code"]
        .as_str()
        .expect("claim code")
        .to_owned();
    (id(&tutor), code)
}

pub fn child(
    host: &TestHost<Tutoring>,
    who: &Account,
    first: &str,
    last: &str,
    level: &str,
) -> String {
    let child = host.post(
        Some(who),
        "/api/family/children",
        json!({"first_name": first, "last_name": last, "level": level, "subjects": ["Matematica"]}),
    ).assert_status(201);
    id(&child)
}

/// Opens a new group in Matematica at `start` on `date`.
pub fn open(
    host: &TestHost<Tutoring>,
    who: &Account,
    child: &str,
    (tutor, space): (&str, &str),
    date: &str,
    start: &str,
) -> Answer {
    host.post(
        Some(who),
        "/api/bookings",
        json!({"child": child, "subject": "Matematica", "tutor": tutor, "space": space, "date": date, "start": start}),
    )
}

pub fn join(host: &TestHost<Tutoring>, who: &Account, child: &str, lesson: &str) -> Answer {
    host.post(
        Some(who),
        "/api/bookings",
        json!({"child": child, "lesson": lesson}),
    )
}

/// The minutes a family has used, over all its periods.
pub fn used_minutes(host: &TestHost<Tutoring>, who: &Account) -> u64 {
    let family = host.get(Some(who), "/api/family");
    family.body["periods"]
        .as_array()
        .expect("periods")
        .iter()
        .map(|p| p["used_minutes"].as_u64().expect("minutes"))
        .sum()
}

/// The month of `tests/month.rs` and `tests/reports.rs`: Giulia teaches in the library; Anna's
/// Luca and Carla's Ugo book tomorrow's lesson, Luca two more.
pub struct Month {
    pub host: TestHost<Tutoring>,
    pub operator: Account,
    pub giulia: Account,
    pub giulia_id: String,
    pub anna: Account,
    pub carla: Account,
    pub luca: String,
    pub ugo: String,
    pub library: String,
    /// Tomorrow's lesson.
    pub lesson: String,
    /// Luca's booking the day after tomorrow, inside the 72-hour deadline.
    pub late: String,
    /// Luca's booking in six days, before the deadline.
    pub in_time: String,
}

/// Tomorrow, the day after, and in six days: Tuesday 3, Wednesday 4 and Sunday 8 March 2026.
pub const TOMORROW: &str = "2026-03-03";
pub const SOON: &str = "2026-03-04";
pub const LATER: &str = "2026-03-08";

pub fn a_month_of_lessons() -> Month {
    let host = host(json!({
        "allowance_hours_per_child": 10,
        "cancellation_deadline_hours": 72,
        "attendance_opens_minutes_before": 2880,
        "reminder_hours": 168,
        "hourly_rate_cents": 2200,
    }));
    let operator = host.account("operatrice", &["operator"]);
    let giulia = host.account("giulia", &["tutor"]);
    let library = space(&host, &operator, "Biblioteca civica; sala 2", 4);
    let (giulia_id, code) = tutor(
        &host,
        &operator,
        "Giulia Neri",
        &["Matematica"],
        &["Primaria"],
    );
    host.post(Some(&giulia), "/api/tutor/claim", json!({"code": code}))
        .assert_status(200);

    let anna = host.account("anna.rossi", &["citizen"]);
    let luca = child(&host, &anna, "Luca", "Rossi", "Primaria");
    let carla = host.account("carla.bianchi", &["citizen"]);
    let ugo = child(&host, &carla, "<Ugo>", "Bianchi", "Primaria");

    let booked = open(
        &host,
        &anna,
        &luca,
        (&giulia_id, &library),
        TOMORROW,
        "10:00",
    )
    .assert_status(201);
    let lesson = booked.body["lesson_id"]
        .as_str()
        .expect("lesson")
        .to_owned();
    join(&host, &carla, &ugo, &lesson).assert_status(201);
    let late = open(&host, &anna, &luca, (&giulia_id, &library), SOON, "10:00").assert_status(201);
    let in_time =
        open(&host, &anna, &luca, (&giulia_id, &library), LATER, "10:00").assert_status(201);
    Month {
        late: id(&late),
        in_time: id(&in_time),
        host,
        operator,
        giulia,
        giulia_id,
        anna,
        carla,
        luca,
        ugo,
        library,
        lesson,
    }
}

impl Month {
    /// Anna cancels both of Luca's later bookings, and Giulia takes the register of tomorrow's
    /// lesson: Luca came, Ugo did not.
    pub fn cancelled_and_held(&self) {
        for booking in [&self.in_time, &self.late] {
            self.host
                .post(
                    Some(&self.anna),
                    &format!("/api/bookings/{booking}/cancel"),
                    json!({}),
                )
                .assert_status(200);
        }
        self.host
            .post(
                Some(&self.giulia),
                &format!("/api/lessons/{}/attendance", self.lesson),
                json!({"present": [self.luca]}),
            )
            .assert_status(200);
    }
}
