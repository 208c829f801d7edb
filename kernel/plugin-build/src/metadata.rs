//! What `cargo metadata` says about a plugin: where its workspace builds, and which local
//! sources (its own, the SDK's, the WIT files) its component depends on.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::BuildError;
use crate::toolchain::{TARGET, Toolchain};

/// The SDK's bindings are generated from `../wit` next to its `Cargo.toml`.
const SDK_PACKAGE: &str = "trama-sdk";

#[derive(Debug, Deserialize)]
struct Metadata {
    packages: Vec<Package>,
    resolve: Option<Resolve>,
    target_directory: PathBuf,
    workspace_root: PathBuf,
}

#[derive(Debug, Deserialize)]
struct Package {
    id: String,
    name: String,
    /// `None` for local (path) packages.
    source: Option<String>,
    manifest_path: PathBuf,
}

#[derive(Debug, Deserialize)]
struct Resolve {
    nodes: Vec<Node>,
}

#[derive(Debug, Deserialize)]
struct Node {
    id: String,
    dependencies: Vec<String>,
}

/// A plugin's build layout.
#[derive(Debug)]
pub(crate) struct Project {
    /// The plugin package's `Cargo.toml`, as cargo spells it.
    pub manifest: PathBuf,
    /// Where the plugin's workspace puts its builds.
    pub target_dir: PathBuf,
    /// Files and folders whose change makes a built component stale.
    pub inputs: Vec<PathBuf>,
}

/// Asks cargo about the project in `plugin_dir`.
pub(crate) fn read(toolchain: &Toolchain, plugin_dir: &Path) -> Result<Project, BuildError> {
    let manifest = plugin_dir.join("Cargo.toml");
    let fail = |message: String| BuildError::Metadata {
        dir: plugin_dir.to_owned(),
        message,
    };
    if !manifest.is_file() {
        return Err(fail(format!("{} does not exist", manifest.display())));
    }
    let output = toolchain
        .command([
            "metadata",
            "--format-version",
            "1",
            "--filter-platform",
            TARGET,
            "--manifest-path",
        ])
        .arg(&manifest)
        .current_dir(plugin_dir)
        .output()
        .map_err(|source| BuildError::Spawn {
            program: toolchain.cargo().to_owned(),
            source,
        })?;
    if !output.status.success() {
        return Err(fail(
            String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        ));
    }
    let metadata: Metadata = serde_json::from_slice(&output.stdout).map_err(|err| {
        fail(format!(
            "cargo metadata printed something unexpected: {err}"
        ))
    })?;
    project(metadata, &manifest).ok_or_else(|| {
        fail(format!(
            "{} is not a package of the workspace at its root",
            manifest.display()
        ))
    })
}

fn project(metadata: Metadata, manifest: &Path) -> Option<Project> {
    let wanted = canonical(manifest);
    let root = metadata
        .packages
        .iter()
        .find(|p| canonical(&p.manifest_path) == wanted)?;
    let by_id: HashMap<&str, &Package> = metadata
        .packages
        .iter()
        .map(|p| (p.id.as_str(), p))
        .collect();
    let deps: HashMap<&str, &[String]> = metadata
        .resolve
        .as_ref()
        .map(|r| {
            r.nodes
                .iter()
                .map(|n| (n.id.as_str(), n.dependencies.as_slice()))
                .collect()
        })
        .unwrap_or_default();

    // Every local package the plugin depends on, the plugin included.
    let mut seen = BTreeSet::new();
    let mut stack = vec![root.id.as_str()];
    let mut local = Vec::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        let Some(package) = by_id.get(id) else {
            continue;
        };
        if package.source.is_some() {
            // Registry and git packages only change with Cargo.lock, which is an input.
            continue;
        }
        local.push(*package);
        stack.extend(
            deps.get(id)
                .copied()
                .unwrap_or_default()
                .iter()
                .map(String::as_str),
        );
    }

    let mut inputs = vec![
        metadata.workspace_root.join("Cargo.toml"),
        metadata.workspace_root.join("Cargo.lock"),
    ];
    for package in local {
        let Some(dir) = package.manifest_path.parent() else {
            continue;
        };
        inputs.extend([
            package.manifest_path.clone(),
            dir.join("src"),
            dir.join("build.rs"),
            dir.join("wit"),
        ]);
        if package.name == SDK_PACKAGE {
            inputs.push(dir.join("../wit"));
        }
    }
    Some(Project {
        manifest: root.manifest_path.clone(),
        target_dir: metadata.target_directory,
        inputs,
    })
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(id: &str, name: &str, source: Option<&str>, manifest: &str) -> Package {
        Package {
            id: id.into(),
            name: name.into(),
            source: source.map(Into::into),
            manifest_path: manifest.into(),
        }
    }

    #[test]
    fn inputs_are_the_local_packages_the_plugin_depends_on() {
        let metadata = Metadata {
            packages: vec![
                package("hello", "hello", None, "/ws/plugins/hello/Cargo.toml"),
                package("rogue", "rogue", None, "/ws/plugins/rogue/Cargo.toml"),
                package("sdk", "trama-sdk", None, "/ws/sdk/Cargo.toml"),
                package(
                    "serde",
                    "serde",
                    Some("registry+x"),
                    "/reg/serde/Cargo.toml",
                ),
            ],
            resolve: Some(Resolve {
                nodes: vec![
                    Node {
                        id: "hello".into(),
                        dependencies: vec!["sdk".into(), "serde".into()],
                    },
                    Node {
                        id: "sdk".into(),
                        dependencies: vec!["serde".into()],
                    },
                ],
            }),
            target_directory: "/ws/plugins/target".into(),
            workspace_root: "/ws/plugins".into(),
        };
        let project = project(metadata, Path::new("/ws/plugins/hello/Cargo.toml"));
        let inputs = project.map(|p| p.inputs).unwrap_or_default();
        let has = |path: &str| inputs.iter().any(|i| i == Path::new(path));
        assert!(has("/ws/plugins/hello/src"));
        assert!(has("/ws/plugins/Cargo.lock"));
        assert!(has("/ws/sdk/src"));
        assert!(has("/ws/sdk/../wit"));
        assert!(
            !has("/ws/plugins/rogue/src"),
            "a sibling plugin is not an input"
        );
        assert!(!inputs.iter().any(|i| i.starts_with("/reg")));
    }
}
