//! The plugin's settings on an instance (declared in `plugin.toml`, validated by the kernel).

use serde::Deserialize;
use trama_sdk::{Result, settings};

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// The cooperative that runs the service: page titles and messages to companies.
    pub cooperative_name: String,
    /// Whether an activated employee's credit is offered to their welfare wallet (see
    /// [`crate::purse`]), and for which categories of the services catalogue (empty: any).
    #[serde(default = "yes")]
    pub offer_to_wallet: bool,
    #[serde(default)]
    pub wallet_categories: Vec<String>,
}

fn yes() -> bool {
    true
}

impl Settings {
    pub fn load() -> Result<Self> {
        settings::get()
    }
}
