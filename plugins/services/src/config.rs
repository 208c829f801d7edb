//! The instance's settings of the catalogue (plugin.toml `[settings]`).

use serde::Deserialize;
use trama_sdk::{Result, settings};

/// The taxonomy services are filed under and the cancellation rule.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub categories: Vec<String>,
    /// A person may cancel a booking until this many hours before it starts.
    pub cancel_hours: i64,
}

impl Settings {
    pub fn load() -> Result<Self> {
        settings::get::<Self>()
    }
}
