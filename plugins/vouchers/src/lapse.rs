//! Vouchers past their last day: what is left on each goes back to its campaign's budget, so
//! the next in the ranking are funded with it ([`crate::scroll`]). Run by the `lapse-vouchers`
//! job.
//!
//! The transfer `voucher/{code}` → `campaign/{id}/budget` has the idempotency key
//! `lapse/{code}`, so two nodes running the job, or a run cut short and repeated, move the
//! money once; the voucher is then marked `lapsed` so the next run does not read it again. A
//! redemption cannot race it: after the last day the shop is refused before the ledger is
//! touched, and a transfer of a balance that changed meanwhile is refused by the ledger and
//! retried on the next run.

use trama_sdk::ledger::{self, LedgerError, TransferRequest};
use trama_sdk::store::Cmp;
use trama_sdk::{Result, clock, local, log, store};

use crate::campaign::budget_account;
use crate::voucher::{self, VOUCHERS};

/// Vouchers read per query.
const PAGE: u32 = 500;

/// Returns what is left on every voucher whose last day has passed; the number of vouchers
/// that had money left.
pub fn run() -> Result<usize> {
    let now = clock::now_ms();
    let today = local::today(now).to_string();
    let mut returned = 0;
    let mut campaigns: Vec<String> = Vec::new();
    loop {
        let page = VOUCHERS
            .query()
            .filter("valid_until", Cmp::Lt, today.as_str())
            .filter("lapsed", Cmp::Eq, false)
            .limit(PAGE)
            .fetch()?;
        if page.is_empty() {
            // Money came back: the next in each ranking may now be funded.
            for campaign in &campaigns {
                crate::scroll::fund_next(campaign, "system", now)?;
            }
            return Ok(returned);
        }
        for mut doc in page {
            let balance =
                ledger::get(&voucher::account(&doc.id))?.map_or(0, |account| account.balance_cents);
            if balance > 0 {
                let transfer = TransferRequest::new(
                    voucher::account(&doc.id),
                    budget_account(&doc.data.campaign),
                    balance,
                    format!("lapse/{}", doc.id),
                )
                .memo(format!(
                    "lapsed on {}",
                    doc.data.valid_until.clone().unwrap_or_default()
                ));
                match ledger::transfer(&transfer) {
                    Ok(_) => {
                        returned += 1;
                        if !campaigns.contains(&doc.data.campaign) {
                            campaigns.push(doc.data.campaign.clone());
                        }
                    }
                    // The balance changed meanwhile: the next run reads it again.
                    Err(
                        LedgerError::InsufficientFunds(message) | LedgerError::Conflict(message),
                    ) => {
                        log::warn(format!("lapse of voucher {}: {message}", doc.id));
                        continue;
                    }
                    Err(err) => return Err(err.into()),
                }
            }
            doc.data.lapsed = true;
            VOUCHERS.put_if_version(&doc.id, &doc.data, doc.version)?;
        }
        store::checkpoint()?;
    }
}
