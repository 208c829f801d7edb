//! Instance manifests and plugin descriptions for Trama: parsing, validation and plugin
//! version resolution.
//!
//! A cooperative or a municipality configures its territory with one file,
//! `instances/NAME/instance.toml`, and each plugin describes itself in a `plugin.toml`. The
//! people who write these files are not programmers, so this crate's first job is to say
//! precisely what is wrong: every fault is a [`Diagnostic`] naming the file, the line (or the
//! environment variable), the key and a plain sentence, and checks collect every fault they can
//! instead of stopping at the first.
//!
//! The crate only reads files and checks them; it never starts plugins or touches a database.
//! That keeps `trama check` fast and lets the kernel, tools and tests share one definition of
//! what a valid instance is.
//!
//! - [`load`] reads `instance.toml` with `TRAMA_*` environment variables layered over it
//!   (figment), applies defaults and makes every path absolute.
//! - [`Registry::scan`] finds the plugin packages (folders with a `plugin.toml`).
//! - [`resolve`] picks for each plugin the highest version the manifest accepts and checks
//!   that it can run here: host API, dependencies, capabilities, settings.
//! - [`check`] does all three.

mod budget;
mod capability;
mod database;
mod diagnostic;
mod effective;
mod env;
mod event_schema;
mod extract;
mod fleet;
mod identity;
mod indicators;
mod interval;
mod load;
pub mod locales;
mod locate;
mod mail;
mod manifest;
mod names;
mod overlay;
mod paths;
mod plugin_budget;
mod plugin_meta;
mod registry;
mod resolve;
mod settings;
mod toml_file;
mod versions;

use std::path::Path;

pub use budget::{BudgetSection, Funder, FunderKind};
pub use capability::{Capability, UnknownCapability};
pub use database::redact as redact_url;
pub use diagnostic::{Diagnostic, Diagnostics};
pub use effective::{Effective, effective};
pub use env::ENV_PREFIX;
pub use event_schema::{EventSchema, EventSchemas, INLINE, Mismatch, SchemaSpec};
pub use fleet::{clashes, established_at, fleet_clashes};
pub use identity::{DEFAULT_FISCAL_NUMBER_CLAIM, IdentitySection, MissingSecret, ProviderSection};
pub use indicators::{Aggregate, Indicator, IndicatorKind, IndicatorsSection, Unit};
pub use interval::{IntervalError, parse_interval};
pub use load::{INSTANCE_TOML, load, load_layers, load_with_env, process_env};
pub use mail::{MailSection, TlsMode};
pub use manifest::{
    DatabaseSection, Governance, InstanceSection, Limits, Majority, Manifest, Owner, PluginRequest,
    RegistrySection,
};
pub use overlay::{GOVERNED_KEYS, Overlay, OverlayChange, UngovernedKey, check_governed};
pub use plugin_budget::{BudgetRoutes, KERNEL_ONLY, is_kernel_only};
pub use plugin_meta::{CollectionSpec, EventsSpec, FilesSpec, JobSpec, PluginInfo, PluginMeta};
pub use registry::{COMPONENT_FILE, PLUGIN_TOML, PluginPackage, Registry};
pub use resolve::{ResolvedPlugin, resolve};
pub use settings::{ListItem, SettingSpec, SettingType, SettingsSchema, validate_settings};

/// The version of the host API (`trama:plugin` in `wit/plugin.wit`) this kernel provides.
/// Plugins declare the versions they accept in `plugin.toml` (`api = "^1.0"`).
pub const HOST_API_VERSION: semver::Version = semver::Version::new(1, 10, 0);

/// A manifest together with its resolved plugins.
#[derive(Debug, Clone)]
pub struct Checked {
    pub manifest: Manifest,
    /// Every plugin of the manifest, enabled or not, in name order.
    pub plugins: Vec<ResolvedPlugin>,
}

/// Loads the manifest of the instance in `dir`, scans its plugin folders and resolves its
/// plugins against [`HOST_API_VERSION`]: everything `trama check` and `trama serve` need
/// before any plugin runs.
pub fn check(dir: impl AsRef<Path>) -> Result<Checked, Diagnostics> {
    checked(load(dir)?)
}

/// Like [`check`], with an explicit environment (see [`load_with_env`]).
pub fn check_with_env<I, K, V>(dir: impl AsRef<Path>, env: I) -> Result<Checked, Diagnostics>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    checked(load_with_env(dir, env)?)
}

/// Like [`check`], with the process environment and the approved changes in `overlay` layered
/// over the file: what a running instance actually uses.
pub fn check_with_overlay(
    dir: impl AsRef<Path>,
    overlay: &Overlay,
) -> Result<Checked, Diagnostics> {
    checked(load_layers(dir, process_env(), overlay)?)
}

fn checked(manifest: Manifest) -> Result<Checked, Diagnostics> {
    let registry = Registry::scan(&manifest.registry.plugins)?;
    let plugins = resolve(&manifest, &registry, &HOST_API_VERSION)?;
    let mut faults = Diagnostics::default();
    indicators::check_events(
        &manifest.indicators,
        &plugins,
        &manifest.locator,
        &mut faults,
    );
    if !faults.is_empty() {
        return Err(faults);
    }
    Ok(Checked { manifest, plugins })
}
