//! The instance manifest, `instances/NAME/instance.toml`, as the kernel uses it once loaded:
//! every default applied, every path absolute, every value checked.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use semver::VersionReq;
use serde::{Deserialize, Serialize};

use crate::capability::Capability;
use crate::locate::Locator;

/// A loaded and checked `instance.toml`.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The instance folder, absolute.
    pub dir: PathBuf,
    /// The manifest file, absolute.
    pub file: PathBuf,
    pub instance: InstanceSection,
    pub database: DatabaseSection,
    pub registry: RegistrySection,
    pub limits: Limits,
    /// How the coordination table decides on proposals.
    pub governance: Governance,
    /// How the kernel sends its notifications by e-mail; `None`: it sends none.
    pub mail: Option<crate::mail::MailSection>,
    /// How people log in: the password form, OpenID Connect providers.
    pub identity: crate::identity::IdentitySection,
    /// Who funds the territory's fund, which the coordination table allocates to measures.
    pub budget: crate::budget::BudgetSection,
    /// What the territory measures of its services, computed from its plugins' events.
    pub indicators: crate::indicators::IndicatorsSection,
    /// Where the instance is reached from outside, without a trailing `/`: `[instance]
    /// public_url`, else `https://` and its first host. Links in mails and the addresses an
    /// identity provider sends people back to start with it.
    pub public_url: String,
    /// The plugins the instance asks for, by name.
    pub plugins: BTreeMap<String, PluginRequest>,
    /// Where each value came from, so that faults found later (resolution) still name a line.
    pub(crate) locator: Locator,
}

impl Manifest {
    /// The database URL ready to hand to the connection pool: a SQLite file is an absolute
    /// path opened with `mode=rwc` (created when missing).
    pub fn database_url(&self) -> String {
        self.database.url.clone()
    }

    /// The SQLite database file, when the instance uses SQLite; its folder may need creating.
    pub fn sqlite_file(&self) -> Option<&Path> {
        self.database.sqlite_file.as_deref()
    }

    /// The manifest file as the user named it, for messages.
    pub fn shown_file(&self) -> &Path {
        self.locator.file()
    }
}

/// The `[instance]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceSection {
    /// Stable identifier stored in every database row of the instance: `[a-z0-9-]+`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Host names the instance answers on, without ports.
    pub hosts: Vec<String>,
    /// The default language of pages: one with a catalogue in the themes (see [`crate::locales`]).
    #[serde(default = "default_locale")]
    pub locale: String,
    /// A folder under the themes path.
    #[serde(default = "default_theme")]
    pub theme: String,
    /// The address of the site as written (see [`Manifest::public_url`] for the one in use).
    #[serde(default)]
    pub public_url: Option<String>,
    /// The body the platform belongs to (a municipality, a consortium, a company), named on
    /// every page's top bar as Italian public services do.
    #[serde(default)]
    pub owner: Option<Owner>,
}

/// `[instance.owner]`: who runs the territory's platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Owner {
    /// As people know it: "Comune di Borgo Marino".
    pub name: String,
    /// Its own site, linked from the top bar.
    #[serde(default)]
    pub url: Option<String>,
}

fn default_locale() -> String {
    "it".to_owned()
}

fn default_theme() -> String {
    "default".to_owned()
}

/// The `[database]` table, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseSection {
    /// Ready to connect: see [`Manifest::database_url`].
    pub url: String,
    /// The SQLite file, absolute; `None` for PostgreSQL and in-memory SQLite.
    pub sqlite_file: Option<PathBuf>,
}

/// The `[registry]` table, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrySection {
    /// Folders whose subfolders are plugins, absolute.
    pub plugins: Vec<PathBuf>,
    /// The folder of themes, absolute.
    pub themes: PathBuf,
}

/// The `[limits]` table: what one plugin call may use. The defaults suit a small territory
/// on a modest server; the ranges keep a typo from starving the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Memory per plugin call, in MiB: 1..=1024.
    pub memory_mib: u64,
    /// Deadline of an HTTP request handled by a plugin: 1..=60 000 ms.
    pub http_deadline_ms: u64,
    /// Deadline of one event delivery: 1..=600 000 ms.
    pub event_deadline_ms: u64,
    /// Deadline of one scheduled job run (and of install hooks): 1..=3 600 000 ms.
    pub job_deadline_ms: u64,
    /// Accounts one client address may create per hour (a burst of as many, then one every
    /// hour / N): 1..=100 000. A school's or a help desk's address signs up a class or a queue
    /// of people; a script signing up thousands is stopped.
    pub signups_per_hour_per_address: u64,
    /// Writes (POST, PUT, PATCH, DELETE) to plugins one account may make per minute, or one
    /// client address when not logged in: 1..=100 000. An operator at work makes a few a
    /// minute; a runaway script making hundreds a second is stopped.
    pub writes_per_minute_per_account: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory_mib: 64,
            http_deadline_ms: 5_000,
            event_deadline_ms: 30_000,
            job_deadline_ms: 300_000,
            signups_per_hour_per_address: 30,
            writes_per_minute_per_account: 120,
        }
    }
}

impl Limits {
    /// Each limit with its allowed range and what it measures, for the range check.
    pub(crate) fn ranges(&self) -> [(&'static str, u64, u64, u64, &'static str); 6] {
        [
            ("memory_mib", self.memory_mib, 1, 1024, "MiB"),
            ("http_deadline_ms", self.http_deadline_ms, 1, 60_000, "ms"),
            (
                "event_deadline_ms",
                self.event_deadline_ms,
                1,
                600_000,
                "ms",
            ),
            ("job_deadline_ms", self.job_deadline_ms, 1, 3_600_000, "ms"),
            (
                "signups_per_hour_per_address",
                self.signups_per_hour_per_address,
                1,
                100_000,
                "sign-ups",
            ),
            (
                "writes_per_minute_per_account",
                self.writes_per_minute_per_account,
                1,
                100_000,
                "writes",
            ),
        ]
    }
}

/// The `[governance]` table: how the instance's coordination table decides.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Governance {
    /// Percentage of the table's members who must vote (approve, reject or abstain) for a
    /// decision to count: 1..=100.
    pub quorum_percent: u32,
    /// Share of approvals among approve and reject votes needed to pass.
    pub majority: Majority,
    /// How long a proposal stays open for votes, such as `"7d"`.
    #[serde(deserialize_with = "crate::interval::deserialize")]
    pub voting_window: std::time::Duration,
}

impl Default for Governance {
    fn default() -> Self {
        Self {
            quorum_percent: 50,
            majority: Majority::Simple,
            voting_window: std::time::Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// The majority rule of `[governance]`; abstentions count for the quorum, not for the majority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Majority {
    /// More approvals than rejections.
    Simple,
    /// At least two thirds of approve and reject votes are approvals.
    TwoThirds,
    /// Every vote cast (abstentions aside) is an approval, and there is at least one.
    Unanimous,
}

impl Majority {
    /// Whether `yes` approvals against `no` rejections pass.
    pub fn passes(self, yes: u64, no: u64) -> bool {
        match self {
            Majority::Simple => yes > no,
            Majority::TwoThirds => yes > 0 && yes * 3 >= (yes + no) * 2,
            Majority::Unanimous => yes > 0 && no == 0,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Majority::Simple => "simple",
            Majority::TwoThirds => "two_thirds",
            Majority::Unanimous => "unanimous",
        }
    }
}

/// A `[plugins.NAME]` table, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginRequest {
    /// The versions the instance accepts; the highest available one is used.
    pub version: VersionReq,
    /// A disabled plugin is resolved and checked but not loaded.
    pub enabled: bool,
    /// What the instance grants the plugin (ambient capabilities need not be listed).
    pub capabilities: BTreeSet<Capability>,
    /// The settings as written, before validation against the plugin's schema.
    pub settings: serde_json::Map<String, serde_json::Value>,
}
