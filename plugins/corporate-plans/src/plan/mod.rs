//! Welfare plans: what a company offers its employees for a year.
//!
//! A plan has a period (`starts_on` to `ends_on`, both included, at most 366 days: the year
//! of the plan, or a fiscal year that does not start in January), the rules of each
//! employee's credit ([`crate::credit`]), the categories of services the credit may be spent
//! on, and a budget drawn from the company's account when the plan is created (and topped up
//! later if more employees join). Enrolling an employee moves their credit from the budget to
//! their wallet.
//!
//! **Dates.** A plan cannot be created already over (`ends_on` before today): there would be
//! nothing to spend. Credit can be spent from `starts_on` to `ends_on`; the day after, the
//! `expire-plans` job returns what is left to the company. HR may also **close a plan early**
//! — a company that stops its welfare scheme, or that settles the year ahead of time — which
//! stops purchases and new reimbursement requests at once and lets the job return the unspent
//! credit at its next run (within a minute). Requests already submitted stay to be decided:
//! an approved one is paid, a rejected one's money goes back to the company.
//!
//! States: `active` → `closing` (over, its wallets being emptied) → `expired`.

use serde::{Deserialize, Serialize};
use trama_sdk::clock::{self, Date};
use trama_sdk::i18n::Lang;
use trama_sdk::identity::User;
use trama_sdk::ledger::{self, AccountKind, LedgerError, TransferRequest};
use trama_sdk::money::format_cents;
use trama_sdk::store::{Collection, Doc};
use trama_sdk::{Error, Result, audit, t};

use crate::accounts;
use crate::category;
use crate::company::{self, Company};
use crate::credit::{self, CreditRule};
use crate::fields;

mod check;

pub use check::{NewPlan, read_new};

pub const PLANS: Collection<Plan> = Collection::new("plans");

pub const JSON_FIELDS: &[&str] = &[
    "title",
    "year",
    "starts_on",
    "ends_on",
    "budget",
    "flat_credit",
    "level_credits",
    "per_dependant",
    "max_dependants",
    "categories",
    "refund_share",
    "request_id",
];
pub const TOP_UP_FIELDS: &[&str] = &["amount", "request_id"];

/// The longest period of a plan, in days (a leap year).
pub const MAX_DAYS: i64 = 366;

trama_sdk::choices! {
    pub enum State {
        Active = "active",
        /// Over: the job is returning the unspent credit.
        Closing = "closing",
        Expired = "expired",
    }
}

/// How far the expiry got, kept in the plan so that a job run cut short resumes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expiry {
    /// Enrolments are emptied in id order; the last one done.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Cents returned to the company so far.
    pub returned_cents: i64,
    pub started_at: i64,
    #[serde(default)]
    pub finished_at: Option<i64>,
}

/// A plan as stored. `company`, `state`, `ends_on` and `created_at` are indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub company: String,
    pub title: String,
    pub year: i32,
    /// `YYYY-MM-DD`, included.
    pub starts_on: String,
    /// `YYYY-MM-DD`, included.
    pub ends_on: String,
    pub rule: CreditRule,
    pub categories: Vec<String>,
    pub state: State,
    /// Set when HR closed the plan before its end.
    #[serde(default)]
    pub closed_early_on: Option<String>,
    #[serde(default)]
    pub closed_by: Option<String>,
    /// What was drawn from the company's account, in cents (creation and top-ups).
    pub funded_cents: i64,
    pub created_at: i64,
    pub created_by: String,
    #[serde(default)]
    pub expiry: Option<Expiry>,
}

impl Plan {
    /// Whether credit can be spent on `today`: active, started and not ended.
    pub fn is_open(&self, today: Date) -> bool {
        let today = today.to_string();
        self.state == State::Active && self.starts_on <= today && today <= self.ends_on
    }

    /// Whether the plan is over on `today` (ended, closed early or expired): money coming back
    /// from a rejected request then returns to the company instead of the wallet.
    pub fn is_over(&self, today: Date) -> bool {
        self.state != State::Active || today.to_string() > self.ends_on
    }

    pub fn allows(&self, category: &str) -> bool {
        self.categories.iter().any(|c| c == category)
    }

    /// Why nothing can be spent on `today`, if so.
    pub fn closed_reason(&self, today: Date) -> Option<String> {
        let now = today.to_string();
        if self.state != State::Active || now > self.ends_on {
            Some(t!("corporate_plans.plan.closed", title = self.title))
        } else if now < self.starts_on {
            Some(t!(
                "corporate_plans.plan.starts_on",
                title = self.title,
                date = self.starts_on
            ))
        } else {
            None
        }
    }
}

/// The plan `id` as HR of `company` sees it: a plan of another company is "not found", so HR
/// cannot even learn that it exists.
pub fn load_for(id: &str, company: &str) -> Result<Doc<Plan>> {
    match PLANS.get(id)? {
        Some(doc) if doc.data.company == company => Ok(doc),
        _ => Err(not_found(id)),
    }
}

/// The plan `id`, whoever's it is (operators, employees through their enrolment, the job).
pub fn load(id: &str) -> Result<Doc<Plan>> {
    PLANS.get(id)?.ok_or_else(|| not_found(id))
}

fn not_found(id: &str) -> Error {
    Error::not_found(t!("corporate_plans.plan.no_plan", id = id))
}

/// Creates a plan for `company` and draws its budget from the company's account. A budget
/// above what the company holds is a `409` saying how much it holds.
pub fn create(
    company: &Doc<Company>,
    new: NewPlan,
    actor: &User,
    now: i64,
    lang: Lang,
) -> Result<Doc<Plan>> {
    let id = trama_sdk::code::short_id(&format!("plan/{}/{}", company.id, new.request_id));
    if let Some(existing) = PLANS.get(&id)? {
        if existing.data.company != company.id || existing.data.title != new.title {
            return Err(fields::reused());
        }
        return Ok(existing);
    }
    ledger::open(&accounts::plan_budget(&id), AccountKind::Funded)?;
    if new.budget_cents > 0 {
        draw(
            company,
            &id,
            new.budget_cents,
            &format!("plan/{id}/fund"),
            lang,
        )?;
    }
    let plan = Plan {
        company: company.id.clone(),
        title: new.title,
        year: new.year,
        starts_on: new.starts_on.to_string(),
        ends_on: new.ends_on.to_string(),
        rule: new.rule,
        categories: new.categories,
        state: State::Active,
        closed_early_on: None,
        closed_by: None,
        funded_cents: new.budget_cents,
        created_at: now,
        created_by: actor.username.clone(),
        expiry: None,
    };
    let doc = match PLANS.create(&id, plan) {
        Ok(doc) => doc,
        Err(Error::Conflict(_)) => load(&id)?,
        Err(err) => return Err(err),
    };
    audit::record(
        "plan.created",
        &doc.id,
        &serde_json::json!({
            "company": company.id,
            "title": doc.data.title,
            "budget_cents": new.budget_cents,
            "starts_on": doc.data.starts_on,
            "ends_on": doc.data.ends_on,
        }),
    )?;
    Ok(doc)
}

/// Moves `amount` from the company's account to the plan's budget under `key`.
fn draw(company: &Doc<Company>, plan: &str, amount: i64, key: &str, lang: Lang) -> Result<()> {
    ledger::transfer(
        &TransferRequest::new(
            accounts::company_account(&company.id),
            accounts::plan_budget(plan),
            amount,
            key,
        )
        .memo(format!("budget of plan {plan}")),
    )
    .map_err(|err| match err {
        LedgerError::InsufficientFunds(_) => {
            let held = company::balance(&company.id).unwrap_or(0);
            Error::conflict(t!(
                "corporate_plans.plan.account_short",
                company = company.data.name,
                held = format_cents(held, lang),
                amount = format_cents(amount, lang)
            ))
        }
        LedgerError::Conflict(_) => fields::reused(),
        other => other.into(),
    })?;
    Ok(())
}

/// Adds `amount` to an active plan's budget (for employees who join during the year).
pub fn top_up(
    company: &Doc<Company>,
    plan: &Doc<Plan>,
    amount: i64,
    request_id: &str,
    now: i64,
    lang: Lang,
) -> Result<Doc<Plan>> {
    if plan.data.is_over(clock::today()) {
        return Err(Error::invalid(t!(
            "corporate_plans.plan.top_up_closed",
            title = plan.data.title
        )));
    }
    draw(
        company,
        &plan.id,
        amount,
        &format!("plan/{}/top-up/{request_id}", plan.id),
        lang,
    )?;
    // The transfer is the truth; the plan keeps the total for reports. A replayed request
    // must not count twice, so the total is recomputed from the ledger's history.
    let funded = funded_total(&plan.id)?;
    let doc = PLANS
        .update(&plan.id, |stored| {
            stored.funded_cents = funded;
            Ok(())
        })?
        .ok_or_else(|| not_found(&plan.id))?;
    audit::record(
        "plan.topped_up",
        &plan.id,
        &serde_json::json!({ "amount_cents": amount, "at": now }),
    )?;
    Ok(doc)
}

/// Everything the company's account paid into the plan's budget, from the ledger.
pub fn funded_total(plan: &str) -> Result<i64> {
    let budget = accounts::plan_budget(plan);
    let mut total = 0;
    let mut offset = 0;
    loop {
        let page = ledger::history(&budget, 1000, offset)?;
        total += page
            .iter()
            .filter(|t| t.to == budget && t.from.starts_with("company/"))
            .map(|t| t.amount_cents)
            .sum::<i64>();
        if page.len() < 1000 {
            return Ok(total);
        }
        offset += 1000;
    }
}

/// HR closes a plan before its end: no more purchases or requests from now; the job returns
/// the unspent credit at its next run.
pub fn close_early(plan: &Doc<Plan>, actor: &User) -> Result<Doc<Plan>> {
    if plan.data.state != State::Active {
        return Err(Error::invalid(t!(
            "corporate_plans.plan.already_closed",
            title = plan.data.title
        )));
    }
    let mut doc = plan.clone();
    doc.data.state = State::Closing;
    doc.data.closed_early_on = Some(clock::today().to_string());
    doc.data.closed_by = Some(actor.username.clone());
    doc.version = PLANS
        .put_if_version(&doc.id, &doc.data, doc.version)
        .map_err(|err| match err {
            Error::Conflict(_) => Error::conflict(t!("corporate_plans.plan.plan_changed")),
            other => other,
        })?;
    audit::record(
        "plan.closed_early",
        &doc.id,
        &serde_json::json!({ "by": actor.username, "ends_on": doc.data.ends_on }),
    )?;
    Ok(doc)
}

/// A plan as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct PlanView {
    pub id: String,
    pub company: String,
    pub title: String,
    pub year: i32,
    pub starts_on: String,
    pub ends_on: String,
    pub state: State,
    pub state_label: String,
    pub open: bool,
    pub closed_early_on: Option<String>,
    pub rule: CreditRule,
    pub rule_text: String,
    pub refund_share_text: String,
    pub categories: Vec<category::CategoryView>,
    pub funded_cents: i64,
    pub funded_text: String,
    pub budget_left_cents: i64,
    pub budget_left_text: String,
    pub returned_cents: i64,
    pub returned_text: String,
}

impl PlanView {
    pub fn new(doc: &Doc<Plan>, today: Date, lang: Lang) -> Result<Self> {
        let plan = &doc.data;
        let budget_left_cents = accounts::balance(&accounts::plan_budget(&doc.id))?;
        let returned_cents = plan.expiry.as_ref().map_or(0, |e| e.returned_cents);
        let state_label = match (plan.state, plan.is_open(today)) {
            (State::Active, true) => t!("corporate_plans.plan.state_active"),
            (State::Active, false) if today.to_string() < plan.starts_on => {
                t!("corporate_plans.plan.state_not_started")
            }
            (State::Active, false) | (State::Closing, _) => {
                t!("corporate_plans.plan.state_closing")
            }
            (State::Expired, _) => t!("corporate_plans.plan.state_expired"),
        };
        Ok(Self {
            id: doc.id.clone(),
            company: plan.company.clone(),
            title: plan.title.clone(),
            year: plan.year,
            starts_on: plan.starts_on.clone(),
            ends_on: plan.ends_on.clone(),
            state: plan.state,
            state_label,
            open: plan.is_open(today),
            closed_early_on: plan.closed_early_on.clone(),
            rule: plan.rule.clone(),
            rule_text: plan.rule.describe(lang),
            refund_share_text: credit::percent_text(plan.rule.refund_share_bp, lang),
            categories: plan
                .categories
                .iter()
                .map(|c| category::CategoryView::new(c))
                .collect(),
            funded_cents: plan.funded_cents,
            funded_text: format_cents(plan.funded_cents, lang),
            budget_left_cents,
            budget_left_text: format_cents(budget_left_cents, lang),
            returned_cents,
            returned_text: format_cents(returned_cents, lang),
        })
    }
}

/// A plan of company `c` open through 2025, for the tests here and of the requests checked
/// against a plan: a credit of `flat_cents` each, `refund_share_bp` of each expense refunded,
/// one `category` of expenses.
#[cfg(test)]
impl Plan {
    pub fn sample(flat_cents: i64, refund_share_bp: u32, category: &str) -> Self {
        Plan {
            company: "c".into(),
            title: "Welfare".into(),
            year: 2025,
            starts_on: "2025-01-01".into(),
            ends_on: "2025-12-31".into(),
            rule: CreditRule {
                flat_cents,
                levels: Vec::new(),
                per_dependant_cents: 0,
                max_dependants: None,
                refund_share_bp,
            },
            categories: vec![category.into()],
            state: State::Active,
            closed_early_on: None,
            closed_by: None,
            funded_cents: 0,
            created_at: 0,
            created_by: "hr".into(),
            expiry: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_and_over_follow_the_dates_and_the_state() {
        let plan = Plan::sample(1, 0, "health");
        let day = |y, m, d| Date::new(y, m, d).unwrap_or_else(|| unreachable!());
        assert!(plan.is_open(day(2025, 12, 31)));
        assert!(!plan.is_open(day(2026, 1, 1)));
        assert!(plan.is_over(day(2026, 1, 1)));
        assert!(!plan.is_open(day(2024, 12, 31)));
        assert!(!plan.is_over(day(2024, 12, 31)));
        let closing = Plan {
            state: State::Closing,
            ..plan
        };
        assert!(!closing.is_open(day(2025, 6, 1)));
        assert!(closing.is_over(day(2025, 6, 1)));
    }
}
