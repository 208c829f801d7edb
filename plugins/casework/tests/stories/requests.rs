//! A person's online request for help: sent from the service page, seen only by the staff of
//! the social services (all of them while it has no team, then that team's) and by the person,
//! every read audited; taken by a care manager or supervisor, which opens the case with the
//! request's data and the person's account linked, and tells the person.

use casework::Casework;
use serde_json::{Value as Json, json};
use trama_testhost::{Account, TestHost};

use crate::common;

use common::{CODE, put_in_team};

/// The desk of these stories also knows the need "Salute".
fn host() -> TestHost<Casework> {
    common::host_with(json!({ "needs": ["Casa", "Lavoro", "Salute"] }))
}

fn ask(host: &TestHost<Casework>, who: &Account) -> String {
    let sent = host
        .post(
            Some(who),
            "/api/requests",
            json!({
                "name": "Mario Rossi",
                "phone": "333 1234567",
                "household": ["Anna Rossi, figlia"],
                "needs": ["Casa", "Lavoro"],
                "text": "Ho perso il lavoro e rischio lo sfratto",
                "consent": "yes",
            }),
        )
        .assert_status(201);
    sent.body["id"].as_str().expect("an id").to_owned()
}

fn mine(host: &TestHost<Casework>, who: &Account) -> Json {
    host.get(Some(who), "/api/mine").assert_status(200).body
}

#[test]
fn a_request_waits_in_the_queue_of_the_staff_who_may_see_it_and_nobody_else() {
    let host = host();
    let mario = host.person("mario", "Mario Rossi", &["citizen"]);
    host.bind_fiscal_number(&mario, CODE);
    let ugo = host.account("ugo", &["citizen"]);
    let carla = host.account("carla", &["care_manager"]);
    let dario = host.account("dario", &["care_manager"]);
    let nora = host.account("nora", &["supervisor"]);
    let sara = host.account("sara", &["supervisor"]);
    let admin = host.account("amministra", &["admin"]);
    put_in_team(&host, &admin, "nora", "Nord");
    put_in_team(&host, &admin, "sara", "Sud");
    put_in_team(&host, &admin, "dario", "Sud");

    let id = ask(&host, &mario);
    let path = format!("/api/requests/{id}");
    // The code came from SPID, not from what was typed.
    let own = host.get(Some(&mario), &path).assert_status(200);
    assert_eq!(own.body["person"]["tax_code"], CODE);
    assert_eq!(own.body["tax_code_asserted"], true);
    assert_eq!(own.body["stage"], "waiting");
    assert_eq!(own.body["consent"]["version"], "2026-01");
    let items = mine(&host, &mario);
    assert_eq!(items[0]["status"], "in attesa", "{items}");
    assert_eq!(items[0]["href"], format!("/p/casework/requests/{id}"));
    // One waiting request at a time.
    let again = host.post(
        Some(&mario),
        "/api/requests",
        json!({ "name": "Mario Rossi", "phone": "1", "needs": ["Casa"], "consent": "yes" }),
    );
    assert_eq!(again.status, 409, "{}", again.body);

    // Without a team: every care manager and supervisor; nobody else, and no read recorded.
    for who in [&ugo, &admin] {
        assert_eq!(host.get(Some(who), &path).status, 404, "{}", who.username);
        assert_eq!(host.get(Some(who), "/api/requests").body, json!([]));
    }
    assert_eq!(host.get(None, &path).status, 401);
    assert!(host.audited(&id).iter().all(|a| a != "request.read.staff"));
    for who in [&carla, &dario, &nora, &sara] {
        let queue = host.get(Some(who), "/api/requests").assert_status(200).body;
        assert_eq!(queue[0]["id"], id.as_str(), "{}: {queue}", who.username);
    }
    let read = host.get(Some(&carla), &path).assert_status(200);
    assert_eq!(read.body["text"], "Ho perso il lavoro e rischio lo sfratto");
    assert!(host.audited(&id).contains(&"request.read.staff".to_owned()));
    let queue_page = host.page(Some(&nora), "/requests").assert_status(200);
    assert_eq!(queue_page.template.as_deref(), Some("requests.html"));
    assert_eq!(host.page(Some(&ugo), "/requests").status, 403);

    // Only a supervisor gives it a team; then only that team's staff see it.
    let refused = host.post(
        Some(&dario),
        &format!("{path}/team"),
        json!({ "team": "Sud" }),
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    let wrong = host.post(
        Some(&nora),
        &format!("{path}/team"),
        json!({ "team": "Est" }),
    );
    assert_eq!(wrong.problem_fields(), ["team"]);
    host.post(
        Some(&nora),
        &format!("{path}/team"),
        json!({ "team": "Sud" }),
    )
    .assert_status(201);
    assert!(host.audited(&id).contains(&"request.team_set".to_owned()));
    for who in [&carla, &nora] {
        assert_eq!(host.get(Some(who), &path).status, 404, "{}", who.username);
        assert_eq!(host.get(Some(who), "/api/requests").body, json!([]));
        let take = host.post(Some(who), &format!("{path}/take"), json!({}));
        assert_eq!(take.status, 404, "{}", who.username);
    }
    host.get(Some(&sara), &path).assert_status(200);
    host.get(Some(&dario), &path).assert_status(200);
    // The person may read it, never take it.
    assert_eq!(
        host.post(Some(&mario), &format!("{path}/take"), json!({}))
            .status,
        404
    );
}

#[test]
fn taking_a_request_opens_the_case_with_its_data_and_tells_the_person() {
    let host = host();
    let mario = host.person("mario", "Mario Rossi", &["citizen"]);
    host.bind_fiscal_number(&mario, CODE);
    let carla = host.person("carla", "Carla Bianchi", &["care_manager"]);
    let sara = host.account("sara", &["supervisor"]);
    let admin = host.account("amministra", &["admin"]);
    put_in_team(&host, &admin, "sara", "Sud");
    let id = ask(&host, &mario);
    let path = format!("/api/requests/{id}");

    // A supervisor who is no care manager names one; a team is needed while it has none.
    let refused = host.post(Some(&sara), &format!("{path}/take"), json!({}));
    assert_eq!(refused.problem_fields(), ["team", "care_manager"]);
    assert!(
        refused
            .body
            .to_string()
            .contains("nome utente del case manager"),
        "{}",
        refused.body
    );
    let taken = host
        .post(
            Some(&sara),
            &format!("{path}/take"),
            json!({ "care_manager": "carla", "team": "Sud" }),
        )
        .assert_status(201);
    let case = taken.body["id"].as_str().expect("a case id").to_owned();

    // The case holds what the person wrote, their consent, and their account.
    let file = host
        .get(Some(&carla), &format!("/api/cases/{case}"))
        .assert_status(200);
    assert_eq!(file.body["person"]["tax_code"], CODE);
    assert_eq!(file.body["person"]["phone"], "333 1234567");
    assert_eq!(file.body["household"][0]["name"], "Anna Rossi");
    assert_eq!(file.body["needs"], json!(["Casa", "Lavoro"]));
    assert_eq!(file.body["consent"]["version"], "2026-01");
    assert_eq!(file.body["care_manager"], "Carla Bianchi");
    assert_eq!(file.body["team"], "Sud");
    assert!(host.audited(&id).contains(&"request.taken".to_owned()));
    assert!(host.audited(&case).contains(&"case.opened".to_owned()));
    // The supervisor of the team sees the case too.
    host.get(Some(&sara), &format!("/api/cases/{case}"))
        .assert_status(200);

    // The person: told once, the request marked taken, the case theirs to read.
    let told = host.notifications_to(&mario);
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].subject.contains("presa in carico"), "{told:?}");
    assert!(told[0].body.contains("Sud"), "{told:?}");
    let own = host.get(Some(&mario), &path).assert_status(200);
    assert_eq!(own.body["stage"], "taken");
    assert_eq!(own.body["case"], case.as_str());
    let summary = host
        .get(Some(&mario), &format!("/api/cases/{case}"))
        .assert_status(200);
    assert_eq!(summary.body["relation"], "self");
    let items = mine(&host, &mario);
    let states: Vec<&str> = items
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|i| i["status"].as_str())
        .collect();
    assert!(states.contains(&"presa in carico"), "{items}");

    // Taken once: again is refused, and the queue is empty.
    let twice = host.post(
        Some(&sara),
        &format!("{path}/take"),
        json!({ "team": "Sud" }),
    );
    assert_eq!(twice.status, 409, "{}", twice.body);
    assert_eq!(host.get(Some(&carla), "/api/requests").body, json!([]));
    assert_eq!(host.notifications_to(&mario).len(), 1);
}

#[test]
fn a_password_account_types_the_code_and_mistakes_are_named_beside_their_fields() {
    let host = host();
    let lucia = host.account("lucia", &["citizen"]);
    let refused = host.post(
        Some(&lucia),
        "/api/requests",
        json!({ "name": "", "tax_code": "RSSMRA80A01H501X", "needs": ["Astrologia"], "text": "x".repeat(2001) }),
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    for field in ["name", "tax_code", "phone", "needs", "text", "consent"] {
        assert!(
            refused.problem_fields().contains(&field),
            "{field}: {}",
            refused.body
        );
    }
    // The form comes back with what was typed and each problem beside its field.
    let form = host.submit(
        Some(&lucia),
        "/requests",
        &[("name", "<b>Lucia</b>"), ("tax_code", CODE)],
    );
    assert_eq!(form.status, 422);
    assert_eq!(form.template.as_deref(), Some("ask.html"));
    assert_eq!(form.body["form"]["values"]["name"], "<b>Lucia</b>");
    assert!(form.body["form"]["problems"]["consent"].is_string());
    // Typed right, it is kept as declared, not asserted.
    let sent = host
        .post(
            Some(&lucia),
            "/api/requests",
            json!({ "name": "Lucia Verdi", "tax_code": "rssmra80a01h501u", "email": "lucia@example.org", "needs": ["Salute"], "consent": "yes" }),
        )
        .assert_status(201);
    let id = sent.body["id"].as_str().expect("an id");
    let read = host
        .get(Some(&lucia), &format!("/api/requests/{id}"))
        .assert_status(200);
    assert_eq!(read.body["person"]["tax_code"], CODE);
    assert_eq!(read.body["tax_code_asserted"], false);
    assert!(host.audited(id).contains(&"request.read.self".to_owned()));
    host.page(Some(&lucia), "/ask").assert_status(200);

    // Her data download holds the request; an erasure deletes it.
    let data = host.personal_data(&lucia);
    assert_eq!(data["requests"][0]["person"]["name"], "Lucia Verdi");
    host.erase(&lucia);
    assert_eq!(host.get(Some(&lucia), "/api/requests").body, json!([]));
}
