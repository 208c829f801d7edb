//! The `vouchers` plugin over HTTP: a whole campaign from its creation to the reimbursement of
//! a merchant through the kernel (accounts, `/me`, racing submissions, pages, exports), the
//! forms without JavaScript, and two hundred cashiers racing for one voucher.
//!
//! The campaign's domain stories — eligibility and its reasons, review, ranking, the vouchers'
//! amounts, refusals, the dashboard and the exports to the cent — are the plugin's native tests,
//! in `plugins/vouchers/tests/`.

mod applications;
mod attachments;
mod forms;
mod race;
mod redemptions;
mod rulebooks;

use serde_json::{Value as Json, json};

use crate::support::{Client, Plugin, Server};

pub(crate) use race::{race_for_one_voucher, vouchers_at_a_shop};

/// The plugin's routes.
pub(crate) const API: Plugin = Plugin("vouchers");

pub(crate) use crate::support::VOUCHERS;

/// Valid codici fiscali (their check letters are right).
pub(crate) const ANNA: &str = "RSSMRA85T10A562S";
pub(crate) const BRUNO: &str = "VRDGPP80A01H501U";
pub(crate) const CARLA: &str = "BNCLCU90M41F205Q";
pub(crate) const DARIO: &str = "MRNLRA70C55L219W";
pub(crate) const ELENA: &str = "PLLMRC75D12F839T";
/// A valid partita IVA.
pub(super) const VAT: &str = "01234567897";

pub(super) fn amounts(application: &Json) -> Vec<i64> {
    application["vouchers"]
        .as_array()
        .expect("vouchers")
        .iter()
        .map(|v| v["amount_cents"].as_i64().expect("cents"))
        .collect()
}

pub(super) fn codes_of(application: &Json) -> Vec<String> {
    application["vouchers"]
        .as_array()
        .expect("vouchers")
        .iter()
        .map(|v| v["code"].as_str().expect("code").to_owned())
        .collect()
}

pub(crate) async fn balance(client: &Client, server: &Server, code: &str) -> i64 {
    let (status, voucher) = API
        .get(client, server, &format!("/api/vouchers/{code}"))
        .await;
    assert_eq!(status, 200, "{voucher}");
    voucher["balance_cents"].as_i64().expect("balance")
}

/// An application for `tax`: household size, minors, ISEE, residence, loss of income.
pub(super) fn apply(
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
