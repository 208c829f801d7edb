//! Finding a toolchain that can compile Rust for `wasm32-unknown-unknown`, and running its
//! cargo in a clean environment.
//!
//! Two kinds exist. With rustup the target's standard library comes prebuilt
//! (`rustup target add wasm32-unknown-unknown`). Debian ships no prebuilt wasm32 std, but its
//! `rust-web-src` package has the std sources and `lld` links wasm, so cargo rebuilds std for the
//! target with `-Zbuild-std` (allowed on a stable compiler by `RUSTC_BOOTSTRAP=1`).

use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::BuildError;

pub(crate) const TARGET: &str = "wasm32-unknown-unknown";

/// Debian's compiler and cargo, which `rustc-web` and `cargo-web` install.
const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
const DEBIAN_CARGO: &str = "/usr/bin/cargo";

/// A toolchain able to build plugins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Toolchain {
    /// A rustup toolchain with the `wasm32-unknown-unknown` target installed.
    Rustup { cargo: PathBuf },
    /// Debian's rustc and cargo, rebuilding std for wasm32 from `rust-web-src`.
    DebianBuildStd { cargo: PathBuf, rustc: PathBuf },
}

impl Toolchain {
    pub fn cargo(&self) -> &Path {
        match self {
            Toolchain::Rustup { cargo } | Toolchain::DebianBuildStd { cargo, .. } => cargo,
        }
    }

    /// `cargo` with `args`, in an environment cleared of what the calling cargo (the kernel's
    /// tests run inside `cargo test`) would leak into the nested build and break it: a `RUSTC`
    /// or wrapper of another toolchain, flags for the host target, another target directory,
    /// the outer jobserver.
    pub(crate) fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new(self.cargo());
        cmd.args(args);
        scrub_env(&mut cmd);
        match self {
            Toolchain::Rustup { .. } => {}
            Toolchain::DebianBuildStd { rustc, .. } => {
                // rustup's proxies may come first in PATH: name the compiler explicitly.
                cmd.env("RUSTC", rustc)
                    .env("RUSTC_BOOTSTRAP", "1")
                    .env_remove("RUSTUP_TOOLCHAIN");
            }
        }
        cmd
    }

    /// The extra arguments of `cargo build` for this toolchain.
    pub(crate) fn build_args(&self) -> &'static [&'static str] {
        match self {
            Toolchain::Rustup { .. } => &[],
            Toolchain::DebianBuildStd { .. } => &["-Zbuild-std=std,panic_abort"],
        }
    }
}

impl fmt::Display for Toolchain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Toolchain::Rustup { cargo } => {
                write!(f, "rustup ({}) with target {TARGET}", cargo.display())
            }
            Toolchain::DebianBuildStd { cargo, rustc } => write!(
                f,
                "Debian's rustc ({}) and cargo ({}), rebuilding std for {TARGET}",
                rustc.display(),
                cargo.display()
            ),
        }
    }
}

/// Variables removed from every nested cargo's environment, besides all `CARGO_*` ones.
const SCRUBBED: &[&str] = &[
    "RUSTC",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "CLIPPY_ARGS",
    "RUSTC_BOOTSTRAP",
    "RUSTDOC",
    "RUSTFLAGS",
    "RUSTDOCFLAGS",
    "MAKEFLAGS",
    "MFLAGS",
    "CARGO",
];

/// `CARGO_*` variables a user sets on purpose and that a nested build should keep: where
/// cargo's home is and how it reaches registries.
const KEPT_CARGO_PREFIXES: &[&str] = &[
    "CARGO_HOME",
    "CARGO_NET_",
    "CARGO_HTTP_",
    "CARGO_REGISTRIES_",
    "CARGO_REGISTRY_",
    "CARGO_TERM_",
];

fn scrub_env(cmd: &mut Command) {
    for var in SCRUBBED {
        cmd.env_remove(var);
    }
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        let cargo_var = name.starts_with("CARGO_") || name.starts_with("__CARGO");
        if cargo_var && !KEPT_CARGO_PREFIXES.iter().any(|p| name.starts_with(p)) {
            cmd.env_remove(name);
        }
    }
}

/// Finds a toolchain: rustup's installed wasm32 target first, then Debian's build-std setup.
pub fn detect() -> Result<Toolchain, BuildError> {
    if let Some(toolchain) = rustup_with_target() {
        return Ok(toolchain);
    }
    if let Some(toolchain) = debian_build_std() {
        return Ok(toolchain);
    }
    Err(BuildError::NoToolchain)
}

/// The `cargo` and `rustc` first in PATH, if that compiler's sysroot has the wasm32 std.
fn rustup_with_target() -> Option<Toolchain> {
    let cargo = find_in_path("cargo")?;
    let rustc = find_in_path("rustc")?;
    let sysroot = sysroot(&rustc)?;
    let std_dir = sysroot.join("lib/rustlib").join(TARGET).join("lib");
    std_dir.is_dir().then_some(Toolchain::Rustup { cargo })
}

fn debian_build_std() -> Option<Toolchain> {
    let (rustc, cargo) = (PathBuf::from(DEBIAN_RUSTC), PathBuf::from(DEBIAN_CARGO));
    if !rustc.is_file() || !cargo.is_file() {
        return None;
    }
    let sources = sysroot(&rustc)?.join("lib/rustlib/src/rust/library");
    (sources.is_dir() && has_wasm_linker()).then_some(Toolchain::DebianBuildStd { cargo, rustc })
}

/// `rust-lld`, the linker rustc names for wasm32: Debian's `rust-web-llvm` links it to the
/// `lld-NN` of the same LLVM. A bare `wasm-ld-NN` is not enough, since rustc does not look for it.
fn has_wasm_linker() -> bool {
    find_in_path("rust-lld").is_some()
}

fn sysroot(rustc: &Path) -> Option<PathBuf> {
    let mut cmd = Command::new(rustc);
    cmd.args(["--print", "sysroot"]);
    scrub_env(&mut cmd);
    let output = cmd.output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    Some(PathBuf::from(text.trim()))
}

fn find_in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}
