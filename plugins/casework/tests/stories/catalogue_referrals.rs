//! Referrals to a service of the catalogue: the care manager picks one of the services
//! `services` published, and the referral follows the person's bookings of it — requested,
//! confirmed or refused by the provider, cancelled, done — through the events services
//! publishes, matched by the person key of the case's tax code, each event once.

use casework::Casework;
use serde_json::{Value as Json, json};
use trama_contracts::person;
use trama_contracts::services::{
    BookingCancelled, BookingConfirmed, BookingDeclined, BookingDone, BookingRequested,
    ServicePublished,
};
use trama_testhost::{Account, TestHost};

use crate::common;

use common::{CODE, OTHER, host, open_case};

fn published(host: &TestHost<Casework>, id: &str, title: &str, hidden: bool) {
    let event = ServicePublished {
        service_id: id.to_owned(),
        provider_id: "adm-1".to_owned(),
        provider_name: "Cooperativa Sole".to_owned(),
        title: title.to_owned(),
        category: "Assistenza domiciliare".to_owned(),
        hidden,
        at: host.now_ms(),
    };
    host.deliver(
        "services.service_published",
        "services",
        &serde_json::to_value(event).expect("json"),
    )
    .expect("delivered");
}

/// The fields every booking event carries, for booking `booking` of service `service` by the
/// person with tax code `code`.
macro_rules! booking {
    ($event:ident, $host:expr, $booking:expr, $service:expr, $code:expr) => {
        serde_json::to_value($event {
            booking_id: $booking.to_owned(),
            service_id: $service.to_owned(),
            service_title: "Assistenza domiciliare anziani".to_owned(),
            provider_id: "adm-1".to_owned(),
            person: $code.map(person::key),
            start_at: None,
            at: $host.now_ms(),
        })
        .expect("json")
    };
}

fn deliver(host: &TestHost<Casework>, id: &str, name: &str, payload: &Json) {
    host.deliver_with_id(id, name, "services", payload)
        .expect("delivered");
}

fn refer(host: &TestHost<Casework>, who: &Account, case: &str, body: Json) -> String {
    host.post(Some(who), &format!("/api/cases/{case}/referrals"), body)
        .assert_status(201)
        .body["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

fn referral(host: &TestHost<Casework>, who: &Account, case: &str) -> Json {
    host.get(Some(who), &format!("/api/cases/{case}"))
        .assert_status(200)
        .body["referrals"][0]
        .clone()
}

#[test]
fn the_care_manager_picks_a_published_service_and_the_bookings_move_the_referral_to_done() {
    let host = host();
    let carla = host.account("carla", &["care_manager"]);
    let case = open_case(&host, &carla, "Mario Rossi", CODE, json!({}));
    let other = open_case(&host, &carla, "Giuseppe Verdi", OTHER, json!({}));
    published(&host, "s1", "Assistenza domiciliare anziani", false);
    published(&host, "s2", "Nuoto", false);
    published(&host, "s3", "Servizio nascosto", true);

    // The form offers the visible services of the catalogue, with their provider.
    let page = host
        .page(Some(&carla), &format!("/cases/{case}"))
        .assert_status(200);
    let offers: Vec<&str> = page.body["referral_form"]["offers"]
        .as_array()
        .expect("offers")
        .iter()
        .filter_map(|o| o["text"].as_str())
        .collect();
    assert_eq!(
        offers,
        [
            "Assistenza domiciliare anziani (Cooperativa Sole)",
            "Nuoto (Cooperativa Sole)"
        ]
    );
    // A service not offered (hidden, unknown, none) is refused beside its field.
    for offer in ["s3", "nope", ""] {
        let refused = host.post(
            Some(&carla),
            &format!("/api/cases/{case}/referrals"),
            json!({ "service": "catalogue", "offer": offer, "reason": "x" }),
        );
        assert_eq!(refused.status, 422, "{offer}");
        assert_eq!(refused.problem_fields(), ["offer"], "{offer}");
    }
    let form = host.submit(
        Some(&carla),
        &format!("/cases/{case}/referrals"),
        &[("service", "catalogue"), ("offer", "s3"), ("reason", "x")],
    );
    assert_eq!(
        form.body["form"]["problems"]["offer"],
        "scegli uno dei servizi del catalogo"
    );

    let id = refer(
        &host,
        &carla,
        &case,
        json!({ "service": "catalogue", "offer": "s1", "reason": "Aiuto in casa dopo la caduta" }),
    );
    refer(
        &host,
        &carla,
        &other,
        json!({ "service": "catalogue", "offer": "s1", "reason": "x" }),
    );
    let listed = referral(&host, &carla, &case);
    assert_eq!(listed["id"], id.as_str());
    assert_eq!(listed["state"], "referred");
    assert_eq!(listed["offer"], "s1");
    assert_eq!(listed["target"], "Assistenza domiciliare anziani");
    assert_eq!(listed["service_label"], "Servizio del catalogo");

    // A booking by a login without a certified fiscal number, or of another service, moves
    // nothing; Mario's request moves his referral only, once however often it is delivered.
    let nobody: Option<&str> = None;
    deliver(
        &host,
        "e0",
        "services.booking_requested",
        &booking!(BookingRequested, host, "b0", "s1", nobody),
    );
    deliver(
        &host,
        "e1",
        "services.booking_requested",
        &booking!(BookingRequested, host, "b1", "s2", Some(CODE)),
    );
    assert_eq!(referral(&host, &carla, &case)["state"], "referred");
    host.advance(std::time::Duration::from_secs(3600));
    let requested = booking!(BookingRequested, host, "b2", "s1", Some(CODE));
    deliver(&host, "e2", "services.booking_requested", &requested);
    deliver(&host, "e2", "services.booking_requested", &requested);
    let listed = referral(&host, &carla, &case);
    assert_eq!(listed["state"], "requested");
    assert_eq!(listed["state_label"], "prenotazione richiesta");
    assert_eq!(listed["steps"].as_array().map(Vec::len), Some(2));
    assert_eq!(listed["steps"][1]["when"], "01/12/2026 11:00");
    assert_eq!(referral(&host, &carla, &other)["state"], "referred");

    // Declined by the provider, booked again, cancelled by Mario, booked and confirmed, done.
    let steps = [
        (
            "e3",
            "services.booking_declined",
            booking!(BookingDeclined, host, "b2", "s1", Some(CODE)),
            "refused",
        ),
        (
            "e4",
            "services.booking_requested",
            booking!(BookingRequested, host, "b3", "s1", Some(CODE)),
            "requested",
        ),
        (
            "e5",
            "services.booking_cancelled",
            booking!(BookingCancelled, host, "b3", "s1", Some(CODE)),
            "cancelled",
        ),
        (
            "e6",
            "services.booking_confirmed",
            booking!(BookingConfirmed, host, "b4", "s1", Some(CODE)),
            "confirmed",
        ),
        (
            "e7",
            "services.booking_done",
            booking!(BookingDone, host, "b4", "s1", Some(CODE)),
            "done",
        ),
    ];
    for (event, name, payload, state) in &steps {
        deliver(&host, event, name, payload);
        assert_eq!(referral(&host, &carla, &case)["state"], *state, "{name}");
    }
    // Done is the end: a late cancellation moves it no more.
    deliver(
        &host,
        "e8",
        "services.booking_cancelled",
        &booking!(BookingCancelled, host, "b4", "s1", Some(CODE)),
    );
    let listed = referral(&host, &carla, &case);
    assert_eq!(listed["state"], "done");
    assert_eq!(listed["state_label"], "servizio ricevuto");
    assert_eq!(listed["steps"].as_array().map(Vec::len), Some(7));
    // Only declined may be recorded by hand, and only while the person has not booked.
    assert_eq!(listed["outcomes"], json!([]));
    let moved = host
        .audited(&case)
        .iter()
        .filter(|a| *a == "case.referral_moved")
        .count();
    assert_eq!(moved, 6);
}

#[test]
fn a_service_published_before_casework_listened_is_learned_from_a_booking_and_a_newer_event_wins() {
    let host = host();
    let carla = host.account("carla", &["care_manager"]);
    let case = open_case(&host, &carla, "Mario Rossi", CODE, json!({}));
    // Somebody books a service casework never saw published: it is offered from then on.
    let nobody: Option<&str> = None;
    deliver(
        &host,
        "e1",
        "services.booking_requested",
        &booking!(BookingRequested, host, "b1", "s9", nobody),
    );
    let offers = |host: &TestHost<Casework>| {
        host.page(Some(&carla), &format!("/cases/{case}"))
            .assert_status(200)
            .body["referral_form"]["offers"]
            .clone()
    };
    assert_eq!(
        offers(&host),
        json!([{ "key": "s9", "text": "Assistenza domiciliare anziani" }])
    );
    // Its publication, then hiding, replace what the booking said; an older event arriving
    // late does not undo the hiding.
    host.advance(std::time::Duration::from_secs(60));
    published(&host, "s9", "Assistenza domiciliare", false);
    assert_eq!(
        offers(&host)[0]["text"],
        "Assistenza domiciliare (Cooperativa Sole)"
    );
    host.advance(std::time::Duration::from_secs(60));
    published(&host, "s9", "Assistenza domiciliare", true);
    let late = ServicePublished {
        service_id: "s9".into(),
        provider_id: "adm-1".into(),
        provider_name: "Cooperativa Sole".into(),
        title: "Assistenza domiciliare".into(),
        category: String::new(),
        hidden: false,
        at: host.now_ms() - 120_000,
    };
    host.deliver(
        "services.service_published",
        "services",
        &serde_json::to_value(late).expect("json"),
    )
    .expect("delivered");
    assert_eq!(offers(&host), json!([]));
}
