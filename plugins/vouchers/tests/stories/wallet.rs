//! Vouchers in the welfare wallet: a territory that names catalogue categories in
//! `wallet_categories` has each voucher issued to an account offered to its holder as a purse,
//! for those categories and the voucher's days, holding the voucher's own balance; a territory
//! that names none keeps vouchers for the shops only.

use crate::common;

use common::{
    ANNA, DARIO, amounts, application, apply, close_after_the_closing_day, codes_of, create, id_of,
    winter_campaign,
};
use serde_json::json;
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
