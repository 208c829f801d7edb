//! Ratings: only after the provider marks a booking done, once, 1 to 5; the mean on the
//! service and the provider's card; operators hide a comment, which keeps its stars.

use crate::common;

use common::{confirmed_seats, coop_sole_offering, host, mark_done, slot, swimming};
use serde_json::json;

#[test]
fn a_done_booking_is_rated_once_and_an_operator_hides_the_comment() {
    let host = host();
    let (coop, _, id) = coop_sole_offering(&host, swimming("8"));
    let at = slot(&host, &coop, &id, "2026-12-10", "10:00", 5);
    let [anna, bruno] = host.accounts(["anna", "bruno"], &[]);
    let ids = confirmed_seats(&host, &coop, &id, &at, &[&anna, &bruno]);
    // Not before it is done.
    let early = host.post(
        Some(&anna),
        &format!("/api/bookings/{}/rate", ids[0]),
        json!({ "stars": "5" }),
    );
    assert_eq!(early.status, 409);
    host.set_time("2026-12-10T12:00:00+01:00");
    for b in &ids {
        mark_done(&host, &coop, b);
    }
    let refused = host.post(
        Some(&anna),
        &format!("/api/bookings/{}/rate", ids[0]),
        json!({ "stars": "6" }),
    );
    assert_eq!(refused.problem_fields(), ["stars"]);
    // The provider cannot rate for the person.
    assert_eq!(
        host.post(
            Some(&coop),
            &format!("/api/bookings/{}/rate", ids[0]),
            json!({ "stars": "5" })
        )
        .status,
        404
    );
    host.post(
        Some(&anna),
        &format!("/api/bookings/{}/rate", ids[0]),
        json!({ "stars": "5", "comment": "Ottimo istruttore" }),
    )
    .assert_status(201);
    assert_eq!(
        host.post(
            Some(&anna),
            &format!("/api/bookings/{}/rate", ids[0]),
            json!({ "stars": "1" })
        )
        .status,
        409
    );
    // The mean shows from the first rating, on the service and on the provider's card.
    let page = host.get(None, &format!("/api/services/{id}")).body;
    assert_eq!(page["service"]["rating"], 5.0);
    assert_eq!(page["service"]["provider"]["rating"], 5.0);
    assert_eq!(page["ratings"][0]["comment"], "Ottimo istruttore");
    host.post(
        Some(&bruno),
        &format!("/api/bookings/{}/rate", ids[1]),
        json!({ "stars": "2", "comment": "Sporco" }),
    )
    .assert_status(201);
    let page = host.get(None, &format!("/api/services/{id}")).body;
    assert_eq!(page["service"]["rating"], 3.5);
    assert_eq!(page["service"]["ratings"], 2);

    // An operator hides Bruno's comment (audited): the stars stay in the mean.
    let operator = host.account("operatore", &["operator"]);
    assert_eq!(
        host.post(
            Some(&coop),
            &format!("/api/bookings/{}/comment", ids[1]),
            json!({ "hidden": "yes" })
        )
        .status,
        403
    );
    host.post(
        Some(&operator),
        &format!("/api/bookings/{}/comment", ids[1]),
        json!({ "hidden": "yes" }),
    )
    .assert_status(201);
    assert_eq!(
        host.audited(&ids[1]).last().map(String::as_str),
        Some("rating.hidden")
    );
    let page = host.get(None, &format!("/api/services/{id}")).body;
    assert_eq!(page["service"]["rating"], 3.5);
    let comments: Vec<_> = page["ratings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["comment"].clone())
        .collect();
    assert_eq!(comments, [json!("Ottimo istruttore")]);
    host.page(Some(&operator), "/operator").assert_status(200);
    host.page(None, &format!("/services/{id}"))
        .assert_status(200);
}

#[test]
fn the_monthly_statement_lists_what_was_paid_directly_and_an_operator_marks_it_paid_once() {
    let host = host();
    let (coop, provider, id) = coop_sole_offering(&host, swimming("8,50"));
    let at = slot(&host, &coop, &id, "2026-12-10", "10:00", 5);
    let [anna, bruno] = host.accounts(["anna", "bruno"], &[]);
    confirmed_seats(&host, &coop, &id, &at, &[&anna, &bruno]);
    host.set_time("2026-12-10T12:00:00+01:00");
    for b in host.get(Some(&coop), "/api/provider").body["providers"][0]["bookings"]
        .as_array()
        .unwrap()
        .clone()
    {
        mark_done(&host, &coop, b["id"].as_str().unwrap());
    }
    let statement = common::statement(&host, &coop, &provider, "2026-12");
    assert_eq!(statement["paid_directly_cents"], 1700, "{statement}");
    assert_eq!(statement["rows"].as_array().map(Vec::len), Some(2));
    assert_eq!(statement["sources_cents"], 0);
    assert_eq!(
        host.get(
            Some(&coop),
            &format!("/api/providers/{provider}/statements/2026-11")
        )
        .body["paid_directly_cents"],
        0
    );
    // Somebody else does not see it.
    assert_eq!(
        host.get(
            Some(&anna),
            &format!("/api/providers/{provider}/statements/2026-12")
        )
        .status,
        404
    );
    let text = common::download(
        &host,
        &coop,
        &format!("/providers/{provider}/statements/2026-12/statement.csv"),
    );
    assert!(text.contains("Pagato direttamente"), "{text}");
    assert!(text.contains("8,50"), "{text}");

    let operator = host.account("operatore", &["operator"]);
    let path = format!("/api/providers/{provider}/statements/2026-12/paid");
    assert_eq!(
        host.post(Some(&coop), &path, json!({ "reference": "CRO1" }))
            .status,
        403
    );
    assert_eq!(
        host.post(Some(&operator), &path, json!({ "reference": " " }))
            .problem_fields(),
        ["reference"]
    );
    host.post(Some(&operator), &path, json!({ "reference": "CRO 123" }))
        .assert_status(201);
    assert_eq!(
        host.post(Some(&operator), &path, json!({ "reference": "CRO 124" }))
            .status,
        409
    );
    assert_eq!(
        host.audited(&format!("{provider}.2026-12")),
        ["statement.paid"]
    );
    let page = host
        .page(Some(&operator), "/statements?month=2026-12")
        .assert_status(200);
    assert_eq!(page.body["statements"][0]["paid"]["reference"], "CRO 123");
}
