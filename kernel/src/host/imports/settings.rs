//! `settings`: the plugin's validated settings on this instance.
use wasmtime::component::{HasSelf, Linker};

use crate::host::bindings::settings;
use crate::host::call::CallState;

/// Links the `settings` interface into a plugin's linker.
pub(super) fn link(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    settings::add_to_linker::<_, HasSelf<_>>(linker, |state| state)
}

impl settings::Host for CallState {
    async fn get(&mut self) -> wasmtime::Result<String> {
        Ok(self.ctx.settings.clone())
    }
}
