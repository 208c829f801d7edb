//! A booking paid from the person's welfare wallet: the Comune's vouchers for the category
//! first, then the company's credit, the rest directly — exact to the cent in every book — and
//! paid back when the booking is cancelled or its price goes down. The purses are the kernel's
//! own, in the other plugins' books, on the same in-memory database.

use crate::common;

use common::*;
use serde_json::json;

const VOUCHERS: &str = "vouchers";
const COMPANY: &str = "corporate-plans";

fn owed(provider: &str) -> String {
    format!("owed/{provider}")
}

#[test]
fn a_booking_is_paid_from_two_credit_sources_and_the_rest_directly() {
    let host = host();
    let (coop, provider, service) = coop_sole_offering(
        &host,
        service_body("Baby sitting serale", "Baby sitting", "fixed", "100"),
    );
    let at = slot(&host, &coop, &service, "2026-12-10", "18:00", 2);
    let anna = host.person("anna", "Anna Bianchi", &[]);
    host.offer_purse(
        VOUCHERS,
        "voucher/A1",
        &anna,
        3_000,
        "Buono spesa · Comune",
        &["Baby sitting"],
    );
    host.offer_purse(
        COMPANY,
        "wallet/p1.anna",
        &anna,
        5_000,
        "Welfare Fonderia 2026",
        &[],
    );

    // Nobody logged in sees no split.
    let anonymous = host
        .get(None, &format!("/api/services/{service}"))
        .assert_status(200);
    assert_eq!(anonymous.body["slots"][0]["wallet"], json!(null));
    // Before booking, the service page shows the split for the logged-in person.
    let page = host
        .get(Some(&anna), &format!("/api/services/{service}"))
        .assert_status(200);
    assert_eq!(
        page.body["slots"][0]["wallet"]["credit"], "80,00 €",
        "{}",
        page.body
    );
    assert_eq!(page.body["slots"][0]["wallet"]["directly"], "20,00 €");

    let booking = booked(&host, &anna, &service, Some(&at));
    let seen = host
        .get(Some(&anna), &format!("/api/bookings/{booking}"))
        .assert_status(200)
        .body;
    let credit: Vec<(String, i64)> = seen["paid_by_credit"]
        .as_array()
        .expect("credit")
        .iter()
        .map(|c| {
            (
                c["source"].as_str().unwrap_or_default().to_owned(),
                c["cents"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        credit,
        vec![(VOUCHERS.to_owned(), 3_000), (COMPANY.to_owned(), 5_000)]
    );
    assert_eq!(seen["paid_directly_cents"], 2_000);
    assert_eq!(host.balance_of(VOUCHERS, "voucher/A1"), 0);
    assert_eq!(host.balance_of(COMPANY, "wallet/p1.anna"), 0);
    assert_eq!(host.balance_of("services", &owed(&provider)), 8_000);

    // Confirmed, given, marked done: the statement says what each source owes the provider.
    confirm(&host, &coop, &booking);
    host.set_time("2026-12-10T20:00:00+01:00");
    mark_done(&host, &coop, &booking);
    let statement = common::statement(&host, &coop, &provider, "2026-12");
    assert_eq!(
        statement["owed_cents"],
        json!({ COMPANY: 5_000, VOUCHERS: 3_000 }),
        "{statement}"
    );
    assert_eq!(statement["paid_directly_cents"], 2_000);
    let text = download(
        &host,
        &coop,
        &format!("/providers/{provider}/statements/2026-12/statement.csv"),
    );
    assert!(text.contains("30,00") && text.contains("50,00"), "{text}");

    // Paid out by the operator: the provider's account is settled, once.
    let operator = host.account("operatore", &["operator"]);
    host.post(
        Some(&operator),
        &format!("/api/providers/{provider}/statements/2026-12/paid"),
        json!({ "reference": "CRO 0001" }),
    )
    .assert_status(201);
    assert_eq!(host.balance_of("services", &owed(&provider)), 0);
    assert_eq!(host.balance_of("services", "paid-out"), 8_000);
}

#[test]
fn a_cancelled_or_declined_booking_gives_the_credit_back_and_other_categories_are_not_drawn() {
    let host = host();
    let (coop, provider, service) = coop_sole_offering(
        &host,
        service_body("Baby sitting serale", "Baby sitting", "fixed", "40"),
    );
    let at = slot(&host, &coop, &service, "2026-12-10", "18:00", 2);
    let swim = publish(&host, &coop, &provider, swimming("20"));
    let pool = slot(&host, &coop, &swim, "2026-12-11", "10:00", 5);
    let anna = host.person("anna", "Anna Bianchi", &[]);
    host.offer_purse(
        VOUCHERS,
        "voucher/A1",
        &anna,
        10_000,
        "Buono · Comune",
        &["Baby sitting"],
    );

    let booking = booked(&host, &anna, &service, Some(&at));
    assert_eq!(host.balance_of(VOUCHERS, "voucher/A1"), 6_000);
    host.post(
        Some(&anna),
        &format!("/api/bookings/{booking}/cancel"),
        json!({}),
    )
    .assert_status(201);
    assert_eq!(
        host.balance_of(VOUCHERS, "voucher/A1"),
        10_000,
        "cancelled: all back"
    );

    // Booking the same seat again is a new charge, not the cancelled one replayed.
    let again = booked(&host, &anna, &service, Some(&at));
    assert_eq!(again, booking, "one person, one seat of a slot");
    assert_eq!(host.balance_of(VOUCHERS, "voucher/A1"), 6_000);
    host.post(
        Some(&coop),
        &format!("/api/bookings/{again}/decline"),
        json!({}),
    )
    .assert_status(201);
    assert_eq!(
        host.balance_of(VOUCHERS, "voucher/A1"),
        10_000,
        "declined: all back"
    );

    // Swimming is sport: the voucher earmarked for baby sitting does not pay it.
    let swim_booking = booked(&host, &anna, &swim, Some(&pool));
    let seen = host
        .get(Some(&anna), &format!("/api/bookings/{swim_booking}"))
        .body;
    assert_eq!(seen["paid_by_credit"], json!([]));
    assert_eq!(seen["paid_directly_cents"], 2_000);
    assert_eq!(host.balance_of(VOUCHERS, "voucher/A1"), 10_000);
}

#[test]
fn a_shared_service_charges_the_share_at_its_minimum_and_pays_back_as_the_group_grows() {
    let host = host();
    let mut body = service_body("Baby sitting di gruppo", "Baby sitting", "fixed", "60");
    body["group_size"] = json!("4");
    body["group_minimum"] = json!("2");
    let (coop, provider, service) = coop_sole_offering(&host, body);
    let group = slot(&host, &coop, &service, "2026-12-10", "16:00", 4);
    let [anna, bruno, carla, dario] = host.accounts(["anna", "bruno", "carla", "dario"], &[]);
    host.offer_purse(VOUCHERS, "voucher/A1", &anna, 10_000, "Buono · Comune", &[]);

    let first = booked(&host, &anna, &service, Some(&group));
    assert_eq!(
        host.balance_of(VOUCHERS, "voucher/A1"),
        7_000,
        "60 € over the minimum of 2"
    );
    for who in [&bruno, &carla, &dario] {
        booked(&host, who, &service, Some(&group));
    }
    host.set_time("2026-12-10T18:00:00+01:00");
    mark_done(&host, &coop, &first);
    let seen = host
        .get(Some(&anna), &format!("/api/bookings/{first}"))
        .body;
    assert_eq!(
        seen["paid_by_credit"][0]["cents"], 1_500,
        "a quarter of 60 €: {seen}"
    );
    assert_eq!(seen["paid_directly_cents"], 0);
    assert_eq!(
        host.balance_of(VOUCHERS, "voucher/A1"),
        8_500,
        "15 € paid back"
    );
    assert_eq!(host.balance_of("services", &owed(&provider)), 1_500);
}

#[test]
fn a_request_longer_than_its_estimate_is_paid_directly_beyond_the_charge() {
    let host = host();
    let (coop, _, service) = coop_sole_offering(
        &host,
        service_body(
            "Assistenza a domicilio",
            "Assistenza domiciliare",
            "per_hour",
            "20",
        ),
    );
    let anna = host.person("anna", "Anna Bianchi", &[]);
    host.offer_purse(
        COMPANY,
        "wallet/p1.anna",
        &anna,
        10_000,
        "Welfare Fonderia 2026",
        &[],
    );
    let request = booked(&host, &anna, &service, None);
    assert_eq!(
        host.balance_of(COMPANY, "wallet/p1.anna"),
        8_000,
        "one hour asked"
    );
    host.post(
        Some(&coop),
        &format!("/api/bookings/{request}/confirm"),
        json!({ "date": "2026-12-12", "start": "09:00", "minutes": "150" }),
    )
    .assert_status(201);
    let seen = host
        .get(Some(&anna), &format!("/api/bookings/{request}"))
        .body;
    assert_eq!(seen["paid_by_credit"][0]["cents"], 2_000, "{seen}");
    assert_eq!(
        seen["paid_directly_cents"], 3_000,
        "two and a half hours: 50 €"
    );
    assert_eq!(host.balance_of(COMPANY, "wallet/p1.anna"), 8_000);
}
