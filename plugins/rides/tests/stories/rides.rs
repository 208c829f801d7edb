//! The rides plugin's stories, run natively against the kernel's own store, accounts and
//! settings (`trama-testhost`): `cargo test --manifest-path plugins/Cargo.toml -p rides`.

// ANCHOR: story
use rides::Rides;
use serde_json::json;
use trama_testhost::TestHost;

#[test]
fn a_citizen_books_up_to_the_monthly_limit_and_operators_see_drivers_and_the_export() {
    // The instance's settings, as its manifest would give them; 1 December 2026 in Rome.
    let host = TestHost::<Rides>::with_settings(
        env!("CARGO_MANIFEST_DIR"),
        json!({ "rides_per_month": 3 }),
    )
    .expect("plugin.toml and settings");
    host.set_time("2026-12-01T12:00:00+01:00");
    let anna = host.account("anna", &["citizen"]);
    let otto = host.account("otto", &["operator"]);
    host.account("dario", &["driver"]);

    // Three rides in December; the fourth is refused in words Anna understands.
    for destination in ["Ambulatorio", "Comune", "Farmacia"] {
        let ride = json!({ "destination": destination, "date": "2026-12-09", "time": "10:00" });
        let booked = host.post(Some(&anna), "/api/rides", ride);
        assert_eq!(booked.status, 201, "{}", booked.body);
    }
    let fourth = json!({ "destination": "Ospedale", "date": "2026-12-10", "time": "09:30" });
    let refused = host.post(Some(&anna), "/api/rides", fourth);
    assert_eq!(refused.status, 422);
    assert!(
        refused.message().contains("limite di 3 al mese"),
        "{}",
        refused.body
    );

    // A form with mistakes comes back with each one next to its field.
    let form = host.submit(
        Some(&anna),
        "/rides",
        &[("date", "2026-12-09"), ("time", "9.30")],
    );
    assert_eq!(form.status, 422);
    assert_eq!(form.template.as_deref(), Some("index.html"));
    let problems = form.body["form"]["problems"].to_string();
    assert!(problems.contains("scrivi dove devi andare"), "{problems}");

    // Drivers come from the kernel's roles, for operators only; so does the export.
    assert_eq!(host.get(Some(&anna), "/api/drivers").status, 403);
    let drivers = host.get(Some(&otto), "/api/drivers");
    assert_eq!(
        drivers.body,
        json!([{ "username": "dario", "name": "dario" }])
    );
    let export = host.get(Some(&otto), "/rides.csv");
    let (_, _, bytes) = export.file.expect("a download");
    let csv = String::from_utf8(bytes).expect("UTF-8");
    assert!(
        csv.starts_with("\u{feff}quando;chi;destinazione\r\n"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(csv.contains(" 10:00;"), "Rome time as typed: {csv}");
}
// ANCHOR_END: story
