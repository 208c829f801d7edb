//! A campaign takes applications from its opening day to its closing day, on the plugin's
//! clock — run natively against the kernel's store (`trama-testhost`).

use crate::common;

use common::{AFTER_CLOSING, ANNA, BRUNO, applications, create, winter_notice, with};
use serde_json::json;
use trama_testhost::TestHost;
use vouchers::Vouchers;

#[test]
fn applications_are_taken_only_between_the_opening_and_the_closing_day() {
    let host = TestHost::<Vouchers>::new(env!("CARGO_MANIFEST_DIR")).expect("the manifest");
    let operator = host.account("operatrice", &["operator"]);
    let anna = host.account("anna", &["citizen"]);
    host.set_time("2026-01-05T10:00:00+01:00");
    let id = create(
        &host,
        &operator,
        with(
            winter_notice(),
            json!({
                "fields": ["household_size", "isee", "resident"],
                "isee_max": "15.000",
                "residence_required": true,
                "base_amounts": ["150", "250"],
            }),
        ),
    );
    let path = applications(&id);
    let application =
        json!({"tax_code": ANNA, "household_size": 1, "isee": "9000", "resident": true});
    // Before the opening day: refused, and nothing is stored.
    host.post(Some(&anna), &path, application.clone())
        .assert_status(422);
    assert_eq!(
        host.get(Some(&anna), "/api/my-applications").body,
        json!([])
    );
    // On the opening day it is taken.
    host.set_time("2026-01-11T08:00:00+01:00");
    let taken = host
        .post(Some(&anna), &path, application)
        .assert_status(201);
    assert_eq!(taken.body["amount_cents"], 15_000, "{}", taken.body);
    // After the closing day: refused.
    host.set_time(AFTER_CLOSING);
    let bruno = host.account("bruno", &["citizen"]);
    host.post(
        Some(&bruno),
        &path,
        json!({"tax_code": BRUNO, "household_size": 1, "isee": "9000", "resident": true}),
    )
    .assert_status(422);
}
