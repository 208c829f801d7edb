//! "Download my data" and erasure (`/api/personal-data`, called by the kernel as the person):
//! a person's rides and monthly counts, and nobody else's; an erasure deletes them all (no
//! rule keeps who went where), and a second one does nothing.

use rides::Rides;
use serde_json::json;
use trama_testhost::TestHost;

#[test]
fn a_person_downloads_their_rides_and_an_erasure_deletes_them_and_their_counts() {
    let host = TestHost::<Rides>::with_settings(
        env!("CARGO_MANIFEST_DIR"),
        json!({ "rides_per_month": 2 }),
    )
    .expect("plugin.toml and settings");
    host.set_time("2026-12-01T12:00:00+01:00");
    let anna = host.account("anna", &["citizen"]);
    let bruno = host.account("bruno", &["citizen"]);
    let ride = |who, destination: &str| {
        host.post(
            Some(who),
            "/api/rides",
            json!({ "destination": destination, "date": "2026-12-09", "time": "10:00" }),
        )
        .assert_status(201);
    };
    ride(&anna, "Centro diabetologico");
    ride(&anna, "Comune");
    ride(&bruno, "Farmacia");

    let export = host.personal_data(&anna);
    assert_eq!(export["rides"].as_array().map(Vec::len), Some(2));
    assert_eq!(export["rides_per_month"], json!({ "2026-12": 2 }));
    assert!(!export.to_string().contains("Farmacia"), "{export}");

    let erased = host.erase(&anna);
    assert_eq!(erased.body, json!({ "erased": 2, "kept": [] }));
    assert_eq!(
        host.personal_data(&anna),
        json!({ "rides": [], "rides_per_month": {} })
    );
    assert_eq!(host.erase(&anna).erased, 0);
    // Her monthly count went with her rides; Bruno's ride and count are untouched.
    ride(&anna, "Ospedale");
    ride(&anna, "Ambulatorio");
    assert_eq!(
        host.personal_data(&bruno)["rides_per_month"],
        json!({ "2026-12": 1 })
    );
}
