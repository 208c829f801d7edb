//! Booking a seat or sending a request; the provider confirms or declines; the person cancels
//! until the deadline; the last seat is never given twice; messages to both sides, the `.ics`
//! of a confirmed booking and the reminder the day before.

use crate::common;

use std::time::Duration;

use common::{
    book, booked, confirm, coop_sole_offering, host, mark_done, service_body, slot, swimming,
};
use serde_json::json;
use services::{booking, service, slot as slots};
use trama_sdk::{Error, identity};

#[test]
fn a_seat_is_booked_confirmed_and_the_person_gets_a_calendar_and_a_reminder() {
    let host = host();
    let (coop, _, id) = coop_sole_offering(
        &host,
        service_body("Baby sitting serale", "Baby sitting", "per_hour", "12"),
    );
    let at = slot(&host, &coop, &id, "2026-12-10", "18:00", 2);
    let anna = host.person("anna", "Anna Verdi", &[]);

    // Booking needs an account; then the seat is held and the provider is told.
    let anonymous = host.post(
        None,
        &format!("/api/services/{id}/book"),
        json!({ "slot": at }),
    );
    assert_eq!(anonymous.status, 401);
    let booked = book(&host, &anna, &id, Some(&at)).assert_status(201);
    let bid = booked.body["id"].as_str().unwrap().to_owned();
    assert_eq!(booked.body["status"], "requested");
    let told = host.notifications_to(&coop);
    assert!(told[0].subject.contains("Baby sitting serale"), "{told:?}");
    assert!(told[0].body.contains("Anna Verdi"));
    // The same person cannot take a second seat of the slot.
    assert_eq!(book(&host, &anna, &id, Some(&at)).status, 409);
    // Nobody else sees the booking; the person cannot confirm it.
    let other = host.account("other", &[]);
    assert_eq!(
        host.get(Some(&other), &format!("/api/bookings/{bid}"))
            .status,
        404
    );
    assert_eq!(
        host.post(
            Some(&anna),
            &format!("/api/bookings/{bid}/confirm"),
            json!({})
        )
        .status,
        404
    );
    // No calendar before confirmation.
    assert_eq!(
        host.get(Some(&anna), &format!("/bookings/{bid}/calendar.ics"))
            .status,
        404
    );

    confirm(&host, &coop, &bid);
    let seen = host
        .get(Some(&anna), &format!("/api/bookings/{bid}"))
        .assert_status(200);
    assert_eq!(seen.body["status"], "confirmed");
    // 90 minutes at 12 € an hour, paid directly.
    assert_eq!(seen.body["paid_directly_cents"], 1800);
    let confirmed = host.notifications_to(&anna);
    assert!(confirmed[0].subject.contains("confermata"), "{confirmed:?}");
    // Confirming twice is refused.
    assert_eq!(
        host.post(
            Some(&coop),
            &format!("/api/bookings/{bid}/confirm"),
            json!({})
        )
        .status,
        409
    );

    let text = common::download(&host, &anna, &format!("/bookings/{bid}/calendar.ics"));
    // 18:00 in Rome is 17:00 UTC in December.
    assert!(text.contains("DTSTART:20261210T170000Z"), "{text}");
    assert!(text.contains("SUMMARY:Baby sitting serale"));

    // The reminder goes once, the day before.
    host.run_job("reminders").expect("the job");
    assert_eq!(host.notifications_to(&anna).len(), 1);
    host.set_time("2026-12-09T19:00:00+01:00");
    host.run_job("reminders").expect("the job");
    host.run_job("reminders").expect("the job");
    let all = host.notifications_to(&anna);
    assert_eq!(all.len(), 2, "{all:?}");
    assert!(all[1].subject.contains("Domani"));

    // The page of the booking, for each side.
    host.page(Some(&anna), &format!("/bookings/{bid}"))
        .assert_status(200);
    host.page(Some(&coop), &format!("/bookings/{bid}"))
        .assert_status(200);
    host.page(Some(&anna), "/bookings").assert_status(200);
    host.page(Some(&coop), "/provider").assert_status(200);
}

#[test]
fn a_request_is_confirmed_with_a_time_or_declined_and_the_person_is_told() {
    let host = host();
    let (coop, _, id) = coop_sole_offering(
        &host,
        service_body(
            "Assistenza a domicilio",
            "Assistenza domiciliare",
            "per_session",
            "40",
        ),
    );
    let anna = host.person("anna", "Anna Verdi", &[]);
    let first = booked(&host, &anna, &id, None);
    assert!(
        host.notifications_to(&coop)[0]
            .subject
            .contains("richiesta")
    );
    // A request's confirmation needs the day and time, each beside its field.
    let refused = host.post(
        Some(&coop),
        &format!("/api/bookings/{first}/confirm"),
        json!({ "date": "x" }),
    );
    assert_eq!(refused.status, 422);
    assert_eq!(refused.problem_fields(), ["date", "start", "minutes"]);
    host.post(
        Some(&coop),
        &format!("/api/bookings/{first}/confirm"),
        json!({ "date": "2026-12-12", "start": "09:30", "minutes": "60" }),
    )
    .assert_status(201);
    let seen = host
        .get(Some(&anna), &format!("/api/bookings/{first}"))
        .body;
    assert_eq!(seen["paid_directly_cents"], 4000);
    assert!(
        seen["when"]
            .as_str()
            .unwrap_or_default()
            .contains("12 dicembre 2026"),
        "{seen}"
    );

    let second = booked(&host, &anna, &id, None);
    host.post(
        Some(&coop),
        &format!("/api/bookings/{second}/decline"),
        json!({}),
    )
    .assert_status(201);
    assert_eq!(
        host.get(Some(&anna), &format!("/api/bookings/{second}"))
            .body["status"],
        "declined"
    );
    assert!(
        host.notifications_to(&anna)
            .last()
            .unwrap()
            .subject
            .contains("non accolta")
    );
}

#[test]
fn the_person_cancels_until_the_deadline_and_the_seat_comes_back() {
    let host = host();
    let (coop, _, id) = coop_sole_offering(&host, swimming("8"));
    let at = slot(&host, &coop, &id, "2026-12-03", "10:00", 1);
    let anna = host.person("anna", "Anna Verdi", &[]);
    let bruno = host.person("bruno", "Bruno Neri", &[]);
    let bid = booked(&host, &anna, &id, Some(&at));
    assert_eq!(book(&host, &bruno, &id, Some(&at)).status, 409);
    host.post(
        Some(&anna),
        &format!("/api/bookings/{bid}/cancel"),
        json!({}),
    )
    .assert_status(201);
    assert!(
        host.notifications_to(&coop)
            .last()
            .unwrap()
            .subject
            .contains("disdetta")
    );
    // The seat is free again: Bruno takes it, and cannot cancel after the deadline (24 h).
    let bb = booked(&host, &bruno, &id, Some(&at));
    confirm(&host, &coop, &bb);
    host.set_time("2026-12-02T11:00:00+01:00");
    let late = host.post(
        Some(&bruno),
        &format!("/api/bookings/{bb}/cancel"),
        json!({}),
    );
    assert_eq!(late.status, 409);
    assert!(late.message().contains("02/12/2026 10:00"), "{}", late.body);
    // Done only once it has started.
    assert_eq!(
        host.post(Some(&coop), &format!("/api/bookings/{bb}/done"), json!({}))
            .status,
        409
    );
    host.advance(Duration::from_secs(24 * 3600));
    mark_done(&host, &coop, &bb);
}

#[test]
fn two_people_racing_for_the_last_seat_one_gets_it() {
    let host = host();
    let (coop, _, id) = coop_sole_offering(&host, swimming("8"));
    let at = slot(&host, &coop, &id, "2026-12-10", "10:00", 1);
    let anna = host.person("anna", "Anna Verdi", &[]);
    let bruno = host.person("bruno", "Bruno Neri", &[]);
    // Both read the slot with its one free seat, at the same version.
    let (service_doc, seen) = host
        .call(None, || Ok((service::load(&id)?, slots::load(&at)?)))
        .expect("read");
    assert_eq!(seen.data.taken, 0);
    let now = host.now_ms();
    let won = host.call(Some(&anna), || {
        booking::take_seat(&identity::require_login()?, &service_doc, &seen, "", now)
    });
    assert!(won.is_ok(), "{won:?}");
    // The second write, on the version both read, conflicts: nothing of it is kept.
    let lost = host.call(Some(&bruno), || {
        booking::take_seat(&identity::require_login()?, &service_doc, &seen, "", now)
    });
    assert!(matches!(lost, Err(Error::Conflict(_))), "{lost:?}");
    let after = host.call(None, || slots::load(&at)).expect("read");
    assert_eq!(after.data.taken, 1);
    // Through the API, the retry reads again and finds the slot full.
    let full = book(&host, &bruno, &id, Some(&at));
    assert_eq!(full.status, 409);
    assert!(full.message().contains("posti"), "{}", full.body);
    let bruno_bookings = host.get(Some(&bruno), "/api/bookings").body;
    assert_eq!(bruno_bookings["bookings"].as_array().map(Vec::len), Some(0));
}
