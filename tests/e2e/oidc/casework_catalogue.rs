//! A referral to a service of the catalogue followed through the real `services` plugin: the
//! committee accredits a provider, who publishes a service, which casework learns from
//! `services.service_published`; the care manager refers Mario to it; Mario logs in with SPID
//! and requests the service, the provider confirms it and marks it done, and the referral
//! moves `requested` → `confirmed` → `done` through the booking events, which name Mario by
//! the key of the fiscal number his login certified, never the number.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value as Json, json};

use super::rig::Provider;
use super::{as_mario, identity, serve, through_provider, visit};
use crate::support::{
    Client, Server, TestInstance, accept_privacy, add_user, eventually, id, login, privacy_version,
};

/// Mario's fiscal number, as the provider certifies it (see `super::MARIO`).
const MARIO_CODE: &str = "RSSMRA80A01H501U";

const PLUGINS: &str = r#"
[plugins.services]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "notify", "log", "clock", "ledger", "wallet", "files"]
[plugins.services.settings]
categories = ["Assistenza domiciliare"]

[plugins.admissions]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "notify", "log", "clock", "protocol"]
[plugins.admissions.settings]
network_name = "Rete Monteserra"
ethics_code_version = "2025-1"
categories = ["assistenza"]
declarations = ["Dichiaro la regolarità contributiva (DURC)."]
quorum_percent = 100
majority = "simple"
voting_window = "7d"
voting_rounds = 1
accreditation_validity = "365d"

[plugins.casework]
version = "^1.0"
capabilities = ["store", "settings", "identity", "audit", "seal", "notify", "files", "events"]
"#;

/// `who` sends `body` to the services plugin's API at `path`.
async fn services(who: &Client, server: &Server, path: &str, body: Json) -> (u16, Json) {
    who.send_json(
        server,
        Method::POST,
        &format!("/p/services/api{path}"),
        &body,
    )
    .await
}

/// `trama_contracts::person::key` (the plugins' crate, not a dependency of the kernel's tests):
/// the domain-separated SHA-256 of a tax code, in hexadecimal.
fn person_key(code: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("trama/person/v1:{code}").as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

async fn referral(carla: &Client, server: &Server, case: &str) -> Json {
    let (_, file) = carla
        .get_json(server, &format!("/p/casework/api/cases/{case}"))
        .await;
    file["referrals"][0].clone()
}

async fn reaches(carla: &Client, server: &Server, case: &str, state: &str) -> bool {
    eventually(Duration::from_secs(20), || async {
        referral(carla, server, case).await["state"] == state
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_referral_to_a_catalogue_service_follows_the_booking_through_the_services_plugin() {
    let provider = Provider::start("spid");
    let instance = TestInstance::new(
        "oidc-catalogue",
        &format!("{}{PLUGINS}", identity(&provider.issuer, true)),
    );
    add_user(&instance, "membro", "committee");
    add_user(&instance, "sole", "citizen");
    add_user(&instance, "carla", "care_manager");
    let server = serve(&instance);
    let member = login(&server, "membro").await;
    let owner = login(&server, "sole").await;
    let carla = login(&server, "carla").await;
    accept_privacy(&carla, &server).await;

    // The provider publishes home care; casework learns it from the event.
    let provider_id =
        crate::services::accredited_as(&server, &member, &owner, "Cooperativa Sole", "assistenza")
            .await;
    let (status, service) = services(
        &owner,
        &server,
        &format!("/provider/{provider_id}/services"),
        json!({
            "title": "Assistenza domiciliare anziani", "description": "Aiuto in casa e commissioni",
            "category": "Assistenza domiciliare", "address": "Monteserra", "price_model": "free",
            "price": "", "audience": "anziani soli",
        }),
    )
    .await;
    assert_eq!(status, 201, "{service}");
    let service = id(&service);

    // Mario's case, and the referral once the service is known to casework.
    let (status, case) = carla
        .send_json(
            &server,
            Method::POST,
            "/p/casework/api/cases",
            &json!({
                "name": "Mario Rossi", "tax_code": MARIO_CODE, "needs": ["Non autosufficienza"],
                "team": "Équipe Nord", "consent": "yes",
            }),
        )
        .await;
    assert_eq!(status, 201, "{case}");
    let case = id(&case);
    let referred = eventually(Duration::from_secs(20), || async {
        let (status, _) = carla
            .send_json(
                &server,
                Method::POST,
                &format!("/p/casework/api/cases/{case}/referrals"),
                &json!({ "service": "catalogue", "offer": service, "reason": "Vive solo dopo la caduta" }),
            )
            .await;
        status == 201
    })
    .await;
    assert!(referred, "casework never learned the service");
    assert_eq!(referral(&carla, &server, &case).await["state"], "referred");

    // Mario logs in with SPID and asks for the service.
    as_mario(&provider).await;
    let mario = Client::new();
    let callback = through_provider(&mario, &server, "/p/services/").await;
    assert_eq!(visit(&mario, &callback).await.0, 303);
    let accepted = mario
        .post_form(
            &server,
            "/privacy",
            &[("version", privacy_version()), ("next", "/p/services/")],
        )
        .await;
    assert_eq!(accepted.status().as_u16(), 303);
    let (status, booking) = services(
        &mario,
        &server,
        &format!("/services/{service}/book"),
        json!({ "note": "Il martedì mattina" }),
    )
    .await;
    assert_eq!(status, 201, "{booking}");
    let booking = id(&booking);
    assert!(
        reaches(&carla, &server, &case, "requested").await,
        "the referral never saw the request"
    );

    // The provider confirms it for a morning already past, then marks it done.
    let (status, confirmed) = services(
        &owner,
        &server,
        &format!("/bookings/{booking}/confirm"),
        json!({ "date": "2026-01-15", "start": "09:00", "minutes": "120" }),
    )
    .await;
    assert_eq!(status, 201, "{confirmed}");
    assert!(
        reaches(&carla, &server, &case, "confirmed").await,
        "the referral never saw the confirmation"
    );
    let (status, done) = services(
        &owner,
        &server,
        &format!("/bookings/{booking}/done"),
        json!({}),
    )
    .await;
    assert_eq!(status, 201, "{done}");
    assert!(
        reaches(&carla, &server, &case, "done").await,
        "the referral never saw the service given"
    );
    let (status, page) = carla
        .page(&server, &format!("/p/casework/cases/{case}"))
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Servizio del catalogo: Assistenza domiciliare anziani")
            && page.contains("prenotazione confermata")
            && page.contains("servizio ricevuto"),
        "{page}"
    );
    server.kill();

    // The booking events named Mario by a key, never by his fiscal number.
    let db = trama::db::Db::connect(&format!(
        "sqlite://{}?mode=ro",
        instance.path().join("data/trama.db").display()
    ))
    .await
    .expect("the database");
    let rows = sea_orm::ConnectionTrait::query_all_raw(
        db.conn(),
        sea_orm::Statement::from_string(
            db.backend(),
            "SELECT payload FROM events WHERE name LIKE 'services.booking_%'",
        ),
    )
    .await
    .expect("events");
    let payloads: Vec<String> = rows
        .iter()
        .filter_map(|row| row.try_get("", "payload").ok())
        .collect();
    assert_eq!(payloads.len(), 3, "{payloads:?}");
    let key = person_key(MARIO_CODE);
    assert!(
        payloads
            .iter()
            .all(|p| !p.contains(MARIO_CODE) && p.contains(&key)),
        "{payloads:?}"
    );
}
