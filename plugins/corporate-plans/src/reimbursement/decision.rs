//! HR's decision on a request: approving pays the hold out with the payroll, rejecting gives
//! the money back (to the wallet while the plan is open, to the company once it is over). Both
//! use the idempotency key `claim/{r}/decision`, so the ledger itself makes the decision final
//! (see [`crate::reimbursement`]).

use trama_sdk::identity::User;
use trama_sdk::input::{Input, Problems};
use trama_sdk::ledger::{self, LedgerError, TransferRequest};
use trama_sdk::store::Doc;
use trama_sdk::{Error, Result, audit, clock, log, t};

use super::{REIMBURSEMENTS, Reimbursement, Returned, Status};
use crate::{accounts, notice, plan};

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
pub fn read_reason(input: &Input) -> std::result::Result<String, Problems> {
    let reason = input.one("reason").unwrap_or_default().to_owned();
    if (3..=500).contains(&reason.chars().count()) {
        Ok(reason)
    } else {
        let mut problems = Problems::default();
        problems.push("reason", t!("corporate_plans.reimbursement.reason"));
        Err(problems)
    }
}

/// Applies HR's decision to request `doc` (see the module documentation). Deciding again the
/// same way returns the request as decided; deciding otherwise is a `409`.
pub fn decide(
    doc: Doc<Reimbursement>,
    decision: Decision,
    actor: &User,
) -> Result<Doc<Reimbursement>> {
    if doc.data.status != Status::Pending {
        return if doc.data.status == decision.status() {
            Ok(doc)
        } else {
            Err(already(&doc.data))
        };
    }
    let plan = plan::load(&doc.data.plan)?;
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
                    Some(now) if now.data.status != Status::Pending => already(&now.data),
                    _ => Error::conflict(t!("corporate_plans.reimbursement.decided_otherwise")),
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

fn already(request: &Reimbursement) -> Error {
    Error::conflict(t!(
        "corporate_plans.reimbursement.already_decided",
        status = request.status.label().to_lowercase()
    ))
}
