//! Payment orders: the support of a campaign that pays by bank transfer
//! ([`crate::payment::Method::Transfer`]). At funding (the closing and the scorrimento), each
//! instalment of an award becomes an order to pay the application's payee — the IBAN its
//! rulebook question holds — on the instalment's day, instead of vouchers.
//!
//! The money moves in the ledger with keys made from what it is, so retries never pay twice:
//!
//! | movement | from → to | key |
//! |---|---|---|
//! | ordering | `campaign/{id}/budget` → `campaign/{id}/transfers` | `order/{order id}` |
//! | the treasury paid an export | `campaign/{id}/transfers` → `treasury` (external) | `treasury/{batch id}` |
//!
//! `campaign/{id}/transfers` thus holds what was ordered and not yet paid by the treasury.
//! An order's id is `{application id without the campaign}-{instalment from 1}`: deterministic,
//! so a closing replayed after a crash finds it instead of making a second, and at most 35
//! characters, the length of a SEPA `EndToEndId`, which it is in the export ([`pain001`]).
//! (Transfer campaigns exist from 1.4, whose application ids are `{campaign}-{28 hex}`.)
//!
//! Orders are exported in batches ([`export`]) the operator downloads as a SEPA credit
//! transfer file and, once the treasury has paid, marks paid.

use serde::{Deserialize, Serialize};
use trama_sdk::i18n;
use trama_sdk::ledger::TransferRequest;
use trama_sdk::money::format_cents;
use trama_sdk::store::{Batch, Collection};
use trama_sdk::{Error, Result, t};

use crate::application::Application;
use crate::campaign::{Campaign, budget_account};
use crate::rulebook::Answer;

pub mod export;
pub mod pain001;
#[cfg(test)]
mod tests;

pub use export::{BATCHES, ExportBatch};

pub const TRANSFERS: Collection<TransferOrder> = Collection::new("transfers");

/// The external account of the municipality's treasury, which pays the exported orders.
pub const TREASURY: &str = "treasury";
/// Longest payee name in a SEPA transfer (`Nm`, as the EPC guidelines restrict it).
pub const NAME_CHARS: usize = 70;

/// The ledger account of a campaign's orders awaiting the treasury.
pub fn account(campaign: &str) -> String {
    format!("campaign/{campaign}/transfers")
}

trama_sdk::choices! {
    /// Where an order stands.
    #[derive(Default)]
    pub enum OrderStatus {
        /// Ordered, waiting to be exported to the treasury.
        #[default]
        Ordered = "ordered" => "vouchers.transfer.status_ordered",
        /// In an export batch sent to the treasury.
        Exported = "exported" => "vouchers.transfer.status_exported",
        /// The treasury paid it.
        Paid = "paid" => "vouchers.transfer.status_paid",
    }
}

/// A payment order as stored. `campaign`, `application`, `status`, `batch` and `user_id` are
/// indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferOrder {
    pub campaign: String,
    pub application: String,
    /// The beneficiary's account, when they applied themselves.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Who is paid: the answer to the campaign's name question, or the applicant.
    pub payee_name: String,
    /// Without spaces, in capitals, its check digits verified.
    pub iban: String,
    pub amount_cents: i64,
    /// The instalment, from 0.
    pub index: u32,
    /// The day it is due, `YYYY-MM-DD` (Rome).
    pub due_on: String,
    /// The remittance text: campaign title and application.
    pub remittance: String,
    pub ordered_at: i64,
    #[serde(default)]
    pub status: OrderStatus,
    /// The export batch it went in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<String>,
}

/// An order as the application keeps it, to show and to replay a funding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub id: String,
    pub amount_cents: i64,
    pub due_on: String,
    /// `•••• 3456`: the last four characters only.
    pub iban_masked: String,
}

/// The last four characters of an IBAN, the rest hidden.
pub fn mask(iban: &str) -> String {
    let chars: Vec<char> = iban.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    format!("•••• {tail}")
}

/// The id of instalment `k` (from 0) of application `application` of `campaign`.
pub fn order_id(campaign: &str, application: &str, k: usize) -> String {
    let own = application
        .strip_prefix(campaign)
        .and_then(|rest| rest.strip_prefix('-'))
        .unwrap_or(application);
    format!("{own}-{}", k + 1)
}

/// The payee of `app` under `campaign`'s terms: name and IBAN, or an error naming what is
/// missing (the campaign's questions were checked at creation, so this is never the
/// applicant's doing).
fn payee_of(campaign: &Campaign, app_id: &str, app: &Application) -> Result<(String, String)> {
    let payee = campaign.payment.payee.as_ref().ok_or_else(|| {
        Error::internal(format!(
            "campaign {} pays by transfer without a payee question",
            app.campaign
        ))
    })?;
    let answers = app.calculation.as_ref().map(|c| &c.answers);
    let text = |key: &str| match answers.and_then(|a| a.get(key)) {
        Some(Answer::Text(text)) if !text.trim().is_empty() => Some(text.clone()),
        _ => None,
    };
    let iban = text(&payee.iban)
        .and_then(|t| crate::rulebook::answer::iban(&t))
        .ok_or_else(|| {
            Error::internal(format!(
                "application {app_id} has no valid IBAN under `{}`",
                payee.iban
            ))
        })?;
    let name = payee
        .name
        .as_deref()
        .and_then(text)
        .unwrap_or_else(|| app.full_name.clone());
    Ok((name, iban))
}

/// The orders of an award of `amount_cents` to application `app_id`, not yet stored: one per
/// instalment, due on the instalment's day (counted from today, in Rome).
pub fn draw(
    campaign_id: &str,
    campaign: &Campaign,
    app_id: &str,
    app: &Application,
    amount_cents: i64,
    now: i64,
) -> Result<Vec<(String, TransferOrder)>> {
    let (payee_name, iban) = payee_of(campaign, app_id, app)?;
    let today = trama_sdk::local::today(now);
    let terms = &campaign.payment;
    // The remittance the payee's bank shows: what it is for and which application (its
    // protocol), never the applicant's tax code.
    let remittance = format!("{} - {app_id}", campaign.title);
    Ok(terms
        .parts(amount_cents)
        .into_iter()
        .enumerate()
        .map(|(k, cents)| {
            let index = u32::try_from(k).unwrap_or(u32::MAX);
            let order = TransferOrder {
                campaign: campaign_id.to_owned(),
                application: app_id.to_owned(),
                user_id: app.user_id.clone(),
                payee_name: payee_name.clone(),
                iban: iban.clone(),
                amount_cents: cents,
                index,
                due_on: terms.due_on(today, index).to_string(),
                remittance: remittance.clone(),
                ordered_at: now,
                status: OrderStatus::Ordered,
                batch: None,
            };
            (order_id(campaign_id, app_id, k), order)
        })
        .collect())
}

/// What the application keeps of its orders.
pub fn lines(orders: &[(String, TransferOrder)]) -> Vec<OrderLine> {
    orders
        .iter()
        .map(|(id, o)| OrderLine {
            id: id.clone(),
            amount_cents: o.amount_cents,
            due_on: o.due_on.clone(),
            iban_masked: mask(&o.iban),
        })
        .collect()
}

/// Adds the orders to `batch`, each with "must not exist": a replayed funding that would make
/// an order twice fails instead.
pub fn store_new(batch: &mut Batch, orders: &[(String, TransferOrder)]) {
    for (id, order) in orders {
        batch.create(&TRANSFERS, id, order);
    }
}

/// The ledger transfers that set the money of `orders` aside for the treasury:
/// `campaign/{id}/budget` → `campaign/{id}/transfers`, keys `order/{order id}`.
pub fn funding(campaign: &str, orders: &[OrderLine], note: &str) -> Vec<TransferRequest> {
    let budget = budget_account(campaign);
    let pending = account(campaign);
    orders
        .iter()
        .map(|o| {
            TransferRequest::new(
                budget.clone(),
                pending.clone(),
                o.amount_cents,
                format!("order/{}", o.id),
            )
            .memo(format!("transfer order {}{note}", o.id))
        })
        .collect()
}

/// The lines of the message telling a beneficiary their transfers were ordered, in the
/// current language: amount, day and the IBAN's last four characters.
pub fn describe(orders: &[OrderLine]) -> Vec<String> {
    let lang = i18n::current();
    orders
        .iter()
        .map(|o| {
            t!(
                "vouchers.transfer.order_line",
                amount = format_cents(o.amount_cents, lang),
                day = crate::rulebook::answer::show_date(&o.due_on, lang),
                iban = o.iban_masked
            )
        })
        .collect()
}
