//! The `corporate-plans` plugin over HTTP: a company's welfare plan from the deposit to the
//! expiry through the kernel (`journey`); providers accredited by `admissions` arriving through
//! the kernel's event dispatcher; purchases racing for one wallet; uploads; and the pages
//! working without JavaScript.
//!
//! The plan's domain stories — enrolment from a table with a bad row, activation, purchases,
//! reimbursements approved and rejected, HR offices of two companies kept apart, reports, the
//! unspent credit returned, every balance to the cent — are the plugin's native tests, in
//! `plugins/corporate-plans/tests/`.

mod forms;
mod journey;
mod providers;
mod race;
mod upload;

use serde_json::{Value as Json, json};

use crate::support::{Client, Plugin, Server, id};

/// The plugin's routes.
pub(crate) const API: Plugin = Plugin("corporate-plans");

pub(crate) const PLUGIN: &str = r#"
[plugins.corporate-plans]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "ledger", "notify", "log", "clock", "protocol"]
[plugins.corporate-plans.settings]
cooperative_name = "Cooperativa Trama"
"#;

/// Valid partite IVA (their check digits are right).
pub(crate) const ACME_VAT: &str = "01234567897";
pub(super) const GYM_VAT: &str = "09876543217";
pub(super) const SCHOOL_VAT: &str = "12345678903";

pub(crate) fn this_year() -> i32 {
    time::OffsetDateTime::now_utc().year()
}

/// The balance of an employee's wallet, and what they may still claim as reimbursements.
pub(crate) async fn wallet(client: &Client, server: &Server, enrolment: &str) -> (i64, i64) {
    let (status, body) = API
        .get(client, server, &format!("/api/wallets/{enrolment}"))
        .await;
    assert_eq!(status, 200, "{body}");
    (
        body["wallet"]["balance_cents"].as_i64().expect("balance"),
        body["wallet"]["reimbursable_left_cents"]
            .as_i64()
            .expect("reimbursable"),
    )
}

/// The item of `section` whose title starts with `title`.
pub(super) fn item<'a>(section: &'a Json, title: &str) -> &'a Json {
    section["items"]
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|i| i["title"].as_str().is_some_and(|t| t.starts_with(title)))
        })
        .unwrap_or_else(|| panic!("no item `{title}` in {section}"))
}

pub(super) async fn company_balance(operator: &Client, server: &Server, company: &str) -> i64 {
    let (status, body) = API
        .get(operator, server, &format!("/api/companies/{company}"))
        .await;
    assert_eq!(status, 200, "{body}");
    body["company"]["balance_cents"].as_i64().expect("balance")
}

pub(super) async fn summary(client: &Client, server: &Server, plan: &str) -> Json {
    let (status, body) = API.get(client, server, &format!("/api/plans/{plan}")).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// A company registered by the operator and linked to an HR account; returns its id.
pub(crate) async fn company_with_hr(
    operator: &Client,
    hr: &Client,
    server: &Server,
    name: &str,
    vat: &str,
) -> String {
    let (status, company) = API
        .post(
            operator,
            server,
            "/api/companies",
            json!({"name": name, "vat_number": vat}),
        )
        .await;
    assert_eq!(status, 201, "{company}");
    let (status, linked) = API
        .post(
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

/// A purchase of `service` at `price` from the wallet of `enrolment`.
pub(super) fn purchase(enrolment: &str, service: &Json, request_id: &str, price: &str) -> Json {
    json!({"enrolment": enrolment, "service": id(service), "price": price, "request_id": request_id})
}

/// Acme's plan of this year with a budget of 3.000 €, and employee `username` enrolled in it
/// (1.000 € at level Q1) who signs up and activates the wallet: answers the employee's client
/// and enrolment id. `operator` and `hr` are the cooperative's operator and Acme's HR.
pub(crate) async fn employee_with_credit(
    server: &Server,
    operator: &Client,
    hr: &Client,
    username: &str,
    name: &str,
) -> (Client, String) {
    let acme = company_with_hr(operator, hr, server, "Acme Meccanica srl", ACME_VAT).await;
    let (status, deposit) = API
        .post(
            operator,
            server,
            &format!("/api/companies/{acme}/deposits"),
            json!({"amount": "10.000,00", "reference": "TRN-ACME-1", "request_id": "deposit-acme-0001"}),
        )
        .await;
    assert_eq!(status, 201, "{deposit}");
    let year = this_year();
    let (status, plan) = API
        .post(
            hr,
            server,
            "/api/plans",
            json!({
                "title": format!("Welfare Acme {year}"), "year": year, "budget": "3.000,00",
                "level_credits": ["Q1 = 1.000"], "categories": ["sport", "education"],
                "refund_share": "0", "request_id": "plan-acme-0000001",
            }),
        )
        .await;
    assert_eq!(status, 201, "{plan}");
    let table = format!("username;nome;matricola;livello\n{username};{name};M001;Q1\n");
    let (status, report) = API
        .post_csv(
            hr,
            server,
            &format!("/api/plans/{}/enrolments/upload", id(&plan)),
            &table,
        )
        .await;
    assert_eq!(status, 200, "{report}");
    let enrolment = id(&report["enrolled"][0]);
    let employee = crate::support::sign_up(server, username, name).await;
    let (status, activated) = API
        .post(
            &employee,
            server,
            &format!("/api/enrolments/{enrolment}/activate"),
            json!({"code": report["enrolled"][0]["activation_code"]}),
        )
        .await;
    assert_eq!(status, 200, "{activated}");
    (employee, enrolment)
}
