//! Job intervals such as `30m` or `1h` in `plugin.toml`, read by the parser the SDK shares
//! (`trama_common::interval`).

use std::time::Duration;

use serde::{Deserialize, Deserializer};
pub use trama_common::interval::{IntervalError, parse_interval};

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_interval(&text).map_err(serde::de::Error::custom)
}
