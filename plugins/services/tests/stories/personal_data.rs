//! "Download my data" and erasure: the person's bookings; an erasure deletes what is still to
//! come (its seat comes back) and keeps a done booking without the person.

use crate::common;

use common::{book, booked, confirm, coop_sole_offering, host, mark_done, slot, swimming};
use serde_json::json;

#[test]
fn the_download_holds_the_bookings_and_the_erasure_keeps_only_done_ones_without_the_person() {
    let host = host();
    let (coop, _, id) = coop_sole_offering(&host, swimming("8"));
    let past = slot(&host, &coop, &id, "2026-12-02", "10:00", 1);
    let coming = slot(&host, &coop, &id, "2026-12-20", "10:00", 1);
    let anna = host.person("anna", "Anna Verdi", &[]);
    let ugo = host.account("ugo", &[]);
    let done = booked(&host, &anna, &id, Some(&past));
    book(&host, &anna, &id, Some(&coming)).assert_status(201);
    confirm(&host, &coop, &done);
    host.set_time("2026-12-02T12:00:00+01:00");
    mark_done(&host, &coop, &done);
    host.post(
        Some(&anna),
        &format!("/api/bookings/{done}/rate"),
        json!({ "stars": "4", "comment": "Brava Anna" }),
    )
    .assert_status(201);

    let data = host.personal_data(&anna);
    assert_eq!(data["bookings"].as_array().map(Vec::len), Some(2), "{data}");
    assert_eq!(host.personal_data(&ugo)["bookings"], json!([]));
    let mine = host.get(Some(&anna), "/api/mine").assert_status(200);
    assert_eq!(mine.body.as_array().map(Vec::len), Some(2), "{}", mine.body);

    host.erase_expecting(
        &anna,
        2,
        &["le prenotazioni di servizi svolti, senza nome, messaggio e commento"],
    );
    host.assert_forgotten(&anna, &["bookings"]);
    // The seat of the coming booking is free again; the done one stays for the provider.
    let page = host.get(None, &format!("/api/services/{id}")).body;
    assert_eq!(page["slots"][0]["free"], 1, "{page}");
    assert_eq!(page["service"]["rating"], 4.0);
    assert!(!page.to_string().contains("Brava Anna"));
}
