//! Linking a plugin's component into an instance: the one path serving and `trama check` share.

use trama_manifest::{Checked, Manifest, ResolvedPlugin};

use super::{BuildPolicy, InstanceError, theme_of};
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
    let api = &package.meta.plugin.api;
    if let Some(built) = host.built_against(&component)
        && admits_older(api, &built)
    {
        // A kernel that meets `api` but is older than `built` would refuse to link it with an
        // obscure message: the requirement must say what the component needs.
        return Err(plugin_error(format!(
            "its component was built against host API {built}, but {} says api = \"{api}\": \
             set api = \"^{}.{}\" there",
            package.dir.join(trama_manifest::PLUGIN_TOML).display(),
            built.major,
            built.minor
        )));
    }
    host.prepare(&resolved.name, &component, &resolved.capabilities)
        .map_err(|err| match err {
            HostError::NotGranted {
                import, capability, ..
            } => plugin_error(not_granted(manifest, resolved, &import, capability)),
            other => plugin_error(other.to_string()),
        })
}

/// Why a component may not import `capability`, and which file to change. A capability its
/// `plugin.toml` declares but the instance does not grant is already a fault of the manifest
/// check, so what reaches linking is a component using what its `plugin.toml` does not
/// declare: that file is the one to change.
fn not_granted(
    manifest: &Manifest,
    resolved: &ResolvedPlugin,
    import: &str,
    capability: trama_manifest::Capability,
) -> String {
    format!(
        "its component imports `{import}`, but {} does not declare the `{capability}` \
         capability: the plugin's code uses it, so add \"{capability}\" to `capabilities` \
         under [plugin] there (and grant it in plugins.{}.capabilities of {})",
        resolved
            .package
            .dir
            .join(trama_manifest::PLUGIN_TOML)
            .display(),
        resolved.name,
        manifest.shown_file().display()
    )
}

/// Everything about `checked` that would stop `serve` from opening it once the manifest is
/// valid, without a database and without running a hook: the theme (templates and message
/// catalogues of the instance's theme and of its plugins) and every enabled plugin linked as
/// serving links it. What `trama check` reports besides the manifest's own faults.
pub fn check_servable(
    host: &PluginHost,
    checked: &Checked,
    policy: BuildPolicy,
) -> Vec<InstanceError> {
    let enabled: Vec<&ResolvedPlugin> = checked.plugins.iter().filter(|p| p.enabled).collect();
    let mut faults: Vec<InstanceError> = theme_of(&checked.manifest, &enabled)
        .err()
        .into_iter()
        .collect();
    faults.extend(
        enabled
            .into_iter()
            .filter_map(|plugin| link_plugin(host, &checked.manifest, plugin, policy).err()),
    );
    faults
}

/// Whether `api` admits a kernel older than `built` (an earlier minor of the same major), which
/// could not link a component built against `built`.
fn admits_older(api: &semver::VersionReq, built: &semver::Version) -> bool {
    (0..built.minor).any(|minor| api.matches(&semver::Version::new(built.major, minor, 0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_requirement_admitting_an_older_minor_than_the_component_is_caught() {
        let built = semver::Version::new(1, 4, 0);
        for (api, older) in [
            ("^1.0", true),
            (">=1.2, <2", true),
            ("^1.4", false),
            ("=1.4.0", false),
            ("^1.5", false),
        ] {
            let req = semver::VersionReq::parse(api).expect("a requirement");
            assert_eq!(admits_older(&req, &built), older, "{api}");
        }
    }
}
