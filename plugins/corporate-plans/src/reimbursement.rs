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
use trama_sdk::clock::{self, Date};
use trama_sdk::i18n::Lang;
use trama_sdk::identity::User;
use trama_sdk::input::{Input, Problems};
use trama_sdk::ledger::{self, AccountKind, LedgerError, TransferRequest};
use trama_sdk::money::format_cents;
use trama_sdk::store::{Cmp, Collection, Doc};
use trama_sdk::{Error, Result, audit, log};

use crate::accounts;
use crate::category;
use crate::enrol::{self, Enrolment};
use crate::fields::{self, read_amount};
use crate::notice;
use crate::plan::{self, Plan};
use trama_sdk::code;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Approved,
    Rejected,
}

impl Status {
    pub fn key(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Status::Pending => lang.pick("In attesa", "Pending"),
            Status::Approved => lang.pick("Approvato", "Approved"),
            Status::Rejected => lang.pick("Respinto", "Rejected"),
        }
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

/// A request from the employee's form, checked against what can be checked without the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRequest {
    pub enrolment: String,
    pub category: String,
    pub amount_cents: i64,
    pub expense_date: Date,
    pub receipt_reference: String,
    pub description: String,
}

pub fn read(input: &Input, lang: Lang) -> std::result::Result<NewRequest, Problems> {
    let mut problems = Problems::default();
    let enrolment = input.one("enrolment").unwrap_or_default().to_owned();
    if enrolment.is_empty() {
        problems.push(
            "enrolment",
            lang.pick(
                "scegli su quale piano chiedere il rimborso",
                "choose the plan to claim from",
            ),
        );
    }
    let category = match input.one("category").map(category::parse) {
        Some(Some(code)) => code,
        _ => {
            problems.push(
                "category",
                lang.pick(
                    "scegli la categoria della spesa",
                    "choose the expense's category",
                ),
            );
            String::new()
        }
    };
    let amount_cents = read_amount(input, "amount", lang, &mut problems);
    let expense_date = match input.one("expense_date") {
        None => {
            problems.push(
                "expense_date",
                lang.pick(
                    "scrivi la data della spesa",
                    "write the date of the expense",
                ),
            );
            None
        }
        Some(text) => Date::parse(text).ok().or_else(|| {
            problems.push(
                "expense_date",
                match lang {
                    Lang::It => format!("«{text}» non è una data: scrivila come AAAA-MM-GG"),
                    Lang::En => format!("`{text}` is not a date: write it as YYYY-MM-DD"),
                },
            );
            None
        }),
    };
    let receipt_reference = input
        .one("receipt_reference")
        .unwrap_or_default()
        .to_owned();
    if !(2..=100).contains(&receipt_reference.chars().count())
        || receipt_key(&receipt_reference).is_empty()
    {
        problems.push(
            "receipt_reference",
            lang.pick(
                "scrivi il numero della fattura o della ricevuta (con almeno una lettera o cifra)",
                "write the number of the invoice or receipt (with at least one letter or digit)",
            ),
        );
    }
    let description = input.one("description").unwrap_or_default().to_owned();
    if description.chars().count() > 500 {
        problems.push(
            "description",
            lang.pick(
                "la descrizione ha al massimo 500 caratteri",
                "the description has at most 500 characters",
            ),
        );
    }
    match expense_date {
        Some(expense_date) if problems.is_empty() => Ok(NewRequest {
            enrolment,
            category,
            amount_cents,
            expense_date,
            receipt_reference,
            description,
        }),
        _ => Err(problems),
    }
}

/// Why a plan does not accept this request, if it does not.
fn refuse(
    plan: &Plan,
    enrolment: &Enrolment,
    new: &NewRequest,
    today: Date,
    lang: Lang,
) -> Option<String> {
    if let Some(reason) = plan.closed_reason(today, lang) {
        return Some(match lang {
            Lang::It => format!("{reason}: non si possono più chiedere rimborsi"),
            Lang::En => format!("{reason}: reimbursements can no longer be requested"),
        });
    }
    if enrolment.reimbursable_cents == 0 {
        return Some(match lang {
            Lang::It => format!(
                "il piano «{}» non prevede rimborsi: il credito si spende sui servizi del catalogo",
                plan.title
            ),
            Lang::En => format!(
                "the plan “{}” has no reimbursements: its credit is spent on the catalogue's services",
                plan.title
            ),
        });
    }
    if !plan.allows(&new.category) {
        return Some(match lang {
            Lang::It => format!(
                "il piano «{}» non copre la categoria «{}»",
                plan.title,
                category::label(&new.category, lang)
            ),
            Lang::En => format!(
                "the plan “{}” does not cover the category “{}”",
                plan.title,
                category::label(&new.category, lang)
            ),
        });
    }
    let date = new.expense_date.to_string();
    if date < plan.starts_on || date > plan.ends_on {
        return Some(match lang {
            Lang::It => format!(
                "la spesa del {date} è fuori dal periodo del piano, dal {} al {}",
                plan.starts_on, plan.ends_on
            ),
            Lang::En => format!(
                "the expense of {date} is outside the plan's period, {} to {}",
                plan.starts_on, plan.ends_on
            ),
        });
    }
    if new.expense_date > today {
        return Some(match lang {
            Lang::It => format!("la data della spesa, {date}, è nel futuro"),
            Lang::En => format!("the expense's date, {date}, is in the future"),
        });
    }
    None
}

/// Submits `new` for the caller (see the module documentation): `201`-worthy on success,
/// `422` when the plan does not accept it, `409` when the wallet or the reimbursable share is
/// short (saying by how much) or the receipt was already claimed.
pub fn submit(user: &User, new: NewRequest, lang: Lang) -> Result<Doc<Reimbursement>> {
    let enrolment = enrol::load_own(&new.enrolment, user, lang)?;
    let plan = plan::load(&enrolment.data.plan, lang)?;
    let today = clock::today();
    let key = receipt_key(&new.receipt_reference);
    let base = format!("{}.{key}", enrolment.id);
    let mut id = base.clone();
    for n in 1..=MAX_SUBMISSIONS + 1 {
        if n > MAX_SUBMISSIONS {
            return Err(Error::conflict(lang.pick(
                "questa ricevuta è già stata presentata troppe volte",
                "this receipt was already submitted too many times",
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
                return Err(Error::conflict(match lang {
                    Lang::It => format!(
                        "la ricevuta «{}» è già stata presentata per {} ({})",
                        doc.data.receipt_reference,
                        format_cents(doc.data.amount_cents, lang),
                        doc.data.status.label(lang).to_lowercase()
                    ),
                    Lang::En => format!(
                        "the receipt “{}” was already submitted for {} ({})",
                        doc.data.receipt_reference,
                        format_cents(doc.data.amount_cents, lang),
                        doc.data.status.label(lang).to_lowercase()
                    ),
                }));
            }
        }
    }
    if let Some(reason) = refuse(&plan.data, &enrolment.data, &new, today, lang) {
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
                match lang {
                    Lang::It => format!(
                        "il tuo credito residuo è {}: non basta per un rimborso di {}. Nulla è stato addebitato",
                        format_cents(in_wallet, lang),
                        format_cents(new.amount_cents, lang)
                    ),
                    Lang::En => format!(
                        "your credit left is {}: not enough for a reimbursement of {}. Nothing was charged",
                        format_cents(in_wallet, lang),
                        format_cents(new.amount_cents, lang)
                    ),
                }
            } else {
                match lang {
                    Lang::It => format!(
                        "puoi chiedere a rimborso ancora {} (la quota rimborsabile del piano): non {}. Il resto del credito si spende sui servizi del catalogo",
                        format_cents(share_left, lang),
                        format_cents(new.amount_cents, lang)
                    ),
                    Lang::En => format!(
                        "you can still claim {} as reimbursements (the plan's reimbursable share): not {}. The rest of the credit is spent on the catalogue's services",
                        format_cents(share_left, lang),
                        format_cents(new.amount_cents, lang)
                    ),
                }
            })
        }
        LedgerError::Conflict(_) => fields::reused(lang),
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
    };
    let doc = match REIMBURSEMENTS.create(&id, request) {
        Ok(doc) => doc,
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
pub fn load_for_company(id: &str, company: &str, lang: Lang) -> Result<Doc<Reimbursement>> {
    match REIMBURSEMENTS.get(id)? {
        Some(doc) if doc.data.company == company => Ok(doc),
        _ => Err(Error::not_found(match lang {
            Lang::It => format!("non esiste una richiesta di rimborso «{id}»"),
            Lang::En => format!("there is no reimbursement request `{id}`"),
        })),
    }
}

/// HR's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// With an optional note (the payroll month, say).
    Approve(Option<String>),
    /// With the reason the employee reads.
    Reject(String),
}

impl Decision {
    fn status(&self) -> Status {
        match self {
            Decision::Approve(_) => Status::Approved,
            Decision::Reject(_) => Status::Rejected,
        }
    }
}

/// Reads a rejection's reason: 3 to 500 characters.
pub fn read_reason(input: &Input, lang: Lang) -> std::result::Result<String, Problems> {
    let reason = input.one("reason").unwrap_or_default().to_owned();
    if (3..=500).contains(&reason.chars().count()) {
        Ok(reason)
    } else {
        let mut problems = Problems::default();
        problems.push(
            "reason",
            lang.pick(
                "scrivi il motivo del rifiuto (da 3 a 500 caratteri): il dipendente lo leggerà",
                "write why it is rejected (3 to 500 characters): the employee will read it",
            ),
        );
        Err(problems)
    }
}

/// Applies HR's decision to request `doc` (see the module documentation). Deciding again the
/// same way returns the request as decided; deciding otherwise is a `409`.
pub fn decide(
    doc: Doc<Reimbursement>,
    decision: Decision,
    actor: &User,
    lang: Lang,
) -> Result<Doc<Reimbursement>> {
    if doc.data.status != Status::Pending {
        return if doc.data.status == decision.status() {
            Ok(doc)
        } else {
            Err(already(&doc.data, lang))
        };
    }
    let plan = plan::load(&doc.data.plan, lang)?;
    let over = plan.data.is_over(clock::today());
    let hold = accounts::hold(&doc.id);
    let key = format!("claim/{}/decision", doc.id);
    let amount = doc.data.amount_cents;
    let mut returned_to = None;
    let transfers = match &decision {
        Decision::Approve(_) => vec![
            TransferRequest::new(&*hold, accounts::EMPLOYEE_PAYOUTS, amount, key.clone()).memo(
                format!("reimbursement of {} approved", doc.data.receipt_reference),
            ),
        ],
        Decision::Reject(_) if over => {
            returned_to = Some(Returned::Company);
            vec![
                TransferRequest::new(
                    &*hold,
                    accounts::company_account(&doc.data.company),
                    amount,
                    key.clone(),
                )
                .memo(format!(
                    "reimbursement of {} rejected after the plan's end",
                    doc.data.receipt_reference
                )),
            ]
        }
        Decision::Reject(_) => {
            returned_to = Some(Returned::Wallet);
            vec![
                TransferRequest::new(
                    &*hold,
                    accounts::wallet(&doc.data.enrolment),
                    amount,
                    key.clone(),
                )
                .memo(format!(
                    "reimbursement of {} rejected",
                    doc.data.receipt_reference
                )),
                TransferRequest::new(
                    accounts::MEMO_ALLOWANCE,
                    accounts::allowance(&doc.data.enrolment),
                    amount,
                    format!("{key}/allowance"),
                )
                .memo(format!(
                    "reimbursement of {} rejected",
                    doc.data.receipt_reference
                )),
            ]
        }
    };
    if let Err(err) = ledger::transfer_all(&transfers) {
        return Err(match err {
            // Another decision already moved the money: report what the request says now.
            LedgerError::Conflict(_) | LedgerError::InsufficientFunds(_) => {
                match REIMBURSEMENTS.get(&doc.id)? {
                    Some(now) if now.data.status == decision.status() => return Ok(now),
                    Some(now) if now.data.status != Status::Pending => already(&now.data, lang),
                    _ => Error::conflict(lang.pick(
                        "la richiesta è già stata decisa in un altro modo: ricarica la pagina",
                        "the request was already decided otherwise: reload the page",
                    )),
                }
            }
            other => other.into(),
        });
    }
    let mut decided = doc.clone();
    decided.data.status = decision.status();
    decided.data.decided_at = Some(clock::now_ms());
    decided.data.decided_by = Some(actor.username.clone());
    decided.data.reason = match &decision {
        Decision::Approve(note) => note.clone(),
        Decision::Reject(reason) => Some(reason.clone()),
    };
    decided.data.returned_to = returned_to;
    decided.version = match REIMBURSEMENTS.put_if_version(&doc.id, &decided.data, doc.version) {
        Ok(version) => version,
        // The same decision, replayed at the same time: the other write stands.
        Err(Error::Conflict(_)) => {
            return REIMBURSEMENTS
                .get(&doc.id)?
                .ok_or_else(|| Error::internal(format!("reimbursement {} vanished", doc.id)));
        }
        Err(err) => return Err(err),
    };
    if returned_to == Some(Returned::Wallet) {
        return_if_plan_ended(&decided)?;
    }
    audit::record(
        &format!("reimbursement.{}", decided.data.status.key()),
        &decided.id,
        &serde_json::json!({ "amount_cents": amount, "reason": decided.data.reason, "returned_to": returned_to }),
    )?;
    notice::reimbursement_decided(&decided);
    Ok(decided)
}

/// A rejection that gave money back to a wallet while the plan was being closed: the expiry
/// may have emptied the wallet just before, so the money follows the rest to the company.
fn return_if_plan_ended(doc: &Doc<Reimbursement>) -> Result<()> {
    let Some(plan) = plan::PLANS.get(&doc.data.plan)? else {
        return Ok(());
    };
    if plan.data.state == plan::State::Active {
        return Ok(());
    }
    let late = TransferRequest::new(
        accounts::wallet(&doc.data.enrolment),
        accounts::company_account(&doc.data.company),
        doc.data.amount_cents,
        format!("claim/{}/late-return", doc.id),
    )
    .memo("credit returned after the plan's end");
    match ledger::transfer(&late) {
        // Already emptied by the expiry, which took this money with the rest.
        Ok(_) | Err(LedgerError::InsufficientFunds(_)) => Ok(()),
        Err(err) => {
            log::warn(format!("returning {} to the company failed: {err}", doc.id));
            Err(err.into())
        }
    }
}

fn already(request: &Reimbursement, lang: Lang) -> Error {
    Error::conflict(match lang {
        Lang::It => format!(
            "la richiesta è già stata decisa: {}",
            request.status.label(lang).to_lowercase()
        ),
        Lang::En => format!(
            "the request was already decided: {}",
            request.status.label(lang).to_lowercase()
        ),
    })
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
    pub status_label: &'static str,
    pub reason: Option<String>,
    pub returned_to: Option<Returned>,
    pub submitted_utc: String,
    pub decided_utc: Option<String>,
    pub decided_by: Option<String>,
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
            category_label: category::label(&r.category, lang),
            amount_cents: r.amount_cents,
            amount_text: format_cents(r.amount_cents, lang),
            expense_date: r.expense_date.clone(),
            receipt_reference: r.receipt_reference.clone(),
            description: r.description.clone(),
            status: r.status,
            status_label: r.status.label(lang),
            reason: r.reason.clone(),
            returned_to: r.returned_to,
            submitted_utc: clock::DateTime::from_unix_ms(r.submitted_at).to_string(),
            decided_utc: r
                .decided_at
                .map(|at| clock::DateTime::from_unix_ms(at).to_string()),
            decided_by: r.decided_by.clone(),
        }
    }
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

    #[test]
    fn a_request_names_every_missing_field() {
        let problems = read(&Input::default(), Lang::En).unwrap_err();
        let fields: Vec<&str> = problems.0.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "enrolment",
                "category",
                "amount",
                "expense_date",
                "receipt_reference"
            ]
        );
    }

    #[test]
    fn a_plan_refuses_expenses_outside_its_rules() {
        let plan = Plan {
            company: "c".into(),
            title: "Welfare".into(),
            year: 2025,
            starts_on: "2025-01-01".into(),
            ends_on: "2025-12-31".into(),
            rule: crate::credit::CreditRule {
                flat_cents: 100_000,
                levels: Vec::new(),
                per_dependant_cents: 0,
                max_dependants: None,
                refund_share_bp: 3000,
            },
            categories: vec!["education".into()],
            state: plan::State::Active,
            closed_early_on: None,
            closed_by: None,
            funded_cents: 0,
            created_at: 0,
            created_by: "hr".into(),
            expiry: None,
        };
        let enrolment = Enrolment {
            plan: "p".into(),
            company: "c".into(),
            username: "anna".into(),
            full_name: "Anna".into(),
            employee_code: None,
            level: None,
            dependants: 0,
            credit_cents: 100_000,
            reimbursable_cents: 30_000,
            status: enrol::Status::Active,
            activation_code: None,
            failed_attempts: 0,
            user_id: Some("u".into()),
            enrolled_at: 0,
            enrolled_by: "hr".into(),
            activated_at: None,
        };
        let day = |y, m, d| Date::new(y, m, d).unwrap_or_else(|| unreachable!());
        let request = |category: &str, date: Date| NewRequest {
            enrolment: "p.anna".into(),
            category: category.into(),
            amount_cents: 100,
            expense_date: date,
            receipt_reference: "FT1".into(),
            description: String::new(),
        };
        let today = day(2025, 6, 1);
        assert_eq!(
            refuse(
                &plan,
                &enrolment,
                &request("education", day(2025, 5, 1)),
                today,
                Lang::En
            ),
            None
        );
        for (req, expected) in [
            (request("sport", day(2025, 5, 1)), "category"),
            (request("education", day(2024, 12, 31)), "outside"),
            (request("education", day(2025, 6, 2)), "future"),
        ] {
            let reason = refuse(&plan, &enrolment, &req, today, Lang::En).unwrap_or_default();
            assert!(reason.contains(expected), "{reason}");
        }
        let no_share = Enrolment {
            reimbursable_cents: 0,
            ..enrolment.clone()
        };
        assert!(
            refuse(
                &plan,
                &no_share,
                &request("education", day(2025, 5, 1)),
                today,
                Lang::En
            )
            .is_some()
        );
        let closed = Plan {
            state: plan::State::Closing,
            ..plan
        };
        assert!(
            refuse(
                &closed,
                &enrolment,
                &request("education", day(2025, 5, 1)),
                today,
                Lang::En
            )
            .is_some()
        );
    }
}
