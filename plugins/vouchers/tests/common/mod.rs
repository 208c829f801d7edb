//! What the vouchers stories share: people's codici fiscali, an application, the winter
//! campaign of the story, and reading the answers.

#![allow(dead_code)] // Each test file uses its own part of this module.

use serde_json::{Value as Json, json};
use trama_testhost::{Answer, TestHost};
use vouchers::Vouchers;

/// Valid codici fiscali (their check letters are right).
pub const ANNA: &str = "RSSMRA85T10A562S";
pub const BRUNO: &str = "VRDGPP80A01H501U";
pub const CARLA: &str = "BNCLCU90M41F205Q";
pub const DARIO: &str = "MRNLRA70C55L219W";
pub const ELENA: &str = "PLLMRC75D12F839T";
/// A valid partita IVA.
pub const VAT: &str = "01234567897";

/// The plugin on 12 January 2026, with the instance's settings: vouchers are printed as
/// `BS-XXXX-XXXX-XXXX`.
pub fn host() -> TestHost<Vouchers> {
    let host = TestHost::with_settings(
        env!("CARGO_MANIFEST_DIR"),
        json!({"municipality_name": "Comune di Prova", "voucher_code_prefix": "BS"}),
    )
    .expect("the manifest and settings");
    host.set_time("2026-01-12T10:00:00+01:00");
    host
}

/// The winter food campaign of the story: 700 €, ISEE up to 15,000 €, residents only, open
/// from 11 to 22 January 2026.
pub fn winter_campaign() -> Json {
    json!({
        "title": "Buoni spesa inverno",
        "measure": "food",
        "opens_on": "2026-01-11",
        "closes_on": "2026-01-22",
        "budget": "700,00",
        "fields": ["household_size", "minors", "isee", "resident", "income_loss"],
        "isee_max": "15.000",
        "residence_required": true,
        "base_amounts": ["150", "250", "350", "400"],
        "per_minor": "35,50",
        "max_amount": 500,
        "denominations": "50; 20; 10; 5",
        "ranking": ["isee_asc"],
        "review_rules": ["income_loss = yes"],
    })
}

/// An application for `tax`: household size, minors, ISEE, residence, loss of income.
pub fn apply(
    tax: &str,
    household: u32,
    minors: u32,
    isee: &str,
    resident: bool,
    loss: bool,
) -> Json {
    json!({
        "tax_code": tax,
        "household_size": household,
        "minors": minors,
        "isee": isee,
        "resident": resident,
        "income_loss": loss,
    })
}

/// The amounts of an application's vouchers, in cents.
pub fn amounts(application: &Json) -> Vec<i64> {
    application["vouchers"]
        .as_array()
        .expect("vouchers")
        .iter()
        .map(|v| v["amount_cents"].as_i64().expect("cents"))
        .collect()
}

/// The codes of an application's vouchers.
pub fn codes_of(application: &Json) -> Vec<String> {
    application["vouchers"]
        .as_array()
        .expect("vouchers")
        .iter()
        .map(|v| v["code"].as_str().expect("code").to_owned())
        .collect()
}

pub fn id_of(answer: &Answer) -> String {
    answer.body["id"].as_str().expect("an id").to_owned()
}

/// The text of a CSV download.
pub fn csv(answer: &Answer) -> String {
    assert_eq!(answer.status, 200, "{}", answer.body);
    let (_, _, bytes) = answer.file.as_ref().expect("a download");
    String::from_utf8(bytes.clone()).expect("UTF-8")
}
