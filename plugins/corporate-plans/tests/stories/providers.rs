//! Providers accredited by `admissions` join the catalogue through its events: linked to the
//! account that applied, with their services and their own category names; a provider that
//! stops being accredited leaves it.

use crate::common;

use common::{ACME_VAT, Host, SCHOOL_VAT, company_with_hr, id};
use serde_json::{Value as Json, json};
use trama_contracts::admissions::{ProviderAccredited, ProviderService, ProviderStatusChange};
use trama_testhost::Account;

/// The accreditation `admissions` publishes when its committee approves the association.
fn accredited(owner: &Account) -> Json {
    serde_json::to_value(ProviderAccredited {
        provider_id: "adm-0001".to_owned(),
        legal_name: "APS Compiti Insieme".to_owned(),
        tax_code: SCHOOL_VAT.to_owned(),
        vat_number: Some(SCHOOL_VAT.to_owned()),
        legal_form: "association".to_owned(),
        address: "Via Roma 1, 52025 Montevarchi (AR)".to_owned(),
        user_id: owner.id.clone(),
        categories: vec!["doposcuola e istruzione".to_owned()],
        services: vec![ProviderService {
            id: "s1".to_owned(),
            title: "Doposcuola pomeridiano".to_owned(),
            category: "doposcuola e istruzione".to_owned(),
            description: "Compiti e studio assistito dal lunedì al venerdì".to_owned(),
        }],
        admitted_on: "2026-03-10".to_owned(),
        expires_on: "2027-03-09".to_owned(),
    })
    .expect("a payload")
}

/// The accredited association's after-school club, priced by its owner at 45 €, and Anna
/// with a 300 € wallet of a plan covering its category.
struct Listed {
    host: Host,
    operator: Account,
    owner: Account,
    anna: Account,
    enrolment: String,
    service: String,
}

fn accredited_and_listed() -> Listed {
    let host = common::host();
    let operator = host.account("coop", &["operator"]);
    let hr = host.account("hr.office", &["company_hr"]);
    let owner = host.account("doposcuola", &["citizen"]);
    let anna = host.account("anna", &["citizen"]);

    // The event brings the provider, linked to the applicant, with its service (no price yet).
    host.deliver(
        "admissions.provider_accredited",
        "admissions",
        &accredited(&owner),
    )
    .expect("the accreditation is applied");
    let providers = host.get(Some(&operator), "/api/providers").body;
    assert_eq!(
        providers[0]["legal_name"], "APS Compiti Insieme",
        "{providers}"
    );
    assert_eq!(providers[0]["status"], "active", "{providers}");
    assert_eq!(providers[0]["source"], "admissions");
    assert_eq!(providers[0]["linked"], true);
    // Delivered again (delivery is at least once), it is still one provider.
    host.deliver(
        "admissions.provider_accredited",
        "admissions",
        &accredited(&owner),
    )
    .expect("the same accreditation again");
    let providers = host.get(Some(&operator), "/api/providers").body;
    assert_eq!(providers.as_array().map(Vec::len), Some(1), "{providers}");
    let mine = host.get(Some(&owner), "/api/provider").body;
    let service = &mine["providers"][0]["services"][0];
    assert_eq!(service["title"], "Doposcuola pomeridiano", "{mine}");
    assert_eq!(service["category"], "doposcuola e istruzione");
    assert_eq!(service["listed"], false);
    let service = service["id"].as_str().expect("id").to_owned();
    let priced = host.post(
        Some(&owner),
        &format!("/api/services/{service}/price"),
        json!({"price": "45,00"}),
    );
    assert_eq!(
        (priced.status, &priced.body["listed"]),
        (200, &json!(true)),
        "{}",
        priced.body
    );

    // A plan covering the association's category; Anna activates her wallet.
    let company = company_with_hr(&host, &operator, &hr, "Acme srl", ACME_VAT);
    host.post(
        Some(&operator),
        &format!("/api/companies/{company}/deposits"),
        json!({"amount": 500, "reference": "TRN-1", "request_id": "deposit-adm-00001"}),
    )
    .assert_status(201);
    let plan = host.post(
        Some(&hr),
        "/api/plans",
        json!({"title": "Welfare", "budget": 300, "flat_credit": 300, "categories": ["doposcuola e istruzione"], "request_id": "plan-adm-0000001"}),
    ).assert_status(201);
    let enrolment = host
        .post(
            Some(&hr),
            &format!("/api/plans/{}/enrolments", id(&plan)),
            json!({"username": "anna", "full_name": "Anna Rossi"}),
        )
        .assert_status(201);
    host.post(
        Some(&anna),
        &format!("/api/enrolments/{}/activate", id(&enrolment)),
        json!({"code": enrolment.body["activation_code"]}),
    )
    .assert_status(200);
    Listed {
        host,
        operator,
        owner,
        anna,
        enrolment: id(&enrolment),
        service,
    }
}

#[test]
fn an_accredited_provider_joins_the_catalogue_and_an_employee_buys_from_it() {
    let Listed {
        host,
        owner,
        anna,
        enrolment,
        service,
        ..
    } = accredited_and_listed();
    let bought = host.post(
        Some(&anna),
        "/api/purchases",
        json!({"enrolment": enrolment, "service": service, "price": "45", "request_id": "buy-adm-00000001"}),
    ).assert_status(201);
    assert_eq!(bought.body["balance_cents"], 25_500);
    let mine = host.get(Some(&owner), "/api/provider").body;
    assert_eq!(
        mine["providers"][0]["provider"]["owed_cents"], 4_500,
        "{mine}"
    );
}

#[test]
fn a_provider_suspended_by_admissions_sells_nothing_more() {
    let Listed {
        host,
        operator,
        owner,
        anna,
        enrolment,
        service,
    } = accredited_and_listed();
    let suspension = serde_json::to_value(ProviderStatusChange {
        provider_id: "adm-0001".to_owned(),
        user_id: owner.id.clone(),
        legal_name: "APS Compiti Insieme".to_owned(),
        reason: "DURC irregolare".to_owned(),
    })
    .expect("a payload");
    host.deliver("admissions.provider_suspended", "admissions", &suspension)
        .expect("the suspension is applied");
    let providers = host.get(Some(&operator), "/api/providers").body;
    assert_eq!(providers[0]["status"], "suspended", "{providers}");
    let refused = host.post(
        Some(&anna),
        "/api/purchases",
        json!({"enrolment": enrolment, "service": service, "price": "45", "request_id": "buy-adm-00000002"}),
    );
    assert_eq!(
        refused.status, 409,
        "a suspended provider's service was sold: {}",
        refused.body
    );
    assert!(
        refused.message().contains("non è più disponibile"),
        "{}",
        refused.body
    );
    assert_eq!(common::wallet(&host, &anna, &enrolment), (30_000, 0));
}
