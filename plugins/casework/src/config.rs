//! The instance's settings of the desk (plugin.toml `[settings]`).

use serde::Deserialize;
use trama_sdk::{Result, settings};

/// The needs taxonomy, the care teams and the privacy notice the desk reads to people.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub needs: Vec<String>,
    pub teams: Vec<String>,
    pub consent_version: String,
    pub consent_text: String,
}

impl Settings {
    pub fn load() -> Result<Self> {
        settings::get::<Self>()
    }
}
