//! What the stories share: a host with a small taxonomy, a provider accredited through the
//! admissions events, and a service it publishes.
#![allow(dead_code)]

use serde_json::{Value as Json, json};
use services::Services;
use trama_contracts::admissions::{ProviderAccredited, ProviderStatusChange};
use trama_testhost::{Account, TestHost};

pub fn host() -> TestHost<Services> {
    let host = TestHost::with_settings(
        env!("CARGO_MANIFEST_DIR"),
        json!({ "categories": ["Baby sitting", "Assistenza domiciliare", "Sport"], "cancel_hours": 24 }),
    )
    .expect("the manifest");
    host.set_time("2026-12-01T10:00:00+01:00");
    host
}

/// The accreditation `admissions` publishes for provider `id`, run by `owner`.
pub fn accredit(host: &TestHost<Services>, id: &str, name: &str, owner: &Account) -> String {
    let payload = serde_json::to_value(ProviderAccredited {
        provider_id: id.to_owned(),
        legal_name: name.to_owned(),
        tax_code: "01234567897".to_owned(),
        vat_number: None,
        legal_form: "coop".to_owned(),
        address: "Via Roma 1, Monteserra".to_owned(),
        user_id: owner.id.clone(),
        categories: vec!["care".to_owned()],
        services: Vec::new(),
        admitted_on: "2026-01-02".to_owned(),
        expires_on: "2027-01-01".to_owned(),
    })
    .expect("a payload");
    host.deliver("admissions.provider_accredited", "admissions", &payload)
        .expect("delivered");
    let desk = host.get(Some(owner), "/api/provider").assert_status(200);
    desk.body["providers"][0]["card"]["id"]
        .as_str()
        .expect("a provider")
        .to_owned()
}

/// The committee suspends provider `id`.
pub fn suspend(host: &TestHost<Services>, id: &str, owner: &Account) {
    let payload = serde_json::to_value(ProviderStatusChange {
        provider_id: id.to_owned(),
        user_id: owner.id.clone(),
        legal_name: "x".to_owned(),
        reason: "controllo".to_owned(),
    })
    .expect("a payload");
    host.advance(std::time::Duration::from_secs(1));
    host.deliver("admissions.provider_suspended", "admissions", &payload)
        .expect("delivered");
}

pub fn service_body(title: &str, category: &str, model: &str, price: &str) -> Json {
    json!({
        "title": title,
        "description": "Un servizio del territorio per le famiglie",
        "category": category,
        "address": "Via Garibaldi 4, Monteserra",
        "hours": "lun-ven 9-13",
        "price_model": model,
        "price": price,
        "audience": "famiglie con bambini",
    })
}

pub fn publish(host: &TestHost<Services>, owner: &Account, provider: &str, body: Json) -> String {
    let answer = host
        .post(
            Some(owner),
            &format!("/api/provider/{provider}/services"),
            body,
        )
        .assert_status(201);
    answer.body["id"].as_str().expect("an id").to_owned()
}

/// A slot of `service` on `date` at `start` for `minutes`, with `capacity` seats.
pub fn slot(
    host: &TestHost<Services>,
    owner: &Account,
    service: &str,
    date: &str,
    start: &str,
    capacity: u32,
) -> String {
    let answer = host
        .post(
            Some(owner),
            &format!("/api/services/{service}/slots"),
            json!({ "date": date, "start": start, "minutes": "90", "capacity": capacity.to_string() }),
        )
        .assert_status(201);
    answer.body["id"].as_str().expect("an id").to_owned()
}

pub fn book(
    host: &TestHost<Services>,
    who: &Account,
    service: &str,
    slot: Option<&str>,
) -> trama_testhost::Answer {
    let mut body = json!({ "note": "grazie" });
    if let Some(slot) = slot {
        body["slot"] = json!(slot);
    }
    host.post(Some(who), &format!("/api/services/{service}/book"), body)
}

pub fn ids(answer: &Json) -> Vec<String> {
    answer["services"]
        .as_array()
        .expect("services")
        .iter()
        .map(|s| s["title"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The file `path` answers `who` with, as text.
pub fn download(host: &TestHost<Services>, who: &Account, path: &str) -> String {
    let response = host
        .request(
            Some(who),
            trama_sdk::http::Request::new(trama_sdk::http::Method::Get, path),
        )
        .expect("an answer");
    let (_, _, body) = response.file().expect("a file");
    String::from_utf8(body.to_vec()).expect("text")
}
