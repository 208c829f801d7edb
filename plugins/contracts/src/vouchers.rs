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
    /// The band of the household's ISEE ([`isee_band`]), so that a territory can count what
    /// it gave by band; absent when the campaign asked no ISEE. The band only, never the
    /// figure: indicators need no more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isee_band: Option<String>,
}

/// The ISEE bands the vouchers' events name, in euros: `0-7500`, `7500-15000`, `15000-25000`,
/// `25000-40000`, `40000+` (each band holds its upper bound).
pub fn isee_band(isee_cents: i64) -> &'static str {
    const BANDS: [(i64, &str); 4] = [
        (750_000, "0-7500"),
        (1_500_000, "7500-15000"),
        (2_500_000, "15000-25000"),
        (4_000_000, "25000-40000"),
    ];
    BANDS
        .iter()
        .find(|(upper, _)| isee_cents <= *upper)
        .map_or("40000+", |(_, band)| band)
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
