//! What services tells other plugins: each service as it enters the catalogue or is hidden,
//! and every change of a booking, naming the person only by the key of the fiscal number their
//! login certified — never the number — so that casework can follow a referral.

use crate::common;

use common::{book, booked, confirm, coop_sole_offering, host, mark_done, slot, swimming};
use serde_json::{Value as Json, json};
use trama_contracts::person;
use trama_contracts::services::{BookingRequested, ServicePublished};

const CODE: &str = "RSSMRA80A01H501U";

/// The events published so far whose name is `services.{suffix}`, as payloads.
fn events(host: &trama_testhost::TestHost<services::Services>, suffix: &str) -> Vec<Json> {
    let name = format!("services.{suffix}");
    host.published()
        .into_iter()
        .filter(|e| e.name == name)
        .map(|e| e.payload)
        .collect()
}

#[test]
fn a_published_service_is_told_and_so_is_its_hiding() {
    let host = host();
    let (_, provider, id) = coop_sole_offering(&host, swimming("8"));
    let told = events(&host, "service_published");
    assert_eq!(told.len(), 1, "{told:?}");
    let told: ServicePublished = serde_json::from_value(told[0].clone()).expect("the contract");
    assert_eq!(told.service_id, id);
    assert_eq!(told.provider_id, provider);
    assert_eq!(told.provider_name, "Cooperativa Sole");
    assert_eq!(
        (told.title.as_str(), told.category.as_str()),
        ("Nuoto", "Sport")
    );
    assert!(!told.hidden);

    let operator = host.account("operatrice", &["operator"]);
    host.post(
        Some(&operator),
        &format!("/api/services/{id}/visibility"),
        json!({ "hidden": "yes", "reason": "prezzi da verificare" }),
    )
    .assert_status(201);
    let told = events(&host, "service_published");
    assert_eq!(told.len(), 2);
    assert_eq!(told[1]["hidden"], true);
}

#[test]
fn every_change_of_a_booking_is_told_with_the_key_of_the_certified_fiscal_number() {
    let host = host();
    let (coop, provider, id) = coop_sole_offering(&host, swimming("8"));
    let first = slot(&host, &coop, &id, "2026-12-02", "10:00", 2);
    let second = slot(&host, &coop, &id, "2026-12-20", "10:00", 2);
    let mario = host.person("mario", "Mario Rossi", &[]);
    host.bind_fiscal_number(&mario, CODE);

    // Requested, then confirmed and done by the provider, who has no fiscal number of Mario's:
    // every event still names him by his key.
    let done = booked(&host, &mario, &id, Some(&first));
    confirm(&host, &coop, &done);
    host.set_time("2026-12-02T12:00:00+01:00");
    mark_done(&host, &coop, &done);
    let requested = events(&host, "booking_requested");
    assert_eq!(requested.len(), 1);
    let requested: BookingRequested =
        serde_json::from_value(requested[0].clone()).expect("the contract");
    assert_eq!(requested.booking_id, done);
    assert_eq!(requested.service_id, id);
    assert_eq!(requested.service_title, "Nuoto");
    assert_eq!(requested.provider_id, provider);
    assert_eq!(
        requested.person.as_deref(),
        Some(person::key(CODE).as_str())
    );
    for suffix in ["booking_confirmed", "booking_done"] {
        let told = events(&host, suffix);
        assert_eq!(told.len(), 1, "{suffix}");
        assert_eq!(told[0]["booking_id"], done.as_str());
        assert_eq!(told[0]["person"], person::key(CODE).as_str(), "{suffix}");
    }
    // The fiscal number itself is in no event.
    for event in host.published() {
        assert!(!event.payload.to_string().contains(CODE), "{}", event.name);
    }

    // Cancelled by Mario; another booking declined by the provider.
    let cancelled = booked(&host, &mario, &id, Some(&second));
    host.post(
        Some(&mario),
        &format!("/api/bookings/{cancelled}/cancel"),
        json!({}),
    )
    .assert_status(201);
    assert_eq!(
        events(&host, "booking_cancelled")[0]["booking_id"],
        cancelled.as_str()
    );
    let declined = booked(&host, &mario, &id, None);
    host.post(
        Some(&coop),
        &format!("/api/bookings/{declined}/decline"),
        json!({}),
    )
    .assert_status(201);
    let told = events(&host, "booking_declined");
    assert_eq!(told[0]["booking_id"], declined.as_str());
    assert_eq!(told[0]["person"], person::key(CODE).as_str());
    assert_eq!(told[0]["start_at"], Json::Null, "a request has no time yet");
}

#[test]
fn a_login_that_certified_no_fiscal_number_is_named_by_nobody_and_an_erasure_forgets_the_keys() {
    let host = host();
    let (coop, _, id) = coop_sole_offering(&host, swimming("8"));
    let at = slot(&host, &coop, &id, "2026-12-20", "10:00", 3);
    let anna = host.person("anna", "Anna Verdi", &[]);
    let mario = host.person("mario", "Mario Rossi", &[]);
    host.bind_fiscal_number(&mario, CODE);
    let hers = booked(&host, &anna, &id, Some(&at));
    confirm(&host, &coop, &hers);
    for suffix in ["booking_requested", "booking_confirmed"] {
        assert_eq!(events(&host, suffix)[0]["person"], Json::Null, "{suffix}");
    }

    // Mario erases his data: his key goes with his bookings still to come, so a later event
    // about a booking of his could name him no more.
    let his = booked(&host, &mario, &id, Some(&at));
    book(&host, &mario, &id, None).assert_status(201);
    let keys = || {
        host.call(None, || {
            Ok(services::published::BOOKING_KEYS
                .query()
                .fetch_all()?
                .into_iter()
                .map(|k| k.data.account)
                .collect::<Vec<_>>())
        })
        .expect("the keys")
    };
    assert_eq!(keys(), [mario.id.clone(), mario.id.clone()]);
    host.erase_expecting(&mario, 2, &[]);
    host.assert_forgotten(&mario, &[]);
    assert!(keys().is_empty());
    assert_eq!(
        host.get(Some(&coop), &format!("/api/bookings/{his}"))
            .status,
        404,
        "the booking was deleted"
    );
}
