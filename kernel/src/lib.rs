//! # Trama kernel
//!
//! Trama runs the web platforms of territorial welfare (voucher campaigns, tutoring, provider
//! admissions, corporate welfare) for many territories from one code base. This crate is the
//! kernel: it owns identity, storage, events, audit, themes and HTTP, and runs the domain logic
//! as sandboxed WebAssembly component plugins that speak the `trama:plugin` WIT interface
//! (see `wit/plugin.wit`). Each territory is an *instance* configured by a manifest, parsed and
//! validated by the `trama-manifest` crate.
//!
//! Entry points: [`server::serve`] for the HTTP server, [`instance::Instance::open`] for one
//! instance, [`host::PluginHost`] for the WebAssembly engine.

pub mod audit;
pub mod auth;
pub mod clock;
pub mod db;
pub mod docstore;
pub mod event_store;
pub mod events;
pub mod fleet;
pub mod governance;
pub mod host;
pub mod instance;
pub mod ledger;
pub mod live;
pub mod node;
pub mod notify;
pub mod rate;
pub mod scaffold;
pub mod server;
pub mod theme;
pub mod web;
