//! Company credit in the employee's welfare wallet (host API 1.10): once an employee activates
//! their enrolment, the credit on `wallet/{enrolment}` is offered to their account as a purse,
//! spendable in the services catalogue (the categories the instance names, or any) on the days
//! of the plan. Purchases from this plugin's own catalogue, reimbursements and a booking in the
//! services catalogue all draw on the same account, which the ledger never overdraws; at the
//! plan's end the expiry returns what is left to the company, and the purse is empty.
//!
//! **What the wallet spent.** The plugin subscribes to the kernel's `wallet.drawn` and
//! `wallet.repaid`, and books each movement of an employee's credit in the memorandum
//! `memo/booked/{enrolment}`, once per movement, so that HR's "where the budget is" and the
//! employees' report have a line for the catalogue of services. What a cancelled booking paid
//! back after the plan's expiry emptied that wallet goes on to the company, as the expiry would
//! have sent it, and counts among what was returned (`memo/returned/{plan}`).

use trama_sdk::ledger::{self, PurseOffer, TransferRequest};
use trama_sdk::store::Doc;
use trama_sdk::wallet::Moved;
use trama_sdk::{Error, Result, log};

use crate::accounts;
use crate::config::Settings;
use crate::enrol::{ENROLMENTS, Enrolment};
use crate::plan;

/// Offers the credit of the enrolment `doc`, just activated, to its employee's wallet.
pub fn offer(doc: &Doc<Enrolment>) -> Result<()> {
    let Some(holder) = &doc.data.user_id else {
        return Ok(());
    };
    let settings = Settings::load()?;
    if !settings.offer_to_wallet {
        return Ok(());
    }
    let plan = plan::load(&doc.data.plan)?;
    ledger::offer(&PurseOffer {
        account: accounts::wallet(&doc.id),
        holder: holder.clone(),
        label: plan.data.title.chars().take(200).collect(),
        categories: settings.wallet_categories,
        valid_from: Some(plan.data.starts_on.clone()),
        valid_until: Some(
            plan.data
                .closed_early_on
                .clone()
                .unwrap_or(plan.data.ends_on),
        ),
    })?;
    Ok(())
}

/// Books a movement of an employee's credit through the wallet (see the module's
/// documentation); a redelivery books nothing twice.
pub fn on_moved(moved: &Moved) -> Result<()> {
    let Some(enrolment) = moved.account.strip_prefix("wallet/") else {
        log::warn(format!(
            "wallet movement on `{}`, which is no employee's credit",
            moved.account
        ));
        return Ok(());
    };
    ledger::tally(
        &accounts::booked(enrolment),
        accounts::MEMO_BOOKED,
        moved.spent_cents(),
        &moved.key("memo"),
        format!("{} {}", moved.charger, moved.charge),
    )?;
    if moved.repaid {
        return_if_emptied(enrolment, moved)?;
    }
    Ok(())
}

/// What came back to the wallet of `enrolment` after the plan's expiry emptied it: on to the
/// company, counted among what was returned (in `memo/returned/{plan}`, not in the plan's
/// record, which the expiry job may be writing). Only what the wallet still holds moves: a
/// payment back that landed before the sweep was returned, and counted, by the expiry itself.
fn return_if_emptied(enrolment: &str, moved: &Moved) -> Result<()> {
    let employee = ENROLMENTS.get(enrolment)?.ok_or_else(|| {
        Error::internal(format!(
            "the wallet paid back to enrolment {enrolment}, which does not exist"
        ))
    })?;
    let plan = plan::load(&employee.data.plan)?;
    let Some(expiry) = &plan.data.expiry else {
        return Ok(());
    };
    let emptied = plan.data.state == plan::State::Expired
        || expiry.cursor.as_deref() >= Some(employee.data.username.as_str());
    let wallet = accounts::wallet(enrolment);
    let back = moved.amount_cents.min(accounts::balance(&wallet)?);
    if !emptied || back <= 0 {
        return Ok(());
    }
    ledger::transfer(
        &TransferRequest::new(
            &*wallet,
            accounts::company_account(&plan.data.company),
            back,
            moved.key("expired"),
        )
        .memo("paid back after the plan expired"),
    )?;
    ledger::tally(
        &accounts::returned_late(&plan.id),
        accounts::MEMO_BOOKED,
        back,
        &moved.key("returned"),
        "paid back after the plan expired",
    )?;
    Ok(())
}
