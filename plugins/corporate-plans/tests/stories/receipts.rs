//! What an employee keeps of a request for reimbursement: its protocol number in the
//! instance's register, with the time it was received, on the request's own page with its
//! history; and the message the next page shows after the form, naming the number.

use crate::common;

use common::{TODAY, deposit_plan_and_enrolment, id};
use serde_json::json;

#[test]
fn a_request_for_reimbursement_has_a_receipt_and_a_timeline() {
    let enrolled = deposit_plan_and_enrolment();
    let host = &enrolled.host;
    let anna = &enrolled.anna;
    let enrolment = enrolled.anna_enrolment.as_str();

    // Through the wallet's form, in two steps: first a summary of the request to check, with
    // what was typed carried along and nothing stored; then, confirmed, the request's page with
    // the message.
    let mut fields = vec![
        ("enrolment", enrolment),
        ("category", "education"),
        ("amount", "300,00"),
        ("expense_date", TODAY),
        ("receipt_reference", "FT 1/2025"),
        ("description", "retta"),
    ];
    let summary = host
        .submit(Some(anna), "/reimbursements", &fields)
        .assert_status(200);
    assert_eq!(
        summary.template.as_deref(),
        Some("reimbursement_review.html")
    );
    let lines: Vec<(String, String)> = summary.body["summary"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|line| {
            (
                line["question"].as_str().unwrap_or_default().to_owned(),
                line["answer"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert!(
        lines.contains(&("Importo".into(), "300,00 €".into()))
            && lines.contains(&("Numero della fattura o ricevuta".into(), "FT 1/2025".into()))
            && lines.iter().any(|(q, a)| q == "Categoria" && !a.is_empty()),
        "{lines:?}"
    );
    assert!(
        summary.body["carried"].as_array().is_some_and(|c| c
            .iter()
            .any(|f| f["name"] == "amount" && f["values"][0] == "300,00")),
        "{}",
        summary.body
    );
    let wallet = host
        .get(Some(anna), &format!("/api/wallets/{enrolment}"))
        .assert_status(200);
    assert_eq!(
        wallet.body["reimbursements"].as_array().map(Vec::len),
        Some(0),
        "nothing is stored before the confirmation: {}",
        wallet.body
    );
    // More than the reimbursable share is refused at the first step, before any summary.
    let mut too_much = fields.clone();
    too_much[2] = ("amount", "5000");
    let refused = host.submit(Some(anna), "/reimbursements", &too_much);
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(refused.template.as_deref(), Some("wallet.html"));
    fields.push(("_step", "send"));
    let sent = host.submit(Some(anna), "/reimbursements", &fields);
    let location = sent.location.clone().unwrap_or_default();
    assert!(location.starts_with("reimbursements/"), "{}", sent.body);
    assert_eq!(
        sent.assert_notice(&location),
        "Richiesta di rimborso inviata: protocollo 2026/000001. Trovi qui sotto la ricevuta."
    );
    let request = location.trim_start_matches("reimbursements/").to_owned();

    // The same receipt sent again is the same request, with the number it had; another one
    // takes the next number.
    let claim = |amount: &str, receipt: &str| {
        host.post(
            Some(anna),
            "/api/reimbursements",
            json!({"enrolment": enrolment, "category": "education", "amount": amount, "expense_date": TODAY, "receipt_reference": receipt}),
        )
        .assert_status(201)
    };
    let same = claim("300,00", "ft-1-2025");
    assert_eq!(id(&same), request);
    assert_eq!(same.body["protocol"]["label"], "2026/000001");
    let books = claim("50", "R-77");
    assert_eq!(books.body["protocol"]["label"], "2026/000002");
    assert_eq!(books.notice, None, "a program gets no message");

    // HR rejects it from the plan's page: the message, and the step in the request's history.
    let rejected = host.submit(
        Some(&enrolled.hr),
        &format!("/reimbursements/{request}/reject"),
        &[("reason", "La ricevuta non è leggibile")],
    );
    assert_eq!(
        rejected.assert_notice(&format!("plans/{}#requests", enrolled.plan_id)),
        "Rimborso respinto: il dipendente riceve il motivo."
    );
    let page = host
        .page(Some(anna), &format!("/reimbursements/{request}"))
        .assert_status(200);
    assert_eq!(page.template.as_deref(), Some("reimbursement.html"));
    let shown = &page.body["request"];
    assert_eq!(shown["protocol"]["label"], "2026/000001");
    assert_eq!(shown["history"][0]["action"], "Richiesta inviata");
    assert_eq!(
        shown["history"][1]["note"], "La ricevuta non è leggibile",
        "{shown}"
    );
    assert!(shown["history"][1]["at_ms"].is_i64(), "{shown}");
    // HR of the company sees it too; HR of another company and other employees do not.
    host.page(Some(&enrolled.hr), &format!("/reimbursements/{request}"))
        .assert_status(200);
    for stranger in [&enrolled.hr_beta, &enrolled.bruno] {
        host.get(Some(stranger), &format!("/api/reimbursements/{request}"))
            .assert_status(404);
    }
}
