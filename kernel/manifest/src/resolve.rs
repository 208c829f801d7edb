//! Choosing, for each plugin a manifest asks for, the package to load, and checking that the
//! choice can work: host API, dependencies, capabilities and settings.
//!
//! Every fault is reported against the manifest line the cooperative would change.

use std::collections::{BTreeMap, BTreeSet};

use semver::Version;

use crate::capability::Capability;
use crate::diagnostic::Diagnostics;
use crate::locate::Locator;
use crate::manifest::{Manifest, PluginRequest};
use crate::names::{did_you_mean, list};
use crate::registry::{PluginPackage, Registry};
use crate::settings::validate_settings;

/// A plugin of the manifest bound to a package, ready for the kernel to load.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedPlugin {
    pub name: String,
    pub package: PluginPackage,
    pub enabled: bool,
    /// What the plugin may import: declared in `plugin.toml` and granted by the instance, plus
    /// the ambient capabilities.
    pub capabilities: BTreeSet<Capability>,
    /// The settings, validated, with defaults filled in: a JSON object.
    pub settings: serde_json::Value,
}

/// Resolves every plugin of `manifest` against `registry` for a kernel speaking `host_api`.
/// Plugins come back in name order.
pub fn resolve(
    manifest: &Manifest,
    registry: &Registry,
    host_api: &Version,
) -> Result<Vec<ResolvedPlugin>, Diagnostics> {
    let at = &manifest.locator;
    let mut diagnostics = Diagnostics::default();
    let mut resolved = Vec::new();
    for (name, request) in &manifest.plugins {
        let Some(package) = choose(name, request, registry, host_api, at, &mut diagnostics) else {
            continue;
        };
        let before = diagnostics.len();
        let capabilities = grant(name, request, package, at, &mut diagnostics);
        let settings = validate_settings(
            &package.meta.settings,
            &serde_json::Value::Object(request.settings.clone()),
        )
        .map_err(|faults| {
            for (setting, message) in faults {
                let mut key = vec!["plugins", name.as_str(), "settings"];
                if !setting.is_empty() {
                    key.push(&setting);
                }
                diagnostics.push(at.diagnostic(&key, message));
            }
        });
        if let (Ok(settings), true) = (settings, diagnostics.len() == before) {
            resolved.push(ResolvedPlugin {
                name: name.clone(),
                package: package.clone(),
                enabled: request.enabled,
                capabilities,
                settings,
            });
        }
    }
    check_dependencies(manifest, &resolved, at, &mut diagnostics);
    diagnostics.into_result(resolved)
}

/// The highest available version the request accepts, if it suits this kernel.
fn choose<'r>(
    name: &str,
    request: &PluginRequest,
    registry: &'r Registry,
    host_api: &Version,
    at: &Locator,
    diagnostics: &mut Diagnostics,
) -> Option<&'r PluginPackage> {
    let versions: Vec<&PluginPackage> = registry.versions(name).collect();
    if versions.is_empty() {
        let names = registry.names();
        diagnostics.push(at.diagnostic(
            &["plugins", name],
            format!(
                "there is no plugin named `{name}` in the plugin folders{}; the plugins available are {}",
                did_you_mean(name, names.iter().copied()),
                list(names)
            ),
        ));
        return None;
    }
    let Some(package) = registry.best_match(name, &request.version) else {
        diagnostics.push(at.diagnostic(
            &["plugins", name, "version"],
            format!(
                "no version of plugin `{name}` matches \"{}\"; the versions available are {}",
                request.version,
                list(versions.iter().map(|p| p.version()))
            ),
        ));
        return None;
    };
    if !package.meta.plugin.api.matches(host_api) {
        let fallback = versions
            .iter()
            .rev()
            .find(|p| request.version.matches(p.version()) && p.meta.plugin.api.matches(host_api))
            .map(|p| {
                format!(
                    "; version {0} would work: pin it with version = \"={0}\"",
                    p.version()
                )
            })
            .unwrap_or_default();
        diagnostics.push(at.diagnostic(
            &["plugins", name, "version"],
            format!(
                "plugin `{name}` {} needs host API \"{}\" (see {}), but this kernel provides {host_api}{fallback}",
                package.version(),
                package.meta.plugin.api,
                package.manifest_path().display()
            ),
        ));
        return None;
    }
    Some(package)
}

/// Declared ∩ granted, plus the ambient capabilities; a declared capability the instance does
/// not grant is a fault, since the plugin would fail to link.
fn grant(
    name: &str,
    request: &PluginRequest,
    package: &PluginPackage,
    at: &Locator,
    diagnostics: &mut Diagnostics,
) -> BTreeSet<Capability> {
    let mut granted: BTreeSet<Capability> = Capability::ALL
        .into_iter()
        .filter(|c| c.is_ambient())
        .collect();
    for capability in &package.meta.plugin.capabilities {
        if capability.is_ambient() || request.capabilities.contains(capability) {
            granted.insert(*capability);
        } else {
            diagnostics.push(at.diagnostic(
                &["plugins", name, "capabilities"],
                format!(
                    "plugin `{name}` needs capability `{capability}`, which {} does not grant: add it to plugins.{name}.capabilities",
                    at.file().display()
                ),
            ));
        }
    }
    granted
}

/// Each enabled plugin's dependencies must be enabled too, at a version they accept.
fn check_dependencies(
    manifest: &Manifest,
    resolved: &[ResolvedPlugin],
    at: &Locator,
    diagnostics: &mut Diagnostics,
) {
    let versions: BTreeMap<&str, &Version> = resolved
        .iter()
        .filter(|p| p.enabled)
        .map(|p| (p.name.as_str(), p.package.version()))
        .collect();
    for plugin in resolved.iter().filter(|p| p.enabled) {
        let name = &plugin.name;
        for (dependency, requirement) in &plugin.package.meta.dependencies {
            let requested = manifest.plugins.get(dependency);
            let message = match (versions.get(dependency.as_str()), requested) {
                (Some(version), _) if requirement.matches(version) => continue,
                (Some(version), _) => format!(
                    "plugin `{name}` needs `{dependency}` \"{requirement}\", but the instance uses `{dependency}` {version}: change plugins.{dependency}.version"
                ),
                // Asked for and enabled, but unresolved: its own fault is reported already.
                (None, Some(request)) if request.enabled => continue,
                (None, Some(_)) => format!(
                    "plugin `{name}` needs plugin `{dependency}` \"{requirement}\", which is disabled on this instance: set plugins.{dependency}.enabled = true"
                ),
                (None, None) => format!(
                    "plugin `{name}` needs plugin `{dependency}` \"{requirement}\", which is not enabled on this instance: add [plugins.{dependency}] with version = \"{requirement}\""
                ),
            };
            diagnostics.push(at.diagnostic(&["plugins", name], message));
        }
    }
}
