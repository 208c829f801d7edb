//! A second open case for the same codice fiscale: refused at the desk and when taking an online
//! request, with a warning that tells who follows the open case only to those who may see it —
//! everyone else learns only that one exists — unless a supervisor confirms it.

use casework::Casework;
use serde_json::json;
use trama_testhost::TestHost;

use crate::common;

use common::{CODE, brief_intake as intake, mario, open, put_in_team};
const OTHER: &str = "VRDLCU85M41F205J";

/// The desk of these stories knows only the need "Casa".
fn host() -> TestHost<Casework> {
    common::host_with(json!({ "needs": ["Casa"] }))
}

fn message(answer: &trama_testhost::Answer, field: &str) -> String {
    answer.body["problems"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["field"] == field))
        .and_then(|p| p["message"].as_str())
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_second_open_case_is_refused_without_revealing_the_first_unless_a_supervisor_confirms() {
    let host = host();
    let carla = host.person("carla", "Carla Bianchi", &["care_manager"]);
    let dario = host.person("dario", "Dario Neri", &["care_manager"]);
    let sara = host.account("sara", &["supervisor"]);
    let admin = host.account("amministra", &["admin"]);
    put_in_team(&host, &admin, "sara", "Sud");
    let first = open(&host, &carla, intake(CODE, "Nord"));

    // Another care manager: told only that an open case exists, nothing of it.
    let refused = host.post(Some(&dario), "/api/cases", intake(CODE, "Sud"));
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(refused.problem_fields(), ["tax_code"]);
    let said = message(&refused, "tax_code");
    assert!(said.contains("chiedi al tuo supervisore"), "{said}");
    let all = refused.body.to_string();
    assert!(
        !all.contains("Carla") && !all.contains("Nord") && !all.contains(&first),
        "{all}"
    );
    // The one who follows it is told where it is.
    let own = host.post(Some(&carla), "/api/cases", intake(CODE, "Nord"));
    assert!(
        message(&own, "tax_code").contains("Carla Bianchi"),
        "{}",
        own.body
    );
    // A care manager cannot confirm it.
    let mut confirmed = intake(CODE, "Sud");
    confirmed["confirm_duplicate"] = json!("yes");
    let refused = host.post(Some(&dario), "/api/cases", confirmed.clone());
    assert_eq!(refused.problem_fields(), ["confirm_duplicate", "tax_code"]);
    // A supervisor of another team: the same warning, and the offer to confirm.
    let mut named = intake(CODE, "Sud");
    named["care_manager"] = json!("dario");
    let refused = host.post(Some(&sara), "/api/cases", named.clone());
    assert_eq!(refused.problem_fields(), ["tax_code", "confirm_duplicate"]);
    assert!(!refused.body.to_string().contains("Carla"));
    let form = host.submit(
        Some(&sara),
        "/cases",
        &[
            ("name", "Mario Rossi"),
            ("tax_code", CODE),
            ("needs", "Casa"),
            ("team", "Sud"),
            ("care_manager", "dario"),
            ("consent", "yes"),
        ],
    );
    assert_eq!(form.status, 422);
    assert_eq!(form.template.as_deref(), Some("index.html"));
    assert!(form.body["form"]["problems"]["confirm_duplicate"].is_string());
    // Confirmed by the supervisor: opened, and the confirmation audited.
    confirmed["care_manager"] = json!("dario");
    let second = host
        .post(Some(&sara), "/api/cases", confirmed)
        .assert_status(201)
        .body["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    assert!(
        host.audited(&second)
            .contains(&"case.duplicate_confirmed".to_owned())
    );
    assert_eq!(
        host.get(Some(&dario), &format!("/api/cases/{second}"))
            .status,
        200
    );
    assert_eq!(
        host.get(Some(&dario), &format!("/api/cases/{first}"))
            .status,
        404
    );

    // A closed case is no duplicate.
    let other = open(&host, &carla, intake(OTHER, "Nord"));
    host.post(
        Some(&carla),
        &format!("/api/cases/{other}/close"),
        json!({ "outcome": "moved" }),
    )
    .assert_status(201);
    host.post(Some(&carla), "/api/cases", intake(OTHER, "Nord"))
        .assert_status(201);
}

#[test]
fn taking_a_request_of_a_person_with_an_open_case_needs_a_supervisor() {
    let host = host();
    let carla = host.account("carla", &["care_manager"]);
    let dario = host.account("dario", &["care_manager"]);
    let nora = host.account("nora", &["supervisor"]);
    let admin = host.account("amministra", &["admin"]);
    let mario = mario(&host);
    put_in_team(&host, &admin, "nora", "Nord");
    host.post(Some(&carla), "/api/cases", intake(CODE, "Nord"))
        .assert_status(201);
    let request = host
        .post(
            Some(&mario),
            "/api/requests",
            json!({ "name": "Mario Rossi", "phone": "333", "needs": ["Casa"], "consent": "yes" }),
        )
        .assert_status(201)
        .body["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let take = format!("/api/requests/{request}/take");

    let refused = host.post(Some(&dario), &take, json!({ "team": "Sud" }));
    assert_eq!(refused.problem_fields(), ["tax_code"]);
    assert!(
        !refused.body.to_string().contains("carla"),
        "{}",
        refused.body
    );
    let refused = host.post(Some(&carla), &take, json!({ "team": "Nord" }));
    assert!(
        message(&refused, "tax_code").contains("carla"),
        "{}",
        refused.body
    );
    // Nothing was opened, nobody told.
    assert!(host.notifications_to(&mario).is_empty());
    let page = host.page(Some(&nora), &format!("/requests/{request}"));
    assert_eq!(page.status, 200);
    host.post(
        Some(&nora),
        &take,
        json!({ "team": "Nord", "care_manager": "carla", "confirm_duplicate": "yes" }),
    )
    .assert_status(201);
    assert_eq!(host.notifications_to(&mario).len(), 1);
}
