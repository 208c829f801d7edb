//! What a cooperative relies on when it writes `instance.toml` and installs plugins: faults
//! are found, all of them, and each one names the file, the line and the key to fix.

mod environment;
mod event_schemas;
mod fuzz;
mod identity;
mod indicators;
mod mail;
mod manifest_faults;
mod plugin_toml_faults;
mod resolution;
mod support;
