//! The instance's settings of the questionnaires (plugin.toml `[settings]`).

use serde::Deserialize;
use trama_sdk::{Result, settings};

/// Which services are followed by a questionnaire, how often one person is asked, and for how
/// long a link can be answered.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub services: Vec<String>,
    pub days_between: u32,
    pub answer_days: u32,
}

impl Settings {
    pub fn load() -> Result<Self> {
        settings::get::<Self>()
    }

    /// Whether the territory asks about `service`.
    pub fn surveys(&self, service: &str) -> bool {
        self.services.iter().any(|s| s == service)
    }
}
