//! Vouchers: a document per voucher (who it belongs to, its face value) and a funded ledger
//! account per voucher holding what is left to spend. The account is the truth about the
//! balance; the document never changes after issue, so redemptions racing on one voucher only
//! meet in the ledger, which refuses to overdraw it.

use serde::{Deserialize, Serialize};
use trama_sdk::Result;
use trama_sdk::ledger;
use trama_sdk::store::{Collection, Doc};

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
