//! The plugins available to an instance: every folder with a `plugin.toml` under the
//! registry paths of its manifest.
//!
//! Several versions of one plugin may sit side by side (an upgrade next to the version in use),
//! so that a manifest or a governance vote can move between them without copying files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use semver::{Version, VersionReq};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::locate::Locator;
use crate::plugin_meta::PluginMeta;

/// The file a plugin is described by.
pub const PLUGIN_TOML: &str = "plugin.toml";
/// The built component, beside `plugin.toml`.
pub const COMPONENT_FILE: &str = "plugin.wasm";

/// One plugin folder.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginPackage {
    /// The folder holding `plugin.toml`.
    pub dir: PathBuf,
    pub meta: PluginMeta,
}

impl PluginPackage {
    pub fn name(&self) -> &str {
        &self.meta.plugin.name
    }

    pub fn version(&self) -> &Version {
        &self.meta.plugin.version
    }

    pub fn manifest_path(&self) -> PathBuf {
        self.dir.join(PLUGIN_TOML)
    }

    /// Where the built component is expected; it may not exist yet (`trama plugin build`).
    pub fn component_path(&self) -> PathBuf {
        self.dir.join(COMPONENT_FILE)
    }

    /// Whether the component has been built.
    pub fn has_component(&self) -> bool {
        self.component_path().is_file()
    }
}

/// Every plugin package found, ordered by name and then version.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Registry {
    packages: Vec<PluginPackage>,
}

impl Registry {
    /// Reads every direct subfolder of `paths` that holds a `plugin.toml`. Folders without one
    /// (build output, notes) are skipped; every broken `plugin.toml` is reported.
    pub fn scan<I, P>(paths: I) -> Result<Self, Diagnostics>
    where
        I: IntoIterator<Item = P>,
        P: AsRef<Path>,
    {
        let mut diagnostics = Diagnostics::default();
        let mut seen_dirs = BTreeSet::new();
        let mut found: BTreeMap<(String, Version), (PluginPackage, Locator)> = BTreeMap::new();
        for path in paths {
            let path = path.as_ref();
            let entries = match std::fs::read_dir(path) {
                Ok(entries) => entries,
                Err(err) => {
                    diagnostics.push(folder_diagnostic(
                        path,
                        format!("this plugin folder cannot be read: {err}"),
                    ));
                    continue;
                }
            };
            let mut dirs: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|dir| dir.join(PLUGIN_TOML).is_file())
                .collect();
            dirs.sort();
            for dir in dirs {
                let canonical = dir.canonicalize().unwrap_or_else(|_| dir.clone());
                if !seen_dirs.insert(canonical) {
                    continue;
                }
                let (meta, locator) = match PluginMeta::load_located(&dir.join(PLUGIN_TOML)) {
                    Ok(loaded) => loaded,
                    Err(faults) => {
                        diagnostics.extend(faults);
                        continue;
                    }
                };
                let key = (meta.plugin.name.clone(), meta.plugin.version.clone());
                if let Some((other, _)) = found.get(&key) {
                    diagnostics.push(locator.diagnostic(
                        &["plugin", "version"],
                        format!(
                            "plugin `{}` {} is also in {}: keep only one copy of each version",
                            key.0,
                            key.1,
                            other.dir.display()
                        ),
                    ));
                    continue;
                }
                found.insert(key, (PluginPackage { dir, meta }, locator));
            }
        }
        let packages = found.into_values().map(|(package, _)| package).collect();
        diagnostics.into_result(Self { packages })
    }

    /// Builds a registry from packages already loaded (tests, tools).
    pub fn from_packages(mut packages: Vec<PluginPackage>) -> Self {
        packages.sort_by(|a, b| (a.name(), a.version()).cmp(&(b.name(), b.version())));
        Self { packages }
    }

    pub fn packages(&self) -> &[PluginPackage] {
        &self.packages
    }

    /// Every version of plugin `name`, lowest first.
    pub fn versions<'a>(
        &'a self,
        name: &'a str,
    ) -> impl DoubleEndedIterator<Item = &'a PluginPackage> + 'a {
        self.packages.iter().filter(move |p| p.name() == name)
    }

    /// The highest version of `name` that `requirement` accepts.
    pub fn best_match(&self, name: &str, requirement: &VersionReq) -> Option<&PluginPackage> {
        self.packages
            .iter()
            .rfind(|p| p.name() == name && requirement.matches(p.version()))
    }

    /// The distinct plugin names, sorted.
    pub fn names(&self) -> BTreeSet<&str> {
        self.packages.iter().map(PluginPackage::name).collect()
    }
}

fn folder_diagnostic(path: &Path, message: String) -> Diagnostic {
    Locator::for_file(path).file_diagnostic(None, message)
}
