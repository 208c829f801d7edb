//! Vouchers in the person's welfare wallet (host API 1.10): each voucher issued to an account is
//! offered to that person as a purse, earmarked for the catalogue categories the instance names
//! (`wallet_categories`) and spendable on the days the voucher is. The money never leaves the
//! voucher's own account until it is spent: a shop's redemption and a booking in the services
//! catalogue draw on the same balance, and the ledger refuses to overdraw it whichever comes
//! first. A lapsed voucher is past its last day, so the wallet stops drawing on it by itself.
//!
//! **What the wallet spent.** The plugin subscribes to the kernel's `wallet.drawn` and
//! `wallet.repaid`: a voucher that paid for a booking counts in its campaign's spent total
//! exactly as a shop's redemption does (the same memorandum account), and what a cancelled
//! booking paid back leaves it again. Money paid back to a voucher that has meanwhile lapsed
//! goes on to the campaign's budget, as the lapse job would have sent it, so that it funds the
//! next in the ranking instead of waiting on a voucher nobody can spend. A payment back is told
//! only for a draw that was: money that left before the plugin listened is not counted back.

use trama_sdk::ledger::{self, PurseOffer, TransferRequest};
use trama_sdk::wallet::Moved;
use trama_sdk::{Error, Result, log};

use crate::application::IssuedVoucher;
use crate::campaign::{CAMPAIGNS, budget_account};
use crate::config::Settings;
use crate::voucher::{self, MEMO_COUNTERPART, VOUCHERS};

/// Offers `vouchers`, just issued to `user_id` for campaign `campaign`, to their wallet; nothing
/// when the instance offers vouchers to no category or the application has no account.
pub fn offer(campaign: &str, user_id: Option<&String>, vouchers: &[IssuedVoucher]) -> Result<()> {
    let Some(holder) = user_id else {
        return Ok(());
    };
    let settings = Settings::load()?;
    if settings.wallet_categories.is_empty() || vouchers.is_empty() {
        return Ok(());
    }
    let title = CAMPAIGNS
        .get(campaign)?
        .map_or_else(|| campaign.to_owned(), |doc| doc.data.title);
    let label: String = format!("{title} · {}", settings.municipality_name)
        .chars()
        .take(200)
        .collect();
    for v in vouchers {
        ledger::offer(&PurseOffer {
            account: voucher::account(&v.code),
            holder: holder.clone(),
            label: label.clone(),
            categories: settings.wallet_categories.clone(),
            valid_from: v.valid.from.clone(),
            valid_until: v.valid.until.clone(),
        })?;
    }
    Ok(())
}

/// Books a movement of one of the vouchers' purses in its campaign's spent total, once per
/// movement (the memorandum transfer's key is the movement's), and sends what came back to a
/// lapsed voucher on to the campaign's budget.
pub fn on_moved(moved: &Moved) -> Result<()> {
    let Some(code) = moved.account.strip_prefix("voucher/") else {
        log::warn(format!(
            "wallet movement on `{}`, which is no voucher",
            moved.account
        ));
        return Ok(());
    };
    let doc = VOUCHERS.get(code)?.ok_or_else(|| {
        Error::internal(format!(
            "the wallet moved money on voucher {code}, which does not exist"
        ))
    })?;
    let campaign = &doc.data.campaign;
    let what = if moved.repaid { "paid back" } else { "spent" };
    ledger::tally(
        &voucher::spent_account(campaign),
        MEMO_COUNTERPART,
        moved.spent_cents(),
        &moved.key("memo"),
        format!("{what} {} via {}", moved.charge, moved.charger),
    )?;
    if moved.repaid && doc.data.lapsed {
        // Only what the voucher still holds: a payment back that landed before the lapse job
        // swept the voucher went to the budget with the rest.
        let account = voucher::account(code);
        let back = moved
            .amount_cents
            .min(ledger::get(&account)?.map_or(0, |a| a.balance_cents));
        if back > 0 {
            let onward = TransferRequest::new(
                &*account,
                budget_account(campaign),
                back,
                moved.key("lapsed"),
            )
            .memo(format!("paid back after voucher {code} lapsed"));
            ledger::transfer(&onward)?;
        }
    }
    Ok(())
}
