//! The plugin's settings on this instance.
//!
//! The kernel validates them against the `[settings]` schema of `plugin.toml` and fills in the
//! defaults, so a plugin reads them into a struct without checking them again.

use serde::de::DeserializeOwned;

use crate::host::settings as wit;
use crate::{Error, Result};

/// Reads every setting into `T` (usually a struct with one field per setting, or
/// `serde_json::Value`).
pub fn get<T: DeserializeOwned>() -> Result<T> {
    serde_json::from_str(&wit::get()).map_err(|err| {
        Error::internal(format!(
            "the settings do not match what the plugin expects: {err}"
        ))
    })
}
