//! The plugin's settings on an instance (declared in `plugin.toml`, validated by the kernel).

use serde::Deserialize;
use trama_sdk::{Result, settings};

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// Shown in page titles and exports.
    pub municipality_name: String,
    /// Printed before voucher codes (`BS-K3JX-…`); never part of the stored code.
    pub voucher_code_prefix: String,
    /// Review rules a new campaign starts with, e.g. `income_loss = yes`.
    pub default_review_rules: Vec<String>,
    /// Seconds of work one run of the `close-campaigns` job does before it saves its place and
    /// leaves the rest to the next run; keep it well below the instance's job deadline.
    pub close_job_seconds: u32,
    /// How long a `pending` redemption is left to the request working on it before the
    /// `recover-redemptions` job settles it from the ledger; well above the HTTP deadline.
    pub recovery_grace_seconds: u32,
    /// The IBAN the treasury pays transfers from (the debtor of the SEPA export); empty until
    /// the instance sets it, and exports are refused until then.
    #[serde(default)]
    pub treasury_iban: String,
    /// The treasury's bank BIC, optional in SEPA.
    #[serde(default)]
    pub treasury_bic: String,
    /// Days a closed campaign's applications are kept before the ones not funded, and every
    /// attached document, are deleted (see [`crate::retention`]).
    pub retention_days: u32,
    /// Categories of the services catalogue a person's vouchers pay for from their welfare
    /// wallet (see [`crate::purse`]); empty: they are not offered to the wallet.
    #[serde(default)]
    pub wallet_categories: Vec<String>,
}

impl Settings {
    pub fn load() -> Result<Self> {
        settings::get()
    }
}
