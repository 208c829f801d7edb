//! Credit spent in the territory's services catalogue through the welfare wallet: the kernel
//! tells the plugin of each draw and payment back, and HR's "where the budget is" and the
//! employees' report have a line for it, to the cent — also when a booking is cancelled after
//! the plan's expiry emptied the wallet, whose money then goes back to the company.

use crate::common;

use std::time::Duration;

use common::Enrolled;
use serde_json::json;

#[test]
fn bookings_paid_from_the_credit_have_their_line_and_late_paybacks_return_to_the_company() {
    let plan = common::deposit_plan_and_enrolment();
    let Enrolled { host, hr, anna, .. } = &plan;
    let report = || plan.plan_summary();
    let cents = |report: &serde_json::Value, what: &str| {
        report["summary"][what]["cents"]
            .as_i64()
            .unwrap_or_else(|| panic!("{what} in {report}"))
    };
    let anna_booked = || {
        let lines = host
            .get(Some(hr), &format!("/api/plans/{}/employees", plan.plan_id))
            .assert_status(200)
            .body;
        lines
            .as_array()
            .and_then(|lines| lines.iter().find(|l| l["username"] == "anna"))
            .and_then(|anna| anna["booked"]["cents"].as_i64())
            .unwrap_or_else(|| panic!("anna in {lines}"))
    };
    let before = report();
    assert_eq!(cents(&before, "booked"), 0);

    // Anna books 25 € of baby sitting in the catalogue, paid from her company credit.
    let charge = host.charge_as("services", anna, "Baby sitting", 2_500, "booking/7");
    assert_eq!(charge.uncovered, 0, "{charge:?}");
    assert_eq!(plan.anna_wallet().0, 110_000 - 2_500);
    let after = report();
    assert_eq!(cents(&after, "booked"), 2_500, "{after}");
    assert_eq!(
        cents(&after, "in_wallets"),
        cents(&before, "in_wallets") - 2_500,
        "the money moved from the wallets to the line of the catalogue"
    );
    assert_eq!(anna_booked(), 2_500);

    // The price goes down to 10 €: 15 € come back to her wallet and leave the line.
    host.reprice_as("services", "booking/7", 1_000);
    assert_eq!(cents(&report(), "booked"), 1_000);
    assert_eq!(plan.anna_wallet().0, 110_000 - 1_000);

    // The plan closes and the job returns what is left; a cancellation after that pays the
    // 10 € back into an emptied wallet, and they go on to the company, counted as returned.
    host.post(
        Some(hr),
        &format!("/api/plans/{}/close", plan.plan_id),
        json!({}),
    )
    .assert_status(200);
    host.advance(Duration::from_secs(60));
    host.run_job("expire-plans").expect("the expiry");
    let expired = report();
    assert_eq!(expired["plan"]["state"], "expired", "{expired}");
    let returned = cents(&expired, "returned");
    let company = plan.acme_balance();
    host.reprice_as("services", "booking/7", 0);
    let last = report();
    assert_eq!(cents(&last, "booked"), 0);
    assert_eq!(cents(&last, "returned"), returned + 1_000, "{last}");
    assert_eq!(plan.anna_wallet().0, 0);
    assert_eq!(plan.acme_balance(), company + 1_000);
}
