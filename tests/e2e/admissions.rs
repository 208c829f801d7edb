//! The `admissions` plugin over HTTP: a shop applies, the committee comments, asks for
//! information, refuses a conflicted member's vote and reaches its decision; the shop enters the
//! register and — with the vouchers plugin enabled in the same instance — redeems a voucher as
//! a merchant, until the committee suspends it. A second instance runs on short settings to show
//! windows closing without quorum and accreditations expiring on the kernel's clock.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value as Json, json};

use crate::support::{
    Client, PgDatabase, Server, TestInstance, add_user, eventually, login, sign_up,
};

const ADMISSIONS: &str = r#"
[plugins.admissions]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "notify", "log", "clock"]
[plugins.admissions.settings]
network_name = "Rete Valdarno Solidale"
ethics_code_version = "2025-1"
categories = ["alimentari", "assistenza domiciliare", "doposcuola"]
declarations = ["Dichiaro la regolarità contributiva (DURC).", "Dichiaro di applicare i contratti collettivi di settore."]
quorum_percent = 60
majority = "simple"
voting_window = "7d"
voting_rounds = 1
accreditation_validity = "365d"
reapply_after = "180d"
"#;

const VOUCHERS: &str = r#"
[plugins.vouchers]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "ledger", "log", "clock"]
[plugins.vouchers.settings]
municipality_name = "Comune di Prova"
"#;

/// Valid identifiers (their check characters are right).
const SHOP_VAT: &str = "01234567897";
const APS_TAX_CODE: &str = "02760100962";
const MARIO: &str = "RSSMRA85T10A562S";
const GIULIA: &str = "VRDGPP80A01H501U";
const CITIZEN: &str = "BNCLCU90M41F205Q";

fn today_plus(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}

async fn post(client: &Client, server: &Server, path: &str, body: Json) -> (u16, Json) {
    client
        .send_json(server, Method::POST, &format!("/p/admissions{path}"), &body)
        .await
}

async fn get(client: &Client, server: &Server, path: &str) -> (u16, Json) {
    client
        .get_json(server, &format!("/p/admissions{path}"))
        .await
}

/// An application for a shop with VAT number `vat`, represented by `representative`.
fn shop(legal_name: &str, vat: &str, representative: &str) -> Json {
    json!({
        "legal_name": legal_name,
        "legal_form": "company",
        "tax_code": vat,
        "vat_number": vat,
        "street": "Via Roma 1",
        "postcode": "52025",
        "city": "Montevarchi",
        "province": "AR",
        "email": "info@bottega.example",
        "phone": "+39 055 123456",
        "representative_name": "Mario Rossi",
        "representative_tax_code": representative,
        "categories": ["alimentari"],
        "services": [
            {"title": "Spesa a domicilio", "category": "alimentari", "description": "Consegna a casa della spesa per anziani e persone fragili"},
            {"title": "Pacco solidale", "category": "alimentari", "description": "Pacco settimanale di prodotti di base per famiglie"}
        ],
        "declarations": [1, 2],
        "ethics_version": "2025-1",
        "accept_ethics": true,
    })
}

fn problem_fields(answer: &Json) -> Vec<String> {
    answer["problems"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|p| p["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn message(answer: &Json) -> String {
    answer["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The subjects of the caller's notifications (the kernel's inbox).
async fn inbox(client: &Client, server: &Server) -> Vec<String> {
    let (status, inbox) = client.get_json(server, "/notifications").await;
    assert_eq!(status, 200, "{inbox}");
    inbox["notifications"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|n| n["subject"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// This plugin's items on the kernel's "my applications and bookings" page (`/me`, as JSON),
/// by title.
async fn my_items(client: &Client, server: &Server) -> Vec<(String, String, String)> {
    let (status, me) = client.get_json(server, "/me").await;
    assert_eq!(status, 200, "{me}");
    let section = me["services"]
        .as_array()
        .expect("services")
        .iter()
        .find(|s| s["plugin"] == "admissions")
        .cloned()
        .unwrap_or(Json::Null);
    assert_eq!(
        (&section["title"], &section["failed"]),
        (&json!("Accreditamento fornitori"), &json!(false)),
        "{me}"
    );
    let text = |item: &Json, name: &str| item[name].as_str().unwrap_or_default().to_owned();
    let mut items: Vec<(String, String, String)> = section["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| (text(i, "title"), text(i, "status"), text(i, "href")))
                .collect()
        })
        .unwrap_or_default();
    items.sort();
    items
}

async fn download(client: &Client, server: &Server, path: &str) -> (u16, String) {
    let response = client
        .http
        .get(server.url(&format!("/p/admissions{path}")))
        .send()
        .await
        .expect("download");
    let status = response.status().as_u16();
    (status, response.text().await.expect("text"))
}

#[tokio::test(flavor = "multi_thread")]
async fn an_application_goes_through_the_committee_into_the_register_and_the_vouchers() {
    committee_at_work(TestInstance::new(
        "admissions",
        &format!("{ADMISSIONS}{VOUCHERS}"),
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_committee_at_work_on_postgres() {
    let db = PgDatabase::create().await;
    committee_at_work(TestInstance::new(
        "admissions-pg",
        &format!("[database]\nurl = \"{}\"\n{ADMISSIONS}{VOUCHERS}", db.url),
    ))
    .await;
}

/// The whole flow of the module documentation on `instance` (admissions and vouchers).
async fn committee_at_work(instance: TestInstance) {
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
    let (status, committee) = get(&anna, &server, "/api/committee").await;
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
    let (status, profile) = post(
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
    let (status, profile) = post(
        &dario,
        &server,
        "/api/committee/profile",
        json!({"links": [format!("IT{SHOP_VAT} cugino del titolare")]}),
    )
    .await;
    assert_eq!(status, 200, "{profile}");
    assert_eq!(profile["links"][0]["identifier"], SHOP_VAT);
    let (_, committee) = get(&anna, &server, "/api/committee").await;
    assert_eq!(committee["roster"].as_array().map(Vec::len), Some(4));
    // Someone without the role is not on the committee.
    let (status, _) = get(&shopkeeper, &server, "/api/committee").await;
    assert_eq!(status, 403);

    // The form renders; wrong identifiers and an outdated ethics code are refused, named.
    let (status, page) = shopkeeper.page(&server, "/p/admissions/apply").await;
    assert_eq!(status, 200);
    assert!(page.contains("versione 2025-1"), "{page}");
    let mut wrong = shop("Alimentari Bottega srl", "01234567890", "RSSMRA85T10A562T");
    wrong["ethics_version"] = json!("2024-1");
    wrong["declarations"] = json!([1]);
    let (status, refused) = post(&shopkeeper, &server, "/api/applications", wrong).await;
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

    let (status, application) = post(
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
    let (status, twice) = post(
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
    let (status, _) = get(&citizen, &server, &format!("/api/applications/{id}")).await;
    assert_eq!(status, 404);
    let (status, seen) = get(&anna, &server, &format!("/api/applications/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(seen["committee"]["electorate"], 3);
    assert_eq!(seen["committee"]["quorum"], 2);
    assert_eq!(seen["committee"]["excluded"][0]["name"], "dario");

    // A comment stays within the committee; a conflicted member may not comment.
    let (status, commented) = post(
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
    let (_, mine) = get(&shopkeeper, &server, &format!("/api/applications/{id}")).await;
    assert!(mine["committee"].is_null() && !mine.to_string().contains("punto di riferimento"));
    let (status, refused) = post(
        &dario,
        &server,
        &format!("/api/applications/{id}/comments"),
        json!({"text": "Ottimi cugini"}),
    )
    .await;
    assert_eq!(status, 403, "{refused}");

    // A request for information suspends the vote until the applicant answers.
    let (status, asked) = post(
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
    let (status, suspended) = post(
        &anna,
        &server,
        &format!("/api/applications/{id}/vote"),
        json!({"choice": "approve"}),
    )
    .await;
    assert_eq!(status, 409, "{suspended}");
    let (_, mine) = get(&shopkeeper, &server, "/api/my-applications").await;
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
    let (status, _) = post(
        &anna,
        &server,
        &format!("/api/applications/{id}/answer"),
        json!({"answer": "io"}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, withdrawn) = post(
        &shopkeeper,
        &server,
        &format!("/api/applications/{id}/services/{packet}/withdraw"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{withdrawn}");
    assert_eq!(withdrawn["services"][1]["withdrawn"], true);
    let (status, answered) = post(
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
    let (status, refused) = post(
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
    let (status, seen) = get(&dario, &server, &format!("/api/applications/{id}")).await;
    assert_eq!(status, 200);
    assert!(seen["committee"].is_null(), "{seen}");
    let (status, _) = download(&dario, &server, &format!("/applications/{id}/minutes.csv")).await;
    assert_eq!(status, 403);

    // One vote in favour is below the quorum of 2: nothing is decided yet.
    let (status, voted) = post(
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
    let (status, refused) = post(
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
    let (status, decided) = post(
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
    let (status, late) = post(
        &carla,
        &server,
        &format!("/api/applications/{id}/vote"),
        json!({"choice": "reject", "reason": "tardi"}),
    )
    .await;
    assert_eq!(status, 409, "{late}");

    // The applicant reads the decision with its reasons, on the page and in the inbox.
    let (status, page) = shopkeeper
        .page(&server, &format!("/p/admissions/applications/{id}"))
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Approvata") && page.contains("Risposta esauriente"),
        "{page}"
    );
    assert!(
        !page.contains("Conosco la bottega"),
        "no committee comments: {page}"
    );
    assert!(
        inbox(&shopkeeper, &server)
            .await
            .iter()
            .any(|s| s.contains("Domanda approvata"))
    );

    // The register: the approved service only, a year of validity, public.
    let anonymous = Client::new();
    let (status, register) = get(&anonymous, &server, "/api/register").await;
    assert_eq!(status, 200);
    assert_eq!(register.as_array().map(Vec::len), Some(1), "{register}");
    let entry = &register[0];
    assert_eq!(entry["id"], provider_id.as_str());
    assert_eq!(entry["legal_name"], "Alimentari Bottega srl");
    assert_eq!(entry["status"], "active");
    assert_eq!(entry["admitted_on"], today_plus(0));
    assert_eq!(entry["expires_on"], today_plus(364));
    assert_eq!(entry["services"].as_array().map(Vec::len), Some(1));
    assert_eq!(entry["services"][0]["title"], "Spesa a domicilio");
    let (status, page) = anonymous.page(&server, "/p/admissions/register").await;
    assert_eq!(status, 200);
    assert!(page.contains("Alimentari Bottega srl"), "{page}");
    // The exports open in columns in an Italian spreadsheet: a byte-order mark, `;`, Italian
    // headers; in English, `,` and English headers.
    let (status, csv) = download(&anonymous, &server, "/register.csv").await;
    assert_eq!(status, 200);
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(
        csv.starts_with("\u{feff}ID fornitore;Ragione sociale;Forma giuridica;Codice fiscale;"),
        "{csv}"
    );
    assert!(
        csv.contains(&format!(";{SHOP_VAT};{SHOP_VAT};")) && csv.contains("Spesa a domicilio"),
        "{csv}"
    );
    let (_, english) = download(&anonymous, &server, "/register.csv?lang=en").await;
    assert!(
        english.starts_with("\u{feff}Provider ID,Legal name,Legal form,Tax code,"),
        "{english}"
    );
    assert!(
        english.contains(&format!(",{SHOP_VAT},{SHOP_VAT},")),
        "{english}"
    );

    // The shop's "my applications and bookings" (`/me`): its application, approved, and its
    // entry in the register with the last valid day; both link to their pages.
    let shop_entry = |status: &str| {
        (
            "Iscrizione all'albo — Alimentari Bottega srl".to_owned(),
            format!("{status}, valido fino al {}", today_plus(364)),
            format!("/p/admissions/register/{provider_id}"),
        )
    };
    let admitted = (
        "Domanda di ammissione — Alimentari Bottega srl".to_owned(),
        "Approvata".to_owned(),
        format!("/p/admissions/applications/{id}"),
    );
    assert_eq!(
        my_items(&shopkeeper, &server).await,
        vec![admitted.clone(), shop_entry("Accreditato")]
    );
    for (_, _, href) in my_items(&shopkeeper, &server).await {
        let (status, _) = shopkeeper.page(&server, &href).await;
        assert_eq!(status, 200, "{href}");
    }
    // A committee member who applied for nothing has nothing there; a stranger must log in.
    assert!(my_items(&anna, &server).await.is_empty());
    let (status, _) = get(&anonymous, &server, "/api/mine").await;
    assert_eq!(status, 401);

    // The minutes: who was entitled, who was excluded and why, every vote, the outcome.
    let (status, minutes) =
        download(&anna, &server, &format!("/applications/{id}/minutes.csv")).await;
    assert_eq!(status, 200);
    assert!(
        minutes.starts_with("\u{feff}Sezione;Membro;Valore;Ora (UTC);Nota\r\n"),
        "{minutes}"
    );
    assert!(
        minutes.contains(
            "excluded;dario;dario;;ha dichiarato un legame con 01234567897 (cugino del titolare)"
        ),
        "{minutes}"
    );
    assert!(minutes.contains("vote;bruno;favorevole;"), "{minutes}");
    assert!(minutes.contains("comment;anna;"), "{minutes}");
    assert!(minutes.contains("answer;bottega;"), "{minutes}");
    assert!(minutes.contains("outcome;;approved;"), "{minutes}");
    let (status, _) = download(
        &shopkeeper,
        &server,
        &format!("/applications/{id}/minutes.csv"),
    )
    .await;
    assert_eq!(status, 403, "minutes are the committee's");
    let (_, decisions) = download(&carla, &server, "/decisions.csv").await;
    assert_eq!(decisions.lines().count(), 2, "{decisions}");
    assert!(
        decisions.starts_with("\u{feff}Decisa il (UTC);Caso;ID caso;Soggetto;Tipo;Esito;"),
        "{decisions}"
    );
    assert!(
        decisions.contains(&format!(";application;{id};Alimentari Bottega srl;")),
        "{decisions}"
    );

    // The vouchers plugin sees the accredited shop as a merchant, linked to its account.
    let linked = eventually(Duration::from_secs(20), || async {
        let (_, me) = shopkeeper
            .get_json(&server, "/p/vouchers/api/merchant")
            .await;
        me["linked"] == true && me["active"] == true
    })
    .await;
    let (_, me) = shopkeeper
        .get_json(&server, "/p/vouchers/api/merchant")
        .await;
    assert!(linked, "the shop is not a vouchers merchant: {me}");
    assert_eq!(me["merchant"]["name"], "Alimentari Bottega srl");
    assert_eq!(me["merchant"]["vat_number"], SHOP_VAT);

    // … and takes a voucher a citizen was given.
    let operator = login(&server, "operatrice").await;
    let (status, campaign) = operator
        .send_json(
            &server,
            Method::POST,
            "/p/vouchers/api/campaigns",
            &json!({
                "title": "Buoni spesa",
                "measure": "food",
                "opens_on": today_plus(0),
                "closes_on": today_plus(1),
                "budget": 50,
                "base_amounts": [50],
                "review_rules": [],
            }),
        )
        .await;
    assert_eq!(status, 201, "{campaign}");
    let campaign_id = campaign["id"].as_str().expect("campaign").to_owned();
    let (status, voucher_application) = citizen
        .send_json(
            &server,
            Method::POST,
            &format!("/p/vouchers/api/campaigns/{campaign_id}/applications"),
            &json!({"tax_code": CITIZEN}),
        )
        .await;
    assert_eq!(status, 201, "{voucher_application}");
    let (status, _) = operator
        .send_json(
            &server,
            Method::POST,
            &format!("/p/vouchers/api/campaigns/{campaign_id}/close"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, voucher_application) = citizen
        .get_json(
            &server,
            &format!(
                "/p/vouchers/api/applications/{}",
                voucher_application["id"].as_str().expect("id")
            ),
        )
        .await;
    let code = voucher_application["vouchers"][0]["code"]
        .as_str()
        .expect("voucher")
        .to_owned();
    let (status, redeemed) = shopkeeper
        .send_json(
            &server,
            Method::POST,
            "/p/vouchers/api/redeem",
            &json!({"code": code, "amount": "12,50", "request_id": "adm-redeem-0001"}),
        )
        .await;
    assert_eq!(status, 201, "{redeemed}");
    assert_eq!(redeemed["remaining_cents"], 3_750);

    // The committee suspends the shop; the shop answers; the vote carries; vouchers stop.
    let (status, motion) = post(
        &anna,
        &server,
        &format!("/api/register/{provider_id}/motions"),
        json!({"kind": "suspend", "reason": "Segnalazioni ripetute di prezzi non esposti"}),
    )
    .await;
    assert_eq!(status, 201, "{motion}");
    let motion_id = motion["id"].as_str().expect("motion").to_owned();
    let (status, _) = post(
        &dario,
        &server,
        &format!("/api/motions/{motion_id}/vote"),
        json!({"choice": "reject", "reason": "Li conosco, sono corretti"}),
    )
    .await;
    assert_eq!(status, 403, "conflicted on the proceeding too");
    let (status, stated) = post(
        &shopkeeper,
        &server,
        &format!("/api/motions/{motion_id}/statement"),
        json!({"text": "I cartellini sono stati esposti da lunedì."}),
    )
    .await;
    assert_eq!(status, 200, "{stated}");
    for member in [&anna, &carla] {
        let (status, voted) = post(
            member,
            &server,
            &format!("/api/motions/{motion_id}/vote"),
            json!({"choice": "approve", "reason": "Verifica del comitato in corso"}),
        )
        .await;
        assert_eq!(status, 200, "{voted}");
    }
    let (_, motion) = get(&anna, &server, &format!("/api/motions/{motion_id}")).await;
    assert_eq!(motion["status"], "approved", "{motion}");
    let (_, entry) = get(&anonymous, &server, &format!("/api/register/{provider_id}")).await;
    assert_eq!(entry["status"], "suspended");
    let (_, register) = get(&anonymous, &server, "/api/register").await;
    assert_eq!(register.as_array().map(Vec::len), Some(0), "{register}");
    let (_, suspended) = get(&anonymous, &server, "/api/register?status=suspended").await;
    assert_eq!(suspended.as_array().map(Vec::len), Some(1), "{suspended}");
    assert_eq!(
        my_items(&shopkeeper, &server).await,
        vec![admitted.clone(), shop_entry("Sospeso")],
        "the shop sees its suspension on /me"
    );
    let stopped = eventually(Duration::from_secs(20), || async {
        let (_, me) = shopkeeper
            .get_json(&server, "/p/vouchers/api/merchant")
            .await;
        me["active"] == false
    })
    .await;
    assert!(stopped, "vouchers still sees the shop as active");
    let (status, refused) = shopkeeper
        .send_json(
            &server,
            Method::POST,
            "/p/vouchers/api/redeem",
            &json!({"code": code, "amount": "1", "request_id": "adm-redeem-0002"}),
        )
        .await;
    assert_eq!(status, 403, "{refused}");
    let (status, minutes) = download(
        &bruno,
        &server,
        &format!("/motions/{motion_id}/minutes.csv"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        minutes.contains("statement;bottega;") && minutes.contains("outcome;;approved;"),
        "{minutes}"
    );

    // An association is rejected with reasons, and may not apply again before 180 days.
    let coop = sign_up(&server, "coop", "Coop Sociale").await;
    let mut aps = shop("APS Il Girasole", APS_TAX_CODE, GIULIA);
    aps["legal_form"] = json!("aps");
    aps["vat_number"] = Json::Null;
    aps["categories"] = json!(["doposcuola"]);
    aps["services"] = json!([{"title": "Doposcuola", "category": "doposcuola", "description": "Aiuto compiti per ragazzi delle medie"}]);
    let (status, aps_application) = post(&coop, &server, "/api/applications", aps.clone()).await;
    assert_eq!(status, 201, "{aps_application}");
    let aps_id = aps_application["id"].as_str().expect("id").to_owned();
    // Four members, quorum 3: one vote against decides nothing yet.
    let (status, voted) = post(
        &anna,
        &server,
        &format!("/api/applications/{aps_id}/vote"),
        json!({"choice": "reject", "reason": "Nessun educatore qualificato indicato"}),
    )
    .await;
    assert_eq!(
        (status, &voted["status"]),
        (200, &json!("voting")),
        "{voted}"
    );
    // Carla declares a link the roster could not know: three entitled, quorum 2.
    let (status, declared) = post(
        &carla,
        &server,
        &format!("/api/applications/{aps_id}/conflict"),
        json!({"note": "Sono volontaria dell'associazione"}),
    )
    .await;
    assert_eq!(status, 200, "{declared}");
    let (_, seen) = get(&anna, &server, &format!("/api/applications/{aps_id}")).await;
    assert_eq!(seen["committee"]["electorate"], 3, "{seen}");
    assert_eq!(seen["committee"]["quorum"], 2, "{seen}");
    let (status, _) = post(
        &carla,
        &server,
        &format!("/api/applications/{aps_id}/vote"),
        json!({"choice": "approve"}),
    )
    .await;
    assert_eq!(status, 403);
    // A second vote against meets the quorum, and Dario alone could not change the result.
    let (status, rejected) = post(
        &bruno,
        &server,
        &format!("/api/applications/{aps_id}/vote"),
        json!({"choice": "reject", "reason": "Manca l'assicurazione dei volontari"}),
    )
    .await;
    assert_eq!(status, 200, "{rejected}");
    assert_eq!(rejected["status"], "rejected", "{rejected}");
    let (_, minutes) = download(
        &carla,
        &server,
        &format!("/applications/{aps_id}/minutes.csv"),
    )
    .await;
    assert!(
        minutes.contains("declared_conflict;carla;;") && minutes.contains("Sono volontaria"),
        "{minutes}"
    );
    let (_, seen) = get(&coop, &server, &format!("/api/applications/{aps_id}")).await;
    assert_eq!(
        seen["decision"]["reasons"],
        json!([
            "Nessun educatore qualificato indicato",
            "Manca l'assicurazione dei volontari"
        ])
    );
    assert!(
        seen["reapply_from_iso"]
            .as_str()
            .is_some_and(|d| d.starts_with(&today_plus(180))),
        "{seen}"
    );
    let (status, again) = post(&coop, &server, "/api/applications", aps).await;
    assert_eq!(status, 422, "{again}");
    assert!(message(&again).contains("180 giorni"), "{again}");

    // The renewal form is filled in from the register, keeping the services' ids.
    let (status, page) = shopkeeper
        .page(
            &server,
            &format!("/p/admissions/apply?provider={provider_id}"),
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("value=\"Alimentari Bottega srl\"") && page.contains("name=\"service_1_id\""),
        "{page}"
    );
    // English is available.
    let (status, page) = anonymous
        .page(&server, "/p/admissions/register?status=all&lang=en")
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Register of accredited providers") && page.contains("Suspended"),
        "{page}"
    );

    // The pages render.
    for (client, path) in [
        (&anna, "/p/admissions/".to_owned()),
        (&anna, "/p/admissions/committee".to_owned()),
        (&anna, format!("/p/admissions/applications/{id}")),
        (&anna, format!("/p/admissions/motions/{motion_id}")),
        (&anna, format!("/p/admissions/register/{provider_id}")),
        (&shopkeeper, format!("/p/admissions/motions/{motion_id}")),
        (&shopkeeper, "/p/admissions/".to_owned()),
        (&coop, format!("/p/admissions/applications/{aps_id}")),
        (&anonymous, "/p/admissions/ethics".to_owned()),
    ] {
        let (status, page) = client.page(&server, &path).await;
        assert_eq!(status, 200, "{path}: {page}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn forms_work_without_javascript_and_show_what_to_fix() {
    let instance = TestInstance::new("admissions-forms", ADMISSIONS);
    add_user(&instance, "anna", "committee");
    add_user(&instance, "bruno", "committee");
    let server = Server::start(&[instance.path()]);
    let anna = login(&server, "anna").await;
    let bruno = login(&server, "bruno").await;
    for member in [&anna, &bruno] {
        member.page(&server, "/p/admissions/committee").await;
    }
    let applicant = sign_up(&server, "negozio", "Negozio di Quartiere").await;
    let fields = [
        ("legal_name", "Bottega di Quartiere"),
        ("legal_form", "company"),
        ("tax_code", SHOP_VAT),
        ("vat_number", "0123456789"),
        ("street", "Piazza Grande 3"),
        ("postcode", "52100"),
        ("city", "Arezzo"),
        ("province", "ar"),
        ("email", "bottega@example.org"),
        ("representative_name", "Mario Rossi"),
        ("representative_tax_code", MARIO),
        ("categories", "alimentari"),
        ("service_1_title", "Consegna"),
        ("service_1_category", "alimentari"),
        (
            "service_1_description",
            "Consegna a domicilio gratuita sopra i 20 euro",
        ),
        ("declarations", "1"),
        ("declarations", "2"),
        ("ethics_version", "2025-1"),
        ("accept_ethics", "yes"),
    ];
    let response = applicant
        .post_form(&server, "/p/admissions/apply", &fields)
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.expect("page");
    assert!(page.contains("una partita IVA ha 11 cifre"), "{page}");
    assert!(
        page.contains("value=\"Bottega di Quartiere\""),
        "what was typed is kept: {page}"
    );
    assert!(
        page.contains("Consegna a domicilio gratuita"),
        "the service rows are kept: {page}"
    );

    let mut fixed = fields.to_vec();
    fixed.retain(|(k, _)| *k != "vat_number");
    fixed.push(("vat_number", SHOP_VAT));
    let response = applicant
        .post_form(&server, "/p/admissions/apply", &fixed)
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(
        location.starts_with("/p/admissions/applications/"),
        "{location}"
    );
    let (status, page) = applicant.page(&server, &location).await;
    assert_eq!(status, 200);
    assert!(page.contains("In esame, votazione aperta"), "{page}");

    // The committee sees the vote form; a vote against without a motivation is shown again.
    let (_, page) = anna.page(&server, &location).await;
    assert!(page.contains(&format!("{location}/vote")), "{page}");
    let response = anna
        .post_form(
            &server,
            &format!("{location}/vote"),
            &[("choice", "reject")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.expect("page");
    assert!(page.contains("un voto contrario va motivato"), "{page}");
    for member in [&anna, &bruno] {
        let response = member
            .post_form(
                &server,
                &format!("{location}/vote"),
                &[("choice", "reject"), ("reason", "Catalogo troppo generico")],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303);
    }
    let (_, page) = applicant.page(&server, &location).await;
    assert!(
        page.contains("Respinta") && page.contains("Catalogo troppo generico"),
        "{page}"
    );
}

/// Short windows and validity, so the deadlines job (every 30 s) closes votes and expires
/// accreditations within the test.
const QUICK: &str = r#"
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
    let (_, ethics) = get(&anna, &server, "/api/ethics").await;
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
    let (status, quiet) = post(
        &first,
        &server,
        "/api/applications",
        apply("Primo Negozio snc", "12345678903"),
    )
    .await;
    assert_eq!(status, 201, "{quiet}");
    let quiet_id = quiet["id"].as_str().expect("id").to_owned();
    let (status, _) = post(
        &carla,
        &server,
        &format!("/api/applications/{quiet_id}/vote"),
        json!({"choice": "approve"}),
    )
    .await;
    assert_eq!(status, 200);

    // Shop B is approved at once by two votes, for 8 seconds.
    let second = sign_up(&server, "secondo", "Secondo Negozio").await;
    let (status, quick) = post(
        &second,
        &server,
        "/api/applications",
        apply("Secondo Negozio srl", "07981080158"),
    )
    .await;
    assert_eq!(status, 201, "{quick}");
    let quick_id = quick["id"].as_str().expect("id").to_owned();
    for member in [&anna, &bruno] {
        post(
            member,
            &server,
            &format!("/api/applications/{quick_id}/vote"),
            json!({"choice": "approve"}),
        )
        .await;
    }
    let (_, quick) = get(&second, &server, &format!("/api/applications/{quick_id}")).await;
    assert_eq!(quick["status"], "approved", "{quick}");
    let provider_id = quick["provider_id"].as_str().expect("provider").to_owned();

    // Shop A's window closes without quorum: a second round opens, then it lapses.
    let second_round = eventually(Duration::from_secs(70), || async {
        let (_, seen) = get(&anna, &server, &format!("/api/applications/{quiet_id}")).await;
        seen["round"] == 2 || seen["status"] == "no_quorum"
    })
    .await;
    assert!(second_round, "no second round");
    let lapsed = eventually(Duration::from_secs(70), || async {
        let (_, seen) = get(&first, &server, &format!("/api/applications/{quiet_id}")).await;
        seen["status"] == "no_quorum"
    })
    .await;
    let (_, seen) = get(&first, &server, &format!("/api/applications/{quiet_id}")).await;
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
    let (status, again) = post(
        &first,
        &server,
        "/api/applications",
        apply("Primo Negozio snc", "12345678903"),
    )
    .await;
    assert_eq!(status, 201, "{again}");

    // Shop B's accreditation expires on the clock and leaves the register.
    let expired = eventually(Duration::from_secs(70), || async {
        let (_, entry) = get(&second, &server, &format!("/api/register/{provider_id}")).await;
        entry["status"] == "expired"
    })
    .await;
    assert!(expired, "the accreditation did not expire");
    let (_, register) = get(&second, &server, "/api/register").await;
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
    let (status, renewal) = post(
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
        post(
            member,
            &server,
            &format!("/api/applications/{renewal_id}/vote"),
            json!({"choice": "approve"}),
        )
        .await;
    }
    let (_, renewal) = get(&second, &server, &format!("/api/applications/{renewal_id}")).await;
    assert_eq!(renewal["status"], "approved", "{renewal}");
    assert_eq!(renewal["provider_id"], provider_id.as_str());
    let (_, entry) = get(&second, &server, &format!("/api/register/{provider_id}")).await;
    assert_eq!(entry["status"], "active", "{entry}");
    assert!(entry["renewed_on"].is_string(), "{entry}");
    let actions: Vec<&str> = entry["history"]
        .as_array()
        .map(|h| h.iter().filter_map(|c| c["action"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(actions, vec!["ammesso", "scaduto", "rinnovato"], "{entry}");
}
