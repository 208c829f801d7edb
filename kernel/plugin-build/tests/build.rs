//! Builds the repository's real plugins, and a scaffolded one, into components. The first
//! build on a machine compiles std for wasm32 and takes a minute or two; the tests share one
//! target directory, and the build lock makes them wait for each other instead of racing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use trama_plugin_build::{
    BuildError, Toolchain, build_plugin, build_plugin_reporting, detect, ensure_built, new_plugin,
};
use wit_component::DecodedWasm;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `trama:plugin/<name>@<version>` for each name, with the version of the package in
/// `wit/plugin.wit`, so these tests follow the host API as it gains minor versions.
fn set(names: &[&str]) -> BTreeSet<String> {
    let wit = std::fs::read_to_string(repo().join("wit/plugin.wit")).unwrap();
    let version = wit
        .lines()
        .find_map(|line| line.strip_prefix("package trama:plugin@"))
        .map(|rest| rest.trim_end_matches(';').trim().to_owned())
        .unwrap();
    names
        .iter()
        .map(|name| format!("trama:plugin/{name}@{version}"))
        .collect()
}

/// The imported and exported interface names of a component.
fn interfaces(component: &Path) -> (BTreeSet<String>, BTreeSet<String>) {
    let bytes = std::fs::read(component).unwrap();
    let DecodedWasm::Component(resolve, world) = wit_component::decode(&bytes).unwrap() else {
        panic!("{} is not a component", component.display());
    };
    let world = &resolve.worlds[world];
    let imports = world
        .imports
        .keys()
        .map(|key| resolve.name_world_key(key))
        .collect();
    let exports = world
        .exports
        .keys()
        .map(|key| resolve.name_world_key(key))
        .collect();
    (imports, exports)
}

#[test]
fn a_wasm_toolchain_is_found_on_this_machine() {
    let toolchain = detect().unwrap();
    assert!(toolchain.cargo().is_file(), "{toolchain}");
    // Here rustup has no wasm32 target, so Debian's build-std setup must be the one found.
    let rustup_sysroot = std::process::Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    let rustup_has_wasm = rustup_sysroot
        .map(|root| root.join("lib/rustlib/wasm32-unknown-unknown/lib").is_dir())
        .unwrap_or(false);
    if !rustup_has_wasm {
        assert!(
            matches!(toolchain, Toolchain::DebianBuildStd { .. }),
            "{toolchain}"
        );
    }
}

#[test]
fn hello_builds_into_a_component_that_exports_the_handler_and_imports_every_host_api() {
    let component = build_plugin(&repo().join("plugins/hello")).unwrap();
    assert_eq!(component, repo().join("plugins/hello/plugin.wasm"));
    let (imports, exports) = interfaces(&component);
    assert_eq!(exports, set(&["handler"]));
    assert_eq!(
        imports,
        set(&[
            "audit", "clock", "events", "i18n", "identity", "log", "notice", "notify", "settings",
            "store", "types",
        ])
    );
}

/// The kernel links only the capabilities a plugin declares, so a component must not import
/// an interface its code never calls: rogue declares `store`, `events` and `log` only (and
/// reads the ambient `i18n`, through the SDK's words for a store conflict, and may hand the
/// ambient `notice` a redirect's message, through the SDK's answer to every request).
/// Nothing it never calls — `protocol`, `ledger`, `files` — is imported.
#[test]
fn rogue_imports_only_the_interfaces_it_uses() {
    let component = ensure_built(&repo().join("plugins/rogue")).unwrap();
    let (imports, exports) = interfaces(&component);
    assert_eq!(exports, set(&["handler"]));
    assert_eq!(
        imports,
        set(&["events", "i18n", "log", "notice", "store", "types"])
    );
    let built = std::fs::metadata(&component).unwrap().modified().unwrap();
    let again = ensure_built(&repo().join("plugins/rogue")).unwrap();
    let rebuilt = std::fs::metadata(&again).unwrap().modified().unwrap();
    assert_eq!(built, rebuilt, "a fresh component must not be rebuilt");
}

/// A copy of the plugins workspace with no members, whose SDK is the repository's and whose
/// builds share the repository's target directory (so std is not compiled again).
fn empty_plugins_workspace() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let plugins = repo().join("plugins");
    let text = std::fs::read_to_string(plugins.join("Cargo.toml")).unwrap();
    let mut manifest: toml_edit::DocumentMut = text.parse().unwrap();
    manifest["workspace"]["members"] = toml_edit::value(toml_edit::Array::new());
    let sdk = repo().join("sdk").canonicalize().unwrap();
    manifest["workspace"]["dependencies"]["trama-sdk"]["path"] =
        toml_edit::value(sdk.to_string_lossy().as_ref());
    std::fs::write(tmp.path().join("Cargo.toml"), manifest.to_string()).unwrap();
    std::fs::copy(plugins.join("Cargo.lock"), tmp.path().join("Cargo.lock")).unwrap();
    let target = plugins
        .join("target")
        .canonicalize()
        .unwrap_or(plugins.join("target"));
    std::fs::create_dir_all(tmp.path().join(".cargo")).unwrap();
    std::fs::write(
        tmp.path().join(".cargo/config.toml"),
        format!("[build]\ntarget-dir = {:?}\n", target.to_string_lossy()),
    )
    .unwrap();
    tmp
}

#[test]
fn a_scaffolded_plugin_builds_into_a_component() {
    let workspace = empty_plugins_workspace();
    let dir = new_plugin(workspace.path(), "scaffold-probe").unwrap();
    assert_eq!(dir, workspace.path().join("scaffold-probe"));
    for file in [
        "Cargo.toml",
        "plugin.toml",
        "src/lib.rs",
        "templates/index.html",
        "README.md",
    ] {
        assert!(dir.join(file).is_file(), "{file} was not written");
    }
    let members = std::fs::read_to_string(workspace.path().join("Cargo.toml")).unwrap();
    assert!(
        members.contains(r#"members = ["scaffold-probe"]"#),
        "{members}"
    );

    // A build says what it does as it goes: the toolchain, then each crate it compiles.
    let mut progress = Vec::new();
    let component =
        build_plugin_reporting(&dir, &mut |line| progress.push(line.to_owned())).unwrap();
    assert!(
        progress
            .first()
            .is_some_and(|line| line.starts_with("building ")),
        "{progress:?}"
    );
    assert!(
        progress
            .iter()
            .any(|line| line.starts_with("Compiling scaffold-probe ")),
        "{progress:?}"
    );
    let (imports, exports) = interfaces(&component);
    assert_eq!(exports, set(&["handler"]));
    assert!(imports.is_superset(&set(&["store"])), "{imports:?}");

    let err = new_plugin(workspace.path(), "scaffold-probe").unwrap_err();
    assert!(
        err.to_string().contains("already a member"),
        "a second scaffold of the same name must be refused: {err}"
    );
}

#[test]
fn bad_plugin_names_are_refused_before_anything_is_written() {
    let workspace = empty_plugins_workspace();
    let before = std::fs::read_to_string(workspace.path().join("Cargo.toml")).unwrap();
    for name in [
        "",
        "Hello",
        "9lives",
        "my_plugin",
        "../escape",
        "type",
        "end-",
        &"x".repeat(41),
    ] {
        let err = new_plugin(workspace.path(), name).unwrap_err();
        assert!(matches!(err, BuildError::BadName { .. }), "{name}: {err}");
    }
    let err = new_plugin(workspace.path(), "my_plugin").unwrap_err();
    assert_eq!(
        err.to_string(),
        "`my_plugin` cannot be a plugin name: `_` is not allowed; use lower-case letters, digits and `-`"
    );
    let after = std::fs::read_to_string(workspace.path().join("Cargo.toml")).unwrap();
    assert_eq!(before, after);
    assert_eq!(std::fs::read_dir(workspace.path()).unwrap().count(), 3);
}

#[test]
fn an_existing_folder_is_not_overwritten() {
    let workspace = empty_plugins_workspace();
    let dir = workspace.path().join("taken");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let err = new_plugin(workspace.path(), "taken").unwrap_err();
    assert!(matches!(err, BuildError::Exists { .. }), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "mine"
    );
    let manifest = std::fs::read_to_string(workspace.path().join("Cargo.toml")).unwrap();
    assert!(!manifest.contains("taken"), "{manifest}");
}
