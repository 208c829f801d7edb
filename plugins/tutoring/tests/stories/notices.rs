//! The message the next page shows after each form of a family and of the office: a booking
//! confirmed, cancelled, a child registered (host API 1.8 `notice`); none for a program.

use crate::common;

use common::{child, host, id, space, tutor};
use serde_json::json;

/// Tuesday 3 March 2026, the day after the story's.
const D1: &str = "2026-03-03";

#[test]
fn a_family_is_told_what_each_form_did() {
    let host = host(json!({}));
    let operator = host.account("operatrice", &["operator"]);
    let library = space(&host, &operator, "Biblioteca civica", 6);
    let (giulia, _) = tutor(
        &host,
        &operator,
        "Giulia Neri",
        &["Matematica"],
        &["Primaria"],
    );
    let anna = host.account("anna.rossi", &["citizen"]);

    let added = host.submit(
        Some(&anna),
        "/family/children",
        &[
            ("first_name", "Ugo"),
            ("last_name", "Rossi"),
            ("level", "Primaria"),
            ("subjects", "Matematica"),
        ],
    );
    assert_eq!(added.assert_notice("family"), "Ugo è stato iscritto.");
    let marta = child(&host, &anna, "Marta", "Rossi", "Primaria");
    let luca = child(&host, &anna, "Luca", "Rossi", "Primaria");

    let booked = host.submit(
        Some(&anna),
        "/bookings",
        &[
            ("child", marta.as_str()),
            ("subject", "Matematica"),
            ("tutor", giulia.as_str()),
            ("space", library.as_str()),
            ("date", D1),
            ("start", "10:00"),
        ],
    );
    assert_eq!(booked.assert_notice("family"), "Prenotazione confermata.");

    // The same through the API: the booking, and no message.
    let joined = host
        .post(
            Some(&anna),
            "/api/bookings",
            json!({"child": luca, "subject": "Matematica", "tutor": giulia, "space": library, "date": D1, "start": "11:00"}),
        )
        .assert_status(201);
    assert_eq!(joined.notice, None);
    let booking = id(&joined);

    let cancelled = host.submit(Some(&anna), &format!("/bookings/{booking}/cancel"), &[]);
    assert_eq!(cancelled.assert_notice("family"), "Prenotazione disdetta.");
}
