//! A shop applies; the committee comments, asks for information, refuses a conflicted member's
//! vote and decides.

use serde_json::json;

use super::{API, MARIO, SHOP_VAT, shop};
use crate::support::{
    Client, Server, TestInstance, add_user, inbox, login, message, problem_fields, sign_up,
};

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

/// The shop applies; the committee comments, asks for information and approves it.
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

    // Every holder of the `committee` role is on the roster, whether or not they have opened
    // the committee page yet: the quorum is a share of all of them.
    let (status, committee) = API.get(&anna, &server, "/api/committee").await;
    assert_eq!(status, 200, "{committee}");
    let roster = committee["roster"].as_array().expect("roster");
    assert_eq!(roster.len(), 4, "{committee}");
    assert_eq!(
        roster.iter().filter(|m| m["joined"].is_null()).count(),
        3,
        "three members have not opened the page yet: {committee}"
    );

    // Members open the committee page; Dario declares he is linked to the shop.
    for member in [&anna, &bruno, &carla, &dario] {
        let (status, page) = member.page(&server, "/p/admissions/committee").await;
        assert_eq!(status, 200, "{page}");
    }
    let (status, profile) = API
        .post(
            &dario,
            &server,
            "/api/committee/profile",
            json!({"links": [format!("IT{SHOP_VAT} cugino del titolare"), "12345 sbagliato"]}),
        )
        .await;
    assert_eq!(
        (status, problem_fields(&profile)),
        (422, vec!["links".to_owned()]),
        "{profile}"
    );
    let (status, profile) = API
        .post(
            &dario,
            &server,
            "/api/committee/profile",
            json!({"links": [format!("IT{SHOP_VAT} cugino del titolare")]}),
        )
        .await;
    assert_eq!(status, 200, "{profile}");
    assert_eq!(profile["links"][0]["identifier"], SHOP_VAT);
    let (_, committee) = API.get(&anna, &server, "/api/committee").await;
    assert_eq!(committee["roster"].as_array().map(Vec::len), Some(4));
    // Someone without the role is not on the committee.
    let (status, _) = API.get(&shopkeeper, &server, "/api/committee").await;
    assert_eq!(status, 403);

    // The form renders; wrong identifiers and an outdated ethics code are refused, named.
    let (status, page) = shopkeeper.page(&server, "/p/admissions/apply").await;
    assert_eq!(status, 200);
    assert!(page.contains("versione 2025-1"), "{page}");
    let mut wrong = shop("Alimentari Bottega srl", "01234567890", "RSSMRA85T10A562T");
    wrong["ethics_version"] = json!("2024-1");
    wrong["declarations"] = json!([1]);
    let (status, refused) = API
        .post(&shopkeeper, &server, "/api/applications", wrong)
        .await;
    assert_eq!(status, 422, "{refused}");
    let fields = problem_fields(&refused);
    for field in [
        "tax_code",
        "vat_number",
        "representative_tax_code",
        "declarations",
        "ethics_version",
    ] {
        assert!(
            fields.iter().any(|f| f == field),
            "{field} not named in {refused}"
        );
    }

    let (status, application) = API
        .post(
            &shopkeeper,
            &server,
            "/api/applications",
            shop("Alimentari Bottega srl", SHOP_VAT, MARIO),
        )
        .await;
    assert_eq!(status, 201, "{application}");
    assert_eq!(application["status"], "voting");
    assert_eq!(application["kind"], "admission");
    assert!(
        application["committee"].is_null(),
        "the applicant sees no committee data"
    );
    let id = application["id"].as_str().expect("id").to_owned();
    let packet = application["services"][1]["id"]
        .as_str()
        .expect("service id")
        .to_owned();
    // One application at a time per organisation.
    let (status, twice) = API
        .post(
            &shopkeeper,
            &server,
            "/api/applications",
            shop("Alimentari Bottega srl", SHOP_VAT, MARIO),
        )
        .await;
    assert_eq!(status, 409, "{twice}");
    // Members are told of the new application.
    assert!(
        inbox(&anna, &server)
            .await
            .iter()
            .any(|s| s.contains("Nuova domanda da esaminare")),
        "members are notified"
    );

    // Nobody else sees it; the committee does, with Dario excluded for his declared link.
    let citizen = sign_up(&server, "cittadina", "Cittadina Qualunque").await;
    let (status, _) = API
        .get(&citizen, &server, &format!("/api/applications/{id}"))
        .await;
    assert_eq!(status, 404);
    let (status, seen) = API
        .get(&anna, &server, &format!("/api/applications/{id}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(seen["committee"]["electorate"], 3);
    assert_eq!(seen["committee"]["quorum"], 2);
    assert_eq!(seen["committee"]["excluded"][0]["name"], "dario");

    // A comment stays within the committee; a conflicted member may not comment.
    let (status, commented) = API
        .post(
            &anna,
            &server,
            &format!("/api/applications/{id}/comments"),
            json!({"text": "Conosco la bottega: è un punto di riferimento del quartiere."}),
        )
        .await;
    assert_eq!(status, 200, "{commented}");
    assert_eq!(
        commented["committee"]["comments"].as_array().map(Vec::len),
        Some(1)
    );
    let (_, mine) = API
        .get(&shopkeeper, &server, &format!("/api/applications/{id}"))
        .await;
    assert!(mine["committee"].is_null() && !mine.to_string().contains("punto di riferimento"));
    let (status, refused) = API
        .post(
            &dario,
            &server,
            &format!("/api/applications/{id}/comments"),
            json!({"text": "Ottimi cugini"}),
        )
        .await;
    assert_eq!(status, 403, "{refused}");

    // A request for information suspends the vote until the applicant answers.
    let (status, asked) = API.post(
        &bruno,
        &server,
        &format!("/api/applications/{id}/request-info"),
        json!({"question": "Il pacco solidale ha un prezzo? Indicatelo o ritiratelo dal catalogo."}),
    )
    .await;
    assert_eq!(
        (status, &asked["status"]),
        (200, &json!("info_requested")),
        "{asked}"
    );
    let (status, suspended) = API
        .post(
            &anna,
            &server,
            &format!("/api/applications/{id}/vote"),
            json!({"choice": "approve"}),
        )
        .await;
    assert_eq!(status, 409, "{suspended}");
    let (_, mine) = API.get(&shopkeeper, &server, "/api/my-applications").await;
    assert_eq!(
        mine[0]["pending_question"],
        "Il pacco solidale ha un prezzo? Indicatelo o ritiratelo dal catalogo."
    );
    assert!(
        inbox(&shopkeeper, &server)
            .await
            .iter()
            .any(|s| s.contains("chiede un'integrazione")),
        "the applicant is told of the question"
    );
    // Only the applicant answers.
    let (status, _) = API
        .post(
            &anna,
            &server,
            &format!("/api/applications/{id}/answer"),
            json!({"answer": "io"}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, withdrawn) = API
        .post(
            &shopkeeper,
            &server,
            &format!("/api/applications/{id}/services/{packet}/withdraw"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{withdrawn}");
    assert_eq!(withdrawn["services"][1]["withdrawn"], true);
    let (status, answered) = API
        .post(
            &shopkeeper,
            &server,
            &format!("/api/applications/{id}/answer"),
            json!({"answer": "Lo abbiamo ritirato: per ora offriamo solo la spesa a domicilio."}),
        )
        .await;
    assert_eq!(
        (status, &answered["status"]),
        (200, &json!("voting")),
        "{answered}"
    );

    // The conflicted member's vote is refused, saying why.
    let (status, refused) = API
        .post(
            &dario,
            &server,
            &format!("/api/applications/{id}/vote"),
            json!({"choice": "approve"}),
        )
        .await;
    assert_eq!(status, 403, "{refused}");
    assert!(
        message(&refused).contains("conflitto di interessi"),
        "{refused}"
    );
    assert!(message(&refused).contains(SHOP_VAT), "{refused}");
    // … and while the application is open he does not follow the committee's work on it.
    let (status, seen) = API
        .get(&dario, &server, &format!("/api/applications/{id}"))
        .await;
    assert_eq!(status, 200);
    assert!(seen["committee"].is_null(), "{seen}");
    let (status, _) = API
        .text(&dario, &server, &format!("/applications/{id}/minutes.csv"))
        .await;
    assert_eq!(status, 403);

    // One vote in favour is below the quorum of 2: nothing is decided yet.
    let (status, voted) = API
        .post(
            &anna,
            &server,
            &format!("/api/applications/{id}/vote"),
            json!({"choice": "approve", "reason": "Servizio utile e prezzi chiari"}),
        )
        .await;
    assert_eq!(
        (status, &voted["status"]),
        (200, &json!("voting")),
        "{voted}"
    );
    assert_eq!(voted["committee"]["count"]["approve"], 1);
    // A vote against needs a motivation.
    let (status, refused) = API
        .post(
            &carla,
            &server,
            &format!("/api/applications/{id}/vote"),
            json!({"choice": "reject"}),
        )
        .await;
    assert_eq!(
        (status, problem_fields(&refused)),
        (422, vec!["reason".to_owned()])
    );
    // The second vote in favour meets the quorum and Carla could no longer change the result.
    let (status, decided) = API
        .post(
            &bruno,
            &server,
            &format!("/api/applications/{id}/vote"),
            json!({"choice": "approve", "reason": "Risposta esauriente"}),
        )
        .await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["status"], "approved", "{decided}");
    assert_eq!(decided["decision"]["closed_by"], "votes");
    assert_eq!(
        decided["decision"]["reasons"],
        json!(["Servizio utile e prezzi chiari", "Risposta esauriente"])
    );
    let provider_id = decided["provider_id"]
        .as_str()
        .expect("provider")
        .to_owned();
    let (status, late) = API
        .post(
            &carla,
            &server,
            &format!("/api/applications/{id}/vote"),
            json!({"choice": "reject", "reason": "tardi"}),
        )
        .await;
    assert_eq!(status, 409, "{late}");

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
