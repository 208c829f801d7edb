//! Semantic versions with messages that show how to write them.

use semver::{Version, VersionReq};
use serde::{Deserialize, Deserializer};

/// Parses a version requirement such as `^1.0`.
pub(crate) fn parse_requirement(text: &str) -> Result<VersionReq, String> {
    VersionReq::parse(text).map_err(|err| {
        format!("{text:?} is not a valid version requirement ({err}); write it like \"^1.0\"")
    })
}

/// Parses a version such as `1.2.0`.
pub(crate) fn parse_version(text: &str) -> Result<Version, String> {
    Version::parse(text)
        .map_err(|err| format!("{text:?} is not a valid version ({err}); write it like \"1.2.0\""))
}

/// Serde adapters that report malformed versions with the messages above.
pub(crate) mod de {
    use std::collections::BTreeMap;

    use super::*;

    pub(crate) fn version<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Version, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_version(&text).map_err(serde::de::Error::custom)
    }

    pub(crate) fn requirement<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<VersionReq, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_requirement(&text).map_err(serde::de::Error::custom)
    }

    /// A table of `name = "requirement"` pairs, such as `[dependencies]`.
    pub(crate) fn requirements<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeMap<String, VersionReq>, D::Error> {
        BTreeMap::<String, String>::deserialize(deserializer)?
            .into_iter()
            .map(|(name, text)| {
                parse_requirement(&text)
                    .map(|req| (name.clone(), req))
                    .map_err(|message| serde::de::Error::custom(format!("`{name}`: {message}")))
            })
            .collect()
    }
}
