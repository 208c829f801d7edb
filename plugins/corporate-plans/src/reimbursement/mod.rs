//! Reimbursements: an employee paid an expense themselves (a school fee, a nursery bill) and
//! asks for it back from their credit, with the receipt's reference; HR approves or rejects.
//!
//! **Holding the money.** Submitting a request moves its amount out of the wallet into a hold
//! account of its own (`wallet/{e}` → `hold/{r}`) and, in the same `transfer_all`, out of the
//! employee's allowance (`allowance/{e}` → `memo/allowance`): the ledger refuses the pair if
//! either would go below zero, so requests racing each other or a purchase can never claim
//! more than the wallet holds, nor more than the plan's reimbursable share (see
//! [`crate::credit`]). Money on hold cannot be spent twice while HR decides.
//!
//! **Deciding.** Approving pays the hold out to the employee (`hold/{r}` →
//! `payouts/employees`: the company pays it with the payroll). Rejecting, with a reason, gives
//! the money back: to the wallet and the allowance while the plan is open, to the company's
//! account once it is over (the unspent credit of an expired plan belongs to the company).
//! Both decisions use the same idempotency key, `claim/{r}/decision`, so the ledger itself
//! makes the decision final: a second, different decision is a conflict, a repeated one a
//! replay. Requests submitted before a plan ended can still be decided after it. The employee is
//! told of the decision in their inbox (see [`crate::notice`]).
//!
//! **One receipt, one request.** A request's id is `{enrolment}.{receipt}`, the receipt's
//! reference reduced to its letters and digits (`FT 12/2025` and `ft-12-2025` are the same
//! receipt), so the same receipt cannot be claimed twice, and a retried submission finds the
//! first. A rejected receipt may be submitted again (say, with the right amount): the new
//! request gets the id `{enrolment}.{receipt}.2`, and so on.

use serde::{Deserialize, Serialize};
use trama_sdk::clock;
use trama_sdk::i18n::Lang;
use trama_sdk::identity::User;
use trama_sdk::ledger::{self, AccountKind, LedgerError, TransferRequest};
use trama_sdk::money::format_cents;
use trama_sdk::store::{Cmp, Collection, Doc};
use trama_sdk::{Error, Result, audit, t};

use crate::accounts;
use crate::category;
use crate::enrol;
use crate::fields;
use crate::plan;
use trama_sdk::code;

mod check;
mod decision;

use check::refuse;
pub use check::{NewRequest, read};
pub use decision::{Decision, decide, read_reason};

pub const REIMBURSEMENTS: Collection<Reimbursement> = Collection::new("reimbursements");

pub const JSON_FIELDS: &[&str] = &[
    "enrolment",
    "category",
    "amount",
    "expense_date",
    "receipt_reference",
    "description",
];
pub const DECISION_FIELDS: &[&str] = &["reason", "note"];
/// How many times one receipt may be submitted after rejections.
const MAX_SUBMISSIONS: u32 = 5;

trama_sdk::choices! {
    pub enum Status {
        Pending = "pending" => "corporate_plans.reimbursement.status_pending",
        Approved = "approved" => "corporate_plans.reimbursement.status_approved",
        Rejected = "rejected" => "corporate_plans.reimbursement.status_rejected",
    }
}

/// Where the money of a rejected request went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Returned {
    Wallet,
    Company,
}

/// A reimbursement request. `plan`, `company`, `enrolment`, `status` and `submitted_at` are
/// indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reimbursement {
    pub plan: String,
    pub company: String,
    pub enrolment: String,
    pub user_id: String,
    pub employee_name: String,
    pub category: String,
    pub amount_cents: i64,
    /// `YYYY-MM-DD`
    pub expense_date: String,
    pub receipt_reference: String,
    #[serde(default)]
    pub description: String,
    pub status: Status,
    pub submitted_at: i64,
    #[serde(default)]
    pub decided_at: Option<i64>,
    #[serde(default)]
    pub decided_by: Option<String>,
    /// Why it was rejected, or HR's note on an approval.
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub returned_to: Option<Returned>,
    /// Its number in the instance's protocol register and the time of receipt, on the receipt
    /// the employee keeps; requests from before 1.2 have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<trama_sdk::protocol::Protocol>,
}

/// The receipt's reference as part of an id: its letters and digits, upper-cased; a very long
/// one is hashed so that ids and ledger keys stay short.
pub fn receipt_key(reference: &str) -> String {
    let key: String = reference
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if key.len() > 24 {
        format!("H{}", code::short_id(&key))
    } else {
        key
    }
}

/// What `user` is about to ask for, in words, as `(question, answer)` lines for the summary
/// they confirm (the form's first step) — once it is clear that they may ask for it now: their
/// own enrolment, a plan open to it on that date and category, and enough credit and
/// reimbursable share left. [`submit`] checks it all again when they confirm, under the
/// ledger's guard.
pub fn review(user: &User, new: &NewRequest, lang: Lang) -> Result<Vec<(String, String)>> {
    let enrolment = enrol::load_own(&new.enrolment, user)?;
    let plan = plan::load(&enrolment.data.plan)?;
    if let Some(reason) = refuse(&plan.data, &enrolment.data, new, clock::today()) {
        return Err(Error::invalid(reason));
    }
    let in_wallet = accounts::balance(&accounts::wallet(&enrolment.id))?;
    let share_left = accounts::balance(&accounts::allowance(&enrolment.id))?;
    let amount = format_cents(new.amount_cents, lang);
    if in_wallet < new.amount_cents {
        return Err(Error::conflict(t!(
            "corporate_plans.reimbursement.credit_short",
            left = format_cents(in_wallet, lang),
            amount = amount
        )));
    }
    if share_left < new.amount_cents {
        return Err(Error::conflict(t!(
            "corporate_plans.reimbursement.share_short",
            left = format_cents(share_left, lang),
            amount = amount
        )));
    }
    let mut lines = vec![
        (t!("corporate_plans.common.plan"), plan.data.title),
        (
            t!("corporate_plans.common.category"),
            category::label(&new.category),
        ),
        (t!("corporate_plans.common.amount"), amount),
        (
            t!("corporate_plans.wallet.expense_date"),
            trama_sdk::local::long_date(new.expense_date, lang),
        ),
        (
            t!("corporate_plans.wallet.receipt_reference"),
            new.receipt_reference.clone(),
        ),
    ];
    if !new.description.is_empty() {
        lines.push((
            t!("corporate_plans.wallet.description"),
            new.description.clone(),
        ));
    }
    Ok(lines)
}

/// Submits `new` for the caller (see the module documentation): `201`-worthy on success,
/// `422` when the plan does not accept it, `409` when the wallet or the reimbursable share is
/// short (saying by how much) or the receipt was already claimed.
pub fn submit(user: &User, new: NewRequest, lang: Lang) -> Result<Doc<Reimbursement>> {
    let enrolment = enrol::load_own(&new.enrolment, user)?;
    let plan = plan::load(&enrolment.data.plan)?;
    let today = clock::today();
    let key = receipt_key(&new.receipt_reference);
    let base = format!("{}.{key}", enrolment.id);
    let mut id = base.clone();
    for n in 1..=MAX_SUBMISSIONS + 1 {
        if n > MAX_SUBMISSIONS {
            return Err(Error::conflict(t!(
                "corporate_plans.reimbursement.too_many_submissions"
            )));
        }
        id = if n == 1 {
            base.clone()
        } else {
            format!("{base}.{n}")
        };
        match REIMBURSEMENTS.get(&id)? {
            None => break,
            Some(doc) if doc.data.status == Status::Rejected => continue,
            Some(doc) if doc.data.amount_cents == new.amount_cents => return Ok(doc),
            Some(doc) => {
                return Err(Error::conflict(t!(
                    "corporate_plans.reimbursement.already_submitted",
                    receipt = doc.data.receipt_reference,
                    amount = format_cents(doc.data.amount_cents, lang),
                    status = doc.data.status.label().to_lowercase()
                )));
            }
        }
    }
    if let Some(reason) = refuse(&plan.data, &enrolment.data, &new, today) {
        return Err(Error::invalid(reason));
    }
    let wallet = accounts::wallet(&enrolment.id);
    let allowance = accounts::allowance(&enrolment.id);
    let hold = accounts::hold(&id);
    ledger::open(&hold, AccountKind::Funded)?;
    let transfers = [
        TransferRequest::new(&*wallet, &*hold, new.amount_cents, format!("claim/{id}"))
            .memo(format!("reimbursement of {}", new.receipt_reference)),
        TransferRequest::new(
            &*allowance,
            accounts::MEMO_ALLOWANCE,
            new.amount_cents,
            format!("claim/{id}/allowance"),
        )
        .memo(format!("reimbursement of {}", new.receipt_reference)),
    ];
    ledger::transfer_all(&transfers).map_err(|err| match err {
        LedgerError::InsufficientFunds(_) => {
            let in_wallet = accounts::balance(&wallet).unwrap_or(0);
            let share_left = accounts::balance(&allowance).unwrap_or(0);
            Error::conflict(if in_wallet < new.amount_cents {
                t!(
                    "corporate_plans.reimbursement.credit_short",
                    left = format_cents(in_wallet, lang),
                    amount = format_cents(new.amount_cents, lang)
                )
            } else {
                t!(
                    "corporate_plans.reimbursement.share_short",
                    left = format_cents(share_left, lang),
                    amount = format_cents(new.amount_cents, lang)
                )
            })
        }
        LedgerError::Conflict(_) => fields::reused(),
        other => other.into(),
    })?;
    let request = Reimbursement {
        plan: plan.id.clone(),
        company: plan.data.company.clone(),
        enrolment: enrolment.id.clone(),
        user_id: user.id.clone(),
        employee_name: enrolment.data.full_name.clone(),
        category: new.category,
        amount_cents: new.amount_cents,
        expense_date: new.expense_date.to_string(),
        receipt_reference: new.receipt_reference,
        description: new.description,
        status: Status::Pending,
        submitted_at: clock::now_ms(),
        decided_at: None,
        decided_by: None,
        reason: None,
        returned_to: None,
        protocol: None,
    };
    let doc = match REIMBURSEMENTS.create(&id, request) {
        // Received: its number in the instance's register, for the receipt. Only a request
        // stored now gets one; the same request sent again is answered with the first.
        Ok(mut doc) => {
            doc.data.protocol = Some(trama_sdk::protocol::register(&format!(
                "corporate-plans reimbursement {}",
                doc.id
            ))?);
            doc.version = REIMBURSEMENTS.put_if_version(&doc.id, &doc.data, doc.version)?;
            doc
        }
        Err(Error::Conflict(_)) => REIMBURSEMENTS
            .get(&id)?
            .ok_or_else(|| Error::internal(format!("reimbursement {id} vanished")))?,
        Err(err) => return Err(err),
    };
    audit::record(
        "reimbursement.requested",
        &doc.id,
        &serde_json::json!({ "plan": doc.data.plan, "amount_cents": doc.data.amount_cents, "receipt": doc.data.receipt_reference }),
    )?;
    Ok(doc)
}

/// The request `id` as HR of `company` sees it (another company's is "not found").
pub fn load_for_company(id: &str, company: &str) -> Result<Doc<Reimbursement>> {
    match REIMBURSEMENTS.get(id)? {
        Some(doc) if doc.data.company == company => Ok(doc),
        _ => Err(Error::not_found(t!(
            "corporate_plans.reimbursement.no_request",
            id = id
        ))),
    }
}

/// A request as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct ReimbursementView {
    pub id: String,
    pub plan: String,
    pub enrolment: String,
    pub employee_name: String,
    pub category: String,
    pub category_label: String,
    pub amount_cents: i64,
    pub amount_text: String,
    pub expense_date: String,
    pub receipt_reference: String,
    pub description: String,
    pub status: Status,
    pub status_label: String,
    pub reason: Option<String>,
    pub returned_to: Option<Returned>,
    pub submitted_utc: String,
    pub decided_utc: Option<String>,
    pub decided_by: Option<String>,
    /// The receipt: its protocol number and time of receipt (none before 1.2).
    pub protocol: Option<trama_sdk::protocol::Protocol>,
    /// What happened to it, oldest first, for the page's timeline.
    pub history: Vec<StepView>,
}

/// One step of a request's history, for the page's timeline.
#[derive(Debug, Clone, Serialize)]
pub struct StepView {
    /// Unix milliseconds (shown in Rome's time).
    pub at_ms: i64,
    pub action: String,
    pub actor: Option<String>,
    pub note: Option<String>,
}

/// Anna Rossi's request for an education expense, for the tests of the pages and the notices
/// that show one: each test sets the amount, the receipt and the decision it is about.
#[cfg(test)]
impl Reimbursement {
    pub fn sample(status: Status, amount_cents: i64, receipt_reference: &str) -> Self {
        Reimbursement {
            plan: "p".into(),
            company: "c".into(),
            enrolment: "p.anna".into(),
            user_id: "u".into(),
            employee_name: "Anna Rossi".into(),
            category: "education".into(),
            amount_cents,
            expense_date: "2025-03-01".into(),
            receipt_reference: receipt_reference.into(),
            description: String::new(),
            status,
            submitted_at: 0,
            decided_at: None,
            decided_by: None,
            reason: None,
            returned_to: None,
            protocol: None,
        }
    }
}

impl ReimbursementView {
    pub fn new(doc: &Doc<Reimbursement>, lang: Lang) -> Self {
        let r = &doc.data;
        Self {
            id: doc.id.clone(),
            plan: r.plan.clone(),
            enrolment: r.enrolment.clone(),
            employee_name: r.employee_name.clone(),
            category: r.category.clone(),
            category_label: category::label(&r.category),
            amount_cents: r.amount_cents,
            amount_text: format_cents(r.amount_cents, lang),
            expense_date: r.expense_date.clone(),
            receipt_reference: r.receipt_reference.clone(),
            description: r.description.clone(),
            status: r.status,
            status_label: r.status.label(),
            reason: r.reason.clone(),
            returned_to: r.returned_to,
            submitted_utc: clock::DateTime::from_unix_ms(r.submitted_at).to_string(),
            decided_utc: r
                .decided_at
                .map(|at| clock::DateTime::from_unix_ms(at).to_string()),
            decided_by: r.decided_by.clone(),
            protocol: r.protocol.clone(),
            history: history(r),
        }
    }
}

/// The steps of `r`: sent by the employee, then HR's decision once there is one.
fn history(r: &Reimbursement) -> Vec<StepView> {
    let mut steps = vec![StepView {
        at_ms: r.submitted_at,
        action: t!("corporate_plans.reimbursement.step_submitted"),
        actor: Some(r.employee_name.clone()),
        note: None,
    }];
    if let Some(at) = r.decided_at {
        let (action, note) = match r.status {
            Status::Approved => (t!("corporate_plans.reimbursement.step_approved"), None),
            _ => (
                t!("corporate_plans.reimbursement.step_rejected"),
                r.reason.clone(),
            ),
        };
        steps.push(StepView {
            at_ms: at,
            action,
            actor: r.decided_by.clone(),
            note,
        });
    }
    steps
}

/// Requests whose indexed `field` equals `value`, newest first.
pub fn by(field: &str, value: &str, limit: u32, offset: u32) -> Result<Vec<Doc<Reimbursement>>> {
    REIMBURSEMENTS
        .query()
        .filter(field, Cmp::Eq, value)
        .order_by_desc("submitted_at")
        .limit(limit)
        .offset(offset)
        .fetch()
}

/// The pending requests of `plan`, oldest first (the order HR works through them).
pub fn pending_of(plan: &str, limit: u32) -> Result<Vec<Doc<Reimbursement>>> {
    REIMBURSEMENTS
        .query()
        .filter("plan", Cmp::Eq, plan)
        .filter("status", Cmp::Eq, "pending")
        .order_by("submitted_at")
        .limit(limit)
        .fetch()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_receipt_written_two_ways_is_one_receipt() {
        assert_eq!(receipt_key("FT 12/2025"), "FT122025");
        assert_eq!(receipt_key("ft-12-2025"), "FT122025");
        assert_eq!(receipt_key("/"), "");
        let long = receipt_key(&"A1".repeat(40));
        assert_eq!(long.len(), 17);
        assert!(long.starts_with('H'));
    }
}
