//! What a citizen keeps of an application: its protocol number in the instance's register
//! (`2026/000001`, one sequence a year, never repeated, none lost to a refused application) and
//! the time it was received, on the application's receipt; and the message the next page shows
//! after each form, naming the number.

use crate::common;

use common::{ANNA, BRUNO, CARLA, application, apply, filed, opened, winter_campaign};

/// The form a citizen posts to apply to the winter campaign (household of 3, one minor).
fn form(tax_code: &str) -> Vec<(&'static str, String)> {
    vec![
        ("tax_code", tax_code.to_owned()),
        ("household_size", "3".to_owned()),
        ("minors", "1".to_owned()),
        ("isee", "9.000,00".to_owned()),
        ("resident", "yes".to_owned()),
        ("income_loss", "no".to_owned()),
        // Confirmed from the summary of the answers (the form's second step).
        ("_step", "send".to_owned()),
    ]
}

#[test]
fn applications_are_numbered_in_the_register_and_the_next_page_says_the_number() {
    let (host, operator, id, path) = opened(winter_campaign());
    let [anna, bruno] = host.accounts(["anna", "bruno"], &["citizen"]);

    // Anna applies through the form: the redirect to her application carries the message.
    let fields = form(ANNA);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let sent = host.submit(Some(&anna), &format!("/campaigns/{id}/apply"), &fields);
    let location = sent.location.clone().unwrap_or_default();
    assert!(location.starts_with("applications/"), "{}", sent.body);
    assert_eq!(
        sent.assert_notice(&location),
        "Domanda inviata: protocollo 2026/000001. Trovi qui sotto la ricevuta."
    );
    let anna_id = location.trim_start_matches("applications/");
    let anna_app = application(&host, &anna, anna_id);
    assert_eq!(anna_app.body["protocol"]["label"], "2026/000001");
    assert_eq!(anna_app.body["protocol"]["at"], host.now_ms());

    // The same tax code again is refused (409, the form shown again) before any number.
    let again = host.submit(Some(&anna), &format!("/campaigns/{id}/apply"), &fields);
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(again.notice, None, "a refusal leaves no message");
    // Filed again by the office, it meets Anna's claim after taking a number: the refusal
    // gives the number back.
    let mut desk = form(ANNA);
    desk.push(("full_name", "Anna Rossi".to_owned()));
    let desk: Vec<(&str, &str)> = desk.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let duplicate = host.submit(
        Some(&operator),
        &format!("/campaigns/{id}/apply-on-behalf"),
        &desk,
    );
    assert_eq!(duplicate.status, 409, "{}", duplicate.body);

    // Through the API a program gets the next number in the JSON, and no message.
    let bruno_app = filed(
        &host,
        &bruno,
        &path,
        apply(BRUNO, 2, 0, "18.000,00", true, false),
    );
    assert_eq!(bruno_app.body["protocol"]["label"], "2026/000002");
    assert_eq!(bruno_app.notice, None);

    // An operator filing on someone's behalf: the message names the person and the number.
    let mut fields = form(CARLA);
    fields.push(("full_name", "Carla Bianchi".to_owned()));
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let filed = host.submit(
        Some(&operator),
        &format!("/campaigns/{id}/apply-on-behalf"),
        &fields,
    );
    let location = filed.location.clone().unwrap_or_default();
    assert_eq!(
        filed.assert_notice(&location),
        "Domanda di Carla Bianchi presentata: protocollo 2026/000003."
    );

    // The receipt on the page: number, time of receipt and what was sent, and the history as
    // a timeline in milliseconds for the page to show in Rome's time.
    let page = host.page(Some(&anna), &format!("/applications/{anna_id}"));
    assert_eq!(page.template.as_deref(), Some("application.html"));
    let shown = &page.body["application"];
    assert_eq!(shown["protocol"]["label"], "2026/000001");
    assert_eq!(shown["history"][0]["at_ms"], host.now_ms());
}

#[test]
fn each_year_numbers_from_one_again() {
    let (host, operator, _, _) = opened(winter_campaign());
    let anna = host.account("anna", &["citizen"]);
    // A campaign across the new year: applied on 31 December at 23:50, then on 1 January.
    host.set_time("2026-12-20T09:00:00+01:00");
    let body = common::with(
        winter_campaign(),
        serde_json::json!({"title": "Inverno 2027", "opens_on": "2026-12-20", "closes_on": "2027-01-20"}),
    );
    let id = common::create(&host, &operator, body);
    let path = common::applications(&id);
    host.set_time("2026-12-31T23:50:00+01:00");
    let last = filed(&host, &anna, &path, apply(ANNA, 3, 1, "9000", true, false));
    assert_eq!(last.body["protocol"]["label"], "2026/000001");
    host.set_time("2027-01-01T00:10:00+01:00");
    let bruno = host.account("bruno", &["citizen"]);
    let first = filed(
        &host,
        &bruno,
        &path,
        apply(BRUNO, 2, 0, "9000", true, false),
    );
    assert_eq!(first.body["protocol"]["label"], "2027/000001");
}

#[test]
fn every_action_of_a_review_leaves_its_message() {
    let (host, operator, _, path) = opened(winter_campaign());
    let carla = host.account("carla", &["citizen"]);
    let app = filed(&host, &carla, &path, apply(CARLA, 2, 1, "5000", true, true));
    let id = app.body["id"].as_str().expect("id").to_owned();
    let back = format!("applications/{id}");
    let step = |who, name: &str, fields: &[(&str, &str)]| {
        host.submit(Some(who), &format!("/applications/{id}/{name}"), fields)
    };
    let asked = step(&operator, "request-info", &[("question", "La lettera?")]);
    assert_eq!(
        asked.assert_notice(&back),
        "Richiesta di integrazione inviata."
    );
    let answered = step(&carla, "answer", &[("answer", "Allegata")]);
    assert_eq!(
        answered.assert_notice(&back),
        "Risposta inviata all'ufficio."
    );
    let approved = step(&operator, "approve", &[]);
    assert_eq!(
        approved.assert_notice(&back),
        "Domanda approvata: è ammissibile."
    );
}
