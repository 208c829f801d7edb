//! Vouchers in the person's welfare wallet (host API 1.10): each voucher issued to an account is
//! offered to that person as a purse, earmarked for the catalogue categories the instance names
//! (`wallet_categories`) and spendable on the days the voucher is. The money never leaves the
//! voucher's own account until it is spent: a shop's redemption and a booking in the services
//! catalogue draw on the same balance, and the ledger refuses to overdraw it whichever comes
//! first. A lapsed voucher is past its last day, so the wallet stops drawing on it by itself.

use trama_sdk::Result;
use trama_sdk::ledger::{self, PurseOffer};

use crate::application::IssuedVoucher;
use crate::campaign::CAMPAIGNS;
use crate::config::Settings;
use crate::voucher;

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
