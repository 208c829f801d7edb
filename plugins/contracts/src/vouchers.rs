//! `vouchers`: voucher campaigns tell other plugins what was issued and spent.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use trama_sdk::events::Payload;

/// A campaign was closed and an application funded: its vouchers exist in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct VoucherIssued {
    pub campaign_id: String,
    pub application_id: String,
    /// The applicant's account; `null` for an application an operator entered for someone
    /// without one.
    pub user_id: Option<String>,
    /// The sum of `vouchers`, in cents.
    pub amount_cents: i64,
    pub vouchers: Vec<IssuedVoucher>,
}

impl Payload for VoucherIssued {
    const NAME: &'static str = "vouchers.voucher_issued";
}

/// One voucher of an issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct IssuedVoucher {
    /// The code the citizen shows at the shop.
    pub code: String,
    pub amount_cents: i64,
}

/// A merchant took (part of) a voucher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct VoucherRedeemed {
    pub redemption_id: String,
    /// The voucher's code.
    pub code: String,
    pub campaign_id: String,
    pub merchant_id: String,
    /// What was taken, in cents.
    pub amount_cents: i64,
    /// What was left on the voucher just after, in cents.
    pub remaining_cents: i64,
}

impl Payload for VoucherRedeemed {
    const NAME: &'static str = "vouchers.voucher_redeemed";
}
