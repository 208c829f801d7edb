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
    let space = host.post(
        Some(operator),
        "/api/spaces",
        json!({
            "name": name,
            "address": "Via Roma 1, Prova",
            "capacity": capacity,
            "opening": ["lun-dom 08:00-20:00"],
        }),
    );
    assert_eq!(space.status, 201, "{}", space.body);
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
    let tutor = host.post(
        Some(operator),
        "/api/tutors",
        json!({
            "name": name,
            "subjects": subjects,
            "levels": levels,
            "availability": ["lun-dom 08:00-20:00"],
        }),
    );
    assert_eq!(tutor.status, 201, "{}", tutor.body);
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
    );
    assert_eq!(child.status, 201, "{}", child.body);
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
