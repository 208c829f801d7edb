//! Everything that can go wrong while building or scaffolding a plugin, in messages that say
//! what to do about it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(
        "no Rust toolchain that can build WebAssembly plugins was found. Install one of:\n  \
         - rustup: `rustup target add wasm32-unknown-unknown`\n  \
         - Debian 12: `apt-get install rustc-web cargo-web rust-web-src rust-web-llvm lld-22`\n\
         (`./dev demo` and `./dev test` at the repository's root install one when they can)"
    )]
    NoToolchain,

    #[error("could not run `{program}`: {source}")]
    Spawn {
        program: PathBuf,
        source: std::io::Error,
    },

    #[error("building the plugin in {dir} failed:\n{stderr}")]
    Cargo { dir: PathBuf, stderr: String },

    #[error("cannot read the cargo project of {dir}: {message}")]
    Metadata { dir: PathBuf, message: String },

    #[error(
        "cargo built {dir} but produced no WebAssembly module: its Cargo.toml needs \
         `[lib] crate-type = [\"cdylib\"]`"
    )]
    NoArtifact { dir: PathBuf },

    #[error("the WebAssembly module could not be turned into a component: {0}")]
    Componentize(String),

    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("`{name}` cannot be a plugin name: {reason}")]
    BadName { name: String, reason: String },

    #[error("{path} already exists: choose another name or remove it first")]
    Exists { path: PathBuf },

    #[error("{path}: {message}")]
    Workspace { path: PathBuf, message: String },
}

impl BuildError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }
}
