//! A campaign whose vouchers are spent only at pharmacies: a shop of another category is
//! refused and nothing moves; a pharmacy redeems — natively against the kernel's store,
//! ledger and accounts.

use crate::common;

use common::{
    AFTER_CLOSING, ANNA, application, applications, apply, close, codes_of, created,
    host_and_operator, id_of, winter_campaign,
};
use serde_json::{Value as Json, json};
use trama_contracts::admissions::ProviderAccredited;
use trama_testhost::Account;

/// The accreditation `admissions` publishes for a shop of `categories`, run by `owner`.
fn accredited(provider: &str, name: &str, owner: &Account, categories: &[&str]) -> Json {
    serde_json::to_value(ProviderAccredited {
        provider_id: provider.to_owned(),
        legal_name: name.to_owned(),
        tax_code: "01234567897".to_owned(),
        vat_number: None,
        legal_form: "srl".to_owned(),
        address: "Via Roma 1, Montevarchi".to_owned(),
        user_id: owner.id.clone(),
        categories: categories.iter().map(|c| (*c).to_owned()).collect(),
        services: Vec::new(),
        admitted_on: "2026-01-02".to_owned(),
        expires_on: "2027-01-01".to_owned(),
    })
    .expect("a payload")
}

#[test]
fn vouchers_limited_to_a_category_are_refused_elsewhere_and_nothing_moves() {
    let (host, operator) = host_and_operator();
    let pharmacist = host.account("farmacia", &["merchant"]);
    let tailor = host.account("sartoria", &["merchant"]);
    for (provider, name, owner, categories) in [
        ("adm-1", "Farmacia Centrale", &pharmacist, ["farmacia"]),
        ("adm-2", "Sartoria Bianchi", &tailor, ["abbigliamento"]),
    ] {
        host.deliver(
            "admissions.provider_accredited",
            "admissions",
            &accredited(provider, name, owner, &categories),
        )
        .expect("the accreditation");
    }
    // The form offers the categories the shops carry.
    let form = host.page(Some(&operator), "/campaigns/new");
    assert_eq!(
        form.body["shop_choices"]["categories"],
        json!(["abbigliamento", "farmacia"]),
        "{}",
        form.body
    );
    // A shop that does not exist is named as the problem.
    let mut wrong = winter_campaign();
    wrong["shop_merchants"] = json!(["no-such-shop"]);
    let refused = host
        .post(Some(&operator), "/api/campaigns", wrong)
        .assert_status(422);
    assert_eq!(refused.problem_fields(), vec!["shop_merchants"]);

    let mut campaign = winter_campaign();
    campaign["shop_categories"] = json!(["farmacia"]);
    let created = created(&host, &operator, campaign);
    assert_eq!(created.body["shops"]["categories"], json!(["farmacia"]));
    let id = id_of(&created);
    // Citizens read where the vouchers are spent.
    let anna = host.account("anna", &["citizen"]);
    let page = host.page(Some(&anna), &format!("/campaigns/{id}"));
    assert_eq!(
        page.body["where_to_spend"]["categories"],
        json!(["farmacia"]),
        "{}",
        page.body
    );
    let applied = host.post(
        Some(&anna),
        &applications(&id),
        apply(ANNA, 3, 1, "9.000,00", true, false),
    );
    assert_eq!(applied.body["status"], "eligible", "{}", applied.body);
    host.set_time(AFTER_CLOSING);
    close(&host, &operator, &id).assert_status(200);
    let mine = application(&host, &anna, &id_of(&applied));
    let code = codes_of(&mine.body)[0].clone();
    let balance = || {
        host.get(Some(&anna), &format!("/api/vouchers/{code}")).body["balance_cents"]
            .as_i64()
            .expect("a balance")
    };
    let before = balance();
    assert!(before > 0);

    // The tailor's shop is of another category: refused, and the voucher keeps every cent.
    let at_tailor = host
        .post(
            Some(&tailor),
            "/api/redeem",
            json!({"code": code, "amount": "5,00", "request_id": "tailor-0001"}),
        )
        .assert_status(422);
    assert!(
        at_tailor.message().contains("Sartoria Bianchi"),
        "{}",
        at_tailor.body
    );
    assert_eq!(balance(), before);
    let tailor_page = host.get(Some(&tailor), "/api/merchant");
    assert_eq!(tailor_page.body["owed_cents"], 0, "{}", tailor_page.body);
    assert_eq!(
        tailor_page.body["redemptions"],
        json!([]),
        "no redemption written"
    );

    // The pharmacy redeems.
    host.post(
        Some(&pharmacist),
        "/api/redeem",
        json!({"code": code, "amount": "5,00", "request_id": "pharma-0001"}),
    )
    .assert_status(201);
    assert_eq!(balance(), before - 500);
}
