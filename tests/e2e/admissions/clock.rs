//! Windows close without quorum and accreditations expire on the kernel's clock.

use std::time::Duration;

use serde_json::json;

use super::{API, MARIO, shop};
use crate::support::{Server, TestInstance, add_user, eventually, inbox, login, sign_up};

/// Short windows and validity, so the deadlines job (every 30 s) closes votes and expires
/// accreditations within the test.
pub(super) const QUICK: &str = r#"
[plugins.admissions]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "notify", "log", "clock"]
[plugins.admissions.settings]
categories = ["alimentari"]
quorum_percent = 60
voting_window = "3s"
voting_rounds = 2
accreditation_validity = "8s"
reapply_after = "1h"
"#;

#[tokio::test(flavor = "multi_thread")]
async fn windows_close_without_quorum_and_accreditations_expire_on_the_clock() {
    let instance = TestInstance::new("admissions-clock", QUICK);
    for member in ["anna", "bruno", "carla"] {
        add_user(&instance, member, "committee");
    }
    let server = Server::start(&[instance.path()]);
    let anna = login(&server, "anna").await;
    let bruno = login(&server, "bruno").await;
    let carla = login(&server, "carla").await;
    for member in [&anna, &bruno, &carla] {
        member.page(&server, "/p/admissions/committee").await;
    }
    let (_, ethics) = API.get(&anna, &server, "/api/ethics").await;
    let version = ethics["version"].as_str().expect("version").to_owned();
    let apply = |name: &str, vat: &str| {
        let mut body = shop(name, vat, MARIO);
        body["ethics_version"] = json!(version);
        body["declarations"] =
            json!((1..=ethics["declarations"].as_array().map_or(0, Vec::len)).collect::<Vec<_>>());
        body
    };

    // Shop A gets one vote of the two the quorum needs.
    let first = sign_up(&server, "primo", "Primo Negozio").await;
    let (status, quiet) = API
        .post(
            &first,
            &server,
            "/api/applications",
            apply("Primo Negozio snc", "12345678903"),
        )
        .await;
    assert_eq!(status, 201, "{quiet}");
    let quiet_id = quiet["id"].as_str().expect("id").to_owned();
    let (status, _) = API
        .post(
            &carla,
            &server,
            &format!("/api/applications/{quiet_id}/vote"),
            json!({"choice": "approve"}),
        )
        .await;
    assert_eq!(status, 200);

    // Shop B is approved at once by two votes, for 8 seconds.
    let second = sign_up(&server, "secondo", "Secondo Negozio").await;
    let (status, quick) = API
        .post(
            &second,
            &server,
            "/api/applications",
            apply("Secondo Negozio srl", "07981080158"),
        )
        .await;
    assert_eq!(status, 201, "{quick}");
    let quick_id = quick["id"].as_str().expect("id").to_owned();
    for member in [&anna, &bruno] {
        API.post(
            member,
            &server,
            &format!("/api/applications/{quick_id}/vote"),
            json!({"choice": "approve"}),
        )
        .await;
    }
    let (_, quick) = API
        .get(&second, &server, &format!("/api/applications/{quick_id}"))
        .await;
    assert_eq!(quick["status"], "approved", "{quick}");
    let provider_id = quick["provider_id"].as_str().expect("provider").to_owned();

    // Shop A's window closes without quorum: a second round opens, then it lapses.
    let second_round = eventually(Duration::from_secs(70), || async {
        let (_, seen) = API
            .get(&anna, &server, &format!("/api/applications/{quiet_id}"))
            .await;
        seen["round"] == 2 || seen["status"] == "no_quorum"
    })
    .await;
    assert!(second_round, "no second round");
    let lapsed = eventually(Duration::from_secs(70), || async {
        let (_, seen) = API
            .get(&first, &server, &format!("/api/applications/{quiet_id}"))
            .await;
        seen["status"] == "no_quorum"
    })
    .await;
    let (_, seen) = API
        .get(&first, &server, &format!("/api/applications/{quiet_id}"))
        .await;
    assert!(lapsed, "{seen}");
    assert_eq!(seen["decision"]["closed_by"], "window");
    assert_eq!(seen["decision"]["round"], 2);
    assert!(
        seen["decision"]["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("senza il quorum di 2 voti"),
        "{seen}"
    );
    assert!(
        inbox(&first, &server)
            .await
            .iter()
            .any(|s| s.contains("mancanza di quorum"))
    );
    // A lapsed application may be sent again at once.
    let (status, again) = API
        .post(
            &first,
            &server,
            "/api/applications",
            apply("Primo Negozio snc", "12345678903"),
        )
        .await;
    assert_eq!(status, 201, "{again}");

    // Shop B's accreditation expires on the clock and leaves the register.
    let expired = eventually(Duration::from_secs(70), || async {
        let (_, entry) = API
            .get(&second, &server, &format!("/api/register/{provider_id}"))
            .await;
        entry["status"] == "expired"
    })
    .await;
    assert!(expired, "the accreditation did not expire");
    let (_, register) = API.get(&second, &server, "/api/register").await;
    assert!(
        !register.to_string().contains("Secondo Negozio"),
        "{register}"
    );
    assert!(
        inbox(&second, &server)
            .await
            .iter()
            .any(|s| s.contains("Accreditamento scaduto"))
    );

    // Renewing brings it back, same entry, renewed.
    let (status, renewal) = API
        .post(
            &second,
            &server,
            "/api/applications",
            apply("Secondo Negozio srl", "07981080158"),
        )
        .await;
    assert_eq!(status, 201, "{renewal}");
    assert_eq!(renewal["kind"], "renewal");
    let renewal_id = renewal["id"].as_str().expect("id").to_owned();
    for member in [&anna, &bruno] {
        API.post(
            member,
            &server,
            &format!("/api/applications/{renewal_id}/vote"),
            json!({"choice": "approve"}),
        )
        .await;
    }
    let (_, renewal) = API
        .get(&second, &server, &format!("/api/applications/{renewal_id}"))
        .await;
    assert_eq!(renewal["status"], "approved", "{renewal}");
    assert_eq!(renewal["provider_id"], provider_id.as_str());
    let (_, entry) = API
        .get(&second, &server, &format!("/api/register/{provider_id}"))
        .await;
    assert_eq!(entry["status"], "active", "{entry}");
    assert!(entry["renewed_on"].is_string(), "{entry}");
    let actions: Vec<&str> = entry["history"]
        .as_array()
        .map(|h| h.iter().filter_map(|c| c["action"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(actions, vec!["ammesso", "scaduto", "rinnovato"], "{entry}");
}
