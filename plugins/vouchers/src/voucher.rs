//! Vouchers: a document per voucher (who it belongs to, its face value) and a funded ledger
//! account per voucher holding what is left to spend. The account is the truth about the
//! balance; the document never changes after issue, so redemptions racing on one voucher only
//! meet in the ledger, which refuses to overdraw it.

use serde::{Deserialize, Serialize};
use trama_contracts::vouchers::{self as contract, VoucherIssued};
use trama_sdk::ledger::{self, TransferRequest};
use trama_sdk::store::{Batch, Collection, Doc};
use trama_sdk::{Result, code, events};

use crate::application::IssuedVoucher;
use crate::campaign::{Campaign, budget_account};
use crate::rules::split;

pub const VOUCHERS: Collection<Voucher> = Collection::new("vouchers");

/// Characters of a voucher code ([`trama_sdk::code`]): 60 bits, so a collision among a million
/// vouchers has a probability of about one in two million, and each voucher is created with
/// "must not exist", so even that is caught. The instance's `voucher_code_prefix` is only
/// shown, never stored.
pub const CODE_LEN: usize = 12;

/// A voucher as stored, under its code. `campaign` and `application` are indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Voucher {
    pub campaign: String,
    pub application: String,
    /// The beneficiary's account, when they applied themselves.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Face value in cents.
    pub amount_cents: i64,
    /// Position among the application's vouchers, from 0 (part of its idempotency key).
    pub index: u32,
    pub issued_at: i64,
    /// First day it can be spent, `YYYY-MM-DD` (a later instalment); `None`: from issue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    /// Last day it can be spent; `None`: no end. Indexed, for the lapse job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
    /// What was left went back to the campaign's budget after `valid_until`.
    #[serde(default)]
    pub lapsed: bool,
}

impl Voucher {
    /// When it can be spent.
    pub fn window(&self) -> crate::payment::Window {
        crate::payment::Window {
            from: self.valid_from.clone(),
            until: self.valid_until.clone(),
        }
    }
}

/// The ledger account of a voucher.
pub fn account(code: &str) -> String {
    format!("voucher/{code}")
}

/// The memorandum account counting what was spent of a campaign's vouchers (see
/// [`crate::redeem`]).
pub fn spent_account(campaign: &str) -> String {
    format!("memo/campaign/{campaign}/redeemed")
}

/// The counterpart of every memorandum entry.
pub const MEMO_COUNTERPART: &str = "memo/counterpart";

/// The voucher and what is left on it, if the code exists.
pub fn find(code: &str) -> Result<Option<(Doc<Voucher>, i64)>> {
    let Some(doc) = VOUCHERS.get(code)? else {
        return Ok(None);
    };
    // Issued vouchers always have an account; a missing one means issuing is still under way.
    let balance = ledger::get(&account(code))?.map_or(0, |a| a.balance_cents);
    Ok(Some((doc, balance)))
}

/// The vouchers of an award, not yet stored: each instalment split into the campaign's
/// denominations, with the window its instalment gets (issued today, in the instance's time
/// zone). Used by the closing and by the funding of the next in the ranking alike.
pub fn draw(campaign: &Campaign, amount_cents: i64, now: i64) -> Vec<IssuedVoucher> {
    let today = trama_sdk::local::today(now);
    let terms = &campaign.payment;
    terms
        .parts(amount_cents)
        .into_iter()
        .enumerate()
        .flat_map(|(k, part)| {
            let valid = terms.window(today, u32::try_from(k).unwrap_or(u32::MAX));
            split(part, &campaign.denominations_cents)
                .into_iter()
                .map(move |amount_cents| IssuedVoucher {
                    code: code::draw(CODE_LEN),
                    amount_cents,
                    valid: valid.clone(),
                })
        })
        .collect()
}

/// Adds to `batch` the documents of `vouchers`, issued to application `application`
/// (created with "must not exist", so a code drawn twice fails the batch).
pub fn store_new(
    batch: &mut Batch,
    campaign: &str,
    application: &str,
    user_id: Option<&String>,
    vouchers: &[IssuedVoucher],
    now: i64,
) {
    for (index, v) in vouchers.iter().enumerate() {
        batch.create(
            &VOUCHERS,
            &v.code,
            &Voucher {
                campaign: campaign.to_owned(),
                application: application.to_owned(),
                user_id: user_id.cloned(),
                amount_cents: v.amount_cents,
                index: u32::try_from(index).unwrap_or(u32::MAX),
                issued_at: now,
                valid_from: v.valid.from.clone(),
                valid_until: v.valid.until.clone(),
                lapsed: false,
            },
        );
    }
}

/// The transfers that put the money on `vouchers`, from the campaign's budget, with the keys
/// `issue/{campaign}/{tax code}/{n}` (one funded application per tax code, so once each).
pub fn funding(
    campaign: &str,
    tax_code: &str,
    application: &str,
    vouchers: &[IssuedVoucher],
    note: &str,
) -> Vec<TransferRequest> {
    let budget = budget_account(campaign);
    vouchers
        .iter()
        .enumerate()
        .map(|(n, v)| {
            TransferRequest::new(
                budget.clone(),
                account(&v.code),
                v.amount_cents,
                format!("issue/{campaign}/{tax_code}/{n}"),
            )
            .memo(format!("voucher {} for {application}{note}", v.code))
        })
        .collect()
}

/// Tells the other plugins that `vouchers` were issued to `application`, whose household
/// declared `isee_cents` (published as its band only), and offers them to the person's wallet.
pub fn announce(
    campaign: &str,
    application: &str,
    user_id: Option<&String>,
    isee_cents: Option<i64>,
    vouchers: &[IssuedVoucher],
) -> Result<()> {
    crate::purse::offer(campaign, user_id, vouchers)?;
    events::publish_typed(&VoucherIssued {
        campaign_id: campaign.to_owned(),
        application_id: application.to_owned(),
        user_id: user_id.cloned(),
        amount_cents: vouchers.iter().map(|v| v.amount_cents).sum(),
        vouchers: vouchers
            .iter()
            .map(|v| contract::IssuedVoucher {
                code: v.code.clone(),
                amount_cents: v.amount_cents,
            })
            .collect(),
        isee_band: isee_cents.map(|cents| contract::isee_band(cents).to_owned()),
    })?;
    Ok(())
}
