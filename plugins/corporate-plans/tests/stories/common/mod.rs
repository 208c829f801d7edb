//! The welfare plan of Acme Meccanica, step by step, run natively against the kernel's store,
//! ledger, accounts and outbox (`trama-testhost`): each step asserts what it does and hands
//! the next one who and what it needs. Each test file runs the steps it builds on.

#![allow(dead_code, unused_imports)] // Each test file uses the steps it needs.

use serde_json::{Value as Json, json};
use trama_sdk::http::{Method, Request};
use trama_testhost::{Account, Answer, TestHost};

pub use corporate_plans::CorporatePlans;

mod enrolment;
mod spending;

pub use enrolment::{Enrolled, deposit_plan_and_enrolment};
pub use spending::{Spent, purchases_and_reimbursements};

pub type Host = TestHost<CorporatePlans>;

/// Valid partite IVA (their check digits are right).
pub const ACME_VAT: &str = "01234567897";
pub const BETA_VAT: &str = "02760100962";
pub const GYM_VAT: &str = "09876543217";
pub const SCHOOL_VAT: &str = "12345678903";

/// The year of the story, and the day it starts.
pub const YEAR: i32 = 2026;
pub const TODAY: &str = "2026-03-10";

/// The plugin as the story's instance configures it, on 10 March 2026.
pub fn host() -> Host {
    let host = Host::with_settings(
        env!("CARGO_MANIFEST_DIR"),
        json!({"cooperative_name": "Cooperativa Trama"}),
    )
    .expect("the plugin's manifest and settings");
    host.set_time("2026-03-10T10:00:00+01:00");
    host
}

pub fn id(answer: &Answer) -> String {
    answer.body["id"].as_str().expect("an id").to_owned()
}

/// The balance of an employee's wallet, and what they may still claim as reimbursements.
pub fn wallet(host: &Host, who: &Account, enrolment: &str) -> (i64, i64) {
    let answer = host
        .get(Some(who), &format!("/api/wallets/{enrolment}"))
        .assert_status(200);
    (
        answer.body["wallet"]["balance_cents"]
            .as_i64()
            .expect("balance"),
        answer.body["wallet"]["reimbursable_left_cents"]
            .as_i64()
            .expect("reimbursable"),
    )
}

pub fn company_balance(host: &Host, operator: &Account, company: &str) -> i64 {
    let answer = host
        .get(Some(operator), &format!("/api/companies/{company}"))
        .assert_status(200);
    answer.body["company"]["balance_cents"]
        .as_i64()
        .expect("balance")
}

pub fn summary(host: &Host, who: &Account, plan: &str) -> Json {
    let answer = host
        .get(Some(who), &format!("/api/plans/{plan}"))
        .assert_status(200);
    answer.body
}

/// The item of the caller's `/api/mine` (the kernel's "my applications" page) whose title
/// starts with `title`.
pub fn item<'a>(mine: &'a Json, title: &str) -> &'a Json {
    mine.as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|i| i["title"].as_str().is_some_and(|t| t.starts_with(title)))
        })
        .unwrap_or_else(|| panic!("no item `{title}` in {mine}"))
}

/// A download's text, asked for in `locale`.
pub fn download(host: &Host, who: &Account, path: &str, locale: &str) -> (u16, String) {
    let answer = host.send(
        Some(who),
        Request::new(Method::Get, path).with_locale(locale),
    );
    let text = answer
        .file
        .as_ref()
        .map(|(_, _, bytes)| String::from_utf8(bytes.clone()).expect("UTF-8"))
        .unwrap_or_else(|| answer.body.to_string());
    (answer.status, text)
}

/// Uploads `table` as the body of a `text/csv` request.
pub fn upload(host: &Host, who: &Account, path: &str, table: &str) -> Answer {
    host.send(
        Some(who),
        Request::new(Method::Post, path)
            .with_header("content-type", "text/csv; charset=utf-8")
            .with_header("accept", "application/json")
            .with_body(table.to_owned()),
    )
}

/// The notification queued for `to` with `subject`.
pub fn notice(host: &Host, to: &Account, subject: &str) -> trama_testhost::Notice {
    let all = host.notifications_to(to);
    all.iter()
        .find(|n| n.subject == subject)
        .cloned()
        .unwrap_or_else(|| panic!("no notification `{subject}` for {}: {all:?}", to.username))
}

/// A company registered by the operator and linked to an HR account; returns its id.
pub fn company_with_hr(
    host: &Host,
    operator: &Account,
    hr: &Account,
    name: &str,
    vat: &str,
) -> String {
    let company = host
        .post(
            Some(operator),
            "/api/companies",
            json!({"name": name, "vat_number": vat}),
        )
        .assert_status(201);
    let linked = host
        .post(
            Some(hr),
            "/api/hr/claim",
            json!({"code": company.body["hr_code"]}),
        )
        .assert_status(200);
    assert_eq!(linked.body["name"], name);
    id(&company)
}

/// A purchase of `service` at `price` from the wallet of `enrolment`.
pub fn purchase(enrolment: &str, service: &Json, request_id: &str, price: &str) -> Json {
    json!({"enrolment": enrolment, "service": service["id"], "price": price, "request_id": request_id})
}
