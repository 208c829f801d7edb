//! Tests of the closing's plan and settlement.

use super::*;
use crate::application::Application;
use crate::rules::Reason;

#[test]
fn plan_entries_are_compact() {
    let entry = PlanEntry {
        tax_code: "RSSMRA85T10A562S".into(),
        outcome: Outcome::Funded,
        rank: 12_345,
        amount_cents: 40_000,
        excluded_by: None,
        application: String::new(),
    };
    let json = serde_json::to_string(&entry).unwrap();
    assert_eq!(
        json,
        r#"{"t":"RSSMRA85T10A562S","o":"f","r":12345,"a":40000}"#
    );
    // A full chunk stays far below the 1 MiB document limit.
    assert!(json.len() * CHUNK < 400 * 1024);
}

#[test]
fn unfunded_entries_settle_once() {
    let app = Application {
        user_id: None,
        filed_by: "op".into(),
        on_behalf: true,
        status: Status::Eligible,
        amount_cents: 100,
        ..Application::example(Status::Eligible)
    };
    let entry = PlanEntry {
        tax_code: app.tax_code.clone(),
        outcome: Outcome::NotFunded,
        rank: 7,
        amount_cents: 100,
        excluded_by: None,
        application: String::new(),
    };
    let mut titles = Titles::default();
    let next = settle(&app, &entry, &mut titles, 5).unwrap().unwrap();
    assert_eq!(next.status, Status::NotFunded);
    assert_eq!(next.rank, Some(7));
    assert!(next.reasons.is_empty());
    assert_eq!(
        settle(&next, &entry, &mut titles, 6).unwrap(),
        None,
        "a replay changes nothing"
    );
    let unresolved = PlanEntry {
        outcome: Outcome::Unresolved,
        rank: 0,
        ..entry
    };
    let next = settle(&app, &unresolved, &mut titles, 5).unwrap().unwrap();
    assert_eq!(next.reasons, vec![Reason::NotRanked]);
    assert_eq!(next.rank, None);
}
