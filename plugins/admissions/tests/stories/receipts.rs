//! What a provider keeps of an application: its protocol number in the instance's register
//! (`2026/000001`, never repeated, none lost to a refused application) with the time it was
//! received; the history as a timeline; and the message the next page shows after each form.

use crate::common;

use common::{MARIO, SHOP_VAT, association, committee, shop, shop_applies};

#[test]
fn applications_are_numbered_and_each_step_leaves_its_message() {
    let committee = committee();
    let host = &committee.host;
    let first = shop_applies(&committee);
    assert_eq!(first.body["protocol"]["label"], "2026/000001");
    assert_eq!(first.body["protocol"]["at"], host.now_ms());
    let id = first.body["id"].as_str().expect("id").to_owned();

    // The same organisation again, while the first is examined: refused, and the number it
    // took is given back.
    let again = host.post(
        Some(&committee.shopkeeper),
        "/api/applications",
        shop("Alimentari Bottega srl", SHOP_VAT, MARIO),
    );
    assert_eq!(again.status, 409, "{}", again.body);
    let giulia = host.account("giulia", &["merchant"]);
    let second = host
        .post(Some(&giulia), "/api/applications", association())
        .assert_status(201);
    assert_eq!(second.body["protocol"]["label"], "2026/000002");

    // A member comments and asks through the page's forms; the applicant answers.
    let back = format!("applications/{id}");
    let step = |who, name: &str, fields: &[(&str, &str)]| {
        host.submit(Some(who), &format!("/applications/{id}/{name}"), fields)
    };
    let commented = step(&committee.anna, "comments", &[("text", "Prezzi chiari")]);
    assert_eq!(commented.assert_notice(&back), "Commento aggiunto.");
    let asked = step(
        &committee.bruno,
        "request-info",
        &[("question", "Consegnate anche il sabato?")],
    );
    assert_eq!(
        asked.assert_notice(&back),
        "Richiesta di chiarimenti inviata al richiedente."
    );
    let answered = step(&committee.shopkeeper, "answer", &[("answer", "Sì")]);
    assert_eq!(
        answered.assert_notice(&back),
        "Risposta inviata al comitato."
    );
    let voted = step(
        &committee.anna,
        "vote",
        &[("choice", "approve"), ("reason", "Servizio utile")],
    );
    assert_eq!(voted.assert_notice(&back), "Voto registrato.");

    // The applicant's page: the receipt, and the history with the time of each step.
    let page = host.page(Some(&committee.shopkeeper), &format!("/applications/{id}"));
    let shown = &page.body["application"];
    assert_eq!(shown["protocol"]["label"], "2026/000001");
    let history = shown["history"].as_array().expect("history");
    assert!(history.len() >= 2, "{history:?}");
    assert!(
        history.iter().all(|step| step["at_ms"].is_i64()),
        "{history:?}"
    );
}
