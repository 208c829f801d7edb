//! A referral followed through the real vouchers plugin: the operator opens a campaign and
//! casework learns it from `vouchers.campaign_published`; the care manager finds the household
//! among those of her cases likely eligible that have not applied (welfare di iniziativa),
//! records a contact and refers the person; the person applies on the vouchers site and the
//! referral moves to `applied` (`vouchers.application_submitted`), then to `refused` when an
//! operator rejects the application (`vouchers.application_decided`), and the household leaves
//! the outreach list. All of it through the kernel's event delivery, with the person named by
//! a key of the tax code only.

use std::time::Duration;

use serde_json::{Value as Json, json};

use crate::support::{
    Client, Plugin, Server, TestInstance, VOUCHERS, accept_privacy, add_user, eventually, login,
    sign_up, today_plus,
};

const CASEWORK: &str = r#"
[plugins.casework]
version = "^1.0"
capabilities = ["store", "settings", "identity", "audit", "seal", "notify", "files", "events"]
"#;

const CASES: Plugin = Plugin("casework");
const VOUCHERS_API: Plugin = Plugin("vouchers");
/// The person's tax code (its check letter is right).
const ANNA: &str = "RSSMRA85T10A562S";

fn campaign() -> Json {
    let mut campaign = json!({
        "title": "Buoni spesa inverno",
        "measure": "food",
        "opens_on": today_plus(-1),
        "closes_on": today_plus(10),
        "budget": "700,00",
    });
    let rules: serde_json::Map<String, Json> = serde_json::from_str(include_str!(
        "../../plugins/vouchers/tests/fixtures/winter-rules.json"
    ))
    .expect("winter-rules.json");
    campaign.as_object_mut().expect("an object").extend(rules);
    campaign
}

async fn referral_state(carla: &Client, server: &Server, case: &str) -> String {
    let (_, file) = CASES
        .get(carla, server, &format!("/api/cases/{case}"))
        .await;
    file["referrals"][0]["state"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_referral_follows_the_persons_application_through_the_vouchers_plugin() {
    let body = format!("{VOUCHERS}{CASEWORK}");
    let instance = TestInstance::new("referrals", &body);
    add_user(&instance, "carla", "care_manager");
    add_user(&instance, "operatrice", "operator");
    let server = Server::start(&[instance.path()]);
    let carla = login(&server, "carla").await;
    accept_privacy(&carla, &server).await;
    let operator = login(&server, "operatrice").await;

    // The care manager's case: Anna, her daughter, ISEE 9.000 €, resident.
    let (status, case) = CASES
        .post(
            &carla,
            &server,
            "/api/cases",
            json!({
                "name": "Anna Rossi",
                "tax_code": ANNA,
                "household": ["Giulia Rossi, figlia"],
                "needs": ["Lavoro e reddito"],
                "team": "Équipe Nord",
                "consent": "yes",
                "isee": "9.000,00",
                "resident": "yes",
            }),
        )
        .await;
    assert_eq!(status, 201, "{case}");
    let case = case["id"].as_str().expect("a case").to_owned();

    // The operator opens a campaign; casework learns it from the event.
    let (status, created) = VOUCHERS_API
        .post(&operator, &server, "/api/campaigns", campaign())
        .await;
    assert_eq!(status, 201, "{created}");
    let campaign_id = created["id"].as_str().expect("a campaign").to_owned();
    let outreach = format!("/api/outreach/{campaign_id}");
    assert!(
        eventually(Duration::from_secs(20), || async {
            CASES.get(&carla, &server, &outreach).await.0 == 200
        })
        .await,
        "casework never learned the campaign"
    );
    let (_, list) = CASES.get(&carla, &server, &outreach).await;
    assert_eq!(list["households"][0]["name"], "Anna Rossi", "{list}");
    assert_eq!(list["measure"]["isee_max"], "15.000,00 €", "{list}");
    let (status, page) = carla
        .page(&server, &format!("/p/casework/outreach/{campaign_id}"))
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Anna Rossi") && page.contains("nessun dato va al servizio"),
        "{page}"
    );

    // She calls Anna and refers her to the campaign.
    let (status, contact) = CASES
        .post(
            &carla,
            &server,
            &format!("/api/outreach/{campaign_id}/contacts"),
            json!({ "case": case, "date": today_plus(0), "channel": "phone", "result": "interested" }),
        )
        .await;
    assert_eq!(status, 201, "{contact}");
    let (status, referral) = CASES
        .post(
            &carla,
            &server,
            &format!("/api/cases/{case}/referrals"),
            json!({ "service": "vouchers", "campaign": campaign_id, "reason": "Reddito perso a ottobre" }),
        )
        .await;
    assert_eq!(status, 201, "{referral}");
    assert_eq!(referral_state(&carla, &server, &case).await, "referred");

    // Anna applies on the vouchers site; she lost her income, so the office reviews it.
    let anna = sign_up(&server, "anna", "Anna Rossi").await;
    let (status, application) = VOUCHERS_API
        .post(
            &anna,
            &server,
            &format!("/api/campaigns/{campaign_id}/applications"),
            json!({
                "tax_code": ANNA, "household_size": 2, "minors": 1, "isee": "9.000,00",
                "resident": true, "income_loss": true,
            }),
        )
        .await;
    assert_eq!(status, 201, "{application}");
    assert_eq!(application["status"], "needs_review");
    let application = application["id"].as_str().expect("an id").to_owned();
    assert!(
        eventually(Duration::from_secs(20), || async {
            referral_state(&carla, &server, &case).await == "applied"
        })
        .await,
        "the referral never saw the application"
    );
    // She applied: she is no longer on the outreach list.
    let (_, list) = CASES.get(&carla, &server, &outreach).await;
    assert_eq!(list["households"], json!([]), "{list}");

    // The office rejects it: the referral is refused, and the case page says when.
    let (status, rejected) = VOUCHERS_API
        .post(
            &operator,
            &server,
            &format!("/api/applications/{application}/reject"),
            json!({ "reason": "Manca la lettera di licenziamento" }),
        )
        .await;
    assert_eq!(status, 200, "{rejected}");
    assert!(
        eventually(Duration::from_secs(20), || async {
            referral_state(&carla, &server, &case).await == "refused"
        })
        .await,
        "the referral never saw the decision"
    );
    let (status, page) = carla
        .page(&server, &format!("/p/casework/cases/{case}"))
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Invii ad altri servizi")
            && page.contains("Buoni spesa inverno")
            && page.contains("domanda presentata")
            && page.contains("respinta"),
        "{page}"
    );
    server.kill();

    // The events carried a key of the tax code, never the code.
    let db = sea_orm::Database::connect(format!(
        "sqlite://{}?mode=ro",
        instance.path().join("data/trama.db").display()
    ))
    .await
    .expect("open db");
    use sea_orm::ConnectionTrait;
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "SELECT payload FROM events WHERE name LIKE 'vouchers.application_%'",
        ))
        .await
        .expect("events");
    let payloads: Vec<String> = rows
        .iter()
        .filter_map(|row| row.try_get("", "payload").ok())
        .collect();
    assert_eq!(payloads.len(), 2, "{payloads:?}");
    assert!(payloads.iter().all(|p| !p.contains(ANNA)), "{payloads:?}");
    db.close().await.ok();
}
