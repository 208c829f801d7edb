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

use crate::campaign::{CAMPAIGNS, budget_account};
use crate::voucher::{self, VOUCHERS};

/// Vouchers read per query.
const PAGE: u32 = 500;

/// Returns what is left on every voucher whose last day has passed; the number of vouchers
/// that had money left.
pub fn run() -> Result<usize> {
    let now = clock::now_ms();
    let today = local::today(now).to_string();
    let mut returned = 0;
    let mut stuck: Vec<String> = Vec::new();
    loop {
        let page = VOUCHERS
            .query()
            .filter("valid_until", Cmp::Lt, today.as_str())
            .filter("lapsed", Cmp::Eq, false)
            .limit(PAGE)
            .fetch()?;
        // A page where nothing could be settled would be read again forever: left for the
        // next run.
        if page.is_empty() || page.iter().all(|doc| stuck.contains(&doc.id)) {
            // Money came back, or was added while a campaign was closing, or a call left some
            // of the ranking for the next one: every closed campaign funds whom it now can.
            for campaign in CAMPAIGNS
                .query()
                .filter("state", Cmp::Eq, "closed")
                .fetch_all()?
            {
                crate::scroll::fund_next(&campaign.id, "system", now)?;
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
                    Ok(_) => returned += 1,
                    // The balance changed meanwhile: the next run reads it again.
                    Err(
                        LedgerError::InsufficientFunds(message) | LedgerError::Conflict(message),
                    ) => {
                        log::warn(format!("lapse of voucher {}: {message}", doc.id));
                        stuck.push(doc.id.clone());
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
