//! The `corporate-plans` plugin over HTTP: a company's welfare plan from the deposit to the
//! expiry — enrolment from a table with a bad row, activation, purchases, reimbursements
//! approved and rejected, reports, the unspent credit returned — with every balance checked to
//! the cent; HR offices of two companies kept apart; purchases racing for one wallet; and the
//! pages working without JavaScript.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value as Json, json};

use crate::support::{
    Client, PgDatabase, Server, TestInstance, add_user, eventually, login, sign_up,
};

const PLUGIN: &str = r#"
[plugins.corporate-plans]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "ledger", "notify", "log", "clock"]
[plugins.corporate-plans.settings]
cooperative_name = "Cooperativa Trama"
"#;

/// Valid partite IVA (their check digits are right).
const ACME_VAT: &str = "01234567897";
const BETA_VAT: &str = "02760100962";
const GYM_VAT: &str = "09876543217";
const SCHOOL_VAT: &str = "12345678903";

fn base(path: &str) -> String {
    format!("/p/corporate-plans{path}")
}

async fn post(client: &Client, server: &Server, path: &str, body: Json) -> (u16, Json) {
    client
        .send_json(server, Method::POST, &base(path), &body)
        .await
}

async fn get(client: &Client, server: &Server, path: &str) -> (u16, Json) {
    client.get_json(server, &base(path)).await
}

/// Uploads `text` as the body of a `text/csv` request.
async fn post_csv(client: &Client, server: &Server, path: &str, text: &str) -> (u16, Json) {
    let token = client.csrf(server).await;
    let response = client
        .http
        .post(server.url(&base(path)))
        .header("x-csrf-token", token)
        .header("content-type", "text/csv; charset=utf-8")
        .body(text.to_owned())
        .send()
        .await
        .expect("upload");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Json::Null))
}

async fn text(client: &Client, server: &Server, path: &str) -> (u16, String) {
    let response = client
        .http
        .get(server.url(&base(path)))
        .send()
        .await
        .expect("GET");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

fn id(value: &Json) -> String {
    value["id"].as_str().expect("id").to_owned()
}

fn this_year() -> i32 {
    time::OffsetDateTime::now_utc().year()
}

fn today() -> String {
    time::OffsetDateTime::now_utc().date().to_string()
}

/// The balance of an employee's wallet, and what they may still claim as reimbursements.
async fn wallet(client: &Client, server: &Server, enrolment: &str) -> (i64, i64) {
    let (status, body) = get(client, server, &format!("/api/wallets/{enrolment}")).await;
    assert_eq!(status, 200, "{body}");
    (
        body["wallet"]["balance_cents"].as_i64().expect("balance"),
        body["wallet"]["reimbursable_left_cents"]
            .as_i64()
            .expect("reimbursable"),
    )
}

/// This plugin's section of the kernel's "my applications and bookings" page (`/me`, as JSON).
async fn my_section(client: &Client, server: &Server, path: &str) -> Json {
    let (status, me) = client.get_json(server, path).await;
    assert_eq!(status, 200, "{me}");
    let section = me["services"]
        .as_array()
        .expect("services")
        .iter()
        .find(|s| s["plugin"] == "corporate-plans")
        .cloned()
        .unwrap_or(Json::Null);
    assert_eq!(section["failed"], false, "{me}");
    section
}

/// The item of `section` whose title starts with `title`.
fn item<'a>(section: &'a Json, title: &str) -> &'a Json {
    section["items"]
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|i| i["title"].as_str().is_some_and(|t| t.starts_with(title)))
        })
        .unwrap_or_else(|| panic!("no item `{title}` in {section}"))
}

/// The caller's notification whose subject starts with `subject`.
async fn notification(client: &Client, server: &Server, subject: &str) -> Json {
    let (status, inbox) = client.get_json(server, "/notifications").await;
    assert_eq!(status, 200, "{inbox}");
    inbox["notifications"]
        .as_array()
        .and_then(|list| {
            list.iter().find(|n| {
                n["subject"]
                    .as_str()
                    .is_some_and(|s| s.starts_with(subject))
            })
        })
        .cloned()
        .unwrap_or_else(|| panic!("no notification `{subject}` in {inbox}"))
}

async fn company_balance(operator: &Client, server: &Server, company: &str) -> i64 {
    let (status, body) = get(operator, server, &format!("/api/companies/{company}")).await;
    assert_eq!(status, 200, "{body}");
    body["company"]["balance_cents"].as_i64().expect("balance")
}

async fn summary(client: &Client, server: &Server, plan: &str) -> Json {
    let (status, body) = get(client, server, &format!("/api/plans/{plan}")).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// A company registered by the operator and linked to an HR account; returns its id.
async fn company_with_hr(
    operator: &Client,
    hr: &Client,
    server: &Server,
    name: &str,
    vat: &str,
) -> String {
    let (status, company) = post(
        operator,
        server,
        "/api/companies",
        json!({"name": name, "vat_number": vat}),
    )
    .await;
    assert_eq!(status, 201, "{company}");
    let (status, linked) = post(
        hr,
        server,
        "/api/hr/claim",
        json!({"code": company["hr_code"]}),
    )
    .await;
    assert_eq!(status, 200, "{linked}");
    assert_eq!(linked["name"], name);
    id(&company)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_from_the_deposit_to_the_expiry_with_every_balance_exact() {
    let instance = TestInstance::new("corporate", PLUGIN);
    add_user(&instance, "coop", "operator");
    add_user(&instance, "hr.acme", "company_hr");
    add_user(&instance, "hr.beta", "company_hr");
    add_user(&instance, "palestra", "citizen");
    let server = Server::start(&[instance.path()]);
    let operator = login(&server, "coop").await;
    let hr = login(&server, "hr.acme").await;
    let hr_beta = login(&server, "hr.beta").await;

    // --- Companies, HR codes and deposits -------------------------------------------------
    let (status, refused) = post(
        &operator,
        &server,
        "/api/companies",
        json!({"name": "A", "vat_number": "01234567890"}),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["problems"].as_array().map(Vec::len), Some(2));
    let (status, _) = post(&hr, &server, "/api/companies", json!({})).await;
    assert_eq!(status, 403, "HR offices do not register companies");

    let (status, acme) = post(
        &operator,
        &server,
        "/api/companies",
        json!({"name": "Acme Meccanica srl", "vat_number": ACME_VAT}),
    )
    .await;
    assert_eq!(status, 201, "{acme}");
    let acme_id = id(&acme);
    let acme_code = acme["hr_code"].as_str().expect("code").to_owned();
    // Someone without the HR role cannot use the code.
    let stranger = sign_up(&server, "curioso", "Curioso").await;
    let (status, _) = post(
        &stranger,
        &server,
        "/api/hr/claim",
        json!({"code": acme_code}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, linked) = post(&hr, &server, "/api/hr/claim", json!({"code": acme_code})).await;
    assert_eq!(
        (status, &linked["name"]),
        (200, &json!("Acme Meccanica srl")),
        "{linked}"
    );
    // A used code links nobody else.
    let (status, _) = post(
        &hr_beta,
        &server,
        "/api/hr/claim",
        json!({"code": acme_code}),
    )
    .await;
    assert_eq!(status, 404);
    let beta_id = company_with_hr(&operator, &hr_beta, &server, "Beta Servizi", BETA_VAT).await;

    let deposit = json!({"amount": "10.000,00", "reference": "TRN-ACME-1", "request_id": "deposit-acme-0001"});
    let (status, first) = post(
        &operator,
        &server,
        &format!("/api/companies/{acme_id}/deposits"),
        deposit.clone(),
    )
    .await;
    assert_eq!(status, 201, "{first}");
    // A double submission records one deposit.
    let (status, again) = post(
        &operator,
        &server,
        &format!("/api/companies/{acme_id}/deposits"),
        deposit,
    )
    .await;
    assert_eq!((status, id(&again)), (201, id(&first)));
    assert_eq!(
        company_balance(&operator, &server, &acme_id).await,
        1_000_000
    );
    let (status, _) = post(
        &operator,
        &server,
        &format!("/api/companies/{beta_id}/deposits"),
        json!({"amount": 1000, "reference": "TRN-BETA-1", "request_id": "deposit-beta-0001"}),
    )
    .await;
    assert_eq!(status, 201);

    // --- The plan ------------------------------------------------------------------------
    let year = this_year();
    let plan_body = |request_id: &str, budget: &str| {
        json!({
            "title": format!("Welfare {year}"),
            "year": year,
            "budget": budget,
            "level_credits": ["Q1 = 1.000", "2 = 600"],
            "per_dependant": "100",
            "max_dependants": 2,
            "categories": ["sport", "education"],
            "refund_share": "33,33",
            "request_id": request_id,
        })
    };
    // More than the company holds: nothing is drawn.
    let (status, refused) = post(
        &hr,
        &server,
        "/api/plans",
        plan_body("plan-acme-too-big", "20.000"),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("10.000,00"),
        "{refused}"
    );
    // A plan already over is refused, naming the field.
    let mut past = plan_body("plan-acme-past-01", "100");
    past["year"] = json!(year - 1);
    let (status, refused) = post(&hr, &server, "/api/plans", past).await;
    assert_eq!(status, 422);
    assert_eq!(refused["problems"][0]["field"], "ends_on", "{refused}");

    let (status, plan) = post(
        &hr,
        &server,
        "/api/plans",
        plan_body("plan-acme-0000001", "3.000,00"),
    )
    .await;
    assert_eq!(status, 201, "{plan}");
    let plan_id = id(&plan);
    assert_eq!(plan["starts_on"], format!("{year}-01-01"));
    assert_eq!(plan["ends_on"], format!("{year}-12-31"));
    assert_eq!(plan["budget_left_cents"], 300_000);
    assert_eq!(company_balance(&operator, &server, &acme_id).await, 700_000);

    // --- Another company's HR sees nothing of it -----------------------------------------
    for path in [
        format!("/api/plans/{plan_id}"),
        format!("/api/plans/{plan_id}/employees"),
        format!("/api/plans/{plan_id}/reimbursements"),
    ] {
        let (status, _) = get(&hr_beta, &server, &path).await;
        assert_eq!(status, 404, "{path}");
    }
    let (status, _) = text(
        &hr_beta,
        &server,
        &format!("/plans/{plan_id}/employees.csv"),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = post(
        &hr_beta,
        &server,
        &format!("/api/plans/{plan_id}/enrolments"),
        json!({"username": "intruso", "full_name": "Intruso", "level": "Q1"}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = post(
        &hr_beta,
        &server,
        &format!("/api/plans/{plan_id}/close"),
        json!({}),
    )
    .await;
    assert_eq!(status, 404);
    let (_, beta_view) = get(&hr_beta, &server, "/api/hr").await;
    assert_eq!(beta_view["plans"], json!([]), "{beta_view}");
    assert_eq!(beta_view["company"]["balance_cents"], 100_000);

    // --- Enrolment from a table with one bad row -----------------------------------------
    let table = "username;nome;matricola;livello;familiari a carico\n\
                 anna;Anna Rossi;M001;Q1;1\n\
                 bruno;Bruno Verdi;M002;Q7;0\n\
                 carla;Carla Bianchi;M003;2;5\n";
    let upload = format!("/api/plans/{plan_id}/enrolments/upload");
    let (status, report) = post_csv(&hr, &server, &upload, table).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["enrolled_count"], 2, "{report}");
    assert_eq!(report["error_count"], 1);
    assert_eq!(report["errors"][0]["line"], 3);
    assert_eq!(report["errors"][0]["username"], "bruno");
    assert!(
        report["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Q7"),
        "{report}"
    );
    let enrolled = report["enrolled"].as_array().expect("enrolled");
    // Anna: Q1 1.000 + 1 dependant × 100 = 1.100,00, of which floor(33,33%) = 366,63 reimbursable.
    assert_eq!(
        (
            enrolled[0]["username"].as_str(),
            enrolled[0]["credit_cents"].as_i64()
        ),
        (Some("anna"), Some(110_000))
    );
    assert_eq!(enrolled[0]["reimbursable_cents"], 36_663);
    // Carla: level 2 600 + 5 dependants counted up to 2 = 800,00; 266,64 reimbursable.
    assert_eq!(
        (
            enrolled[1]["username"].as_str(),
            enrolled[1]["credit_cents"].as_i64()
        ),
        (Some("carla"), Some(80_000))
    );
    assert_eq!(enrolled[1]["reimbursable_cents"], 26_664);
    let anna_code = enrolled[0]["activation_code"]
        .as_str()
        .expect("code")
        .to_owned();
    let anna_enrolment = enrolled[0]["id"].as_str().expect("id").to_owned();
    // Uploading the same table again enrols nobody twice.
    let (status, again) = post_csv(&hr, &server, &upload, table).await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            again["enrolled_count"].as_i64(),
            again["unchanged_count"].as_i64(),
            again["error_count"].as_i64()
        ),
        (Some(0), Some(2), Some(1))
    );
    // A file without the username column is refused as a whole.
    let (status, refused) = post_csv(&hr, &server, &upload, "nome;livello\nDario;Q1\n").await;
    assert_eq!(status, 422, "{refused}");

    // The corrected row, one by one.
    let (status, bruno_enrolment) = post(
        &hr,
        &server,
        &format!("/api/plans/{plan_id}/enrolments"),
        json!({"username": "Bruno", "full_name": "Bruno Verdi", "employee_code": "M002", "level": "2", "dependants": 0}),
    )
    .await;
    assert_eq!(status, 201, "{bruno_enrolment}");
    assert_eq!(bruno_enrolment["credit_cents"], 60_000);
    assert_eq!(bruno_enrolment["reimbursable_cents"], 19_998);
    let bruno_code = bruno_enrolment["activation_code"]
        .as_str()
        .expect("code")
        .to_owned();
    // The budget has 3.000 − 1.100 − 800 − 600 = 500,00 left: a fourth employee does not fit.
    let (status, refused) = post(
        &hr,
        &server,
        &format!("/api/plans/{plan_id}/enrolments"),
        json!({"username": "dario", "full_name": "Dario Neri", "level": "Q1"}),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("500,00"),
        "{refused}"
    );

    // --- Employees activate their enrolment ----------------------------------------------
    let anna = sign_up(&server, "anna", "Anna Rossi").await;
    let (_, me) = get(&anna, &server, "/api/me").await;
    assert_eq!(me["pending"][0]["id"], anna_enrolment.as_str(), "{me}");
    assert_eq!(me["wallets"], json!([]));
    let activate = format!("/api/enrolments/{anna_enrolment}/activate");
    let (status, _) = post(&anna, &server, &activate, json!({"code": bruno_code})).await;
    assert_eq!(status, 422, "another employee's code is wrong here");
    let bruno = sign_up(&server, "bruno", "Bruno Verdi").await;
    let (status, _) = post(&bruno, &server, &activate, json!({"code": anna_code})).await;
    assert_eq!(
        status, 404,
        "an enrolment of another username does not exist for bruno"
    );
    let (status, activated) = post(
        &anna,
        &server,
        &activate,
        json!({"code": anna_code.to_lowercase()}),
    )
    .await;
    assert_eq!(status, 200, "{activated}");
    assert_eq!(activated["balance_cents"], 110_000);
    let bruno_enrolment = id(&bruno_enrolment);
    let (status, _) = post(
        &bruno,
        &server,
        &format!("/api/enrolments/{bruno_enrolment}/activate"),
        json!({"code": bruno_code}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        wallet(&anna, &server, &anna_enrolment).await,
        (110_000, 36_663)
    );
    // Nobody else can look into Anna's wallet.
    let (status, _) = get(&bruno, &server, &format!("/api/wallets/{anna_enrolment}")).await;
    assert_eq!(status, 404);

    // --- Providers and the catalogue ------------------------------------------------------
    let (status, gym) = post(
        &operator,
        &server,
        "/api/providers",
        json!({"legal_name": "Palestra Centro ASD", "vat_number": GYM_VAT, "categories": ["sport", "education"]}),
    )
    .await;
    assert_eq!(status, 201, "{gym}");
    let gym_id = id(&gym);
    let service = |title: &str, category: &str, price: Json| json!({"title": title, "category": category, "price": price});
    let (status, quarter) = post(
        &operator,
        &server,
        &format!("/api/providers/{gym_id}/services"),
        service("Abbonamento trimestrale", "sport", json!("150,00")),
    )
    .await;
    assert_eq!(status, 201, "{quarter}");
    let (status, english) = post(
        &operator,
        &server,
        &format!("/api/providers/{gym_id}/services"),
        service("Corso di inglese", "education", Json::Null),
    )
    .await;
    assert_eq!(status, 201, "{english}");
    let (status, trip) = post(
        &operator,
        &server,
        &format!("/api/providers/{gym_id}/services"),
        service("Settimana bianca", "travel", json!(500)),
    )
    .await;
    assert_eq!(status, 201, "{trip}");
    // The provider's owner links their account and prices the course.
    let owner = login(&server, "palestra").await;
    let (status, _) = post(
        &owner,
        &server,
        &format!("/api/services/{}/price", id(&english)),
        json!({"price": "80,50"}),
    )
    .await;
    assert_eq!(status, 403, "not linked yet");
    let (status, _) = post(
        &owner,
        &server,
        "/api/provider/claim",
        json!({"code": gym["claim_code"]}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, priced) = post(
        &owner,
        &server,
        &format!("/api/services/{}/price", id(&english)),
        json!({"price": "80,50"}),
    )
    .await;
    assert_eq!(
        (status, &priced["price_cents"]),
        (200, &json!(8_050)),
        "{priced}"
    );
    // Another provider's owner cannot touch these prices.
    let (status, school) = post(&operator, &server, "/api/providers", json!({"legal_name": "Scuola di musica", "vat_number": SCHOOL_VAT, "categories": ["education"]})).await;
    assert_eq!(status, 201);
    let rival = sign_up(&server, "rivale", "Rivale").await;
    let (status, _) = post(
        &rival,
        &server,
        "/api/provider/claim",
        json!({"code": school["claim_code"]}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = post(
        &rival,
        &server,
        &format!("/api/services/{}/price", id(&quarter)),
        json!({"price": "1"}),
    )
    .await;
    assert_eq!(status, 404);

    let (_, catalogue) = get(&anna, &server, "/api/catalogue").await;
    let titles: Vec<&str> = catalogue["services"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(|s| s["title"].as_str())
        .collect();
    assert_eq!(
        titles,
        vec!["Corso di inglese", "Abbonamento trimestrale"],
        "{catalogue}"
    );

    // --- Purchases ------------------------------------------------------------------------
    let buy = |service: &Json, request_id: &str, price: &str| json!({"enrolment": anna_enrolment, "service": id(service), "price": price, "request_id": request_id});
    let (status, bought) = post(
        &anna,
        &server,
        "/api/purchases",
        buy(&quarter, "buy-anna-00000001", "150.00"),
    )
    .await;
    assert_eq!(status, 201, "{bought}");
    assert_eq!(bought["balance_cents"], 95_000);
    // A retried request pays once.
    let (status, replay) = post(
        &anna,
        &server,
        "/api/purchases",
        buy(&quarter, "buy-anna-00000001", "150.00"),
    )
    .await;
    assert_eq!((status, id(&replay)), (201, id(&bought)));
    assert_eq!(replay["balance_cents"], 95_000);
    // A price that changed since the page was shown is not charged.
    let (status, refused) = post(
        &anna,
        &server,
        "/api/purchases",
        buy(&english, "buy-anna-00000002", "70.00"),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    let (status, course) = post(
        &anna,
        &server,
        "/api/purchases",
        buy(&english, "buy-anna-00000003", "80.50"),
    )
    .await;
    assert_eq!(status, 201, "{course}");
    assert_eq!(course["balance_cents"], 86_950);
    // A category outside the plan.
    let (status, refused) = post(
        &anna,
        &server,
        "/api/purchases",
        buy(&trip, "buy-anna-00000004", "500"),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    // Bruno cannot pay with Anna's wallet.
    let (status, _) = post(
        &bruno,
        &server,
        "/api/purchases",
        buy(&quarter, "buy-bruno-0000001", "150.00"),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        wallet(&anna, &server, &anna_enrolment).await,
        (86_950, 36_663)
    );

    // --- Reimbursements -------------------------------------------------------------------
    let claim = |amount: &str, receipt: &str| json!({"enrolment": anna_enrolment, "category": "education", "amount": amount, "expense_date": today(), "receipt_reference": receipt, "description": "retta"});
    let (status, school_fee) = post(
        &anna,
        &server,
        "/api/reimbursements",
        claim("300,00", "FT 1/2025"),
    )
    .await;
    assert_eq!(status, 201, "{school_fee}");
    assert_eq!(school_fee["status"], "pending");
    assert_eq!(
        wallet(&anna, &server, &anna_enrolment).await,
        (56_950, 6_663)
    );
    // Beyond the reimbursable share: refused, saying how much is left.
    let (status, refused) = post(
        &anna,
        &server,
        "/api/reimbursements",
        claim("100", "FT 2/2025"),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("66,63"),
        "{refused}"
    );
    let (status, books) = post(&anna, &server, "/api/reimbursements", claim("50", "R-77")).await;
    assert_eq!(status, 201, "{books}");
    // The same receipt written another way is the same request.
    let (status, same) = post(&anna, &server, "/api/reimbursements", claim("50", "r 77")).await;
    assert_eq!((status, id(&same)), (201, id(&books)));
    let (status, _) = post(&anna, &server, "/api/reimbursements", claim("40", "R77")).await;
    assert_eq!(status, 409, "a receipt already claimed for another amount");
    assert_eq!(
        wallet(&anna, &server, &anna_enrolment).await,
        (51_950, 1_663)
    );

    // HR decides: one approved, one rejected (with the money back in the wallet).
    let (status, _) = post(
        &hr_beta,
        &server,
        &format!("/api/reimbursements/{}/approve", id(&school_fee)),
        json!({}),
    )
    .await;
    assert_eq!(status, 404, "another company's HR");
    let (status, approved) = post(
        &hr,
        &server,
        &format!("/api/reimbursements/{}/approve", id(&school_fee)),
        json!({"note": "cedolino di marzo"}),
    )
    .await;
    assert_eq!(
        (status, &approved["status"]),
        (200, &json!("approved")),
        "{approved}"
    );
    let (status, refused) = post(
        &hr,
        &server,
        &format!("/api/reimbursements/{}/reject", id(&books)),
        json!({"reason": ""}),
    )
    .await;
    assert_eq!(
        (status, &refused["problems"][0]["field"]),
        (422, &json!("reason"))
    );
    let (status, rejected) = post(
        &hr,
        &server,
        &format!("/api/reimbursements/{}/reject", id(&books)),
        json!({"reason": "la ricevuta non è leggibile"}),
    )
    .await;
    assert_eq!(
        (status, &rejected["status"]),
        (200, &json!("rejected")),
        "{rejected}"
    );
    assert_eq!(rejected["returned_to"], "wallet");
    let (status, _) = post(
        &hr,
        &server,
        &format!("/api/reimbursements/{}/approve", id(&books)),
        json!({}),
    )
    .await;
    assert_eq!(status, 409, "a decision is final");
    let (status, _) = post(
        &hr,
        &server,
        &format!("/api/reimbursements/{}/approve", id(&school_fee)),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "approving again changes nothing");
    assert_eq!(
        wallet(&anna, &server, &anna_enrolment).await,
        (56_950, 6_663)
    );
    // Anna is told of each decision once, with HR's reason or note and a link to her wallet.
    let wallet_path = base(&format!("/wallets/{anna_enrolment}"));
    let (_, inbox) = anna.get_json(&server, "/notifications").await;
    assert_eq!(
        inbox["notifications"].as_array().map(Vec::len),
        Some(2),
        "{inbox}"
    );
    let told = notification(&anna, &server, "Rimborso respinto: 50,00 € (ricevuta R-77)").await;
    let body = told["body"].as_str().unwrap_or_default();
    assert!(
        body.contains("Motivo: la ricevuta non è leggibile"),
        "{told}"
    );
    assert!(body.contains("tornato nel tuo credito"), "{told}");
    assert_eq!(told["link"], wallet_path.as_str());
    let told = notification(
        &anna,
        &server,
        "Rimborso approvato: 300,00 € (ricevuta FT 1/2025)",
    )
    .await;
    assert!(
        told["body"]
            .as_str()
            .unwrap_or_default()
            .contains("Nota: cedolino di marzo"),
        "{told}"
    );
    // The kernel's "my applications and bookings" page lists her wallet and both requests.
    let mine = my_section(&anna, &server, "/me").await;
    assert_eq!(mine["title"], "Welfare aziendale", "{mine}");
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(3), "{mine}");
    let wallet_item = item(&mine, &format!("Welfare {year} — Acme Meccanica srl"));
    assert_eq!(
        (&wallet_item["status"], &wallet_item["href"]),
        (
            &json!("Credito disponibile: 569,50 €"),
            &json!(wallet_path.as_str())
        ),
        "{mine}"
    );
    assert_eq!(
        item(&mine, "Rimborso di 50,00 €")["status"],
        "Respinto: la ricevuta non è leggibile"
    );
    assert_eq!(
        item(&mine, "Rimborso di 300,00 €")["status"],
        "Approvato: cedolino di marzo"
    );
    // In English too (and back to Italian for the rest).
    let mine = my_section(&anna, &server, "/me?lang=en").await;
    assert_eq!(
        item(&mine, &format!("Welfare {year} — Acme Meccanica srl"))["status"],
        "Credit available: €569.50"
    );
    assert_eq!(
        item(&mine, "Reimbursement of €50.00")["status"],
        "Rejected: la ricevuta non è leggibile"
    );
    my_section(&anna, &server, "/me?lang=it").await;
    // Someone not logged in is asked to log in.
    let (status, _) = get(&Client::new(), &server, "/api/mine").await;
    assert_eq!(status, 401);
    // Bruno asks for 100 € just before the plan is closed; HR will decide after the end.
    let (status, late) = post(
        &bruno,
        &server,
        "/api/reimbursements",
        json!({"enrolment": bruno_enrolment, "category": "sport", "amount": "100", "expense_date": today(), "receipt_reference": "SC-9"}),
    )
    .await;
    assert_eq!(status, 201, "{late}");
    assert_eq!(
        wallet(&bruno, &server, &bruno_enrolment).await,
        (50_000, 9_998)
    );

    // --- Reports --------------------------------------------------------------------------
    let report = summary(&hr, &server, &plan_id).await;
    let s = &report["summary"];
    assert_eq!(s["funded"]["cents"], 300_000, "{report}");
    assert_eq!(s["budget_left"]["cents"], 50_000);
    assert_eq!(s["allocated"]["cents"], 250_000);
    assert_eq!(s["purchases"]["cents"], 23_050);
    assert_eq!(s["reimbursed"]["cents"], 30_000);
    assert_eq!(s["reimbursements_pending"]["cents"], 10_000);
    // 2.500 − 230,50 − 300 − 100 on hold = 1.869,50 in the wallets.
    assert_eq!(s["in_wallets"]["cents"], 186_950);
    assert_eq!(
        (
            s["employees_active"].as_i64(),
            s["employees_pending"].as_i64()
        ),
        (Some(2), Some(1))
    );
    // The exports open right in an Italian spreadsheet: a byte-order mark (accents), `;`
    // between fields, Italian headers and statuses, decimal commas.
    let employees_path = format!("/plans/{plan_id}/employees.csv");
    let (status, employees) = text(&hr, &server, &employees_path).await;
    assert_eq!(status, 200);
    assert!(
        employees.starts_with(
            "\u{feff}Nome utente;Nome e cognome;Matricola;Livello;Familiari a carico;Stato;\
             Codice di attivazione;Credito (€);Acquisti (€);Rimborsato (€);\
             Rimborsi in attesa (€);Saldo (€)\r\n"
        ),
        "{employees}"
    );
    assert!(
        employees.contains("anna;Anna Rossi;M001;Q1;1;Attiva;;1100,00;230,50;300,00;0,00;569,50"),
        "{employees}"
    );
    assert!(
        employees.contains("carla;Carla Bianchi;M003;2;5;In attesa di attivazione;"),
        "{employees}"
    );
    // In English: `,`, decimal points and the column names and status keys of old.
    let (status, english) = text(&hr, &server, &format!("{employees_path}?lang=en")).await;
    assert_eq!(status, 200);
    assert!(
        english.starts_with("\u{feff}username,full_name,employee_code,level,dependants,status,"),
        "{english}"
    );
    assert!(
        english.contains("anna,Anna Rossi,M001,Q1,1,active,,1100.00,230.50,300.00,0.00,569.50"),
        "{english}"
    );
    // Back to Italian (the choice is remembered for the account).
    let (_, italian) = text(&hr, &server, &format!("{employees_path}?lang=it")).await;
    assert!(italian.starts_with("\u{feff}Nome utente;"), "{italian}");
    let (status, movements) = text(&hr, &server, &format!("/plans/{plan_id}/movements.csv")).await;
    assert_eq!(status, 200);
    assert!(
        movements.starts_with("\u{feff}Data e ora (UTC);Tipo;Nome utente;Dipendente;"),
        "{movements}"
    );
    assert_eq!(movements.lines().count(), 1 + 2 + 3, "{movements}");
    assert!(
        movements.contains("Corso di inglese;;80,50;Eseguito"),
        "{movements}"
    );
    assert!(movements.contains(";Respinto;"), "{movements}");
    // The provider sees its sales and what it is owed; the operator pays part of it.
    let (_, mine) = get(&owner, &server, "/api/provider").await;
    assert_eq!(
        mine["providers"][0]["provider"]["owed_cents"], 23_050,
        "{mine}"
    );
    assert_eq!(mine["providers"][0]["summary"]["sales_count"], 2);
    let (status, sales) = text(&owner, &server, &format!("/providers/{gym_id}/sales.csv")).await;
    assert_eq!(status, 200);
    assert!(
        sales.starts_with(
            "\u{feff}Data e ora (UTC);Codice acquisto;Dipendente;Servizio;Categoria;Importo (€)\r\n"
        ),
        "{sales}"
    );
    assert!(sales.contains(";80,50\r\n"), "{sales}");
    assert_eq!(sales.lines().count(), 3, "{sales}");
    let (status, _) = text(&rival, &server, &format!("/providers/{gym_id}/sales.csv")).await;
    assert_eq!(status, 404);
    let (status, paid) = post(
        &operator,
        &server,
        &format!("/api/providers/{gym_id}/pay"),
        json!({"amount": "200", "reference": "TRN-GYM-1", "request_id": "pay-gym-000000001"}),
    )
    .await;
    assert_eq!(
        (status, &paid["owed_cents"]),
        (201, &json!(3_050)),
        "{paid}"
    );
    // Anna's movements: the credit, two purchases, two requests and the one rejected back.
    let (_, anna_wallet) = get(&anna, &server, &format!("/api/wallets/{anna_enrolment}")).await;
    let amounts: Vec<i64> = anna_wallet["movements"]
        .as_array()
        .expect("movements")
        .iter()
        .filter_map(|m| m["amount_cents"].as_i64())
        .collect();
    assert_eq!(
        amounts,
        vec![5_000, -5_000, -30_000, -8_050, -15_000, 110_000],
        "{anna_wallet}"
    );

    // --- Expiry ---------------------------------------------------------------------------
    // HR closes the plan early; the job returns what is left to the company within a minute.
    let (status, closed) = post(
        &hr,
        &server,
        &format!("/api/plans/{plan_id}/close"),
        json!({}),
    )
    .await;
    assert_eq!(
        (status, &closed["state"]),
        (200, &json!("closing")),
        "{closed}"
    );
    let (status, refused) = post(
        &anna,
        &server,
        "/api/purchases",
        buy(&quarter, "buy-anna-00000005", "150.00"),
    )
    .await;
    assert_eq!(
        status, 422,
        "nothing can be bought on a closed plan: {refused}"
    );
    let expired = eventually(Duration::from_secs(100), || async {
        summary(&hr, &server, &plan_id).await["plan"]["state"] == "expired"
    })
    .await;
    assert!(expired, "the expire-plans job did not expire the plan");
    let report = summary(&hr, &server, &plan_id).await;
    // 1.869,50 from the wallets (Carla never activated hers) + 500,00 of budget never given.
    assert_eq!(report["summary"]["returned"]["cents"], 236_950, "{report}");
    assert_eq!(report["summary"]["in_wallets"]["cents"], 0);
    assert_eq!(report["summary"]["budget_left"]["cents"], 0);
    assert_eq!(wallet(&anna, &server, &anna_enrolment).await, (0, 0));
    assert_eq!(wallet(&bruno, &server, &bruno_enrolment).await, (0, 0));
    assert_eq!(
        company_balance(&operator, &server, &acme_id).await,
        700_000 + 236_950
    );
    // Bruno's request, rejected after the end, returns to the company, not to his wallet.
    let (status, rejected) = post(
        &hr,
        &server,
        &format!("/api/reimbursements/{}/reject", id(&late)),
        json!({"reason": "spesa non ammessa"}),
    )
    .await;
    assert_eq!(
        (status, &rejected["returned_to"]),
        (200, &json!("company")),
        "{rejected}"
    );
    assert_eq!(wallet(&bruno, &server, &bruno_enrolment).await, (0, 0));
    let told = notification(
        &bruno,
        &server,
        "Rimborso respinto: 100,00 € (ricevuta SC-9)",
    )
    .await;
    assert!(
        told["body"]
            .as_str()
            .unwrap_or_default()
            .contains("l'importo è tornato all'azienda"),
        "{told}"
    );
    // Bruno's closed wallet and his request, as `/me` shows them.
    let mine = my_section(&bruno, &server, "/me").await;
    assert_eq!(
        item(&mine, &format!("Welfare {year} — Acme Meccanica srl"))["status"],
        "Piano chiuso, saldo 0,00 €"
    );
    assert_eq!(
        item(&mine, "Rimborso di 100,00 €")["status"],
        "Respinto: spesa non ammessa"
    );
    // Every cent of the 10.000 € deposit: 9.469,50 back in the account, 300 reimbursed,
    // 230,50 spent on services.
    assert_eq!(company_balance(&operator, &server, &acme_id).await, 946_950);
    assert_eq!(946_950 + 30_000 + 23_050, 1_000_000);
    // The company's other HR view agrees, and Beta's money was never touched.
    let (_, acme_view) = get(&hr, &server, "/api/hr").await;
    assert_eq!(acme_view["company"]["balance_cents"], 946_950);
    assert_eq!(company_balance(&operator, &server, &beta_id).await, 100_000);
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_purchases_racing_for_one_wallet_never_take_it_below_zero() {
    race_for_one_wallet(TestInstance::new("corporate-race", PLUGIN)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_purchases_racing_for_one_wallet_on_postgres() {
    let db = PgDatabase::create().await;
    let body = format!("[database]\nurl = \"{}\"\n{PLUGIN}", db.url);
    race_for_one_wallet(TestInstance::new("corporate-race-pg", &body)).await;
}

/// A 100 € wallet and a 7 € service: fifty purchases at once buy exactly fourteen, and 2 €
/// stay in the wallet; fifty reimbursement requests of 1 € race too, within a 10% share.
async fn race_for_one_wallet(instance: TestInstance) {
    add_user(&instance, "coop", "operator");
    add_user(&instance, "hr.office", "company_hr");
    add_user(&instance, "anna", "citizen");
    let server = Server::start(&[instance.path()]);
    let operator = login(&server, "coop").await;
    let hr = login(&server, "hr.office").await;
    let company = company_with_hr(&operator, &hr, &server, "Piccola Bottega", ACME_VAT).await;
    let (status, _) = post(
        &operator,
        &server,
        &format!("/api/companies/{company}/deposits"),
        json!({"amount": 200, "reference": "TRN-1", "request_id": "deposit-race-0001"}),
    )
    .await;
    assert_eq!(status, 201);
    let (status, plan) = post(
        &hr,
        &server,
        "/api/plans",
        json!({"title": "Welfare", "budget": 200, "flat_credit": 100, "categories": ["sport"], "refund_share": 10, "request_id": "plan-race-000001"}),
    )
    .await;
    assert_eq!(status, 201, "{plan}");
    let plan = id(&plan);
    let (status, enrolment) = post(
        &hr,
        &server,
        &format!("/api/plans/{plan}/enrolments"),
        json!({"username": "anna", "full_name": "Anna Rossi"}),
    )
    .await;
    assert_eq!(status, 201, "{enrolment}");
    let enrolment_id = id(&enrolment);
    let anna = login(&server, "anna").await;
    let (status, _) = post(
        &anna,
        &server,
        &format!("/api/enrolments/{enrolment_id}/activate"),
        json!({"code": enrolment["activation_code"]}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, provider) = post(
        &operator,
        &server,
        "/api/providers",
        json!({"legal_name": "Piscina comunale", "vat_number": GYM_VAT, "categories": ["sport"]}),
    )
    .await;
    assert_eq!(status, 201);
    let provider_id = id(&provider);
    let (status, swim) = post(
        &operator,
        &server,
        &format!("/api/providers/{provider_id}/services"),
        json!({"title": "Ingresso in piscina", "category": "sport", "price": "7,00"}),
    )
    .await;
    assert_eq!(status, 201, "{swim}");

    let token = anna.csrf(&server).await;
    let mut tasks = Vec::new();
    for i in 0..100 {
        let http = anna.http.clone();
        let token = token.clone();
        // Even tasks buy a 7 € swim, odd ones ask for 1 € back on a different receipt.
        let (url, body) = if i % 2 == 0 {
            (
                server.url(&base("/api/purchases")),
                json!({"enrolment": enrolment_id, "service": id(&swim), "request_id": format!("race-{i:08}")}),
            )
        } else {
            (
                server.url(&base("/api/reimbursements")),
                json!({"enrolment": enrolment_id, "category": "sport", "amount": 1, "expense_date": today(), "receipt_reference": format!("R{i}")}),
            )
        };
        tasks.push(tokio::spawn(async move {
            let response = http
                .post(url)
                .header("x-csrf-token", token)
                .json(&body)
                .send()
                .await
                .expect("request");
            (i % 2, response.status().as_u16())
        }));
    }
    let (mut bought, mut claimed, mut refused) = (0, 0, 0);
    for task in tasks {
        match task.await.expect("task") {
            (0, 201) => bought += 1,
            (1, 201) => claimed += 1,
            (_, 409) => refused += 1,
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    // At most 10 € may be claimed (10% of 100 €); 7 € × bought + 1 € × claimed ≤ 100 €.
    assert!(
        claimed <= 10,
        "{claimed} claims of 1 € against a 10 € share"
    );
    assert_eq!(bought + claimed + refused, 100);
    let spent = 700 * bought + 100 * claimed;
    assert!(
        spent <= 10_000,
        "spent {spent} cents of a 10000-cent wallet"
    );
    let (balance, _) = wallet(&anna, &server, &enrolment_id).await;
    assert_eq!(balance, 10_000 - spent);
    // Nothing more fits: what is left is below the price, or the share is used up.
    assert!(
        balance < 700 && (balance < 100 || claimed == 10),
        "balance {balance}, claimed {claimed}"
    );
    let (_, providers) = get(&operator, &server, "/api/providers").await;
    assert_eq!(providers[0]["owed_cents"], 700 * bought, "{providers}");
    let (_, pending) = get(
        &hr,
        &server,
        &format!("/api/plans/{plan}/reimbursements?status=pending"),
    )
    .await;
    assert_eq!(pending.as_array().map(Vec::len), Some(claimed as usize));
}

#[tokio::test(flavor = "multi_thread")]
async fn hr_and_employees_work_with_plain_html_forms() {
    let instance = TestInstance::new("corporate-forms", PLUGIN);
    add_user(&instance, "coop", "operator");
    add_user(&instance, "hr.office", "company_hr");
    let server = Server::start(&[instance.path()]);
    let operator = login(&server, "coop").await;
    let hr = login(&server, "hr.office").await;

    // The operator registers the company through the form and reads the HR code on its page.
    let response = operator
        .post_form(
            &server,
            &base("/companies"),
            &[("name", "Forno Rossi snc"), ("vat_number", "0123456789")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.expect("page");
    assert!(page.contains("una partita IVA ha 11 cifre"), "{page}");
    let response = operator
        .post_form(
            &server,
            &base("/companies"),
            &[("name", "Forno Rossi snc"), ("vat_number", ACME_VAT)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let (status, page) = operator.page(&server, &location).await;
    assert_eq!(status, 200);
    let code = page
        .split("<code>")
        .nth(2)
        .and_then(|rest| rest.split("</code>").next())
        .expect("the HR code is on the page")
        .to_owned();
    let company = location.rsplit('/').next().expect("id").to_owned();
    let (status, _) = post(
        &operator,
        &server,
        &format!("/api/companies/{company}/deposits"),
        json!({"amount": 5000, "reference": "TRN-9", "request_id": "deposit-form-0001"}),
    )
    .await;
    assert_eq!(status, 201);

    // HR links the account with the form, then creates a plan; mistakes are shown in place.
    let (status, page) = hr.page(&server, &base("/hr")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Codice HR"), "{page}");
    let response = hr
        .post_form(&server, &base("/hr/claim"), &[("code", &code)])
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, page) = hr.page(&server, &base("/hr")).await;
    assert!(
        page.contains("Forno Rossi snc") && page.contains("5.000,00 €"),
        "{page}"
    );
    let response = hr
        .post_form(
            &server,
            &base("/plans"),
            &[
                ("title", "W"),
                ("flat_credit", "dieci"),
                ("request_id", "plan-form-0000001"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.expect("page");
    assert!(page.contains("aria-invalid=\"true\""), "{page}");
    assert!(page.contains("scegli almeno una categoria"), "{page}");
    let response = hr
        .post_form(
            &server,
            &base("/plans"),
            &[
                ("title", "Welfare <b>famiglie</b>"),
                ("budget", "1.000"),
                ("flat_credit", "250"),
                ("categories", "childcare"),
                ("categories", "health"),
                ("refund_share", "50"),
                ("request_id", "plan-form-0000002"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let plan_page = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let (status, page) = hr.page(&server, &plan_page).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<h1>Welfare &lt;b&gt;famiglie&lt;/b&gt;</h1>"),
        "titles are escaped: {page}"
    );
    assert!(!page.contains("<b>famiglie"), "{page}");
    let plan = plan_page.rsplit('/').next().expect("id").to_owned();

    // Cells pasted from a spreadsheet (tab-separated) through the textarea.
    let response = hr
        .post_form(
            &server,
            &format!("{plan_page}/enrolments/upload"),
            &[(
                "csv",
                "username\tnome\tfamiliari a carico\nelena\tElena Gialli\t0\nf\tFranco\tdue\n",
            )],
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.expect("page");
    assert!(
        page.contains("1 iscritti, 0 già iscritti, 1 righe non iscritte"),
        "{page}"
    );
    assert!(page.contains("<td>3</td>"), "the bad row's line: {page}");
    let elena_code = page
        .split("<td><code>")
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .expect("Elena's activation code")
        .to_owned();

    // Elena signs up, activates on the home page and asks for a reimbursement by form.
    let elena = sign_up(&server, "elena", "Elena Gialli").await;
    let (_, home) = elena.page(&server, &base("/")).await;
    assert!(home.contains("Iscrizioni da attivare"), "{home}");
    let enrolment = format!("{plan}.elena");
    let response = elena
        .post_form(
            &server,
            &base(&format!("/enrolments/{enrolment}/activate")),
            &[("code", "AAAAA-AAAAA")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    assert!(
        response
            .text()
            .await
            .expect("page")
            .contains("tentativi rimasti: 4")
    );
    let response = elena
        .post_form(
            &server,
            &base(&format!("/enrolments/{enrolment}/activate")),
            &[("code", &elena_code)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let (status, page) = elena
        .page(&server, &base(&format!("/wallets/{enrolment}")))
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("250,00 €") && page.contains("125,00 €"),
        "{page}"
    );
    let response = elena
        .post_form(
            &server,
            &base("/reimbursements"),
            &[
                ("enrolment", &enrolment),
                ("category", "childcare"),
                ("amount", "90,00"),
                ("expense_date", &today()),
                ("receipt_reference", "Nido 3/25"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let response = elena
        .post_form(
            &server,
            &base("/reimbursements"),
            &[
                ("enrolment", &enrolment),
                ("category", "childcare"),
                ("amount", "50"),
                ("expense_date", &today()),
                ("receipt_reference", "Nido 4/25"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 409);
    assert!(
        response.text().await.expect("page").contains("35,00 €"),
        "only 35 € of the share is left"
    );

    // HR rejects it by form; the employee reads why.
    let (_, page) = hr.page(&server, &plan_page).await;
    assert!(page.contains("Nido 3/25"), "{page}");
    let request = format!("{enrolment}.NIDO325");
    let response = hr
        .post_form(
            &server,
            &base(&format!("/reimbursements/{request}/reject")),
            &[("reason", "manca la ricevuta")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, page) = elena
        .page(&server, &base(&format!("/wallets/{enrolment}")))
        .await;
    assert!(page.contains("Respinto: manca la ricevuta"), "{page}");
    let (_, page) = elena.page(&server, &base("/catalogue")).await;
    assert!(page.contains("Ancora nessun servizio"), "{page}");

    // The operator registers a provider and a service by form; the owner links the account
    // with the code and prices the service on their page.
    let response = operator
        .post_form(
            &server,
            &base("/providers"),
            &[
                ("legal_name", "Studio Fisioterapia Sole"),
                ("vat_number", GYM_VAT),
                ("categories", "health"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let provider_page = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let response = operator
        .post_form(
            &server,
            &format!("{provider_page}/services"),
            &[
                ("title", "Ciclo di 5 sedute"),
                ("category", "health"),
                ("price", ""),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let (status, page) = operator.page(&server, &provider_page).await;
    assert_eq!(status, 200);
    assert!(page.contains("Ciclo di 5 sedute"), "{page}");
    let claim_code = page
        .split("Codice per il titolare: <code>")
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .expect("the owner's code is on the page")
        .to_owned();
    add_user(&instance, "studio.sole", "citizen");
    let owner = login(&server, "studio.sole").await;
    let (_, page) = owner.page(&server, &base("/provider")).await;
    assert!(page.contains("Collega la tua attività"), "{page}");
    let response = owner
        .post_form(&server, &base("/provider/claim"), &[("code", &claim_code)])
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let (status, page) = owner.page(&server, &base("/provider")).await;
    assert_eq!(status, 200);
    let service = page
        .split("/services/")
        .nth(1)
        .and_then(|rest| rest.split("/price").next())
        .expect("the price form")
        .to_owned();
    let response = owner
        .post_form(
            &server,
            &base(&format!("/services/{service}/price")),
            &[("price", "dieci euro")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    assert!(
        response
            .text()
            .await
            .expect("page")
            .contains("non è un importo")
    );
    let response = owner
        .post_form(
            &server,
            &base(&format!("/services/{service}/price")),
            &[("price", "60,00")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);

    // Elena buys it from the catalogue page with a plain form and sees the receipt.
    let (_, page) = elena.page(&server, &base("/catalogue")).await;
    assert!(
        page.contains("Ciclo di 5 sedute") && page.contains("60,00 €"),
        "{page}"
    );
    let request_id = page
        .split("name=\"request_id\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form's request id")
        .to_owned();
    let response = elena
        .post_form(
            &server,
            &base("/purchases"),
            &[
                ("enrolment", &enrolment),
                ("service", &service),
                ("price", "60.00"),
                ("request_id", &request_id),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let receipt = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let (_, page) = elena.page(&server, &receipt).await;
    assert!(
        page.contains("hai acquistato «Ciclo di 5 sedute»"),
        "{page}"
    );
    // 250 − 60; the rejected request's 90 € came back.
    assert!(page.contains("<strong>190,00 €</strong>"), "{page}");
    let (_, page) = owner.page(&server, &base("/provider")).await;
    assert!(
        page.contains("Elena Gialli") && page.contains("60,00 €"),
        "{page}"
    );
    let (status, page) = operator.page(&server, &base("/providers")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("60,00 €"), "{page}");

    // The same pages in English.
    let (status, page) = hr.page(&server, &base("/hr?lang=en")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("New plan") && page.contains("€4,000.00"),
        "{page}"
    );
    let (_, page) = elena
        .page(&server, &base(&format!("/wallets/{enrolment}?lang=en")))
        .await;
    assert!(
        page.contains("Left to spend") && page.contains("€190.00"),
        "{page}"
    );
}

/// Both plugins on one instance: a provider accredited by the `admissions` committee arrives
/// in the catalogue through its event, linked to the account that applied, with its services
/// and its own category names; it sets a price and an employee buys from it.
#[tokio::test(flavor = "multi_thread")]
async fn providers_accredited_by_admissions_join_the_catalogue() {
    let body = format!(
        r#"{PLUGIN}
[plugins.admissions]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "notify", "log", "clock"]
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
        let (_, providers) = get(&operator, &server, "/api/providers").await;
        providers[0]["legal_name"] == "APS Compiti Insieme"
    })
    .await;
    assert!(arrived, "the accreditation did not reach corporate-plans");
    let (_, providers) = get(&operator, &server, "/api/providers").await;
    assert_eq!(providers[0]["status"], "active", "{providers}");
    assert_eq!(providers[0]["source"], "admissions");
    assert_eq!(providers[0]["linked"], true);
    let (_, mine) = get(&owner, &server, "/api/provider").await;
    let service = &mine["providers"][0]["services"][0];
    assert_eq!(service["title"], "Doposcuola pomeridiano", "{mine}");
    assert_eq!(service["category"], "doposcuola e istruzione");
    assert_eq!(service["listed"], false);
    let service_id = id(service);
    let (status, priced) = post(
        &owner,
        &server,
        &format!("/api/services/{service_id}/price"),
        json!({"price": "45,00"}),
    )
    .await;
    assert_eq!((status, &priced["listed"]), (200, &json!(true)), "{priced}");

    // A plan covering the association's category; an employee buys the after-school club.
    let hr = login(&server, "hr.office").await;
    let company = company_with_hr(&operator, &hr, &server, "Acme srl", ACME_VAT).await;
    let (status, _) = post(
        &operator,
        &server,
        &format!("/api/companies/{company}/deposits"),
        json!({"amount": 500, "reference": "TRN-1", "request_id": "deposit-adm-00001"}),
    )
    .await;
    assert_eq!(status, 201);
    let (status, plan) = post(
        &hr,
        &server,
        "/api/plans",
        json!({"title": "Welfare", "budget": 300, "flat_credit": 300, "categories": ["doposcuola e istruzione"], "request_id": "plan-adm-0000001"}),
    )
    .await;
    assert_eq!(status, 201, "{plan}");
    let (status, enrolment) = post(
        &hr,
        &server,
        &format!("/api/plans/{}/enrolments", id(&plan)),
        json!({"username": "anna", "full_name": "Anna Rossi"}),
    )
    .await;
    assert_eq!(status, 201, "{enrolment}");
    let anna = login(&server, "anna").await;
    let enrolment_id = id(&enrolment);
    let (status, _) = post(
        &anna,
        &server,
        &format!("/api/enrolments/{enrolment_id}/activate"),
        json!({"code": enrolment["activation_code"]}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, bought) = post(
        &anna,
        &server,
        "/api/purchases",
        json!({"enrolment": enrolment_id, "service": service_id, "price": "45", "request_id": "buy-adm-00000001"}),
    )
    .await;
    assert_eq!(status, 201, "{bought}");
    assert_eq!(bought["balance_cents"], 25_500);
    let (_, mine) = get(&owner, &server, "/api/provider").await;
    assert_eq!(
        mine["providers"][0]["provider"]["owed_cents"], 4_500,
        "{mine}"
    );
}

/// The largest upload a plan accepts, a thousand employees, is enrolled within one request.
#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_employees_are_enrolled_in_one_upload() {
    let instance = TestInstance::new("corporate-thousand", PLUGIN);
    add_user(&instance, "coop", "operator");
    add_user(&instance, "hr.office", "company_hr");
    let server = Server::start(&[instance.path()]);
    let operator = login(&server, "coop").await;
    let hr = login(&server, "hr.office").await;
    let company = company_with_hr(&operator, &hr, &server, "Grande Azienda spa", ACME_VAT).await;
    let (status, _) = post(
        &operator,
        &server,
        &format!("/api/companies/{company}/deposits"),
        json!({"amount": "1.000.000", "reference": "TRN-1", "request_id": "deposit-big-00001"}),
    )
    .await;
    assert_eq!(status, 201);
    let (status, plan) = post(
        &hr,
        &server,
        "/api/plans",
        json!({"title": "Welfare", "budget": "600.000", "flat_credit": 500, "per_dependant": "100", "categories": ["health"], "refund_share": 20, "request_id": "plan-big-0000001"}),
    )
    .await;
    assert_eq!(status, 201, "{plan}");
    let mut table = String::from("username,full_name,dependants\n");
    for i in 0..1000 {
        table.push_str(&format!("dip{i:04},Dipendente {i},{}\n", i % 3));
    }
    let (status, report) = post_csv(
        &hr,
        &server,
        &format!("/api/plans/{}/enrolments/upload", id(&plan)),
        &table,
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["enrolled_count"], 1000);
    // 1000 × 500 € + (333 × 1 + 333 × 2) dependants × 100 €.
    let s = summary(&hr, &server, &id(&plan)).await;
    assert_eq!(
        s["summary"]["allocated"]["cents"],
        50_000_000 + 999 * 10_000
    );
    assert_eq!(
        s["summary"]["in_wallets"]["cents"],
        50_000_000 + 999 * 10_000
    );
    assert_eq!(
        s["summary"]["budget_left"]["cents"],
        60_000_000 - 50_000_000 - 999 * 10_000
    );
    // The plan's page lists the first 200 and the export all of them.
    let (status, page) = hr
        .page(&server, &base(&format!("/plans/{}", id(&plan))))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("I primi 200 di 1000"), "{page}");
    let (status, employees) =
        text(&hr, &server, &format!("/plans/{}/employees.csv", id(&plan))).await;
    assert_eq!(status, 200);
    assert_eq!(employees.lines().count(), 1001);
    assert!(
        employees.contains("dip0999;Dipendente 999;;;0;In attesa di attivazione;"),
        "{employees}"
    );
}
