//! # Trama kernel
//!
//! Trama runs the web platforms of territorial welfare (voucher campaigns, tutoring, provider
//! admissions, corporate welfare) for many territories from one code base. This crate is the
//! kernel: it owns identity, storage, events, audit, themes and HTTP, and runs the domain logic
//! as sandboxed WebAssembly component plugins that speak the `trama:plugin` WIT interface
//! (see `wit/plugin.wit`). Each territory is an *instance* configured by a manifest, parsed and
//! validated by the `trama-manifest` crate.
//!
//! Entry points: [`server::serve`] for the HTTP server, [`dev::run`] for the development loop,
//! [`instance::Instance::open`] for one instance, [`host::PluginHost`] for the WebAssembly
//! engine.

// The modules in layers, lowest first; a module uses only its own layer and those below it
// (`kernel/tests/integration/layers.rs` checks this, `docs/architecture.md` says why). Public modules are
// the entry points of the `trama` binary, the benchmarks and the tests; the rest is the
// kernel's own business.

// Foundation: time, node identity, rate limits, links, themes.
pub(crate) mod clock;
pub(crate) mod links;
pub mod node;
pub(crate) mod rate;
pub mod theme;
// Storage: the database and what the kernel keeps in it.
pub mod audit;
pub mod auth;
pub mod board;
pub mod db;
pub mod docstore;
pub(crate) mod event_store;
pub mod files;
pub mod fund;
pub mod indicators;
pub mod ledger;
pub mod notify;
pub mod protocol;
pub mod seal;
pub mod wallet;
// The plugin host: wasmtime, the imports, one call and its transaction.
pub mod host;
// One instance: its plugins, theme and settings, opened from a manifest.
pub mod instance;
// What keeps an instance going: live reloading, event delivery and jobs, governance, mail,
// personal data.
pub mod events;
pub mod governance;
pub(crate) mod live;
pub mod mail;
pub mod privacy;
// HTTP.
pub(crate) mod web;
// The process: many instances, the server, and the development loop.
pub mod dev;
pub mod fleet;
pub mod scaffold;
pub mod server;
