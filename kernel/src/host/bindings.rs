//! Host-side bindings of the `trama:plugin@1.2.0` world, generated from `wit/` at the
//! repository root — the same files the SDK's guest bindings come from.

wasmtime::component::bindgen!({
    world: "plugin",
    path: "../wit",
    imports: { default: trappable },
});

pub use self::exports::trama::plugin::handler;
pub use self::trama::plugin::{
    audit, clock, events, identity, ledger, log, notify, settings, store, types,
};
