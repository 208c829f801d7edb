//! Vouchers in the welfare wallet: a territory that names catalogue categories in
//! `wallet_categories` has each voucher issued to an account offered to its holder as a purse,
//! for those categories and the voucher's days, holding the voucher's own balance; a territory
//! that names none keeps vouchers for the shops only. What a booking draws from a voucher counts
//! in the campaign's spent total, as the kernel tells it.

use crate::common;

use common::{
    ANNA, DARIO, amounts, application, apply, close_after_the_closing_day, codes_of, create, id_of,
    winter_campaign, with,
};
use serde_json::json;
use trama_sdk::wallet::{DRAWN, SOURCE};
use trama_testhost::TestHost;
use vouchers::Vouchers;

fn host_with(settings: serde_json::Value) -> TestHost<Vouchers> {
    let host = TestHost::with_settings(env!("CARGO_MANIFEST_DIR"), settings)
        .expect("the manifest and settings");
    host.set_time("2026-01-12T10:00:00+01:00");
    host
}

#[test]
fn each_voucher_issued_to_an_account_is_offered_to_its_wallet_for_the_named_categories() {
    let host = host_with(json!({
        "municipality_name": "Comune di Prova", "voucher_code_prefix": "BS",
        "wallet_categories": ["Baby sitting", "Assistenza domiciliare"],
    }));
    let operator = host.account("operatrice", &["operator"]);
    let campaign = create(&host, &operator, winter_campaign());
    let path = common::applications(&campaign);
    let anna = host.account("anna", &["citizen"]);
    let anna_id = id_of(&host.post(Some(&anna), &path, apply(ANNA, 3, 1, "9000", true, false)));
    close_after_the_closing_day(&host);
    let funded = application(&host, &anna, &anna_id).body;
    assert_eq!(funded["status"], "beneficiary", "{funded}");

    let wallet = host.wallet_of(&anna);
    let codes = codes_of(&funded);
    assert_eq!(wallet.len(), codes.len(), "{wallet:?}");
    let mut offered: Vec<(String, i64)> = wallet
        .iter()
        .map(|p| (p.account.clone(), p.balance))
        .collect();
    offered.sort();
    let mut issued: Vec<(String, i64)> = codes
        .iter()
        .map(|c| format!("voucher/{c}"))
        .zip(amounts(&funded))
        .collect();
    issued.sort();
    assert_eq!(offered, issued, "each voucher, with its own balance");
    for purse in &wallet {
        assert_eq!(purse.owner, "vouchers");
        assert_eq!(purse.categories, ["Baby sitting", "Assistenza domiciliare"]);
        assert!(purse.label.contains("Comune di Prova"), "{}", purse.label);
    }
}

#[test]
fn without_wallet_categories_vouchers_stay_for_the_shops() {
    let host = common::host();
    let operator = host.account("operatrice", &["operator"]);
    let campaign = create(&host, &operator, winter_campaign());
    let path = common::applications(&campaign);
    let dario = host.account("dario", &["citizen"]);
    id_of(&host.post(
        Some(&dario),
        &path,
        apply(DARIO, 4, 0, "12000", true, false),
    ));
    close_after_the_closing_day(&host);
    assert!(host.wallet_of(&dario).is_empty());
}

#[test]
fn a_booking_paid_by_a_voucher_counts_as_spent_and_what_comes_back_after_the_lapse_funds_the_budget()
 {
    let host = host_with(json!({
        "municipality_name": "Comune di Prova", "voucher_code_prefix": "BS",
        "wallet_categories": ["Baby sitting"],
    }));
    let operator = host.account("operatrice", &["operator"]);
    let campaign = create(
        &host,
        &operator,
        with(winter_campaign(), json!({ "valid_days": 30 })),
    );
    let anna = host.account("anna", &["citizen"]);
    let path = common::applications(&campaign);
    let anna_id = id_of(&host.post(Some(&anna), &path, apply(ANNA, 3, 1, "9000", true, false)));
    close_after_the_closing_day(&host);
    assert_eq!(
        application(&host, &anna, &anna_id).body["status"],
        "beneficiary"
    );
    // The dashboard's spent and remaining cents, which the coordination table's budget reads.
    let figures = || {
        let c = &host.get(Some(&operator), "/api/dashboard").body["campaigns"][0];
        let cents = |what: &str| c[what]["cents"].as_i64().expect("cents");
        (cents("spent"), cents("remaining"))
    };
    let (spent, remaining) = figures();
    assert_eq!(spent, 0);

    // A booking in the catalogue draws 10 € from Anna's vouchers (from one, or from a small
    // one and the next: the kernel takes them in the order of their codes): spent, as at a shop.
    let charge = host.charge_as("services", &anna, "Baby sitting", 1_000, "booking/1");
    assert_eq!(charge.uncovered, 0, "{charge:?}");
    assert!(
        charge.drawn.iter().all(|d| d.owner == "vouchers"),
        "{charge:?}"
    );
    assert_eq!(charge.drawn.iter().map(|d| d.amount).sum::<i64>(), 1_000);
    let drawn: Vec<String> = charge.drawn.iter().map(|d| d.account.clone()).collect();
    let held = || {
        drawn
            .iter()
            .map(|voucher| host.balance_of("vouchers", voucher))
            .sum::<i64>()
    };
    let left = held();
    assert_eq!(figures(), (1_000, remaining));
    // Told twice (a delivery retried), it is booked once; a plugin posing as the kernel is
    // not listened to.
    let first = &charge.drawn[0];
    let movement = json!({
        "account": first.account, "amount_cents": first.amount, "charger": "services",
        "charge": "booking/1", "category": "Baby sitting",
        "entry": "~wallet/services/booking/1/0",
    });
    host.deliver(DRAWN, SOURCE, &movement)
        .expect("a redelivery");
    host.deliver(DRAWN, "rogue", &movement).expect("ignored");
    assert_eq!(figures(), (1_000, remaining));

    // The price goes down to 4 €: 6 € come back to the vouchers and leave the spent total.
    host.reprice_as("services", "booking/1", 400);
    assert_eq!(figures(), (400, remaining));
    assert_eq!(held(), left + 600);

    // After their last day the vouchers lapse and what is left goes back to the budget; the
    // 4 € a cancellation pays back later follow it there instead of waiting on dead vouchers.
    host.set_time("2026-03-01T09:00:00+01:00");
    host.run_job("lapse-vouchers").expect("the lapse job");
    let (_, after_lapse) = figures();
    assert!(after_lapse > remaining, "the vouchers' rest returned");
    assert_eq!(held(), 0);
    host.reprice_as("services", "booking/1", 0);
    assert_eq!(figures(), (0, after_lapse + 400));
    assert_eq!(held(), 0);
}
