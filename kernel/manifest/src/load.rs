//! Loading `instance.toml`: the file, then the environment over it, then the checks.
//!
//! Each section is deserialized on its own and every check runs on whatever could be read, so
//! one `trama check` lists as many faults as possible instead of one per run.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use figment::providers::Serialized;
use figment::value::{Dict, Value};
use serde::Deserialize;

use crate::capability::Capability;
use crate::diagnostic::Diagnostics;
use crate::env::{self, SECTIONS};
use crate::extract::section;
use crate::locate::Locator;
use crate::manifest::{
    DatabaseSection, Governance, InstanceSection, Limits, Manifest, PluginRequest, RegistrySection,
};
use crate::names::{did_you_mean, is_host, is_identifier, is_slug, list};
use crate::overlay::Overlay;
use crate::paths::absolute;
use crate::toml_file::{TomlFile, root};
use crate::{budget, database, identity, indicators, locales, mail, versions};

/// The manifest's file name inside an instance folder.
pub const INSTANCE_TOML: &str = "instance.toml";

/// Loads the manifest of the instance in `dir`, with `TRAMA_*` variables of the process
/// environment layered over the file.
pub fn load(dir: impl AsRef<Path>) -> Result<Manifest, Diagnostics> {
    load_with_env(dir, process_env())
}

/// The variables of the process environment. Variables that are not valid Unicode cannot be
/// manifest values; they are skipped rather than failing the load.
pub fn process_env() -> impl Iterator<Item = (String, String)> {
    std::env::vars_os()
        .filter_map(|(key, value)| Some((key.into_string().ok()?, value.into_string().ok()?)))
}

/// Loads the manifest of the instance in `dir` with `env` as the environment, so that tests
/// and tools control exactly which variables apply.
pub fn load_with_env<I, K, V>(dir: impl AsRef<Path>, env: I) -> Result<Manifest, Diagnostics>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    load_layers(dir, env, &Overlay::default())
}

/// Loads the manifest of the instance in `dir`: the file, then the changes the coordination
/// table approved (`overlay`), then the environment.
///
/// The environment comes last because it is the deployment's own say (secrets, host names);
/// the overlay only ever touches plugins and the theme.
pub fn load_layers<I, K, V>(
    dir: impl AsRef<Path>,
    env: I,
    overlay: &Overlay,
) -> Result<Manifest, Diagnostics>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let dir = dir.as_ref();
    let (figment, locator, mut diagnostics) = layered(dir, env, overlay)?;
    let root = match root(&figment, &locator) {
        Ok(root) => root,
        Err(faults) => {
            diagnostics.extend(faults);
            diagnostics.sort();
            return Err(diagnostics);
        }
    };
    let raw = RawManifest::read(&root, &locator, &mut diagnostics);
    // The file was just read, so the folder exists; fall back to joining with the working
    // directory if it cannot be canonicalized.
    let dir = dir
        .canonicalize()
        .or_else(|_| std::path::absolute(dir))
        .unwrap_or_else(|_| dir.to_path_buf());
    let manifest = raw.check(&dir, &locator, &mut diagnostics);
    match manifest {
        Some(manifest) => diagnostics.into_result(manifest),
        // A section could not be read, which always comes with its fault.
        None => {
            diagnostics.sort();
            Err(diagnostics)
        }
    }
}

/// The file, the overlay and the environment as one figment, with the origin of every key.
pub(crate) fn layered<I, K, V>(
    dir: &Path,
    env: I,
    overlay: &Overlay,
) -> Result<(figment::Figment, Locator, Diagnostics), Diagnostics>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let shown = dir.join(INSTANCE_TOML);
    let file = TomlFile::read(&shown, &shown)?;
    let mut locator = file.locator.clone();
    for change in overlay.changes() {
        locator.set_source(change.path.clone(), change.source.clone());
    }
    let (layer, env_faults) = env::overrides(env, file.document.as_table(), &mut locator);
    let figment = file
        .figment()
        .merge(Serialized::defaults(overlay.tree()))
        .merge(Serialized::defaults(layer));
    Ok((figment, locator, Diagnostics(env_faults)))
}

/// The sections that could be deserialized; `None` for those that could not.
struct RawManifest {
    instance: Option<InstanceSection>,
    database: Option<RawDatabase>,
    registry: Option<RawRegistry>,
    limits: Option<Limits>,
    governance: Option<Governance>,
    plugins: BTreeMap<String, RawPluginRequest>,
    /// `[mail]`: `None` when absent; `Some(None)` when present but unreadable.
    mail: Option<Option<mail::ReadMail>>,
    /// `[identity]`, checked: `None` when it is wrong (its faults are listed).
    identity: Option<identity::IdentitySection>,
    /// `[budget]`, checked: `None` when it is wrong (its faults are listed).
    budget: Option<budget::BudgetSection>,
    /// `[indicators]`, checked: `None` when it is wrong (its faults are listed).
    indicators: Option<indicators::IndicatorsSection>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    #[serde(default = "default_database_url")]
    url: String,
}

impl Default for RawDatabase {
    fn default() -> Self {
        Self {
            url: default_database_url(),
        }
    }
}

fn default_database_url() -> String {
    "sqlite://data/trama.db".to_owned()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegistry {
    #[serde(default = "default_plugin_paths")]
    plugins: Vec<PathBuf>,
    #[serde(default = "default_themes_path")]
    themes: PathBuf,
}

impl Default for RawRegistry {
    fn default() -> Self {
        Self {
            plugins: default_plugin_paths(),
            themes: default_themes_path(),
        }
    }
}

fn default_plugin_paths() -> Vec<PathBuf> {
    vec![PathBuf::from("../../plugins")]
}

fn default_themes_path() -> PathBuf {
    PathBuf::from("../../themes")
}

/// A `[plugins.NAME]` table before its version and capabilities are parsed, so that a bad
/// one among several does not hide the others.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPluginRequest {
    version: String,
    #[serde(default = "enabled_by_default")]
    enabled: bool,
    #[serde(default)]
    capabilities: Vec<String>,
    #[serde(default)]
    settings: serde_json::Map<String, serde_json::Value>,
}

fn enabled_by_default() -> bool {
    true
}

impl RawManifest {
    fn read(root: &Dict, at: &Locator, diagnostics: &mut Diagnostics) -> Self {
        for key in root.keys().filter(|key| !SECTIONS.contains(&key.as_str())) {
            diagnostics.push(at.diagnostic(
                &[key],
                format!(
                    "unknown section `{key}`{}; the sections are {}",
                    did_you_mean(key, SECTIONS),
                    list(SECTIONS)
                ),
            ));
        }
        let read = |name: &str| -> Option<Value> { root.get(name).cloned() };
        let instance = match read("instance") {
            Some(value) => take(section(&value, &["instance"], at), diagnostics),
            None => {
                diagnostics.push(at.file_diagnostic(
                    None,
                    "the [instance] section is missing: it needs at least id, name and hosts",
                ));
                None
            }
        };
        let database = optional(read("database"), "database", at, diagnostics);
        let registry = optional(read("registry"), "registry", at, diagnostics);
        let limits = optional(read("limits"), "limits", at, diagnostics);
        let governance = optional(read("governance"), "governance", at, diagnostics);
        let mail = read("mail").map(|value| mail::read(&value, at, diagnostics));
        let identity = match read("identity") {
            Some(value) => identity::read(&value, at, diagnostics),
            None => Some(identity::IdentitySection::default()),
        };
        let budget = match read("budget") {
            Some(value) => budget::read(&value, at, diagnostics),
            None => Some(budget::BudgetSection::default()),
        };
        let indicators = match read("indicators") {
            Some(value) => indicators::read(&value, at, diagnostics),
            None => Some(indicators::IndicatorsSection::default()),
        };
        let mut plugins = BTreeMap::new();
        if let Some(value) = read("plugins") {
            match value {
                Value::Dict(_, tables) => {
                    for (name, table) in tables {
                        if let Some(request) =
                            take(section(&table, &["plugins", &name], at), diagnostics)
                        {
                            plugins.insert(name, request);
                        }
                    }
                }
                _ => diagnostics.push(at.diagnostic(
                    &["plugins"],
                    "expected a table of plugins, such as [plugins.hello]",
                )),
            }
        }
        Self {
            instance,
            database,
            registry,
            limits,
            governance,
            plugins,
            mail,
            identity,
            budget,
            indicators,
        }
    }

    /// Applies the defaults and the rules serde cannot express; `None` if a required section
    /// is missing or unreadable.
    fn check(self, dir: &Path, at: &Locator, diagnostics: &mut Diagnostics) -> Option<Manifest> {
        let registry = self
            .registry
            .map(|raw| check_registry(raw, dir, at, diagnostics));
        let database = self.database.and_then(|raw| {
            database::resolve(&raw.url, dir)
                .map_err(|message| diagnostics.push(at.diagnostic(&["database", "url"], message)))
                .ok()
        });
        if let Some(limits) = &self.limits {
            check_limits(limits, at, diagnostics);
        }
        if let Some(governance) = &self.governance
            && !(1..=100).contains(&governance.quorum_percent)
        {
            diagnostics.push(at.diagnostic(
                &["governance", "quorum_percent"],
                format!(
                    "{} is out of range: the quorum is a percentage of the members, between 1 and 100",
                    governance.quorum_percent
                ),
            ));
        }
        if let Some(instance) = &self.instance {
            check_instance(instance, registry.as_ref(), at, diagnostics);
        }
        let plugins: BTreeMap<String, PluginRequest> = self
            .plugins
            .into_iter()
            .filter_map(|(name, raw)| {
                let request = check_plugin(&name, raw, at, diagnostics)?;
                Some((name, request))
            })
            .collect();
        let public_url = self
            .instance
            .as_ref()
            .and_then(|instance| public_url(instance, at, diagnostics));
        let mail = match (self.mail, &self.instance, &public_url) {
            (None, ..) => Some(None),
            (Some(Some(raw)), Some(instance), Some(public_url)) => raw
                .check(&instance.name, public_url, at, diagnostics)
                .map(Some),
            // Unreadable, or no instance to take defaults from: its faults are listed.
            (Some(_), ..) => None,
        };
        let database = database?;
        Some(Manifest {
            file: dir.join(INSTANCE_TOML),
            dir: dir.to_path_buf(),
            instance: self.instance?,
            database: DatabaseSection {
                url: database.url,
                sqlite_file: database.sqlite_file,
            },
            registry: registry?,
            limits: self.limits?,
            governance: self.governance?,
            mail: mail?,
            identity: self.identity?,
            budget: self.budget?,
            indicators: self.indicators?,
            public_url: public_url?,
            plugins,
            locator: at.clone(),
        })
    }
}

/// `[instance] public_url` checked, without its trailing `/`; by default `https://` and the
/// first host (a territory behind TLS on its own name needs nothing more).
fn public_url(
    instance: &InstanceSection,
    at: &Locator,
    diagnostics: &mut Diagnostics,
) -> Option<String> {
    match &instance.public_url {
        Some(url) => {
            let trimmed = url.trim_end_matches('/');
            if crate::names::is_site_url(trimmed) {
                Some(trimmed.to_owned())
            } else {
                diagnostics.push(at.diagnostic(
                    &["instance", "public_url"],
                    format!(
                        "{url:?} is not the address of the site: write it like \"https://servizi.comune.example\" (http or https, a host, no query)"
                    ),
                ));
                None
            }
        }
        None => Some(format!(
            "https://{}",
            instance.hosts.first().map_or("localhost", String::as_str)
        )),
    }
}

/// A section that may be left out, in which case its defaults apply.
fn optional<T: for<'de> Deserialize<'de> + Default>(
    value: Option<Value>,
    name: &str,
    at: &Locator,
    diagnostics: &mut Diagnostics,
) -> Option<T> {
    match value {
        Some(value) => take(section(&value, &[name], at), diagnostics),
        None => Some(T::default()),
    }
}

fn take<T>(
    result: Result<T, Vec<crate::diagnostic::Diagnostic>>,
    diagnostics: &mut Diagnostics,
) -> Option<T> {
    result.map_err(|faults| diagnostics.extend(faults)).ok()
}

fn check_registry(
    raw: RawRegistry,
    dir: &Path,
    at: &Locator,
    diagnostics: &mut Diagnostics,
) -> RegistrySection {
    let plugins: Vec<PathBuf> = raw.plugins.iter().map(|path| absolute(dir, path)).collect();
    for (i, path) in plugins.iter().enumerate() {
        if !path.is_dir() {
            diagnostics.push(at.diagnostic(
                &["registry", "plugins", &i.to_string()],
                format!("the plugin folder {} does not exist", path.display()),
            ));
        }
    }
    let themes = absolute(dir, &raw.themes);
    if !themes.is_dir() {
        diagnostics.push(at.diagnostic(
            &["registry", "themes"],
            format!("the themes folder {} does not exist", themes.display()),
        ));
    }
    RegistrySection { plugins, themes }
}

fn check_limits(limits: &Limits, at: &Locator, diagnostics: &mut Diagnostics) {
    for (key, value, min, max, unit) in limits.ranges() {
        if !(min..=max).contains(&value) {
            diagnostics.push(at.diagnostic(
                &["limits", key],
                format!("{value} is out of range: it must be between {min} and {max} ({unit})"),
            ));
        }
    }
}

fn check_instance(
    instance: &InstanceSection,
    registry: Option<&RegistrySection>,
    at: &Locator,
    diagnostics: &mut Diagnostics,
) {
    if !is_slug(&instance.id) {
        diagnostics.push(at.diagnostic(
            &["instance", "id"],
            format!(
                "{:?} is not a valid instance id: use lower-case letters, digits and dashes",
                instance.id
            ),
        ));
    }
    if instance.name.trim().is_empty() {
        diagnostics.push(at.diagnostic(&["instance", "name"], "the instance needs a name"));
    }
    if instance.hosts.is_empty() {
        diagnostics.push(at.diagnostic(
            &["instance", "hosts"],
            "list at least one host name the instance answers on, such as [\"localhost\"]",
        ));
    }
    let mut seen = BTreeSet::new();
    for (i, host) in instance.hosts.iter().enumerate() {
        let key = ["instance", "hosts", &i.to_string()];
        if !is_host(host) {
            diagnostics.push(at.diagnostic(
                &key,
                format!("{host:?} is not a host name or an IP address (leave out the scheme and the port)"),
            ));
        } else if !seen.insert(host.to_ascii_lowercase()) {
            diagnostics.push(at.diagnostic(&key, format!("{host:?} is listed twice")));
        }
    }
    // A language is available when the default theme or the instance's theme has its
    // catalogue; without a themes folder to look in, only the code's shape can be checked.
    let available = registry
        .filter(|r| r.themes.is_dir())
        .map(|r| locales::available(&r.themes, &instance.theme));
    let known = match &available {
        Some(codes) => codes.contains(&instance.locale),
        None => locales::is_locale_code(&instance.locale),
    };
    if !known {
        let hint = match &available {
            Some(codes) => format!(
                "the themes have catalogues for {} (add `locales/{}.toml` to the theme to offer it)",
                list(codes.iter().map(|l| format!("{l:?}"))),
                instance.locale
            ),
            None => "use a language code such as \"it\" or \"de\"".to_owned(),
        };
        diagnostics.push(at.diagnostic(
            &["instance", "locale"],
            format!("{:?} is not an available language: {hint}", instance.locale),
        ));
    }
    if !is_identifier(&instance.theme) {
        diagnostics.push(at.diagnostic(
            &["instance", "theme"],
            format!(
                "{:?} is not a valid theme name: name a folder under the themes folder",
                instance.theme
            ),
        ));
    } else if let Some(registry) = registry.filter(|r| r.themes.is_dir())
        && !registry.themes.join(&instance.theme).is_dir()
    {
        diagnostics.push(at.diagnostic(
            &["instance", "theme"],
            format!(
                "there is no theme {:?} in {}; the themes there are {}",
                instance.theme,
                registry.themes.display(),
                list(folders_in(&registry.themes))
            ),
        ));
    }
}

/// The names of the subfolders of `dir`, sorted.
fn folders_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|entry| entry.path().is_dir())
                .filter_map(|entry| entry.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn check_plugin(
    name: &str,
    raw: RawPluginRequest,
    at: &Locator,
    diagnostics: &mut Diagnostics,
) -> Option<PluginRequest> {
    let before = diagnostics.len();
    if !is_slug(name) {
        diagnostics.push(at.diagnostic(
            &["plugins", name],
            format!(
                "{name:?} is not a valid plugin name: use lower-case letters, digits and dashes"
            ),
        ));
    }
    let version = versions::parse_requirement(&raw.version)
        .map_err(|message| diagnostics.push(at.diagnostic(&["plugins", name, "version"], message)))
        .ok();
    let mut capabilities = BTreeSet::new();
    for (i, text) in raw.capabilities.iter().enumerate() {
        match text.parse::<Capability>() {
            Ok(capability) => {
                capabilities.insert(capability);
            }
            Err(err) => diagnostics.push(at.diagnostic(
                &["plugins", name, "capabilities", &i.to_string()],
                err.to_string(),
            )),
        }
    }
    if diagnostics.len() > before {
        return None;
    }
    Some(PluginRequest {
        version: version?,
        enabled: raw.enabled,
        capabilities,
        settings: raw.settings,
    })
}
