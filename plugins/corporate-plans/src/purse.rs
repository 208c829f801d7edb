//! Company credit in the employee's welfare wallet (host API 1.10): once an employee activates
//! their enrolment, the credit on `wallet/{enrolment}` is offered to their account as a purse,
//! spendable in the services catalogue (the categories the instance names, or any) on the days
//! of the plan. Purchases from this plugin's own catalogue, reimbursements and a booking in the
//! services catalogue all draw on the same account, which the ledger never overdraws; at the
//! plan's end the expiry returns what is left to the company, and the purse is empty.

use trama_sdk::Result;
use trama_sdk::ledger::{self, PurseOffer};
use trama_sdk::store::Doc;

use crate::accounts;
use crate::config::Settings;
use crate::enrol::Enrolment;
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
