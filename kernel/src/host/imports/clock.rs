//! `clock` (ambient): the current time, from the kernel's clock (which tests can set).
use wasmtime::component::{HasSelf, Linker};

use crate::host::bindings::clock;
use crate::host::call::CallState;

/// Links the `clock` interface into a plugin's linker.
pub(super) fn link(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    clock::add_to_linker::<_, HasSelf<_>>(linker, |state| state)
}

impl clock::Host for CallState {
    async fn now(&mut self) -> wasmtime::Result<i64> {
        Ok(crate::clock::now_ms())
    }
}
