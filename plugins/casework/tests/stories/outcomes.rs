//! Before/after outcomes: the household's situation assessed at intake and at each review of
//! the plan, on the instance's scale; a review compared with the situation at intake publishes
//! `casework.case_reviewed` for the territory's indicators — with the team and the two levels,
//! nothing that names the person — and the supervisors' outcomes page counts the same reviews.

use casework::Casework;
use serde_json::{Value as Json, json};
use trama_contracts::casework::CaseReviewed;
use trama_testhost::{Account, TestHost};

use crate::common;

use common::{CODE, OTHER, brief_intake};

/// A desk with a four-level scale.
fn host() -> TestHost<Casework> {
    common::host_with(json!({
        "situation_scale": ["Grave", "Fragile", "Stabile", "Autonoma"],
    }))
}

fn review(host: &TestHost<Casework>, who: &Account, case: &str, situation: Json) -> Json {
    host.post(
        Some(who),
        &format!("/api/cases/{case}/reviews"),
        json!({ "note": "Colloquio di verifica", "plan": "on_track", "situation": situation }),
    )
    .assert_status(201)
    .body
}

fn reviewed(host: &TestHost<Casework>) -> Vec<CaseReviewed> {
    host.published()
        .into_iter()
        .filter(|event| event.name == "casework.case_reviewed")
        .map(|event| serde_json::from_value(event.payload).expect("the contract's payload"))
        .collect()
}

#[test]
fn a_review_compared_with_the_situation_at_intake_publishes_before_and_after_without_the_person() {
    let host = host();
    let carla = host.account("carla", &["care_manager"]);
    let mario = common::mario(&host);
    let mut intake = brief_intake(CODE, "Nord");
    intake["situation"] = json!("1");
    let case = common::open(&host, &carla, intake);
    let file = host
        .page(Some(&carla), &format!("/cases/{case}"))
        .assert_status(200);
    assert_eq!(
        file.body["review"]["situation"]["baseline"]["level"],
        "1 — Grave"
    );

    // Three months on the household has a home: better than at intake.
    host.set_time("2027-03-02T10:00:00+01:00");
    let answer = review(&host, &carla, &case, json!(3));
    assert_eq!(
        (answer["before"].clone(), answer["situation"].clone()),
        (json!(1), json!(3))
    );
    let events = reviewed(&host);
    assert_eq!(
        events,
        [CaseReviewed {
            team: "Nord".into(),
            before: 1,
            after: 3,
            levels: 4,
            plan: "on_track".into(),
            months_open: 3,
        }]
    );
    // Nothing in the event names the person or the case.
    let raw = host
        .published()
        .into_iter()
        .find(|e| e.name == "casework.case_reviewed")
        .expect("published")
        .payload
        .to_string();
    for secret in [CODE, "Mario", case.as_str()] {
        assert!(!raw.contains(secret), "{secret} in {raw}");
    }
    // A later review is still compared with the intake, not with the review before it.
    host.set_time("2027-06-02T10:00:00+02:00");
    review(&host, &carla, &case, json!(2));
    let events = reviewed(&host);
    assert_eq!((events[1].before, events[1].after), (1, 2));

    // The history shows each assessment with its words; the audit keeps the levels.
    let file = host
        .page(Some(&carla), &format!("/cases/{case}"))
        .assert_status(200);
    assert_eq!(
        file.body["review"]["history"][0]["situation"],
        "2 — Fragile"
    );
    assert!(host.audited(&case).contains(&"case.reviewed".to_owned()));

    // The person's download holds each assessment of their household.
    let data = host.personal_data(&mario);
    let assessed = &data["assessments"][0];
    assert_eq!(assessed["at_intake"]["level"], 1, "{data}");
    assert_eq!(
        (
            assessed["at_reviews"][0]["level"].clone(),
            assessed["at_reviews"][1]["level"].clone()
        ),
        (json!(3), json!(2))
    );
}

#[test]
fn a_case_not_assessed_at_intake_takes_its_first_review_as_the_starting_point() {
    let host = host();
    let carla = host.account("carla", &["care_manager"]);
    let case = common::open(&host, &carla, brief_intake(CODE, "Nord"));

    // The review asks for the situation, within the scale, beside the field.
    let missing = host.post(
        Some(&carla),
        &format!("/api/cases/{case}/reviews"),
        json!({ "note": "Colloquio", "plan": "on_track" }),
    );
    assert_eq!(missing.problem_fields(), ["situation"]);
    assert!(
        missing.body.to_string().contains("da 1 a 4"),
        "{}",
        missing.body
    );
    let form = host.submit(
        Some(&carla),
        &format!("/cases/{case}/reviews"),
        &[
            ("note", "Colloquio"),
            ("plan", "on_track"),
            ("situation", "5"),
        ],
    );
    assert_eq!(form.status, 422);
    assert!(form.body["form"]["problems"]["situation"].is_string());

    let first = review(&host, &carla, &case, json!(2));
    assert_eq!(first["before"], Json::Null);
    assert!(reviewed(&host).is_empty(), "nothing to compare with yet");
    let second = review(&host, &carla, &case, json!(2));
    assert_eq!(second["before"], 2);
    let events = reviewed(&host);
    assert_eq!((events[0].before, events[0].after), (2, 2));

    // A wrong level at intake is refused beside its field.
    let mut intake = brief_intake(OTHER, "Nord");
    intake["situation"] = json!("0");
    let refused = host.post(Some(&carla), "/api/cases", intake);
    assert_eq!(refused.problem_fields(), ["situation"]);
}

#[test]
fn the_outcomes_page_counts_the_reviews_the_events_told_with_small_counts_suppressed() {
    let host = host();
    let carla = host.account("carla", &["care_manager"]);
    let nora = host.account("nora", &["supervisor"]);
    let codes = [
        "RSSMRA80A01H501U",
        "VRDGPP80A01H501U",
        "BNCLRA85C41H501M",
        "FRRLCU90D15H501G",
        "GLLSFN75E20H501Y",
        "MRNPLA70H10H501A",
    ];
    let mut cases = Vec::new();
    for code in codes {
        let mut intake = brief_intake(code, "Nord");
        intake["situation"] = json!("2");
        cases.push(common::open(&host, &carla, intake));
    }
    host.set_time("2027-01-15T10:00:00+01:00");
    // Five households are better off, one is worse.
    for (i, case) in cases.iter().enumerate() {
        review(&host, &carla, case, json!(if i < 5 { 3 } else { 1 }));
    }
    let events = reviewed(&host);
    assert_eq!(events.len(), 6);
    assert_eq!(events.iter().filter(|e| e.after > e.before).count(), 5);

    let outcomes = host.get(Some(&nora), "/api/outcomes").assert_status(200);
    let january = &outcomes.body["months"][0];
    assert_eq!(january["month"], "2027-01");
    assert_eq!(january["compared"], "6");
    assert_eq!(january["improved"], "5");
    assert_eq!(january["unchanged"], "0");
    assert_eq!(january["worse"], "< 5", "one household: suppressed");
    assert_eq!(january["improved_share"], 83);
    let page = host.page(Some(&nora), "/outcomes").assert_status(200);
    assert_eq!(page.template.as_deref(), Some("outcomes.html"));
    assert_eq!(page.body["scale"][3]["text"], "4 — Autonoma");
    // Care managers do not see the territory's figures.
    assert_eq!(host.get(Some(&carla), "/api/outcomes").status, 403);
}

#[test]
fn an_empty_scale_asks_for_no_situation_and_publishes_nothing() {
    let host = common::host_with(json!({ "situation_scale": [] }));
    let carla = host.account("carla", &["care_manager"]);
    let case = common::open(&host, &carla, brief_intake(CODE, "Nord"));
    review(&host, &carla, &case, Json::Null);
    review(&host, &carla, &case, Json::Null);
    assert!(reviewed(&host).is_empty());
    let file = host
        .page(Some(&carla), &format!("/cases/{case}"))
        .assert_status(200);
    assert_eq!(file.body["review"]["situation"]["on"], false);
}
