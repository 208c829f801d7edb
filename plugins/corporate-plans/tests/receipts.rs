//! What an employee keeps of a request for reimbursement: its protocol number in the
//! instance's register, with the time it was received, on the request's own page with its
//! history; and the message the next page shows after the form, naming the number.

mod common;

use common::{TODAY, deposit_plan_and_enrolment, id};
use serde_json::json;

#[test]
fn a_request_for_reimbursement_has_a_receipt_and_a_timeline() {
    let enrolled = deposit_plan_and_enrolment();
    let host = &enrolled.host;
    let anna = &enrolled.anna;
    let enrolment = enrolled.anna_enrolment.as_str();

    // Through the wallet's form: the next page is the request's, with the message.
    let sent = host.submit(
        Some(anna),
        "/reimbursements",
        &[
            ("enrolment", enrolment),
            ("category", "education"),
            ("amount", "300,00"),
            ("expense_date", TODAY),
            ("receipt_reference", "FT 1/2025"),
            ("description", "retta"),
        ],
    );
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
