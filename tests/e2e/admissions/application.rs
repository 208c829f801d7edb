//! A shop applies through the server and the committee approves it: the kernel's pages, inbox
//! and accounts around the plugin. The committee's rules are the plugin's own tests
//! (`plugins/admissions/tests/application.rs`).

use serde_json::json;

use super::{API, MARIO, SHOP_VAT, shop};
use crate::support::{Client, Server, TestInstance, add_user, inbox, login, sign_up};

/// The committee once it has decided: who the rest of the story needs.
pub(super) struct Decided {
    pub(super) instance: TestInstance,
    pub(super) server: Server,
    pub(super) anna: Client,
    pub(super) bruno: Client,
    pub(super) carla: Client,
    pub(super) dario: Client,
    pub(super) shopkeeper: Client,
    pub(super) citizen: Client,
    /// The shop's application.
    pub(super) id: String,
    /// The shop's entry in the register.
    pub(super) provider_id: String,
}

/// The shop applies and the committee approves it.
pub(super) async fn to_the_decision(instance: TestInstance) -> Decided {
    for member in ["anna", "bruno", "carla", "dario"] {
        add_user(&instance, member, "committee");
    }
    add_user(&instance, "bottega", "merchant");
    add_user(&instance, "operatrice", "operator");
    let server = Server::start(&[instance.path()]);
    let anna = login(&server, "anna").await;
    let bruno = login(&server, "bruno").await;
    let carla = login(&server, "carla").await;
    let dario = login(&server, "dario").await;
    let shopkeeper = login(&server, "bottega").await;

    // Members open the committee page; Dario declares he is linked to the shop. (The roster,
    // the refusals, comments, questions and the quorum are the plugin's own tests:
    // `plugins/admissions/tests/application.rs`.)
    for member in [&anna, &bruno, &carla, &dario] {
        let (status, page) = member.page(&server, "/p/admissions/committee").await;
        assert_eq!(status, 200, "{page}");
    }
    let (status, profile) = API
        .post(
            &dario,
            &server,
            "/api/committee/profile",
            json!({"links": [format!("IT{SHOP_VAT} cugino del titolare")]}),
        )
        .await;
    assert_eq!(status, 200, "{profile}");

    // The form renders; the shop applies and the members are told, in the kernel's inbox.
    let (status, page) = shopkeeper.page(&server, "/p/admissions/apply").await;
    assert_eq!(status, 200);
    assert!(page.contains("versione 2025-1"), "{page}");
    let (status, application) = API
        .post(
            &shopkeeper,
            &server,
            "/api/applications",
            shop("Alimentari Bottega srl", SHOP_VAT, MARIO),
        )
        .await;
    assert_eq!(status, 201, "{application}");
    let id = application["id"].as_str().expect("id").to_owned();
    assert!(
        inbox(&anna, &server)
            .await
            .iter()
            .any(|s| s.contains("Nuova domanda da esaminare")),
        "members are notified"
    );
    let citizen = sign_up(&server, "cittadina", "Cittadina Qualunque").await;

    // Two votes in favour of the three entitled decide it.
    for (member, reason) in [
        (&anna, "Servizio utile e prezzi chiari"),
        (&bruno, "Risposta esauriente"),
    ] {
        let (status, voted) = API
            .post(
                member,
                &server,
                &format!("/api/applications/{id}/vote"),
                json!({"choice": "approve", "reason": reason}),
            )
            .await;
        assert_eq!(status, 200, "{voted}");
    }
    let (_, decided) = API
        .get(&shopkeeper, &server, &format!("/api/applications/{id}"))
        .await;
    assert_eq!(decided["status"], "approved", "{decided}");
    let provider_id = decided["provider_id"]
        .as_str()
        .expect("provider")
        .to_owned();

    Decided {
        instance,
        server,
        anna,
        bruno,
        carla,
        dario,
        shopkeeper,
        citizen,
        id,
        provider_id,
    }
}
