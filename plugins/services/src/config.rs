//! The instance's settings of the catalogue (plugin.toml `[settings]`).

use serde::Deserialize;
use trama_sdk::{Result, settings};

/// The taxonomy services are filed under, the cancellation rule and the wallet's order.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub categories: Vec<String>,
    /// A person may cancel a booking until this many hours before it starts.
    pub cancel_hours: i64,
    /// The plugins whose purses pay a booking, in the order they are drawn (host API 1.10
    /// `wallet`); empty: everything is paid directly.
    #[serde(default)]
    pub wallet_owners: Vec<String>,
}

impl Settings {
    pub fn load() -> Result<Self> {
        settings::get::<Self>()
    }
}
