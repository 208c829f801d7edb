//! The tutoring service as a measure of the coordination table's budget: the kernel lists it
//! with what the table allocated, what the lessons committed and what was delivered, priced at
//! the hourly rate; an allocation is taken once however often the kernel tells it, and one for
//! a measure the service does not have is refused so the kernel gives the money back.

use crate::common;

use common::a_month_of_lessons;
use serde_json::json;

const MEASURES: &str = "/_kernel/budget/measures";
const ALLOCATIONS: &str = "/_kernel/budget/allocations";

#[test]
fn the_service_reports_its_budget_and_takes_each_allocation_once() {
    let month = a_month_of_lessons();
    let host = &month.host;

    // Three lessons of an hour scheduled at 22,00 €: 66,00 € committed, nothing delivered yet.
    let listed = host.get(None, MEASURES).assert_status(200);
    assert_eq!(
        listed.body,
        json!([{
            "id": "doposcuola",
            "title": "Doposcuola di Prova",
            "budget_cents": 0,
            "committed_cents": 6600,
            "spent_cents": 0,
            "remaining_cents": -6600,
        }])
    );

    // The table allocates 500 €: taken once, however often the kernel tells it.
    let allocation = json!({
        "measure": "doposcuola",
        "amount_cents": 50_000,
        "key": "allocation/7",
        "funder": "comune",
        "funder_name": "Comune di Prova",
        "proposal": 7,
    });
    let taken = host
        .post(None, ALLOCATIONS, allocation.clone())
        .assert_status(200);
    assert_eq!(
        (
            taken.body["taken"].clone(),
            taken.body["budget_cents"].clone()
        ),
        (json!(true), json!(50_000))
    );
    let again = host.post(None, ALLOCATIONS, allocation).assert_status(200);
    assert_eq!(
        (
            again.body["taken"].clone(),
            again.body["budget_cents"].clone()
        ),
        (json!(false), json!(50_000))
    );
    assert_eq!(
        host.audited("doposcuola"),
        ["budget.allocated"],
        "audited once"
    );

    // Another measure, or no money, is refused: the kernel gives it back to the fund.
    let elsewhere = host.post(
        None,
        ALLOCATIONS,
        json!({ "measure": "campi-estivi", "amount_cents": 100, "key": "allocation/8" }),
    );
    assert_eq!(elsewhere.status, 404);
    assert!(
        elsewhere.message().contains("doposcuola"),
        "{}",
        elsewhere.body
    );
    let nothing = host.post(
        None,
        ALLOCATIONS,
        json!({ "measure": "doposcuola", "amount_cents": 0, "key": "allocation/9" }),
    );
    assert_eq!(nothing.status, 400);

    // Two lessons are called off by the cancellations, one is held: 22,00 € committed and
    // delivered.
    month.cancelled_and_held();
    let listed = host.get(None, MEASURES).assert_status(200);
    let service = &listed.body[0];
    assert_eq!(
        (
            service["budget_cents"].as_i64(),
            service["committed_cents"].as_i64(),
            service["spent_cents"].as_i64(),
            service["remaining_cents"].as_i64(),
        ),
        (Some(50_000), Some(2200), Some(2200), Some(47_800)),
        "{service}"
    );
}
