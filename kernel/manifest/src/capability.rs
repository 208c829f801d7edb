//! The host interfaces a plugin may be linked against.
//!
//! A plugin gets a capability only when its `plugin.toml` declares it *and* the instance grants
//! it (deny by default), so a cooperative can see and limit what each plugin can touch.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One host interface of `trama:plugin`, named as in `wit/plugin.wit`.
///
/// New interfaces arrive with new minor versions of the host API (`ledger`, `notify`). The enum
/// is deliberately exhaustive: the kernel matches on it to link each interface
/// (`host::imports::link`), so a new variant does not compile until the kernel links it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Capability {
    /// Document collections of the plugin.
    Store,
    /// The plugin's settings on the instance.
    Settings,
    /// The current user and role checks.
    Identity,
    /// Publishing events.
    Events,
    /// Writing to the instance's audit log.
    Audit,
    /// Logging; ambient.
    Log,
    /// The current time; ambient.
    Clock,
    /// Money in integer cents on double-entry accounts (host API 1.1).
    Ledger,
    /// Messages to people through the kernel's outbox (host API 1.2).
    Notify,
    /// The instance's message catalogues; ambient (host API 1.5).
    I18n,
    /// Files sent with a form, kept in the instance's database (host API 1.7).
    Files,
    /// The one-time message after an action, for the page the person sees next; ambient (host
    /// API 1.8).
    Notice,
    /// Numbers from the instance's register of what it receives (host API 1.8).
    Protocol,
    /// Encryption at rest with keys held outside the database (host API 1.9).
    Seal,
    /// Spending the caller's welfare wallet: the purses other plugins offer them (host API
    /// 1.10).
    Wallet,
}

impl Capability {
    /// Every capability this version of the crate knows.
    pub const ALL: [Capability; 15] = [
        Capability::Store,
        Capability::Settings,
        Capability::Identity,
        Capability::Events,
        Capability::Audit,
        Capability::Log,
        Capability::Clock,
        Capability::Ledger,
        Capability::Notify,
        Capability::I18n,
        Capability::Files,
        Capability::Notice,
        Capability::Protocol,
        Capability::Seal,
        Capability::Wallet,
    ];

    /// The interface name, as written in manifests and in the WIT package.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Store => "store",
            Capability::Settings => "settings",
            Capability::Identity => "identity",
            Capability::Events => "events",
            Capability::Audit => "audit",
            Capability::Log => "log",
            Capability::Clock => "clock",
            Capability::Ledger => "ledger",
            Capability::Notify => "notify",
            Capability::I18n => "i18n",
            Capability::Files => "files",
            Capability::Notice => "notice",
            Capability::Protocol => "protocol",
            Capability::Seal => "seal",
            Capability::Wallet => "wallet",
        }
    }

    /// Ambient capabilities harm no one and are always granted; listing them is allowed.
    pub fn is_ambient(self) -> bool {
        matches!(
            self,
            Capability::Log | Capability::Clock | Capability::I18n | Capability::Notice
        )
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A capability name this kernel does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{name}` is not a capability; the capabilities are {}", known())]
pub struct UnknownCapability {
    pub name: String,
}

fn known() -> String {
    Capability::ALL
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl FromStr for Capability {
    type Err = UnknownCapability;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Capability::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownCapability { name: s.to_owned() })
    }
}

impl Serialize for Capability {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Capability {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for capability in Capability::ALL {
            assert_eq!(capability.as_str().parse::<Capability>(), Ok(capability));
        }
    }

    #[test]
    fn an_unknown_name_lists_the_valid_ones() {
        let err = "purse".parse::<Capability>().unwrap_err().to_string();
        assert_eq!(
            err,
            "`purse` is not a capability; the capabilities are store, settings, identity, events, audit, log, clock, ledger, notify, i18n, files, notice, protocol, seal, wallet"
        );
    }
}
