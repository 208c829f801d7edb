//! Campaigns: what a municipality offers, to whom, how much, and for how long — the document,
//! its validation (shared by the HTML form and the JSON API) and its creation, which funds the
//! budget in the ledger.

use serde::{Deserialize, Serialize};
use trama_sdk::clock::Date;
use trama_sdk::input::Problems;
use trama_sdk::ledger::{self, AccountKind, TransferRequest};
use trama_sdk::store::{Collection, Doc};
use trama_sdk::{Error, Result, audit, store, t};

use crate::close::CloseState;
use crate::payment::Payment;
use crate::rank::Criterion;
use crate::rulebook::Rulebook;
use crate::rules::{AmountRule, Eligibility, Field, ReviewRule};

mod form;
pub mod shops;
#[cfg(test)]
mod tests;
mod view;

pub use form::{BUILT_IN, Draft, validate};
pub use shops::Shops;
pub use view::{CampaignView, FieldView, QuestionView};

pub const CAMPAIGNS: Collection<Campaign> = Collection::new("campaigns");

/// The external account money comes from: the municipality's funds, outside the books.
pub const FUNDING: &str = "funding";
/// Most criteria a ranking has (there are four).
const MAX_CRITERIA: usize = 4;
pub(crate) const TITLE_CHARS: std::ops::RangeInclusive<usize> = 3..=120;
/// Longest text of a notice's own words, in characters.
pub(crate) const DESCRIPTION_CHARS: usize = 4000;
/// Most vouchers denominations and household bases a campaign lists.
const MAX_LIST: usize = 12;

/// Members of a campaign in JSON, the same names as the form's fields.
pub const JSON_FIELDS: &[&str] = &[
    "title",
    "measure",
    "opens_on",
    "closes_on",
    "budget",
    "fields",
    "isee_max",
    "residence_required",
    "household_min",
    "excluded_campaigns",
    "base_amounts",
    "per_minor",
    "max_amount",
    "denominations",
    "ranking",
    "review_rules",
    "rulebook",
    "template",
    "valid_days",
    "valid_until",
    "instalments",
    "instalment_days",
    "payment_method",
    "payee_iban_question",
    "payee_name_question",
    "shop_categories",
    "shop_merchants",
    "description",
];

trama_sdk::choices! {
    /// The kind of support.
    pub enum Measure {
        /// Food vouchers ("buoni spesa").
        Food = "food" => "vouchers.measure.food",
        /// Utility bills.
        Bills = "bills" => "vouchers.measure.bills",
        Rent = "rent" => "vouchers.measure.rent",
        /// Arrears the household is not to blame for ("morosità incolpevole").
        Arrears = "arrears" => "vouchers.measure.arrears",
    }
}

/// Where a campaign is in its life. Whether it accepts applications also depends on the
/// dates: see [`Campaign::phase`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Accepting applications between its dates; reviews go on.
    Active,
    /// Closed to applications and reviews; the ranking and the vouchers are being made.
    Closing,
    /// Ranked and paid out.
    Closed,
    /// Withdrawn by the municipality before its closing ("bando revocato"): takes no
    /// applications, is never ranked nor paid, and its budget went back to `funding` (see
    /// [`crate::revise`]).
    Cancelled,
}

trama_sdk::choices! {
    /// What a person can do with a campaign today.
    pub enum Phase {
        Upcoming = "upcoming" => "vouchers.phase.upcoming",
        Open = "open" => "vouchers.phase.open",
        /// Past its closing date, waiting for the closing job.
        Ended = "ended" => "vouchers.phase.ended",
        Closing = "closing" => "vouchers.phase.closing",
        Closed = "closed" => "vouchers.phase.closed",
        Cancelled = "cancelled" => "vouchers.phase.cancelled",
    }
}

/// A campaign as stored. `state` and `closes_on` are indexed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    pub title: String,
    pub measure: Measure,
    /// First day applications are accepted, `YYYY-MM-DD` (UTC).
    pub opens_on: String,
    /// Last day applications are accepted, inclusive.
    pub closes_on: String,
    pub budget_cents: i64,
    /// The questions of the application form, in order.
    pub fields: Vec<Field>,
    pub eligibility: Eligibility,
    pub amounts: AmountRule,
    /// Voucher values, largest first; empty for one voucher of the whole amount.
    pub denominations_cents: Vec<i64>,
    pub ranking: Vec<Criterion>,
    pub review_rules: Vec<ReviewRule>,
    /// The notice's own questions and rules, when the campaign is written as a rulebook
    /// instead of the built-in fields; frozen once the campaign is created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rulebook: Option<Rulebook>,
    /// How the support is paid: validity and instalments of the vouchers.
    #[serde(default)]
    pub payment: Payment,
    /// Where its vouchers may be spent; empty: at any affiliated shop.
    #[serde(default, skip_serializing_if = "Shops::is_empty")]
    pub shops: Shops,
    /// The request ids of the budget added after creation (see [`add_budget`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top_ups: Vec<String>,
    /// What those additions came to: `budget_cents` less this is what `fund/{id}` moved.
    #[serde(default)]
    pub top_up_cents: i64,
    pub state: State,
    pub created_at: i64,
    pub created_by: String,
    #[serde(default)]
    pub close: Option<CloseState>,
    /// When its applications were retired after the retention period ([`crate::retention`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<i64>,
    /// How many funded applications the retention has gone through so far.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retire_offset: u32,
    /// The notice's own words beside its rules (what it is for, whom to call), shown on its
    /// public page; changeable until the closing.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The version of the notice in force, from 1: every change after publishing makes a new
    /// one (see [`crate::revise`]), and each application records the one it was filed under.
    #[serde(default = "crate::revise::first_version")]
    pub notice_version: u32,
    /// The changes that made versions 2, 3, …, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revisions: Vec<crate::revise::Revision>,
    /// How the notice was withdrawn, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancellation: Option<crate::revise::Cancellation>,
}

impl Campaign {
    pub fn asks(&self, field: Field) -> bool {
        self.fields.contains(&field)
    }

    pub fn phase(&self, today: Date) -> Phase {
        match self.state {
            State::Closing => Phase::Closing,
            State::Closed => Phase::Closed,
            State::Cancelled => Phase::Cancelled,
            State::Active => {
                let today = today.to_string();
                if today < self.opens_on {
                    Phase::Upcoming
                } else if today <= self.closes_on {
                    Phase::Open
                } else {
                    Phase::Ended
                }
            }
        }
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The ledger account holding the budget not yet issued.
pub fn budget_account(id: &str) -> String {
    format!("campaign/{id}/budget")
}

/// The campaign `id`, or a 404 that names it.
pub fn load(id: &str) -> Result<Doc<Campaign>> {
    CAMPAIGNS
        .get(id)?
        .ok_or_else(|| Error::not_found(t!("vouchers.campaign.not_found", id = id)))
}

/// Stores a validated campaign and funds its budget: `funding` → `campaign/{id}/budget`.
///
/// The excluded campaigns must exist. The document is written first and the budget funded
/// second, with the idempotency key `fund/{id}`: if the ledger fails in between, [`fund`]
/// (run again before closing) completes the funding without ever doing it twice.
pub fn create(
    draft: Draft,
    actor: &str,
    now: i64,
) -> std::result::Result<Doc<Campaign>, CreateError> {
    let mut problems = Problems::default();
    for id in &draft.eligibility.excluded_campaigns {
        if CAMPAIGNS.get(id)?.is_none() {
            problems.push(
                "excluded_campaigns",
                t!("vouchers.campaign.not_found", id = id),
            );
        }
    }
    for id in &draft.shops.merchants {
        if crate::merchant::MERCHANTS.get(id)?.is_none() {
            problems.push(
                "shop_merchants",
                t!("vouchers.shops.no_such_merchant", id = id),
            );
        }
    }
    if !problems.is_empty() {
        return Err(CreateError::Problems(problems));
    }
    let doc = CAMPAIGNS.create(&store::new_id(), draft.into_campaign(now, actor.to_owned()))?;
    fund(&doc)?;
    crate::revise::keep_version(&doc.id, &doc.data, now)?;
    audit::record(
        "campaign.created",
        &doc.id,
        &serde_json::json!({
            "title": doc.data.title,
            "measure": doc.data.measure,
            "budget_cents": doc.data.budget_cents,
            "opens_on": doc.data.opens_on,
            "closes_on": doc.data.closes_on,
        }),
    )?;
    crate::publish::campaign(&doc)?;
    Ok(doc)
}

/// Moves the budget from `funding` into the campaign's account, once (idempotent), and opens
/// the campaign's accounts.
pub fn fund(doc: &Doc<Campaign>) -> Result<()> {
    ledger::open(FUNDING, AccountKind::External)?;
    let account = budget_account(&doc.id);
    ledger::open(&account, AccountKind::Funded)?;
    // The memorandum pair redemptions write to (see `redeem`), opened once here rather than
    // on every redemption.
    ledger::open(crate::voucher::MEMO_COUNTERPART, AccountKind::External)?;
    ledger::open(
        &crate::voucher::spent_account(&doc.id),
        AccountKind::External,
    )?;
    if doc.data.payment.method == crate::payment::Method::Transfer {
        ledger::open(&crate::transfer::account(&doc.id), AccountKind::Funded)?;
        ledger::open(crate::transfer::TREASURY, AccountKind::External)?;
    }
    ledger::transfer(
        &TransferRequest::new(
            FUNDING,
            account,
            // The first funding only: budget added later moved under keys of its own, and a key
            // replayed with another amount would be refused.
            doc.data.budget_cents - doc.data.top_up_cents,
            format!("fund/{}", doc.id),
        )
        .memo(format!("budget: {}", doc.data.title)),
    )?;
    Ok(())
}

/// Adds `cents` to campaign `id`'s budget, once per `request_id`: `funding` →
/// `campaign/{id}/budget` with the key `topup/{id}/{request id}`, and the campaign's
/// `budget_cents` grows with it, in one call under a lock on the campaign. A closed campaign
/// then funds the next in its ranking ([`crate::scroll`]). Returns how many were funded.
pub fn add_budget(id: &str, cents: i64, request_id: &str, actor: &str, now: i64) -> Result<usize> {
    if cents <= 0 {
        return Err(Error::invalid(t!("vouchers.problems.budget_zero")));
    }
    let mut doc = CAMPAIGNS
        .lock(id)?
        .ok_or_else(|| Error::not_found(t!("vouchers.campaign.not_found", id = id)))?;
    if doc.data.top_ups.iter().any(|r| r == request_id) {
        return crate::scroll::fund_next(id, actor, now);
    }
    // A withdrawn notice gave its budget back; money added to it would sit there unused.
    if doc.data.state == State::Cancelled {
        return Err(Error::conflict(t!(
            "vouchers.revision.cancelled_no_budget",
            title = doc.data.title
        )));
    }
    ledger::transfer(
        &TransferRequest::new(
            FUNDING,
            budget_account(id),
            cents,
            format!("topup/{id}/{request_id}"),
        )
        .memo(format!("budget added: {}", doc.data.title)),
    )?;
    doc.data.budget_cents = doc.data.budget_cents.saturating_add(cents);
    doc.data.top_up_cents = doc.data.top_up_cents.saturating_add(cents);
    doc.data.top_ups.push(request_id.to_owned());
    CAMPAIGNS.put_if_version(&doc.id, &doc.data, doc.version)?;
    audit::record(
        "campaign.budget_added",
        id,
        &serde_json::json!({ "cents": cents, "request_id": request_id }),
    )?;
    crate::scroll::fund_next(id, actor, now)
}

/// Why a campaign was not created.
#[derive(Debug)]
pub enum CreateError {
    Problems(Problems),
    Other(Error),
}

impl From<Error> for CreateError {
    fn from(err: Error) -> Self {
        Self::Other(err)
    }
}
