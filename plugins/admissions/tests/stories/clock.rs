//! Windows close without quorum and accreditations expire on the clock (moved from
//! `tests/e2e/admissions/clock.rs`, where a live server waited for seconds-long windows): here
//! the test moves the plugin's clock and runs the `deadlines` job as the kernel schedules it.

use crate::common;

use std::time::Duration;

use common::{MARIO, assert_told, shop};
use serde_json::json;

const DAY: Duration = Duration::from_secs(24 * 3600);

#[test]
fn windows_close_without_quorum_and_accreditations_expire_on_the_clock() {
    let host = common::host_with(json!({
        "categories": ["alimentari"],
        "quorum_percent": 60,
        "voting_window": "7d",
        "voting_rounds": 2,
        "accreditation_validity": "30d",
        "reapply_after": "1h",
    }));
    let [anna, bruno, carla] =
        ["anna", "bruno", "carla"].map(|member| host.account(member, &["committee"]));
    for member in [&anna, &bruno, &carla] {
        assert_eq!(host.page(Some(member), "/committee").status, 200);
    }
    let ethics = host.get(Some(&anna), "/api/ethics").body;
    let apply = |name: &str, vat: &str| {
        let mut body = shop(name, vat, MARIO);
        body["ethics_version"] = ethics["version"].clone();
        body["declarations"] =
            json!((1..=ethics["declarations"].as_array().map_or(0, Vec::len)).collect::<Vec<_>>());
        body
    };
    let deadlines = || host.run_job("deadlines").expect("the deadlines job");

    // Shop A gets one vote of the two the quorum needs.
    let first = host.account("primo", &["citizen"]);
    let quiet = host
        .post(
            Some(&first),
            "/api/applications",
            apply("Primo Negozio snc", "12345678903"),
        )
        .assert_status(201);
    let quiet_id = quiet.body["id"].as_str().expect("id").to_owned();
    host.post(
        Some(&carla),
        &format!("/api/applications/{quiet_id}/vote"),
        json!({"choice": "approve"}),
    )
    .assert_status(200);

    // Shop B is approved at once by two votes, for 30 days.
    let second = host.account("secondo", &["citizen"]);
    let quick = host
        .post(
            Some(&second),
            "/api/applications",
            apply("Secondo Negozio srl", "07981080158"),
        )
        .assert_status(201);
    let quick_id = quick.body["id"].as_str().expect("id").to_owned();
    for member in [&anna, &bruno] {
        host.post(
            Some(member),
            &format!("/api/applications/{quick_id}/vote"),
            json!({"choice": "approve"}),
        )
        .assert_status(200);
    }
    let quick = host.get(Some(&second), &format!("/api/applications/{quick_id}"));
    assert_eq!(quick.body["status"], "approved", "{}", quick.body);
    let provider_id = quick.body["provider_id"]
        .as_str()
        .expect("provider")
        .to_owned();

    // Nothing is due before the window closes.
    host.advance(6 * DAY);
    deadlines();
    let seen = host.get(Some(&anna), &format!("/api/applications/{quiet_id}"));
    assert_eq!(
        (&seen.body["status"], &seen.body["round"]),
        (&json!("voting"), &json!(1)),
        "{}",
        seen.body
    );
    // Shop A's window closes without quorum: a second round opens, then it lapses.
    host.advance(DAY + Duration::from_secs(60));
    deadlines();
    let seen = host.get(Some(&anna), &format!("/api/applications/{quiet_id}"));
    assert_eq!(
        (&seen.body["status"], &seen.body["round"]),
        (&json!("voting"), &json!(2)),
        "{}",
        seen.body
    );
    host.advance(7 * DAY + Duration::from_secs(60));
    deadlines();
    let seen = host.get(Some(&first), &format!("/api/applications/{quiet_id}"));
    assert_eq!(seen.body["status"], "no_quorum", "{}", seen.body);
    assert_eq!(seen.body["decision"]["closed_by"], "window");
    assert_eq!(seen.body["decision"]["round"], 2);
    assert!(
        seen.body["decision"]["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("senza il quorum di 2 voti"),
        "{}",
        seen.body
    );
    assert_told(&host, &first, "mancanza di quorum");
    // A lapsed application may be sent again at once.
    host.post(
        Some(&first),
        "/api/applications",
        apply("Primo Negozio snc", "12345678903"),
    )
    .assert_status(201);

    // Shop B's accreditation (30 days from the start) has not expired yet, 14 days in.
    let entry = host.get(Some(&second), &format!("/api/register/{provider_id}"));
    assert_eq!(entry.body["status"], "active", "{}", entry.body);
    // It expires on the clock and leaves the register.
    host.advance(16 * DAY);
    deadlines();
    let entry = host.get(Some(&second), &format!("/api/register/{provider_id}"));
    assert_eq!(entry.body["status"], "expired", "{}", entry.body);
    let register = host.get(Some(&second), "/api/register");
    assert!(
        !register.body.to_string().contains("Secondo Negozio"),
        "{}",
        register.body
    );
    assert_told(&host, &second, "Accreditamento scaduto");
    let names: Vec<String> = host.published().into_iter().map(|e| e.name).collect();
    assert_eq!(
        names,
        vec![
            "admissions.provider_accredited",
            "admissions.provider_expired"
        ]
    );

    // Renewing brings it back, same entry, renewed.
    let renewal = host
        .post(
            Some(&second),
            "/api/applications",
            apply("Secondo Negozio srl", "07981080158"),
        )
        .assert_status(201);
    assert_eq!(renewal.body["kind"], "renewal");
    let renewal_id = renewal.body["id"].as_str().expect("id").to_owned();
    for member in [&anna, &bruno] {
        host.post(
            Some(member),
            &format!("/api/applications/{renewal_id}/vote"),
            json!({"choice": "approve"}),
        );
    }
    let renewal = host.get(Some(&second), &format!("/api/applications/{renewal_id}"));
    assert_eq!(renewal.body["status"], "approved", "{}", renewal.body);
    assert_eq!(renewal.body["provider_id"], provider_id.as_str());
    let entry = host.get(Some(&second), &format!("/api/register/{provider_id}"));
    assert_eq!(entry.body["status"], "active", "{}", entry.body);
    assert!(entry.body["renewed_on"].is_string(), "{}", entry.body);
    let actions: Vec<&str> = entry.body["history"]
        .as_array()
        .map(|h| h.iter().filter_map(|c| c["action"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        actions,
        vec!["ammesso", "scaduto", "rinnovato"],
        "{}",
        entry.body
    );
}
