//! What the kernel and the plugins' SDK must read the same way, written once: catalogue
//! messages with placeholders, intervals such as `7d`, CSV that spreadsheets open safely, and the check characters of Italian tax
//! identifiers (the codice fiscale the kernel binds to an account is checked as plugins check it).
//!
//! The kernel fills catalogue messages in templates (the `fmt` filter) and plugins fill the
//! same messages in Rust (`trama_sdk::t!`): one implementation means a translator's message
//! behaves alike wherever it is shown. The crate has no dependencies, so it builds for the
//! kernel and inside every wasm32 plugin.

pub mod csv;
pub mod fiscal;
pub mod interval;
pub mod message;
pub mod money;
