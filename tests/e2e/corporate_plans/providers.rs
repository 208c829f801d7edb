//! Providers accredited by `admissions` join the catalogue.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value as Json, json};

use super::{API, PLUGIN, SCHOOL_VAT};
use crate::support::{Server, TestInstance, add_user, eventually, id, login};

/// Both plugins on one instance: a provider accredited by the `admissions` committee arrives
/// in the catalogue through its event, linked to the account that applied, with its services
/// and its own category names, and it sets a price. What follows (an employee buying from it,
/// a suspension) is the plugin's native `tests/providers.rs`, the events delivered directly.
#[tokio::test(flavor = "multi_thread")]
async fn providers_accredited_by_admissions_join_the_catalogue() {
    let body = format!(
        r#"{PLUGIN}
[plugins.admissions]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "notify", "log", "clock", "protocol"]
[plugins.admissions.settings]
network_name = "Rete Valdarno Solidale"
ethics_code_version = "2025-1"
categories = ["doposcuola e istruzione", "servizi per l'infanzia"]
declarations = ["Dichiaro la regolarità contributiva (DURC)."]
quorum_percent = 50
majority = "simple"
voting_window = "7d"
voting_rounds = 1
accreditation_validity = "365d"
"#
    );
    let instance = TestInstance::new("corporate-admissions", &body);
    for member in ["membro.uno", "membro.due"] {
        add_user(&instance, member, "committee");
    }
    add_user(&instance, "coop", "operator");
    add_user(&instance, "hr.office", "company_hr");
    add_user(&instance, "doposcuola", "citizen");
    add_user(&instance, "anna", "citizen");
    let server = Server::start(&[instance.path()]);
    let members = [
        login(&server, "membro.uno").await,
        login(&server, "membro.due").await,
    ];
    for member in &members {
        let (status, page) = member.page(&server, "/p/admissions/committee").await;
        assert_eq!(status, 200, "{page}");
    }

    // The association applies and the committee approves it.
    let owner = login(&server, "doposcuola").await;
    let (status, application) = owner
        .send_json(
            &server,
            Method::POST,
            "/p/admissions/api/applications",
            &json!({
                "legal_name": "APS Compiti Insieme",
                "legal_form": "association",
                "tax_code": SCHOOL_VAT,
                "vat_number": SCHOOL_VAT,
                "street": "Via Roma 1",
                "postcode": "52025",
                "city": "Montevarchi",
                "province": "AR",
                "email": "info@compiti.example",
                "phone": "+39 055 123456",
                "representative_name": "Mario Rossi",
                "representative_tax_code": "RSSMRA85T10A562S",
                "categories": ["doposcuola e istruzione"],
                "services": [{"title": "Doposcuola pomeridiano", "category": "doposcuola e istruzione", "description": "Compiti e studio assistito dal lunedì al venerdì"}],
                "declarations": [1],
                "ethics_version": "2025-1",
                "accept_ethics": true,
            }),
        )
        .await;
    assert_eq!(status, 201, "{application}");
    let application = id(&application);
    let mut decided = Json::Null;
    for member in &members {
        let (status, answer) = member
            .send_json(
                &server,
                Method::POST,
                &format!("/p/admissions/api/applications/{application}/vote"),
                &json!({"choice": "approve", "reason": "Servizio utile"}),
            )
            .await;
        assert_eq!(status, 200, "{answer}");
        decided = answer;
    }
    assert_eq!(decided["status"], "approved", "{decided}");

    // The event brings the provider, linked to the applicant, with its service (no price yet).
    let operator = login(&server, "coop").await;
    let arrived = eventually(Duration::from_secs(30), || async {
        let (_, providers) = API.get(&operator, &server, "/api/providers").await;
        providers[0]["legal_name"] == "APS Compiti Insieme"
    })
    .await;
    assert!(arrived, "the accreditation did not reach corporate-plans");
    let (_, providers) = API.get(&operator, &server, "/api/providers").await;
    assert_eq!(providers[0]["status"], "active", "{providers}");
    assert_eq!(providers[0]["source"], "admissions");
    assert_eq!(providers[0]["linked"], true);
    let (_, mine) = API.get(&owner, &server, "/api/provider").await;
    let service = &mine["providers"][0]["services"][0];
    assert_eq!(service["title"], "Doposcuola pomeridiano", "{mine}");
    assert_eq!(service["category"], "doposcuola e istruzione");
    assert_eq!(service["listed"], false);
    let service_id = id(service);
    let (status, priced) = API
        .post(
            &owner,
            &server,
            &format!("/api/services/{service_id}/price"),
            json!({"price": "45,00"}),
        )
        .await;
    assert_eq!((status, &priced["listed"]), (200, &json!(true)), "{priced}");
}
