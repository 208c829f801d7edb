//! The `admissions` plugin over HTTP, as wiring: a shop applies and the committee approves it;
//! the shop enters the register and — with the vouchers plugin enabled in the same instance,
//! told through the kernel's event dispatcher — redeems a voucher as a merchant, until the
//! committee suspends it; on SQLite and on PostgreSQL. The forms work without JavaScript.
//!
//! The committee's rules — the roster, conflicts of interest, questions, quorum and majority,
//! the register's entries and exports, the minutes, rejections, windows and expiry on the
//! clock — are the plugin's own tests, run natively (`plugins/admissions/tests/`).
//!
//! The story runs in three steps: `application` (to the decision), `register` (the pages,
//! `/me`, the files and the vouchers merchant), `suspension` (a motion, the renewal form).

mod application;
mod forms;
mod register;
mod suspension;

use serde_json::{Value as Json, json};

use crate::support::{Client, PgDatabase, Plugin, Server, TestInstance, today_plus};

/// The plugin's routes.
pub(super) const API: Plugin = Plugin("admissions");

pub(crate) const ADMISSIONS: &str = r#"
[plugins.admissions]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "notify", "log", "clock", "protocol"]
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

pub(super) const VOUCHERS: &str = r#"
[plugins.vouchers]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "ledger", "log", "clock", "notify", "files", "protocol"]
[plugins.vouchers.settings]
municipality_name = "Comune di Prova"
"#;

/// Valid identifiers (their check characters are right).
pub(super) const SHOP_VAT: &str = "01234567897";
pub(super) const MARIO: &str = "RSSMRA85T10A562S";
pub(super) const CITIZEN: &str = "BNCLCU90M41F205Q";

/// An application for a shop with VAT number `vat`, represented by `representative`.
pub(super) fn shop(legal_name: &str, vat: &str, representative: &str) -> Json {
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

/// This plugin's items on the kernel's "my applications and bookings" page (`/me`, as JSON),
/// by title.
pub(super) async fn my_items(client: &Client, server: &Server) -> Vec<(String, String, String)> {
    let section = API.my_section(client, server, "/me").await;
    assert_eq!(section["title"], "Accreditamento fornitori", "{section}");
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
    let decided = application::to_the_decision(instance).await;
    let accredited = register::into_the_register_and_the_vouchers(decided).await;
    suspension::suspended_rejected_renewed(accredited).await;
}

/// The shop's entry in the register as `/me` lists it, with `status`.
pub(super) fn register_entry(provider_id: &str, status: &str) -> (String, String, String) {
    (
        "Iscrizione all'albo — Alimentari Bottega srl".to_owned(),
        format!("{status}, valido fino al {}", today_plus(364)),
        format!("/p/admissions/register/{provider_id}"),
    )
}
