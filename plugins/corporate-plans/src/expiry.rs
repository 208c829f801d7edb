//! The `expire-plans` job (every minute): unspent credit goes back to the company when a plan
//! is over.
//!
//! A plan is due the day after its `ends_on` (it is `active` and `ends_on` < today), or at
//! once when HR closed it early (`closing`). The job marks it `closing` — from then on nothing
//! can be bought or claimed on it — and empties it enrolment by enrolment, in username order:
//!
//! - the wallet's balance goes to the company's account (`wallet/{e}` →
//!   `company/{c}/account`, key `expire/{e}/{amount}`);
//! - the allowance left is cleared (`allowance/{e}` → `memo/allowance`), so no page shows a
//!   reimbursable amount on an expired plan;
//!
//! then the budget never given to an employee goes back too (`plan/{p}/budget` →
//! `company/{c}/account`), and the plan becomes `expired` with the total returned.
//!
//! The keys carry the amount moved, so a run that replays an enrolment already emptied
//! finds a zero balance and moves nothing, while money that reached a wallet after it was
//! emptied (a request rejected at that very moment) is a different transfer and follows.
//! Requests on hold are not touched: HR still decides them, and a rejected one's money goes
//! to the company (see [`crate::reimbursement`]).
//!
//! The plan keeps its place (`expiry.cursor`, the last username done) after every page, so a
//! run that meets its time budget — or a crash — resumes where it stopped, and a second run
//! working on the same plan loses the optimistic write of the plan and stops.

use trama_sdk::ledger::{self, LedgerError, TransferRequest};
use trama_sdk::store::{Cmp, Doc};
use trama_sdk::{Error, Result, audit, clock, log};

use crate::accounts;
use crate::enrol::{ENROLMENTS, Enrolment};
use crate::plan::{Expiry, PLANS, Plan, State};

pub const EXPIRE_PLANS: &str = "expire-plans";
/// Work one run does before it saves its place and leaves the rest to the next run (the
/// kernel stops a job at 300 s by default).
const RUN_BUDGET_MS: i64 = 120_000;
/// Enrolments emptied per page (and per save of the plan).
const PAGE: u32 = 200;

/// What one run did with one plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    Done(i64),
    Partial,
    /// Another run wrote the plan first.
    Busy,
}

pub fn run() -> Result<()> {
    let start = clock::now_ms();
    let deadline = start + RUN_BUDGET_MS;
    let today = clock::today().to_string();
    let due = PLANS
        .query()
        .filter("state", Cmp::Eq, "active")
        .filter("ends_on", Cmp::Lt, today.as_str())
        .fetch_all()?;
    for mut doc in due {
        doc.data.state = State::Closing;
        match PLANS.put_if_version(&doc.id, &doc.data, doc.version) {
            Ok(_) => log::info(format!(
                "plan {} ended on {}; returning its unspent credit",
                doc.id, doc.data.ends_on
            )),
            Err(Error::Conflict(_)) => {}
            Err(err) => return Err(err),
        }
    }
    let closing = PLANS
        .query()
        .filter("state", Cmp::Eq, "closing")
        .fetch_all()?;
    for doc in closing {
        if clock::now_ms() > deadline {
            break;
        }
        // One plan that cannot be emptied must not hold back the others.
        match expire(doc.clone(), deadline) {
            Ok(Progress::Done(returned)) => log::info(format!(
                "plan {} expired: {returned} cents returned to company {}",
                doc.id, doc.data.company
            )),
            Ok(Progress::Partial) => {
                log::info(format!("plan {}: expiry continues next run", doc.id))
            }
            Ok(Progress::Busy) => {
                log::debug(format!("plan {} is being expired by another run", doc.id))
            }
            Err(err) => log::error(format!(
                "expiring plan {} failed; the next run tries again: {err}",
                doc.id
            )),
        }
    }
    Ok(())
}

/// Empties the wallets of `plan` from where the last run stopped, until done or `deadline`.
pub fn expire(mut plan: Doc<Plan>, deadline: i64) -> Result<Progress> {
    let company = accounts::company_account(&plan.data.company);
    let mut expiry = plan.data.expiry.clone().unwrap_or(Expiry {
        cursor: None,
        returned_cents: 0,
        started_at: clock::now_ms(),
        finished_at: None,
    });
    loop {
        let mut query = ENROLMENTS.query().filter("plan", Cmp::Eq, plan.id.as_str());
        if let Some(cursor) = &expiry.cursor {
            query = query.filter("username", Cmp::Gt, cursor.as_str());
        }
        let page = query.order_by("username").limit(PAGE).fetch()?;
        for enrolment in &page {
            expiry.returned_cents += empty(enrolment, &company)?;
            expiry.cursor = Some(enrolment.data.username.clone());
        }
        let finished = (page.len() as u32) < PAGE;
        if finished {
            let budget = accounts::plan_budget(&plan.id);
            let left = accounts::balance(&budget)?;
            if left > 0 {
                ledger::transfer(
                    &TransferRequest::new(
                        &*budget,
                        &*company,
                        left,
                        format!("expire/{}/budget/{left}", plan.id),
                    )
                    .memo("unused budget of an expired plan"),
                )?;
                expiry.returned_cents += left;
            }
            expiry.finished_at = Some(clock::now_ms());
            plan.data.state = State::Expired;
        }
        plan.data.expiry = Some(expiry.clone());
        match PLANS.put_if_version(&plan.id, &plan.data, plan.version) {
            Ok(version) => plan.version = version,
            Err(Error::Conflict(_)) => return Ok(Progress::Busy),
            Err(err) => return Err(err),
        }
        if finished {
            audit::record(
                "plan.expired",
                &plan.id,
                &serde_json::json!({
                    "returned_cents": expiry.returned_cents,
                    "company": plan.data.company,
                    "closed_early_on": plan.data.closed_early_on,
                }),
            )?;
            return Ok(Progress::Done(expiry.returned_cents));
        }
        if clock::now_ms() > deadline {
            return Ok(Progress::Partial);
        }
    }
}

/// Returns what is left in one enrolment's wallet to the company and clears its allowance;
/// the cents returned.
fn empty(enrolment: &Doc<Enrolment>, company: &str) -> Result<i64> {
    let wallet = accounts::wallet(&enrolment.id);
    let allowance = accounts::allowance(&enrolment.id);
    // A purchase that started before the plan closed may still land: read again and retry.
    for _ in 0..3 {
        let balance = accounts::balance(&wallet)?;
        let share = if enrolment.data.reimbursable_cents > 0 {
            accounts::balance(&allowance)?
        } else {
            0
        };
        let mut transfers = Vec::new();
        if balance > 0 {
            transfers.push(
                TransferRequest::new(
                    &*wallet,
                    company,
                    balance,
                    format!("expire/{}/{balance}", enrolment.id),
                )
                .memo("unspent credit of an expired plan"),
            );
        }
        if share > 0 {
            transfers.push(
                TransferRequest::new(
                    &*allowance,
                    accounts::MEMO_ALLOWANCE,
                    share,
                    format!("expire/{}/allowance/{share}", enrolment.id),
                )
                .memo("reimbursable share of an expired plan"),
            );
        }
        if transfers.is_empty() {
            return Ok(0);
        }
        match ledger::transfer_all(&transfers) {
            Ok(_) => return Ok(balance),
            Err(LedgerError::InsufficientFunds(_)) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(Error::conflict(format!(
        "the wallet of {} kept changing while it was emptied",
        enrolment.id
    )))
}
