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

/// Each version of a campaign's notice, as published (created, revised, extended, withdrawn):
/// what other plugins may tell people about an open measure — its title, its dates and the
/// simple eligibility rules — so that casework can look, among its own cases, for households
/// that might qualify (welfare di iniziativa) without anything about them leaving casework.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CampaignPublished {
    pub campaign_id: String,
    /// The version of the notice, from 1: a subscriber keeps the highest it has seen.
    pub notice_version: u32,
    pub title: String,
    /// The kind of support (`food`, `bills`, `rent`, …).
    pub measure: String,
    /// Applications are taken from `opens_on` to `closes_on` (Rome's dates, `YYYY-MM-DD`).
    pub opens_on: String,
    pub closes_on: String,
    /// The highest ISEE admitted, in cents; `null` for none (or a rulebook's own rules).
    pub isee_max_cents: Option<i64>,
    /// The smallest household admitted; `null` for any.
    pub household_min: Option<u32>,
    pub residence_required: bool,
    /// The campaign is written as a rulebook whose rules go beyond the three above: the
    /// others' reading of eligibility is a first sift, not the notice's answer.
    pub rulebook: bool,
    /// The notice was withdrawn: it takes no more applications.
    pub withdrawn: bool,
}

impl Payload for CampaignPublished {
    const NAME: &'static str = "vouchers.campaign_published";
}

/// An application was filed (by the person or by an operator for them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ApplicationSubmitted {
    pub campaign_id: String,
    pub application_id: String,
    /// The applicant's key ([`crate::person::key`] of their tax code), never the code.
    pub person: String,
    /// UTC milliseconds.
    pub submitted_at: i64,
}

impl Payload for ApplicationSubmitted {
    const NAME: &'static str = "vouchers.application_submitted";
}

/// How an application ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Funded: vouchers issued or transfers ordered.
    Granted,
    /// Refused by the automatic checks or by an operator.
    Refused,
    /// Eligible, but ranked beyond the budget at the closing.
    NotFunded,
}

/// An application was decided. Published when it is: refused at submission or at review,
/// funded or not funded at the closing, funded later when budget came back (so one
/// application may be `not_funded` first and `granted` after).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ApplicationDecided {
    pub campaign_id: String,
    pub application_id: String,
    /// The applicant's key ([`crate::person::key`]).
    pub person: String,
    pub decision: Decision,
    /// UTC milliseconds.
    pub decided_at: i64,
}

impl Payload for ApplicationDecided {
    const NAME: &'static str = "vouchers.application_decided";
}
