//! Linking a plugin's component into an instance: the one path serving and `trama check` share.

use trama_manifest::{Checked, Manifest, ResolvedPlugin};

use super::{BuildPolicy, InstanceError};
use crate::host::bindings::PluginPre;
use crate::host::{CallState, HostError, PluginHost};

/// The component of `resolved` (built first if `policy` says so and its sources changed),
/// linked against exactly the capabilities the instance grants it. Serving and `trama check`
/// both link through here, so a component that one refuses the other refuses too, with the
/// same words.
pub fn link_plugin(
    host: &PluginHost,
    manifest: &Manifest,
    resolved: &ResolvedPlugin,
    policy: BuildPolicy,
) -> Result<PluginPre<CallState>, InstanceError> {
    let plugin_error = |message: String| InstanceError::Plugin {
        plugin: resolved.name.clone(),
        message,
    };
    let package = &resolved.package;
    let component_path = match policy {
        BuildPolicy::BuildIfStale if package.dir.join("Cargo.toml").is_file() => {
            tracing::info!(plugin = %resolved.name, "checking the plugin build");
            trama_plugin_build::ensure_built(&package.dir)
                .map_err(|err| plugin_error(err.to_string()))?
        }
        _ => package.component_path(),
    };
    if !component_path.is_file() {
        return Err(plugin_error(format!(
            "{} has not been built: run `trama plugin build {}`",
            component_path.display(),
            package.dir.display()
        )));
    }
    let component = host
        .load_component(&component_path)
        .map_err(|err| plugin_error(err.to_string()))?;
    host.prepare(&resolved.name, &component, &resolved.capabilities)
        .map_err(|err| match err {
            HostError::NotGranted {
                import, capability, ..
            } => plugin_error(not_granted(manifest, resolved, &import, capability)),
            other => plugin_error(other.to_string()),
        })
}

/// Why a component may not import `capability`, and which file to change: the plugin's own
/// `plugin.toml` when it does not declare what its code uses, else the instance's manifest.
fn not_granted(
    manifest: &Manifest,
    resolved: &ResolvedPlugin,
    import: &str,
    capability: trama_manifest::Capability,
) -> String {
    let name = &resolved.name;
    let package = &resolved.package;
    if package.meta.plugin.capabilities.contains(&capability) {
        format!(
            "its component imports `{import}`, but {} does not grant the `{capability}` \
             capability: add \"{capability}\" to plugins.{name}.capabilities there",
            manifest.shown_file().display()
        )
    } else {
        format!(
            "its component imports `{import}`, but {} does not declare the `{capability}` \
             capability: the plugin's code uses it, so add \"{capability}\" to `capabilities` \
             under [plugin] there (and grant it in plugins.{name}.capabilities of {})",
            package.dir.join(trama_manifest::PLUGIN_TOML).display(),
            manifest.shown_file().display()
        )
    }
}

/// Links every enabled plugin of `checked` as serving it would, without opening a database or
/// running a hook; what `trama check` reports besides the manifest's own faults.
pub fn link_all(host: &PluginHost, checked: &Checked, policy: BuildPolicy) -> Vec<InstanceError> {
    checked
        .plugins
        .iter()
        .filter(|plugin| plugin.enabled)
        .filter_map(|plugin| link_plugin(host, &checked.manifest, plugin, policy).err())
        .collect()
}
