//! Where the SDK's calls to the kernel go.
//!
//! In WebAssembly every function here is the generated import of the `trama:plugin` world: the
//! kernel's host answers it. Outside WebAssembly — a plugin's own `cargo test` — the same
//! functions, with the same signatures, forward to the [`NativeHost`](native::NativeHost)
//! installed on the current thread, which `trama-testhost` implements with the kernel's own
//! store, ledger and outbox on an in-memory database. The SDK's modules import from here, never
//! from the bindings, so each of them runs unchanged in both places.

#[cfg(target_arch = "wasm32")]
pub(crate) use crate::bindings::trama::plugin::{
    audit, clock, events, files, i18n, identity, ledger, log, notice, notify, protocol, seal,
    settings, store, wallet,
};

#[cfg(not(target_arch = "wasm32"))]
pub mod native;

#[cfg(not(target_arch = "wasm32"))]
pub(crate) use native::imports::{
    audit, clock, events, files, i18n, identity, ledger, log, notice, notify, protocol, seal,
    settings, store, wallet,
};
