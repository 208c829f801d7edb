//! The desk's stories: intake and its refusals, who may see a case (and who gets 404), the
//! audit of reads, sealed notes and the statistics' small cells.

use casework::Casework;
use casework::note::NOTES;
use serde_json::{Value as Json, json};
use trama_testhost::TestHost;

use crate::common;

use common::{CODE, mario, open, put_in_team, staff};

/// The desk of these stories also knows the need "Salute".
fn host() -> TestHost<Casework> {
    common::host_with(json!({ "needs": ["Casa", "Lavoro", "Salute"] }))
}

fn intake(name: &str, code: &str, needs: &[&str], team: &str) -> Json {
    json!({
        "name": name,
        "tax_code": code,
        "phone": "333 1234567",
        "household": ["Anna Rossi, figlia", "Luca Rossi, figlio"],
        "needs": needs,
        "team": team,
        "consent": "yes",
    })
}

#[test]
fn intake_records_the_person_the_household_the_needs_and_the_consent() {
    let host = host();
    let carla = host.person("carla", "Carla Bianchi", &["care_manager"]);
    let id = open(
        &host,
        &carla,
        intake(
            "Mario Rossi",
            "rssmra80a01h501u",
            &["Casa", "Lavoro"],
            "Nord",
        ),
    );
    let case = host
        .get(Some(&carla), &format!("/api/cases/{id}"))
        .assert_status(200);
    assert_eq!(case.body["person"]["tax_code"], CODE);
    assert_eq!(case.body["household"][1]["relation"], "figlio");
    assert_eq!(case.body["needs"], json!(["Casa", "Lavoro"]));
    assert_eq!(case.body["consent"]["version"], "2026-01");
    assert_eq!(case.body["care_manager"], "Carla Bianchi");
    assert_eq!(case.body["team"], "Nord");
    assert_eq!(host.audited(&id)[0], "case.opened");

    // Every mistake at once, each beside its field; nothing is stored.
    let refused = host.post(
        Some(&carla),
        "/api/cases",
        json!({ "tax_code": "RSSMRA80A01H501X", "needs": ["Astrologia"], "team": "Est" }),
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    for field in ["name", "tax_code", "needs", "team", "consent"] {
        assert!(
            refused.problem_fields().contains(&field),
            "{field}: {}",
            refused.body
        );
    }
    // The form comes back with the problems beside the fields and what was typed.
    let form = host.submit(
        Some(&carla),
        "/cases",
        &[("name", "<b>Mario</b>"), ("tax_code", CODE)],
    );
    assert_eq!(form.status, 422);
    assert_eq!(form.template.as_deref(), Some("index.html"));
    assert_eq!(form.body["form"]["values"]["name"], "<b>Mario</b>");
    assert!(
        form.body["form"]["problems"]["consent"].is_string(),
        "{}",
        form.body
    );
    // Assigning to somebody who is not a care manager is refused.
    let mut body = intake("Anna Verdi", "RSSMRA80A02H501Z", &["Casa"], "Nord");
    body["care_manager"] = json!("nessuno");
    let refused = host.post(Some(&carla), "/api/cases", body);
    assert_eq!(refused.problem_fields(), ["care_manager"]);
    // Only care managers open cases.
    let citizen = host.account("citizen", &["citizen"]);
    assert_eq!(
        host.post(
            Some(&citizen),
            "/api/cases",
            intake("X", CODE, &["Casa"], "Nord")
        )
        .status,
        403
    );
}

#[test]
fn only_the_care_manager_the_team_supervisor_and_the_person_see_a_case_and_every_read_is_audited() {
    let host = host();
    let [carla, other_manager, north, south, admin] = staff(&host);
    let stranger = host.account("ugo", &["citizen"]);
    let mario = mario(&host);
    let id = open(
        &host,
        &carla,
        intake("Mario Rossi", CODE, &["Casa"], "Nord"),
    );
    host.post(
        Some(&carla),
        &format!("/api/cases/{id}/notes"),
        json!({ "text": "Riferisce debiti con il padrone di casa", "sensitive": "yes" }),
    )
    .assert_status(201);
    host.post(
        Some(&carla),
        &format!("/api/cases/{id}/notes"),
        json!({ "text": "Colloquio fissato", "sensitive": "no" }),
    )
    .assert_status(201);

    let path = format!("/api/cases/{id}");
    // Another care manager, a supervisor of another team, an administrator, a stranger and
    // nobody at all: the case does not exist for them, and nothing is recorded as read.
    for who in [&other_manager, &south, &admin, &stranger] {
        let answer = host.get(Some(who), &path);
        assert_eq!(answer.status, 404, "{}: {}", who.username, answer.body);
        assert_eq!(host.get(Some(who), "/api/cases/nothing-here").status, 404);
        let note = host.post(Some(who), &format!("{path}/notes"), json!({ "text": "x" }));
        assert_eq!(note.status, 404);
    }
    assert_eq!(host.get(None, &path).status, 401);
    assert!(
        host.audited(&id)
            .iter()
            .all(|a| !a.starts_with("case.read"))
    );

    // The assigned care manager and the team's supervisor read everything.
    let by_carla = host.get(Some(&carla), &path).assert_status(200);
    assert_eq!(by_carla.body["notes"].as_array().map(Vec::len), Some(2));
    let by_nora = host.get(Some(&north), &path).assert_status(200);
    assert_eq!(by_nora.body["relation"], "supervisor");
    // The person reads a summary without the sensitive note, and may not write.
    let by_mario = host.get(Some(&mario), &path).assert_status(200);
    assert_eq!(by_mario.body["relation"], "self");
    assert_eq!(
        by_mario.body["notes"],
        json!([{
            "id": by_mario.body["notes"][0]["id"], "when": by_mario.body["notes"][0]["when"],
            "author": "carla", "sensitive": false, "text": "Colloquio fissato",
        }])
    );
    assert!(!by_mario.body.to_string().contains("debiti"));
    let page = host
        .page(Some(&mario), &format!("/cases/{id}"))
        .assert_status(200);
    assert_eq!(page.template.as_deref(), Some("summary.html"));
    assert_eq!(
        host.post(
            Some(&mario),
            &format!("{path}/goals"),
            json!({ "text": "x" })
        )
        .status,
        404
    );
    assert_eq!(
        host.get(Some(&mario), "/api/mine").body[0]["href"],
        format!("/p/casework/cases/{id}")
    );

    // Every read, with the reader's relation.
    let reads: Vec<String> = host
        .audited(&id)
        .into_iter()
        .filter(|a| a.starts_with("case.read"))
        .collect();
    assert_eq!(
        reads,
        [
            "case.read.assigned",
            "case.read.supervisor",
            "case.read.self",
            "case.read.self"
        ]
    );

    // Moving the supervisor out of the team closes the case to her at once.
    put_in_team(&host, &admin, "nora", "Sud");
    assert_eq!(host.get(Some(&north), &path).status, 404);
}

#[test]
fn a_sensitive_note_is_sealed_in_the_store_and_opens_for_the_care_manager() {
    let host = host();
    let carla = host.account("carla", &["care_manager"]);
    let id = open(
        &host,
        &carla,
        intake("Mario Rossi", CODE, &["Salute"], "Sud"),
    );
    let secret = "Riferisce violenza domestica";
    let note = host
        .post(
            Some(&carla),
            &format!("/api/cases/{id}/notes"),
            json!({ "text": secret, "sensitive": "yes" }),
        )
        .assert_status(201);
    let note_id = note.body["id"].as_str().expect("an id").to_owned();

    // What the store holds: ciphertext only, not the text, not a piece of it.
    let stored = host
        .call(None, || NOTES.get(&note_id))
        .expect("the store")
        .expect("the note");
    assert!(stored.data.text.is_none());
    let sealed = stored.data.sealed.clone().expect("sealed");
    assert!(!sealed.contains("violenza") && !sealed.contains(secret));
    let raw = serde_json::to_string(&stored.data).expect("JSON");
    assert!(!raw.contains("violenza"), "{raw}");
    // Bound to its case and note: under another context it does not open.
    let elsewhere = host.call(None, || {
        trama_sdk::seal::open_text(&casework::note::context("another", &note_id), &sealed)
    });
    assert!(elsewhere.is_err());

    // The care manager reads it, on the page and in the API; the audit never holds the text.
    let case = host
        .get(Some(&carla), &format!("/api/cases/{id}"))
        .assert_status(200);
    assert_eq!(case.body["notes"][0]["text"], secret);
    assert_eq!(case.body["notes"][0]["sensitive"], true);
    let page = host
        .page(Some(&carla), &format!("/cases/{id}"))
        .assert_status(200);
    assert_eq!(page.template.as_deref(), Some("case.html"));
    assert_eq!(page.body["case"]["notes"][0]["text"], secret);
    assert!(host.audited(&id).contains(&"case.note_added".to_owned()));
}

#[test]
fn the_plan_and_the_closure_and_statistics_that_hide_small_counts() {
    let host = host();
    let carla = host.account("carla", &["care_manager"]);
    let nora = host.account("nora", &["supervisor"]);
    let citizen = host.account("ugo", &["citizen"]);
    // Seven people: one open case each (a second for the same person needs a supervisor).
    let codes = [
        CODE,
        "RSSMRA80A02H501Z",
        "RSSMRA80A03H501B",
        "RSSMRA80A04H501D",
        "RSSMRA80A05H501H",
        "RSSMRA80A06H501J",
        "RSSMRA80A07H501L",
    ];
    let mut ids = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        let needs: &[&str] = if i < 6 {
            &["Casa"]
        } else {
            &["Casa", "Lavoro"]
        };
        ids.push(open(&host, &carla, intake("Persona", code, needs, "Nord")));
    }
    let case = &ids[0];
    let path = format!("/api/cases/{case}");
    host.post(
        Some(&carla),
        &format!("{path}/goals"),
        json!({ "text": "Trovare casa" }),
    )
    .assert_status(201);
    host.post(
        Some(&carla),
        &format!("{path}/actions"),
        json!({ "goal": "1", "text": "Domanda ERP" }),
    )
    .assert_status(201);
    host.post(
        Some(&carla),
        &format!("{path}/progress"),
        json!({ "item": "1.1", "status": "done" }),
    )
    .assert_status(201);
    let wrong = host.post(
        Some(&carla),
        &format!("{path}/progress"),
        json!({ "item": "7", "status": "done" }),
    );
    assert_eq!(wrong.problem_fields(), ["item"]);
    let read = host.get(Some(&carla), &path).assert_status(200);
    assert_eq!(read.body["goals"][0]["actions"][0]["status"], "done");

    let bad = host.post(
        Some(&carla),
        &format!("{path}/close"),
        json!({ "outcome": "boh" }),
    );
    assert_eq!(bad.problem_fields(), ["outcome"]);
    for id in &ids[..2] {
        host.post(
            Some(&carla),
            &format!("/api/cases/{id}/close"),
            json!({ "outcome": "achieved" }),
        )
        .assert_status(201);
    }
    // A closed case takes no more changes.
    assert_eq!(
        host.post(
            Some(&carla),
            &format!("{path}/goals"),
            json!({ "text": "Altro" })
        )
        .status,
        409
    );
    assert!(host.audited(case).contains(&"case.closed".to_owned()));

    // 7 cases with "Casa", 1 with "Lavoro", 0 with "Salute"; 2 achieved, 5 open.
    assert_eq!(host.get(Some(&citizen), "/api/stats").status, 403);
    let stats = host.get(Some(&nora), "/api/stats").assert_status(200).body;
    let count = |table: &str, label: &str| {
        stats[table]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["label"] == label))
            .map(|r| r["count"].clone())
    };
    assert_eq!(count("by_need", "Casa"), Some(json!("7")));
    assert_eq!(count("by_need", "Lavoro"), Some(json!("< 5")));
    assert_eq!(count("by_need", "Salute"), Some(json!("0")));
    assert_eq!(
        count("by_outcome", "obiettivi raggiunti"),
        Some(json!("< 5"))
    );
    assert_eq!(stats["open"], "5");
    assert_eq!(stats["closed"], "< 5");
    // Times: two cases closed (too few for a median); no first contact yet.
    assert_eq!(stats["closure"]["cases"], "< 5");
    assert_eq!(stats["closure"]["median_days"], Json::Null);
    assert_eq!(stats["first_contact"]["cases"], "0");
    // Two and a half days later the five open cases get their first note: a median to show.
    host.advance(std::time::Duration::from_secs(60 * 60 * 60));
    for id in &ids[2..] {
        host.post(
            Some(&carla),
            &format!("/api/cases/{id}/notes"),
            json!({ "text": "Primo colloquio", "sensitive": "no" }),
        )
        .assert_status(201);
    }
    let stats = host.get(Some(&nora), "/api/stats").assert_status(200).body;
    assert_eq!(stats["first_contact"]["cases"], "5");
    assert_eq!(stats["first_contact"]["median_days"], "2,5");
    let page = host.page(Some(&nora), "/stats").assert_status(200);
    assert_eq!(page.template.as_deref(), Some("stats.html"));
}

#[test]
fn the_team_supervisor_gives_a_case_to_another_care_manager_and_team() {
    let host = host();
    let carla = host.account("carla", &["care_manager"]);
    let dario = host.account("dario", &["care_manager"]);
    let nora = host.account("nora", &["supervisor"]);
    let admin = host.account("amministra", &["admin"]);
    put_in_team(&host, &admin, "nora", "Nord");
    let id = open(&host, &carla, intake("Persona", CODE, &["Casa"], "Nord"));
    let path = format!("/api/cases/{id}/assign");

    // Only the supervisor of the case's team; the care manager is told so.
    let refused = host.post(Some(&carla), &path, json!({ "care_manager": "dario" }));
    assert_eq!(refused.status, 403, "{}", refused.body);
    // A name that is no care manager, a team the instance does not have: beside their fields.
    let wrong = host.post(
        Some(&nora),
        &path,
        json!({ "care_manager": "nora", "team": "Est" }),
    );
    assert_eq!(wrong.problem_fields(), ["care_manager", "team"]);

    // To Dario, in the South team: Carla no longer sees it, nor Nora (North), Dario does.
    host.post(
        Some(&nora),
        &path,
        json!({ "care_manager": "dario", "team": "Sud" }),
    )
    .assert_status(201);
    let case = format!("/api/cases/{id}");
    assert_eq!(host.get(Some(&carla), &case).status, 404);
    assert_eq!(host.get(Some(&nora), &case).status, 404);
    let read = host.get(Some(&dario), &case).assert_status(200);
    assert_eq!(read.body["team"], "Sud");
    assert!(host.audited(&id).contains(&"case.reassigned".to_owned()));
}
