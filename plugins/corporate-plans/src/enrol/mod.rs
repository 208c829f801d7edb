//! Enrolling employees in a plan, one by one or from a table, and their activation.
//!
//! **Who the employee is.** Employees are accounts on the instance, named by their username
//! (HR asks each employee for it, or the company sets a convention such as the work e-mail
//! address). The kernel lets anyone register any free username and cannot tell a plugin
//! whether an account exists, so a username alone must not hand a wallet to whoever registers
//! it first. An enrolment is therefore created *pending*, with a one-time **activation code**
//! that HR hands to the employee (the table of codes is in the enrolment report and its CSV):
//! the employee logs in — or signs up — with that username, sees the pending enrolment and
//! enters the code. Both are needed: the code is refused from any other account, and the
//! username without the code gets nothing. Five wrong codes lock the enrolment until HR issues
//! a new code.
//!
//! **Money.** Enrolling moves the employee's credit from the plan's budget to their wallet at
//! once (`plan/{p}/budget` → `wallet/{e}`, key `enrol/{e}`), and, if the plan has a
//! reimbursable share, opens their allowance (`memo/allowance` → `allowance/{e}`, key
//! `enrol/{e}/allowance`); both in one `transfer_all`. The budget is funded, so the plan can
//! never promise more than it holds: a row that does not fit is reported, not enrolled. The
//! enrolment's id is `{plan}.{username}`, so an employee is enrolled once per plan however
//! often the table is uploaded, and the idempotency keys make a retried upload pay nobody
//! twice. Money moves before the enrolment is written: an enrolment that exists is funded.
//!
//! **Tables: good rows in, bad rows reported.** An upload enrols every valid row and answers
//! with the rows it could not enrol, each with its line number and what is wrong; nothing is
//! all-or-nothing. A company of two thousand employees should not wait for one mistyped level
//! to be fixed before everyone else can use their credit, and the report tells HR exactly
//! which lines to correct. Uploading the corrected file again is safe: rows already enrolled
//! with the same details are counted as unchanged, not as errors. Problems with the file
//! itself (no `username` column, an unknown column, an unclosed quote, too many rows) refuse
//! the whole upload before anything is enrolled.

use serde::{Deserialize, Serialize};
use trama_sdk::i18n::Lang;
use trama_sdk::identity::User;
use trama_sdk::ledger::{self, AccountKind, LedgerError, TransferRequest};
use trama_sdk::money::format_cents;
use trama_sdk::store::{Batch, Cmp, Collection, Doc};
use trama_sdk::{Error, Result, audit, clock, t};

use crate::accounts;
use crate::credit::Credit;
use crate::fields::{CODE_LEN, shown_code};
use crate::plan::Plan;
use trama_sdk::code;

mod activation;
mod check;

pub use activation::{activate, new_code};
pub use check::{CheckedTable, Fields, RowError, check, check_table, parse_username};

pub const ENROLMENTS: Collection<Enrolment> = Collection::new("enrolments");

/// Fields of a single enrolment in JSON.
pub const JSON_FIELDS: &[&str] = &[
    "username",
    "full_name",
    "employee_code",
    "level",
    "dependants",
];
/// The most rows one upload may hold; larger companies upload in parts.
pub const MAX_ROWS: usize = 1000;
/// Wrong activation codes before an enrolment locks.
pub const MAX_FAILED_ATTEMPTS: u32 = 5;
/// Rows funded by one ledger `transfer_all` and written by one store batch.
const GROUP: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Funded, waiting for the employee's activation code.
    Pending,
    /// Linked to the employee's account.
    Active,
}

/// An employee in a plan, id `{plan}.{username}`. `plan`, `company`, `username`, `user_id` and
/// `status` are indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolment {
    pub plan: String,
    pub company: String,
    pub username: String,
    pub full_name: String,
    #[serde(default)]
    pub employee_code: Option<String>,
    #[serde(default)]
    pub level: Option<String>,
    pub dependants: u32,
    pub credit_cents: i64,
    pub reimbursable_cents: i64,
    pub status: Status,
    /// Present while pending.
    #[serde(default)]
    pub activation_code: Option<String>,
    #[serde(default)]
    pub failed_attempts: u32,
    #[serde(default)]
    pub user_id: Option<String>,
    pub enrolled_at: i64,
    pub enrolled_by: String,
    #[serde(default)]
    pub activated_at: Option<i64>,
}

/// The enrolment id of `username` in `plan`.
pub fn enrolment_id(plan: &str, username: &str) -> String {
    format!("{plan}.{username}")
}

/// An employee to enrol, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEnrolment {
    pub username: String,
    pub full_name: String,
    pub employee_code: Option<String>,
    /// As the plan spells it.
    pub level: Option<String>,
    pub dependants: u32,
    pub credit: Credit,
}

/// What an enrolment run did.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub enrolled: Vec<(usize, Doc<Enrolment>)>,
    /// Rows already enrolled with the same details: line and enrolment id.
    pub unchanged: Vec<(usize, String)>,
    pub errors: Vec<RowError>,
}

/// Whether an existing enrolment says the same as a new row (a re-upload).
fn same(existing: &Enrolment, new: &NewEnrolment) -> bool {
    existing.full_name == new.full_name
        && existing.employee_code == new.employee_code
        && existing.level == new.level
        && existing.dependants == new.dependants
        && existing.credit_cents == new.credit.total_cents
}

fn funding(plan: &str, id: &str, credit: Credit) -> Vec<TransferRequest> {
    let mut transfers = vec![
        TransferRequest::new(
            accounts::plan_budget(plan),
            accounts::wallet(id),
            credit.total_cents,
            format!("enrol/{id}"),
        )
        .memo("credit of the plan"),
    ];
    if credit.reimbursable_cents > 0 {
        transfers.push(
            TransferRequest::new(
                accounts::MEMO_ALLOWANCE,
                accounts::allowance(id),
                credit.reimbursable_cents,
                format!("enrol/{id}/allowance"),
            )
            .memo("reimbursable part of the credit"),
        );
    }
    transfers
}

fn budget_error(left: i64, credit: i64, lang: Lang) -> String {
    t!(
        "corporate_plans.enrol.budget_short",
        left = format_cents(left, lang),
        credit = format_cents(credit, lang)
    )
}

/// Enrols `rows` (each with its line; 0 for a single enrolment) in `plan`: see the module
/// documentation for what happens to each.
pub fn enrol(
    plan: &Doc<Plan>,
    rows: Vec<(usize, NewEnrolment)>,
    actor: &User,
    lang: Lang,
) -> Result<Outcome> {
    let today = clock::today();
    if plan.data.is_over(today) {
        return Err(Error::invalid(t!(
            "corporate_plans.enrol.plan_closed",
            title = plan.data.title
        )));
    }
    let now = clock::now_ms();
    let mut outcome = Outcome::default();
    let mut left = accounts::balance(&accounts::plan_budget(&plan.id))?;
    let mut accepted: Vec<(usize, String, NewEnrolment)> = Vec::new();
    for (line, new) in rows {
        let id = enrolment_id(&plan.id, &new.username);
        if let Some(existing) = ENROLMENTS.get(&id)? {
            if same(&existing.data, &new) {
                outcome.unchanged.push((line, id));
            } else {
                outcome.errors.push(RowError {
                    line,
                    username: Some(new.username.clone()),
                    message: t!(
                        "corporate_plans.enrol.already_enrolled",
                        username = new.username,
                        name = existing.data.full_name,
                        credit = format_cents(existing.data.credit_cents, lang)
                    ),
                });
            }
            continue;
        }
        if new.credit.total_cents > left {
            outcome.errors.push(RowError {
                line,
                username: Some(new.username.clone()),
                message: budget_error(left, new.credit.total_cents, lang),
            });
            continue;
        }
        left -= new.credit.total_cents;
        accepted.push((line, id, new));
    }
    for group in accepted.chunks(GROUP) {
        for (_, id, new) in group {
            ledger::open(&accounts::wallet(id), AccountKind::Funded)?;
            if new.credit.reimbursable_cents > 0 {
                ledger::open(&accounts::allowance(id), AccountKind::Funded)?;
            }
        }
        let transfers: Vec<TransferRequest> = group
            .iter()
            .flat_map(|(_, id, new)| funding(&plan.id, id, new.credit))
            .collect();
        let funded: Vec<&(usize, String, NewEnrolment)> = match ledger::transfer_all(&transfers) {
            Ok(_) => group.iter().collect(),
            // Someone else drew on the budget meanwhile, or a row was half-enrolled before
            // with other details: fund the rows one by one to find which.
            Err(LedgerError::InsufficientFunds(_) | LedgerError::Conflict(_)) => {
                let mut funded = Vec::new();
                for row in group {
                    let (line, id, new) = row;
                    match ledger::transfer_all(&funding(&plan.id, id, new.credit)) {
                        Ok(_) => funded.push(row),
                        Err(LedgerError::InsufficientFunds(_)) => {
                            let left = accounts::balance(&accounts::plan_budget(&plan.id))?;
                            outcome.errors.push(RowError {
                                line: *line,
                                username: Some(new.username.clone()),
                                message: budget_error(left, new.credit.total_cents, lang),
                            });
                        }
                        Err(LedgerError::Conflict(_)) => outcome.errors.push(RowError {
                            line: *line,
                            username: Some(new.username.clone()),
                            message: t!("corporate_plans.enrol.interrupted"),
                        }),
                        Err(err) => return Err(err.into()),
                    }
                }
                funded
            }
            Err(err) => return Err(err.into()),
        };
        let docs: Vec<(usize, String, Enrolment)> = funded
            .into_iter()
            .map(|(line, id, new)| {
                let enrolment = Enrolment {
                    plan: plan.id.clone(),
                    company: plan.data.company.clone(),
                    username: new.username.clone(),
                    full_name: new.full_name.clone(),
                    employee_code: new.employee_code.clone(),
                    level: new.level.clone(),
                    dependants: new.dependants,
                    credit_cents: new.credit.total_cents,
                    reimbursable_cents: new.credit.reimbursable_cents,
                    status: Status::Pending,
                    activation_code: Some(code::draw(CODE_LEN)),
                    failed_attempts: 0,
                    user_id: None,
                    enrolled_at: now,
                    enrolled_by: actor.username.clone(),
                    activated_at: None,
                };
                (*line, id.clone(), enrolment)
            })
            .collect();
        let mut batch = Batch::new();
        for (_, id, enrolment) in &docs {
            batch.create(&ENROLMENTS, id, enrolment);
        }
        if batch.is_empty() {
            continue;
        }
        match batch.commit() {
            Ok(versions) => {
                for ((line, id, data), version) in docs.into_iter().zip(versions) {
                    outcome.enrolled.push((line, Doc { id, version, data }));
                }
            }
            // A concurrent upload enrolled some of these rows first (with the same credit, or
            // the ledger would have refused the replay): write the others one by one.
            Err(Error::Conflict(_)) => {
                for (line, id, data) in docs {
                    match ENROLMENTS.create(&id, data) {
                        Ok(doc) => outcome.enrolled.push((line, doc)),
                        Err(Error::Conflict(_)) => outcome.unchanged.push((line, id)),
                        Err(err) => return Err(err),
                    }
                }
            }
            Err(err) => return Err(err),
        }
    }
    if !outcome.enrolled.is_empty() {
        let usernames: Vec<&str> = outcome
            .enrolled
            .iter()
            .take(500)
            .map(|(_, doc)| doc.data.username.as_str())
            .collect();
        audit::record(
            "plan.employees_enrolled",
            &plan.id,
            &serde_json::json!({
                "count": outcome.enrolled.len(),
                "credit_cents": outcome.enrolled.iter().map(|(_, d)| d.data.credit_cents).sum::<i64>(),
                "usernames": usernames,
            }),
        )?;
    }
    outcome.enrolled.sort_by_key(|(line, _)| *line);
    outcome.errors.sort_by_key(|e| e.line);
    Ok(outcome)
}

/// The enrolment `id` as HR of `company` sees it (another company's is "not found").
pub fn load_for_company(id: &str, company: &str) -> Result<Doc<Enrolment>> {
    match ENROLMENTS.get(id)? {
        Some(doc) if doc.data.company == company => Ok(doc),
        _ => Err(not_found(id)),
    }
}

/// The caller's enrolment `id`: active and theirs, or "not found".
pub fn load_own(id: &str, user: &User) -> Result<Doc<Enrolment>> {
    match ENROLMENTS.get(id)? {
        Some(doc) if doc.data.user_id.as_deref() == Some(user.id.as_str()) => Ok(doc),
        _ => Err(not_found(id)),
    }
}

fn not_found(id: &str) -> Error {
    Error::not_found(t!("corporate_plans.enrol.no_enrolment", id = id))
}

/// The enrolments of one person.
#[derive(Debug, Clone, Default)]
pub struct Mine {
    /// Linked to their account.
    pub active: Vec<Doc<Enrolment>>,
    /// Waiting for the activation code of their username.
    pub pending: Vec<Doc<Enrolment>>,
}

/// The caller's enrolments: active ones linked to their account, pending ones waiting for
/// their username's activation code.
pub fn of_user(user: &User) -> Result<Mine> {
    let active = ENROLMENTS
        .query()
        .filter("user_id", Cmp::Eq, user.id.as_str())
        .limit(100)
        .fetch()?;
    let pending = ENROLMENTS
        .query()
        .filter("username", Cmp::Eq, user.username.as_str())
        .filter("status", Cmp::Eq, "pending")
        .limit(100)
        .fetch()?;
    Ok(Mine { active, pending })
}

/// An enrolment as pages and the API show it, with its live balances.
#[derive(Debug, Clone, Serialize)]
pub struct EnrolmentView {
    pub id: String,
    pub plan: String,
    pub username: String,
    pub full_name: String,
    pub employee_code: Option<String>,
    pub level: Option<String>,
    pub dependants: u32,
    pub credit_cents: i64,
    pub credit_text: String,
    pub reimbursable_cents: i64,
    pub status: Status,
    pub status_label: String,
    /// Shown to HR while pending, in groups for reading out.
    pub activation_code: Option<String>,
    pub locked: bool,
    pub balance_cents: i64,
    pub balance_text: String,
    /// What may still be claimed as reimbursements: the allowance left, but never more than
    /// the wallet holds.
    pub reimbursable_left_cents: i64,
    pub reimbursable_left_text: String,
}

impl EnrolmentView {
    pub fn new(doc: &Doc<Enrolment>, lang: Lang) -> Result<Self> {
        let e = &doc.data;
        let balance_cents = accounts::balance(&accounts::wallet(&doc.id))?;
        let allowance = if e.reimbursable_cents > 0 {
            accounts::balance(&accounts::allowance(&doc.id))?
        } else {
            0
        };
        let reimbursable_left_cents = allowance.min(balance_cents);
        Ok(Self {
            id: doc.id.clone(),
            plan: e.plan.clone(),
            username: e.username.clone(),
            full_name: e.full_name.clone(),
            employee_code: e.employee_code.clone(),
            level: e.level.clone(),
            dependants: e.dependants,
            credit_cents: e.credit_cents,
            credit_text: format_cents(e.credit_cents, lang),
            reimbursable_cents: e.reimbursable_cents,
            status: e.status,
            status_label: match e.status {
                Status::Pending => t!("corporate_plans.enrol.status_pending"),
                Status::Active => t!("corporate_plans.enrol.status_active"),
            },
            activation_code: e.activation_code.as_deref().map(shown_code),
            locked: e.failed_attempts >= MAX_FAILED_ATTEMPTS,
            balance_cents,
            balance_text: format_cents(balance_cents, lang),
            reimbursable_left_cents,
            reimbursable_left_text: format_cents(reimbursable_left_cents, lang),
        })
    }
}

/// How many employees a plan has, pending and active.
pub fn count(plan: &str) -> Result<(u64, u64)> {
    let pending = ENROLMENTS
        .query()
        .filter("plan", Cmp::Eq, plan)
        .filter("status", Cmp::Eq, "pending")
        .count()?;
    let active = ENROLMENTS
        .query()
        .filter("plan", Cmp::Eq, plan)
        .filter("status", Cmp::Eq, "active")
        .count()?;
    Ok((pending, active))
}
