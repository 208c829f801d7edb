//! Compiling a plugin to a core WebAssembly module, encoding it as a component, and doing so
//! only when its sources changed.

use std::fs::File;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::SystemTime;

use serde::Deserialize;
use wit_component::ComponentEncoder;

use crate::BuildError;
use crate::metadata::{self, Project};
use crate::toolchain::{self, TARGET, Toolchain};

/// The component's file name inside the plugin's folder.
pub const COMPONENT_FILE: &str = "plugin.wasm";
/// The lock file, inside the target directory, that serialises builds across processes.
const LOCK_FILE: &str = "trama-plugin-build.lock";

/// Builds the plugin in `plugin_dir` and writes `<plugin_dir>/plugin.wasm`; returns its path.
///
/// Builds of the same plugin workspace are serialised with a file lock, so two processes
/// never write the component at the same time.
pub fn build_plugin(plugin_dir: &Path) -> Result<PathBuf, BuildError> {
    build_plugin_reporting(plugin_dir, &mut |_| {})
}

/// [`build_plugin`], telling `progress` what it is doing as it goes: which toolchain builds,
/// then each crate cargo starts compiling (`Compiling serde v1.0.219`). A first build on
/// Debian's toolchain compiles the standard library too and takes minutes; a caller that shows
/// these lines shows that it is alive.
pub fn build_plugin_reporting(
    plugin_dir: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<PathBuf, BuildError> {
    let plugin_dir = &absolute(plugin_dir)?;
    let toolchain = toolchain::detect()?;
    progress(&format!(
        "building {} with {toolchain}",
        plugin_dir.display()
    ));
    let project = metadata::read(&toolchain, plugin_dir)?;
    let _lock = lock(&project.target_dir)?;
    build_locked(&toolchain, &project, plugin_dir, progress)
}

/// Returns `<plugin_dir>/plugin.wasm`, building it first if it is missing or older than any of
/// its inputs: the plugin's `Cargo.toml` and `src/`, the same of every local crate it depends
/// on (the SDK), the `wit/` folder the SDK's bindings come from, the workspace's `Cargo.toml`
/// and `Cargo.lock`.
///
/// Parallel callers (test processes, say) wait for each other on a lock in the target
/// directory, and whoever comes second finds the component fresh and does not rebuild it.
/// On a machine with no wasm toolchain an existing component is returned as it is.
pub fn ensure_built(plugin_dir: &Path) -> Result<PathBuf, BuildError> {
    ensure_built_reporting(plugin_dir, &mut |_| {})
}

/// [`ensure_built`], telling `progress` what it does when the component is stale, as
/// [`build_plugin_reporting`] does; a fresh component is returned without a word. `trama dev`
/// uses it at start so that a first build is never silent.
pub fn ensure_built_reporting(
    plugin_dir: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<PathBuf, BuildError> {
    let plugin_dir = &absolute(plugin_dir)?;
    let component = plugin_dir.join(COMPONENT_FILE);
    let toolchain = match toolchain::detect() {
        Ok(toolchain) => toolchain,
        Err(BuildError::NoToolchain) if component.is_file() => return Ok(component),
        Err(err) => return Err(err),
    };
    let project = metadata::read(&toolchain, plugin_dir)?;
    let _lock = lock(&project.target_dir)?;
    if is_fresh(&component, &project.inputs) {
        return Ok(component);
    }
    progress(&format!(
        "building {} with {toolchain}",
        plugin_dir.display()
    ));
    build_locked(&toolchain, &project, plugin_dir, progress)
}

/// Encodes a core module built with the SDK (whose bindings embed the `trama:plugin` world)
/// as a validated component.
pub fn componentize(core: &[u8]) -> Result<Vec<u8>, BuildError> {
    ComponentEncoder::default()
        .validate(true)
        .module(core)
        .map_err(encoding_error)?
        .encode()
        .map_err(encoding_error)
}

/// wit-component's errors carry their causes in a chain, which `{:#}` prints on one line.
fn encoding_error(err: impl std::fmt::Display) -> BuildError {
    BuildError::Componentize(format!("{err:#}"))
}

fn build_locked(
    toolchain: &Toolchain,
    project: &Project,
    plugin_dir: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<PathBuf, BuildError> {
    let core_path = compile(toolchain, project, plugin_dir, progress)?;
    let core = std::fs::read(&core_path).map_err(BuildError::io("read", &core_path))?;
    let component = componentize(&core)?;
    let out = plugin_dir.join(COMPONENT_FILE);
    // Written aside and renamed, so that a kernel loading the plugin meanwhile never reads
    // half a file.
    let partial = plugin_dir.join(format!("{COMPONENT_FILE}.partial"));
    std::fs::write(&partial, component).map_err(BuildError::io("write", &partial))?;
    std::fs::rename(&partial, &out).map_err(BuildError::io("write", &out))?;
    Ok(out)
}

/// One line of `cargo build --message-format=json`.
#[derive(Deserialize)]
struct Message {
    reason: String,
    #[serde(default)]
    manifest_path: Option<PathBuf>,
    #[serde(default)]
    filenames: Vec<PathBuf>,
}

/// Runs `cargo build --release` for wasm32; returns the core module's path. Cargo's progress
/// lines go to `progress` as they come; its diagnostics are kept for the error.
fn compile(
    toolchain: &Toolchain,
    project: &Project,
    plugin_dir: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<PathBuf, BuildError> {
    let spawn_error = |source| BuildError::Spawn {
        program: toolchain.cargo().to_owned(),
        source,
    };
    let mut child = toolchain
        .command(["build", "--release", "--target", TARGET])
        .args(toolchain.build_args())
        .arg("--message-format=json-render-diagnostics")
        .arg("--manifest-path")
        .arg(&project.manifest)
        // Cargo reads `.cargo/config.toml` from the working directory up, not from the manifest.
        .current_dir(plugin_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_error)?;
    // Both pipes are read at once, or cargo could block on a full one.
    let stdout = child.stdout.take().map(|mut out| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut out, &mut bytes).map(|_| bytes)
        })
    });
    let mut stderr = Vec::new();
    if let Some(err) = child.stderr.take() {
        for line in std::io::BufReader::new(err).split(b'\n') {
            let line = line.map_err(spawn_error)?;
            let text = String::from_utf8_lossy(&line);
            if text.trim_start().starts_with("Compiling ") {
                progress(text.trim());
            }
            stderr.extend_from_slice(&line);
            stderr.push(b'\n');
        }
    }
    let status = child.wait().map_err(spawn_error)?;
    let stdout = match stdout.map(std::thread::JoinHandle::join) {
        Some(Ok(read)) => read.map_err(spawn_error)?,
        _ => Vec::new(),
    };
    let output = std::process::Output {
        status,
        stdout,
        stderr,
    };
    if !output.status.success() {
        return Err(BuildError::Cargo {
            dir: plugin_dir.to_owned(),
            stderr: diagnostics(&output.stderr),
        });
    }
    let mut artifact = None;
    for line in output.stdout.lines() {
        let Ok(line) = line else { continue };
        let Ok(message) = serde_json::from_str::<Message>(&line) else {
            continue;
        };
        if message.reason != "compiler-artifact"
            || message.manifest_path.as_deref() != Some(project.manifest.as_path())
        {
            continue;
        }
        if let Some(wasm) = message
            .filenames
            .into_iter()
            .find(|f| f.extension().is_some_and(|e| e == "wasm"))
        {
            artifact = Some(wasm);
        }
    }
    artifact.ok_or_else(|| BuildError::NoArtifact {
        dir: plugin_dir.to_owned(),
    })
}

/// Cargo's stderr without its progress lines, which bury the errors.
fn diagnostics(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|line| {
            let line = line.trim_start();
            ![
                "Compiling ",
                "Downloaded ",
                "Downloading ",
                "Updating ",
                "Locking ",
                "Adding ",
                "Blocking ",
            ]
            .iter()
            .any(|progress| line.starts_with(progress))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Takes the build lock of a target directory; released when the file is dropped.
fn lock(target_dir: &Path) -> Result<File, BuildError> {
    std::fs::create_dir_all(target_dir).map_err(BuildError::io("create", target_dir))?;
    let path = target_dir.join(LOCK_FILE);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(BuildError::io("open", &path))?;
    file.lock().map_err(BuildError::io("lock", &path))?;
    Ok(file)
}

/// Whether `component` exists and is at least as new as every file under `inputs` (missing
/// inputs are ignored).
pub(crate) fn is_fresh(component: &Path, inputs: &[PathBuf]) -> bool {
    let Some(built) = modified(component) else {
        return false;
    };
    inputs
        .iter()
        .filter_map(|input| newest(input))
        .all(|changed| changed <= built)
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest modification time of `path` or, for a folder, of anything inside it. Folders'
/// own times count too: deleting a source file changes only its folder's time.
fn newest(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    let mut latest = meta.modified().ok();
    let mut stack = vec![path.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            }
            let time = meta.modified().ok();
            if time > latest {
                latest = time;
            }
        }
    }
    latest
}

/// Cargo runs inside the plugin folder, so every path handed to it must be absolute.
fn absolute(plugin_dir: &Path) -> Result<PathBuf, BuildError> {
    std::path::absolute(plugin_dir).map_err(|err| BuildError::Metadata {
        dir: plugin_dir.to_owned(),
        message: format!("cannot resolve the folder: {err}"),
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn touch(path: &Path, at: SystemTime) {
        let file = File::options().write(true).open(path).unwrap();
        file.set_modified(at).unwrap();
    }

    #[test]
    fn a_component_is_stale_when_any_input_is_newer() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src/nested");
        std::fs::create_dir_all(&src).unwrap();
        let source = src.join("lib.rs");
        let component = dir.path().join(COMPONENT_FILE);
        std::fs::write(&source, "").unwrap();
        std::fs::write(&component, "").unwrap();
        let inputs = vec![dir.path().join("src"), dir.path().join("missing")];
        let now = SystemTime::now();

        touch(&source, now - Duration::from_secs(60));
        touch(&component, now);
        // Folders get a fresh time when their entries change; age them too.
        for folder in [&src, &dir.path().join("src")] {
            File::open(folder)
                .unwrap()
                .set_modified(now - Duration::from_secs(60))
                .unwrap();
        }
        assert!(is_fresh(&component, &inputs));

        touch(&source, now + Duration::from_secs(60));
        assert!(!is_fresh(&component, &inputs));

        assert!(!is_fresh(&dir.path().join("absent.wasm"), &inputs));
    }

    #[test]
    fn bytes_that_are_not_webassembly_are_refused_clearly() {
        let err = componentize(b"not wasm").unwrap_err();
        assert!(matches!(err, BuildError::Componentize(_)), "{err}");
    }

    #[test]
    fn progress_lines_are_dropped_from_cargo_errors() {
        let stderr = b"   Compiling hello v1.0.0\nerror[E0425]: cannot find value `x`\n  --> src/lib.rs:1:1\n";
        assert_eq!(
            diagnostics(stderr),
            "error[E0425]: cannot find value `x`\n  --> src/lib.rs:1:1"
        );
    }
}
