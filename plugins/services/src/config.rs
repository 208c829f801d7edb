//! The instance's settings of the catalogue (plugin.toml `[settings]`).

use serde::Deserialize;
use trama_sdk::files::{Accept, Kind};
use trama_sdk::{Result, settings};

/// The taxonomy services are filed under, the cancellation rule, the wallet's order and the
/// limits of photos.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub categories: Vec<String>,
    /// A person may cancel a booking until this many hours before it starts.
    pub cancel_hours: i64,
    /// The plugins whose purses pay a booking, in the order they are drawn (host API 1.10
    /// `wallet`); empty: everything is paid directly.
    #[serde(default)]
    pub wallet_owners: Vec<String>,
    /// How many photos one service may show.
    pub photos_max: u32,
    /// The largest photo, in KiB.
    pub photo_max_kb: u32,
}

impl Settings {
    pub fn load() -> Result<Self> {
        settings::get::<Self>()
    }

    /// What a photo may be: a JPEG, PNG or WebP image (recognised by the kernel from its
    /// content, not its name) up to `photo_max_kb`.
    pub fn photos(&self) -> Accept {
        Accept {
            kinds: vec![Kind::Jpeg, Kind::Png, Kind::Webp],
            max_kb: self.photo_max_kb,
        }
    }
}
