//! # trama-plugin-build: from a plugin's Rust sources to a WebAssembly component
//!
//! The kernel loads plugins as components of the `trama:plugin` world. Building one takes two
//! steps: cargo compiles the plugin crate (a `cdylib` that uses `trama-sdk`) to a core module
//! for `wasm32-unknown-unknown`, and [`componentize`] wraps that module, using the world the
//! SDK's bindings embed in it, into a component. The kernel's CLI (`trama plugin build`,
//! `trama plugin new`) and its development mode (build what is stale at start-up) call this
//! crate; its tests use [`ensure_built`], whose lock makes parallel test processes build once.
//!
//! Which compiler builds depends on the machine; [`detect`] explains the choice and, when
//! there is none, how to install one.

mod compile;
mod error;
mod metadata;
mod scaffold;
mod toolchain;

pub use compile::{
    COMPONENT_FILE, build_plugin, build_plugin_reporting, componentize, ensure_built,
    ensure_built_reporting,
};
pub use error::BuildError;
pub use scaffold::new_plugin;
pub use toolchain::{Toolchain, detect};
