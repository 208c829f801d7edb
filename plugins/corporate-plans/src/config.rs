//! The plugin's settings on an instance (declared in `plugin.toml`, validated by the kernel).

use serde::Deserialize;
use trama_sdk::{Result, settings};

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// The cooperative that runs the service: page titles and messages to companies.
    pub cooperative_name: String,
}

impl Settings {
    pub fn load() -> Result<Self> {
        settings::get()
    }
}
