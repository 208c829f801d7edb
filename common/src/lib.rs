//! What the kernel and the plugins' SDK must read the same way, written once: catalogue
//! messages with placeholders and intervals such as `7d`.
//!
//! The kernel fills catalogue messages in templates (the `fmt` filter) and plugins fill the
//! same messages in Rust (`trama_sdk::t!`): one implementation means a translator's message
//! behaves alike wherever it is shown. The crate has no dependencies, so it builds for the
//! kernel and inside every wasm32 plugin.

pub mod interval;
pub mod message;
