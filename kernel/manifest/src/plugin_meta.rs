//! `plugin.toml`: what a plugin is, what it needs from the host and what it offers.
//!
//! The file sits beside the plugin's `Cargo.toml` so that the author keeps the two together;
//! the kernel reads only this file (and the built `plugin.wasm`), never the Rust sources.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use semver::{Version, VersionReq};
use serde::Deserialize;

use crate::capability::Capability;
use crate::diagnostic::Diagnostics;
use crate::event_schema::{EventSchemas, SchemaSpec};
use crate::extract;
use crate::locales::is_locale_code;
use crate::locate::Locator;
use crate::names::{is_event_name, is_field_path, is_identifier, is_slug};
use crate::settings::SettingsSchema;
use crate::toml_file::{TomlFile, root};
use crate::{interval, versions};

/// Event names the kernel publishes itself (the welfare wallet tells a purse's owner what
/// moved): plugins subscribe to them, and none may publish under them.
pub const KERNEL_EVENTS: &[&str] = &["wallet."];

/// The whole of a `plugin.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginMeta {
    pub plugin: PluginInfo,
    /// Other plugins that must be enabled on the same instance, with the versions accepted.
    #[serde(default, deserialize_with = "versions::de::requirements")]
    pub dependencies: BTreeMap<String, VersionReq>,
    /// Document collections by name.
    #[serde(default)]
    pub collections: BTreeMap<String, CollectionSpec>,
    #[serde(default)]
    pub settings: SettingsSchema,
    #[serde(default)]
    pub events: EventsSpec,
    #[serde(default)]
    pub jobs: Vec<JobSpec>,
    /// `[files]`: how the kernel keeps the files the plugin keeps (capability `files`).
    #[serde(default)]
    pub files: FilesSpec,
    /// `[budget]`: the plugin's measures, which the coordination table may fund.
    #[serde(default)]
    pub budget: Option<crate::plugin_budget::BudgetRoutes>,
    /// The compiled schemas of `[events.schemas]`, read from the plugin's folder on load.
    #[serde(skip)]
    pub event_schemas: EventSchemas,
}

/// The `[plugin]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginInfo {
    pub name: String,
    #[serde(deserialize_with = "versions::de::version")]
    pub version: Version,
    /// The versions of the host API (`trama:plugin`) the plugin was built for.
    #[serde(deserialize_with = "versions::de::requirement")]
    pub api: VersionReq,
    /// Display name by locale, shown on the instance home page.
    pub title: BTreeMap<String, String>,
    #[serde(default)]
    pub description: BTreeMap<String, String>,
    /// Who the service is for, by locale ("Famiglie residenti con figli a scuola"): shown on
    /// its card on the home page, as Italian public services label theirs.
    #[serde(default)]
    pub audience: BTreeMap<String, String>,
    /// A `GET` route (relative to `/p/NAME`) answering whether the service takes requests now,
    /// as `{open, note?}` (`trama_sdk::availability`): the card on the home page says "Aperto"
    /// or "Chiuso" with the note. Called without a person, on every view of the home page.
    #[serde(default)]
    pub status: Option<String>,
    /// The host interfaces the plugin imports.
    #[serde(default)]
    pub capabilities: BTreeSet<Capability>,
    /// Roles the plugin checks for.
    #[serde(default)]
    pub roles: Vec<String>,
    /// A `GET` route (relative to `/p/NAME`) answering, for the logged-in caller, a JSON array of
    /// `{title, status, href}`: what they applied for or booked. The kernel's "my applications"
    /// page (`/me`) gathers these from every enabled plugin.
    #[serde(default)]
    pub mine: Option<String>,
    /// A route (relative to `/p/NAME`) for what the plugin holds about one person, called by
    /// the kernel as that person: `GET` answers a JSON object of all of it ("download my data"),
    /// `DELETE` erases or pseudonymises it when the administrator carries out an erasure, and
    /// answers `{"erased": n, "kept": [{"what", "why"}]}`. Required of a plugin that stores
    /// anything about people: without it their data would be missing from both.
    #[serde(default)]
    pub personal_data: Option<String>,
    /// Where a person holding one of the plugin's roles starts after logging in: role → a `GET`
    /// route relative to `/p/NAME` (`operator = "/dashboard"`), so an operator lands on their
    /// work queue, not on the citizens' home page. When one plugin of the instance names one of
    /// the person's roles, that page; when several would, the home page; a login that asked to
    /// go somewhere goes there instead.
    #[serde(default)]
    pub landing: BTreeMap<String, String>,
    /// Whether the coordination table may offer the plugin (`listed = false` for test fixtures
    /// and examples): an unlisted plugin is never shown to the table's members, and the kernel
    /// refuses a proposal that names it, so a test plugin cannot reach a real instance by vote.
    #[serde(default = "listed_by_default")]
    pub listed: bool,
}

/// Whether `route` is a path inside the plugin (`/dashboard`): no other site, no query.
fn is_route(route: &str) -> bool {
    route.starts_with('/')
        && !route.starts_with("//")
        && !route.contains(['\\', '?', '#'])
        && !route.chars().any(|c| c.is_control() || c.is_whitespace())
}

fn listed_by_default() -> bool {
    true
}

/// A `[collections.NAME]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionSpec {
    /// The only fields queries may filter or sort on: each costs a row per document write.
    #[serde(default)]
    pub indexes: Vec<String>,
}

/// The `[events]` table.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsSpec {
    #[serde(default)]
    pub publishes: Vec<String>,
    #[serde(default)]
    pub subscribes: Vec<String>,
    /// The JSON schema of each published event's payload: event name → a path inside the
    /// plugin's folder, or the schema inline. Every event in `publishes` needs one.
    #[serde(default)]
    pub schemas: BTreeMap<String, SchemaSpec>,
}

/// The `[files]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilesSpec {
    /// The kernel seals every file the plugin keeps with the instance's seal keys and opens it
    /// when the plugin reads it, so the database and its backups hold no document in clear (a
    /// case file's certificates). The instance then does not start without its seal keys, as
    /// for a plugin granted `seal`. Files kept before stay as they were, readable.
    #[serde(default)]
    pub sealed: bool,
}

/// A `[[jobs]]` entry: a handler the kernel calls on a schedule.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSpec {
    pub name: String,
    #[serde(deserialize_with = "interval::deserialize")]
    pub every: Duration,
}

impl PluginMeta {
    /// Reads and checks the `plugin.toml` at `path`.
    pub fn load(path: &Path) -> Result<Self, Diagnostics> {
        Self::load_located(path).map(|(meta, _)| meta)
    }

    /// Like [`PluginMeta::load`], also returning where each key is, for later checks.
    pub(crate) fn load_located(path: &Path) -> Result<(Self, Locator), Diagnostics> {
        let file = TomlFile::read(path, path)?;
        let root = root(&file.figment(), &file.locator).map_err(Diagnostics)?;
        let locator = file.locator;
        let meta: PluginMeta = extract::section(&figment::value::Value::from(root), &[], &locator)
            .map_err(Diagnostics)?;
        let mut diagnostics = Diagnostics::default();
        let mut meta = meta;
        meta.check(&locator, &mut diagnostics);
        if let Some(budget) = &meta.budget {
            budget.check(&locator, &mut diagnostics);
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        meta.event_schemas =
            EventSchemas::load(dir, &meta.events.schemas, &locator, &mut diagnostics);
        diagnostics.into_result((meta, locator))
    }

    /// Rules serde cannot express: name formats, locales, a coherent settings schema.
    fn check(&self, at: &Locator, diagnostics: &mut Diagnostics) {
        let info = &self.plugin;
        if !is_slug(&info.name) {
            diagnostics.push(at.diagnostic(
                &["plugin", "name"],
                format!(
                    "{:?} is not a valid plugin name: use lower-case letters, digits and dashes",
                    info.name
                ),
            ));
        }
        if info.title.values().all(|title| title.trim().is_empty()) {
            diagnostics.push(at.diagnostic(
                &["plugin", "title"],
                "the plugin needs a title, such as title = { it = \"Saluti\", en = \"Greetings\" }",
            ));
        }
        for (field, texts) in [
            ("title", &info.title),
            ("description", &info.description),
            ("audience", &info.audience),
        ] {
            for locale in texts.keys().filter(|l| !is_locale_code(l)) {
                diagnostics.push(at.diagnostic(
                    &["plugin", field, locale],
                    format!(
                        "`{locale}` is not a language code: use one such as `it`, `en` or `de`"
                    ),
                ));
            }
        }
        for (i, role) in info.roles.iter().enumerate() {
            if !is_identifier(role) {
                diagnostics.push(at.diagnostic(
                    &["plugin", "roles", &i.to_string()],
                    format!("{role:?} is not a valid role name: use lower-case letters, digits and underscores"),
                ));
            }
        }
        for (role, route) in &info.landing {
            if !info.roles.contains(role) {
                diagnostics.push(at.diagnostic(
                    &["plugin", "landing", role],
                    format!("{role:?} is not one of the plugin's roles: list it in `roles` first"),
                ));
            } else if !is_route(route) {
                diagnostics.push(at.diagnostic(
                    &["plugin", "landing", role],
                    format!("{route:?} is not a route of the plugin: write a path such as \"/dashboard\""),
                ));
            }
        }
        for (field, route) in [("mine", &info.mine), ("status", &info.status)] {
            if let Some(route) = route.as_deref().filter(|route| !is_route(route)) {
                diagnostics.push(at.diagnostic(
                    &["plugin", field],
                    format!("{route:?} is not a route of the plugin: write a path such as \"/api/{field}\""),
                ));
            }
        }
        for name in self.dependencies.keys() {
            if name == &info.name {
                diagnostics.push(
                    at.diagnostic(&["dependencies", name], "a plugin cannot depend on itself"),
                );
            } else if !is_slug(name) {
                diagnostics.push(at.diagnostic(
                    &["dependencies", name],
                    format!("{name:?} is not a valid plugin name"),
                ));
            }
        }
        for (name, collection) in &self.collections {
            if !is_identifier(name) {
                diagnostics.push(at.diagnostic(
                    &["collections", name],
                    format!("{name:?} is not a valid collection name: use lower-case letters, digits and underscores"),
                ));
            }
            let mut seen = BTreeSet::new();
            for (i, field) in collection.indexes.iter().enumerate() {
                let key = ["collections", name, "indexes", &i.to_string()];
                if !is_field_path(field) {
                    diagnostics.push(at.diagnostic(
                        &key,
                        format!("{field:?} is not a valid field name: use letters, digits and underscores, with dots for nested fields"),
                    ));
                } else if !seen.insert(field) {
                    diagnostics.push(at.diagnostic(&key, format!("{field:?} is listed twice")));
                }
            }
        }
        for (name, spec) in &self.settings.0 {
            if !is_identifier(name) {
                diagnostics.push(at.diagnostic(
                    &["settings", name],
                    format!("{name:?} is not a valid setting name: use lower-case letters, digits and underscores"),
                ));
            }
            for locale in spec.description.keys().filter(|l| !is_locale_code(l)) {
                diagnostics.push(at.diagnostic(
                    &["settings", name, "description", locale],
                    format!(
                        "`{locale}` is not a language code: use one such as `it`, `en` or `de`"
                    ),
                ));
            }
            for (key, message) in spec.problems() {
                diagnostics.push(at.diagnostic(&["settings", name, key], message));
            }
        }
        for (field, events) in [
            ("publishes", &self.events.publishes),
            ("subscribes", &self.events.subscribes),
        ] {
            for (i, event) in events.iter().enumerate() {
                if !is_event_name(event) {
                    diagnostics.push(at.diagnostic(
                        &["events", field, &i.to_string()],
                        format!("{event:?} is not a valid event name: write it like \"{}.something_happened\"", info.name),
                    ));
                }
            }
        }
        for (i, event) in self.events.publishes.iter().enumerate() {
            if let Some(kernel) = KERNEL_EVENTS
                .iter()
                .find(|prefix| event.starts_with(*prefix))
            {
                diagnostics.push(at.diagnostic(
                    &["events", "publishes", &i.to_string()],
                    format!("event {event:?} belongs to the kernel (`{kernel}…`): a plugin may subscribe to it, not publish it"),
                ));
            }
            if !self.events.schemas.contains_key(event) {
                diagnostics.push(at.diagnostic(
                    &["events", "publishes", &i.to_string()],
                    format!(
                        "event {event:?} has no schema: add `\"{event}\" = \"events/{event}.json\"` under [events.schemas] and the JSON schema of its payload in that file"
                    ),
                ));
            }
        }
        for event in self.events.schemas.keys() {
            if !self.events.publishes.contains(event) {
                diagnostics.push(at.diagnostic(
                    &["events", "schemas", event],
                    format!("event {event:?} is not in [events] publishes: only published events have a schema"),
                ));
            }
        }
        if self.files.sealed && !info.capabilities.contains(&Capability::Files) {
            diagnostics.push(at.diagnostic(
                &["files", "sealed"],
                "sealed files are the files the plugin keeps: add \"files\" to [plugin] capabilities, or remove [files]",
            ));
        }
        let mut jobs = BTreeSet::new();
        for (i, job) in self.jobs.iter().enumerate() {
            let key = ["jobs", &i.to_string(), "name"];
            if !is_identifier(&job.name) {
                diagnostics.push(at.diagnostic(
                    &key,
                    format!("{:?} is not a valid job name: use lower-case letters, digits and underscores", job.name),
                ));
            } else if !jobs.insert(&job.name) {
                diagnostics.push(
                    at.diagnostic(&key, format!("there is already a job named {:?}", job.name)),
                );
            }
        }
    }
}
