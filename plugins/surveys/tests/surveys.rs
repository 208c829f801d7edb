//! Questionnaires after a service: who is invited and how often, answering once through the
//! link without logging in, what the store keeps (no account beside an answer), the results
//! with small groups suppressed, and the person's data.

use serde_json::{Value as Json, json};
use surveys::Surveys;
use surveys::answer::ANSWERS;
use surveys::invite::INVITATIONS;
use trama_testhost::{Account, TestHost};

fn host() -> TestHost<Surveys> {
    let host = TestHost::new(env!("CARGO_MANIFEST_DIR")).expect("the manifest");
    host.set_time("2026-11-20T17:00:00+01:00");
    host
}

/// A tutoring lesson of `date` attended by children of the families of `accounts`.
fn lesson_held(host: &TestHost<Surveys>, lesson: &str, date: &str, accounts: &[&Account]) {
    let accounts: Vec<&str> = accounts.iter().map(|a| a.id.as_str()).collect();
    host.deliver(
        "tutoring.attendance_recorded",
        "tutoring",
        &json!({
            "lesson_id": lesson,
            "tutor_id": "t1",
            "space_id": "s1",
            "date": date,
            "minutes": 60,
            "present": ["c1"],
            "absent": [],
            "accounts": accounts,
        }),
    )
    .expect("the event is handled");
}

/// The secret of the last questionnaire link `who` received.
fn secret_of(host: &TestHost<Surveys>, who: &Account) -> String {
    let notice = host
        .notifications_to(who)
        .pop()
        .expect("a questionnaire was sent");
    let link = notice.link.expect("the message links the questionnaire");
    link.rsplit('/').next().unwrap_or_default().to_owned()
}

fn answer(score: u8, need: &str, recommend: &str, comment: &str) -> Json {
    json!({ "score": score.to_string(), "need_met": need, "recommend": recommend, "comment": comment })
}

#[test]
fn everyone_present_is_asked_once_and_not_again_before_the_spacing() {
    let host = host();
    let [anna, bruno] = host.accounts(["anna", "bruno"], &[]);
    lesson_held(&host, "l1", "2026-11-20", &[&anna, &bruno]);
    let to_anna = host.notifications_to(&anna);
    assert_eq!(to_anna.len(), 1);
    assert!(
        to_anna[0].subject.contains("doposcuola"),
        "{}",
        to_anna[0].subject
    );
    assert!(to_anna[0].body.contains("14 giorni"), "{}", to_anna[0].body);
    assert_eq!(host.notifications_to(&bruno).len(), 1);
    assert_ne!(secret_of(&host, &anna), secret_of(&host, &bruno));

    // The next lesson a week later asks nobody again (90 days between two questionnaires).
    host.advance(std::time::Duration::from_secs(7 * 86_400));
    lesson_held(&host, "l2", "2026-11-27", &[&anna]);
    assert_eq!(host.notifications_to(&anna).len(), 1);

    // After the spacing, the next lesson asks again.
    host.advance(std::time::Duration::from_secs(90 * 86_400));
    lesson_held(&host, "l3", "2027-02-25", &[&anna]);
    assert_eq!(host.notifications_to(&anna).len(), 2);
    assert_eq!(host.call(None, || INVITATIONS.count()).expect("count"), 3);
}

#[test]
fn a_redelivered_event_invites_nobody_twice() {
    let host = host();
    let anna = host.account("anna", &[]);
    let payload = json!({
        "lesson_id": "l1", "tutor_id": "t1", "space_id": "s1", "date": "2026-11-20",
        "minutes": 60, "present": ["c1"], "absent": [], "accounts": [anna.id],
    });
    let event = trama_sdk::events::Event::new(
        "event-1",
        "tutoring.attendance_recorded",
        "tutoring",
        &payload.to_string(),
    );
    for _ in 0..2 {
        host.call(None, || trama_sdk::serve::event::<Surveys>(event.clone()))
            .expect("handled");
    }
    assert_eq!(host.notifications_to(&anna).len(), 1);
    assert_eq!(host.call(None, || INVITATIONS.count()).expect("count"), 1);
}

#[test]
fn a_service_the_territory_does_not_survey_sends_nothing() {
    let host =
        TestHost::<Surveys>::with_settings(env!("CARGO_MANIFEST_DIR"), json!({ "services": [] }))
            .expect("the manifest");
    let anna = host.account("anna", &[]);
    lesson_held(&host, "l1", "2026-11-20", &[&anna]);
    assert!(host.notifications_to(&anna).is_empty());
}

#[test]
fn the_link_takes_one_answer_without_login_and_keeps_no_account_beside_it() {
    let host = host();
    let anna = host.account("anna", &[]);
    lesson_held(&host, "l1", "2026-11-20", &[&anna]);
    let secret = secret_of(&host, &anna);
    let path = format!("/answer/{secret}");

    let page = host.page(None, &path).assert_status(200);
    assert_eq!(page.template.as_deref(), Some("answer.html"));
    assert_eq!(page.body["service"], "doposcuola");
    assert_eq!(page.body["closed"], Json::Null);

    // Every mistake at once, each beside its field; nothing is stored.
    let refused = host.post(
        None,
        &format!("/api{path}"),
        json!({ "score": "9", "comment": "x".repeat(1001) }),
    );
    assert_eq!(refused.status, 422);
    assert_eq!(
        refused.problem_fields(),
        ["score", "need_met", "recommend", "comment"]
    );
    assert_eq!(host.call(None, || ANSWERS.count()).expect("count"), 0);

    host.post(
        None,
        &format!("/api{path}"),
        answer(4, "partly", "yes", "Orari comodi"),
    )
    .assert_status(201);
    let again = host.post(None, &format!("/api{path}"), answer(1, "no", "no", ""));
    assert_eq!(again.status, 409);
    assert_eq!(host.call(None, || ANSWERS.count()).expect("count"), 1);

    // The answer holds the service, the month and what was answered: no account, no secret,
    // no invitation, no time.
    let stored = host
        .call(None, || ANSWERS.query().fetch_all())
        .expect("answers");
    let text = serde_json::to_string(&stored[0].data).expect("json");
    assert_eq!(
        serde_json::from_str::<Json>(&text).expect("json"),
        json!({ "service": "tutoring", "month": "2026-11", "score": 4, "need_met": "partly", "recommend": true, "comment": "Orari comodi" })
    );
    let invitations = host
        .call(None, || INVITATIONS.query().fetch_all())
        .expect("invitations");
    assert!(
        !invitations[0].id.contains(&secret),
        "the secret is not stored"
    );
    assert!(
        !serde_json::to_string(&invitations[0].data)
            .expect("json")
            .contains(&anna.id)
    );

    // The territory's indicators hear of it, anonymously.
    let published = host.published();
    let last = published.last().expect("an event");
    assert_eq!(last.name, "surveys.answered");
    assert_eq!(
        last.payload,
        json!({ "service": "tutoring", "month": "2026-11", "score": 4, "need_met": "partly", "recommend": true })
    );
    assert!(!last.payload.to_string().contains(&anna.id));

    // A page posted after the answer says so, and a made-up link is unknown.
    let page = host.page(None, &path).assert_status(409);
    assert_eq!(page.body["closed"], "answered");
    host.page(None, "/answer/0123456789abcdef0123456789abcdef")
        .assert_status(404);
    host.page(None, "/answer/not-a-secret").assert_status(404);
}

#[test]
fn a_link_expires_after_the_days_to_answer() {
    let host = host();
    let anna = host.account("anna", &[]);
    lesson_held(&host, "l1", "2026-11-20", &[&anna]);
    let secret = secret_of(&host, &anna);
    host.advance(std::time::Duration::from_secs(15 * 86_400));
    let late = host.post(
        None,
        &format!("/api/answer/{secret}"),
        answer(5, "yes", "yes", ""),
    );
    assert_eq!(late.status, 409);
    assert!(late.message().contains("finito"), "{}", late.message());
}

#[test]
fn results_show_rates_and_scores_only_from_five_answers() {
    let host = host();
    let operator = host.account("operatrice", &["operator"]);
    let families: Vec<Account> = (0..7)
        .map(|i| host.account(&format!("famiglia{i}"), &[]))
        .collect();
    let all: Vec<&Account> = families.iter().collect();
    lesson_held(&host, "l1", "2026-11-20", &all);
    let scores = [5u8, 4, 4, 3, 5];
    for (family, score) in families.iter().zip(scores).take(4) {
        let secret = secret_of(&host, family);
        host.post(
            None,
            &format!("/api/answer/{secret}"),
            answer(score, "yes", "yes", "Bene"),
        )
        .assert_status(201);
    }
    let rows = host
        .get(Some(&operator), "/api/results")
        .assert_status(200)
        .body;
    assert_eq!(rows[0]["invited"], 7);
    assert_eq!(rows[0]["answered"], "< 5");
    assert_eq!(rows[0]["rate"], Json::Null);
    assert_eq!(rows[0]["results"], Json::Null);

    let secret = secret_of(&host, &families[4]);
    host.post(
        None,
        &format!("/api/answer/{secret}"),
        answer(5, "partly", "no", ""),
    )
    .assert_status(201);
    let rows = host
        .get(Some(&operator), "/api/results")
        .assert_status(200)
        .body;
    assert_eq!(rows[0]["answered"], "5");
    assert_eq!(rows[0]["rate"], 71);
    assert_eq!(rows[0]["results"]["mean_score"], "4,2");
    assert_eq!(
        rows[0]["results"]["scores"],
        json!(["0", "0", "< 5", "< 5", "< 5"])
    );
    assert_eq!(rows[0]["results"]["need_met"], json!(["< 5", "< 5", "0"]));
    assert_eq!(rows[0]["results"]["recommend"], 80);
    assert_eq!(
        rows[0]["results"]["comments"].as_array().map(Vec::len),
        Some(4)
    );

    let page = host.page(Some(&operator), "/results").assert_status(200);
    assert_eq!(page.body["rows"][0]["month_label"], "novembre 2026");
    assert_eq!(page.body["rows"][0]["results"]["mean_score"], "4,2");

    let csv = host.get(Some(&operator), "/results.csv").assert_status(200);
    let (_, _, bytes) = csv.file.expect("a file");
    let text = String::from_utf8(bytes).expect("utf-8");
    assert!(text.starts_with('\u{feff}'), "a BOM for Excel");
    assert!(text.contains("Servizio;Mese;Questionari inviati"), "{text}");
    assert!(text.contains("doposcuola;2026-11;7;5;71;4,2;80"), "{text}");

    // Only operators read results.
    let anna = &families[0];
    host.get(Some(anna), "/api/results").assert_status(403);
    host.get(None, "/api/results").assert_status(401);
}

#[test]
fn the_person_downloads_and_erases_when_they_were_last_asked() {
    let host = host();
    let anna = host.account("anna", &[]);
    lesson_held(&host, "l1", "2026-11-20", &[&anna]);
    let data = host.personal_data(&anna);
    assert_eq!(
        data["questionnaires"],
        json!([{ "service": "doposcuola", "last_invited": "2026-11-20" }])
    );
    host.erase(&anna);
    assert_eq!(host.personal_data(&anna)["questionnaires"], json!([]));
}
