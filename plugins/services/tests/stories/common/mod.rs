//! What the stories share: a host with a small taxonomy, a provider accredited through the
//! admissions events, and a service it publishes.
#![allow(dead_code)]

use serde_json::{Value as Json, json};
use services::Services;
use trama_contracts::admissions::{ProviderAccredited, ProviderStatusChange};
use trama_testhost::{Account, TestHost};

/// A host whose services fall in three categories and may be cancelled until 24 hours before,
/// on 1 December 2026 at 10:00 in Rome.
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

/// The form of a service titled `title` in `category`, priced `price` by `model`, with every
/// other field filled in as a provider would.
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

/// `owner` publishes `body` for `provider`, which must be accepted; answers the service's id.
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

/// A slot of `service` on `date` at `start` for 90 minutes, with `capacity` seats.
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

/// `who` books `service`: a seat of `slot`, or a request when there is none; the raw answer.
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

/// The titles of the services a search answered, in its order.
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

/// The provider of every story: the cooperative "Coop Sole", whose owner logs in as `coop`,
/// accredited as provider `p1` by the admissions committee. Answers the owner and the provider.
pub fn coop_sole(host: &TestHost<Services>) -> (Account, String) {
    let coop = host.person("coop", "Coop Sole", &[]);
    let provider = accredit(host, "p1", "Cooperativa Sole", &coop);
    (coop, provider)
}

/// Coop Sole, accredited, publishes `body`: answers its owner, the provider and the service.
pub fn coop_sole_offering(host: &TestHost<Services>, body: Json) -> (Account, String, String) {
    let (coop, provider) = coop_sole(host);
    let service = publish(host, &coop, &provider, body);
    (coop, provider, service)
}

/// The swimming course: sport at a fixed `price` a session, booked by the seat.
pub fn swimming(price: &str) -> Json {
    service_body("Nuoto", "Sport", "fixed", price)
}

/// `who` books `service` (a seat of `slot`, or a request without one), which must be accepted;
/// answers the booking's id.
pub fn booked(
    host: &TestHost<Services>,
    who: &Account,
    service: &str,
    slot: Option<&str>,
) -> String {
    book(host, who, service, slot).assert_status(201).body["id"]
        .as_str()
        .expect("a booking id")
        .to_owned()
}

/// The provider's owner confirms `booking`, which must be accepted.
pub fn confirm(host: &TestHost<Services>, owner: &Account, booking: &str) {
    host.post(
        Some(owner),
        &format!("/api/bookings/{booking}/confirm"),
        json!({}),
    )
    .assert_status(201);
}

/// The provider's owner marks `booking` done, which must be accepted.
pub fn mark_done(host: &TestHost<Services>, owner: &Account, booking: &str) {
    host.post(
        Some(owner),
        &format!("/api/bookings/{booking}/done"),
        json!({}),
    )
    .assert_status(201);
}

/// The monthly statement of `provider` for `month` (`YYYY-MM`), as `reader` reads it (`200`).
pub fn statement(host: &TestHost<Services>, reader: &Account, provider: &str, month: &str) -> Json {
    host.get(
        Some(reader),
        &format!("/api/providers/{provider}/statements/{month}"),
    )
    .assert_status(200)
    .body
}

/// Each of `people` books a seat of `slot` and the provider's owner confirms it: the bookings
/// of a course that is going to happen. Answers their ids, in the order of `people`.
pub fn confirmed_seats(
    host: &TestHost<Services>,
    owner: &Account,
    service: &str,
    slot: &str,
    people: &[&Account],
) -> Vec<String> {
    people
        .iter()
        .map(|who| {
            let id = booked(host, who, service, Some(slot));
            confirm(host, owner, &id);
            id
        })
        .collect()
}
