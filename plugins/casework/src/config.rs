//! The instance's settings of the desk (plugin.toml `[settings]`).

use serde::Deserialize;
use trama_sdk::files::{Accept, Kind};
use trama_sdk::{Result, settings};

/// The needs taxonomy, the care teams and the privacy notice the desk reads to people; how
/// often a personal plan is reviewed; which documents a case file takes.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub needs: Vec<String>,
    pub teams: Vec<String>,
    pub consent_version: String,
    pub consent_text: String,
    /// Days from one review of the plan (or the opening) to the next, unless the care manager
    /// sets another date.
    #[serde(default = "review_days")]
    pub review_days: u32,
    /// The types of document a case file takes (`pdf`, `jpeg`, `png`, `webp`).
    #[serde(default = "attachment_kinds")]
    pub attachment_kinds: Vec<String>,
    /// The largest document, in KiB.
    #[serde(default = "attachment_max_kb")]
    pub attachment_max_kb: u32,
    /// The levels of the household's situation, gravest first (see [`crate::situation`]);
    /// empty: situations are not assessed.
    #[serde(default = "situation_scale")]
    pub situation_scale: Vec<String>,
}

fn review_days() -> u32 {
    90
}

fn attachment_kinds() -> Vec<String> {
    vec!["pdf".into(), "jpeg".into(), "png".into()]
}

fn attachment_max_kb() -> u32 {
    5120
}

/// The scale of `plugin.toml`, for settings stored before it existed.
fn situation_scale() -> Vec<String> {
    [
        "Grave: bisogni primari non coperti",
        "Critica: difficoltà in più ambiti della vita",
        "Fragile: equilibrio precario, a rischio",
        "Stabile con il sostegno dei servizi",
        "Autonoma: il nucleo fa da sé",
    ]
    .map(str::to_owned)
    .to_vec()
}

impl Settings {
    pub fn load() -> Result<Self> {
        settings::get::<Self>()
    }

    /// What the attachment field accepts (an unknown type in the settings is left out).
    pub fn attachments(&self) -> Accept {
        Accept {
            kinds: self
                .attachment_kinds
                .iter()
                .filter_map(|key| Kind::parse(key))
                .collect(),
            max_kb: self.attachment_max_kb,
        }
    }

    /// Settings for native tests of what reads them.
    #[cfg(test)]
    pub fn sample() -> Self {
        Self {
            needs: vec!["Casa".into(), "Lavoro".into()],
            teams: vec!["Nord".into()],
            consent_version: "v1".into(),
            consent_text: "Informativa".into(),
            review_days: review_days(),
            attachment_kinds: attachment_kinds(),
            attachment_max_kb: attachment_max_kb(),
            situation_scale: situation_scale(),
        }
    }
}
