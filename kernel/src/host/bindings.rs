//! Host-side bindings of the `trama:plugin@1.10.0` world, generated from `wit/` at the
//! repository root — the same files the SDK's guest bindings come from.

wasmtime::component::bindgen!({
    world: "plugin",
    path: "../wit",
    // Host imports are async: they await the database on the call's own task instead of
    // blocking a thread, and a call runs on a fiber polled by tokio (see `call.rs`).
    imports: { default: async | trappable },
    exports: { default: async },
    // The native test host (`trama-testhost`) converts these to the SDK's guest types, which
    // are generated from the same WIT, through serde.
    additional_derives: [serde::Serialize, serde::Deserialize],
});

pub use self::exports::trama::plugin::handler;
pub use self::trama::plugin::{
    audit, clock, events, files, i18n, identity, ledger, log, notice, notify, protocol, seal,
    settings, store, types, wallet,
};
