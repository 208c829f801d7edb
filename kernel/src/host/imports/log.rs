//! `log` (ambient): the plugin's log lines, tagged with its instance and name.
use wasmtime::component::{HasSelf, Linker};

use super::clip;
use crate::host::bindings::{log, types};
use crate::host::call::CallState;

/// Longest log line, in bytes.
const MAX_LOG_LINE: usize = 8 * 1024;

/// Links the `log` interface into a plugin's linker.
pub(super) fn link(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    log::add_to_linker::<_, HasSelf<_>>(linker, |state| state)
}

impl log::Host for CallState {
    async fn write(&mut self, level: types::LogLevel, message: String) -> wasmtime::Result<()> {
        let (instance, plugin) = (&self.ctx.instance, &self.ctx.plugin);
        let message = clip(message, MAX_LOG_LINE);
        match level {
            types::LogLevel::Trace => tracing::trace!(%instance, %plugin, "{message}"),
            types::LogLevel::Debug => tracing::debug!(%instance, %plugin, "{message}"),
            types::LogLevel::Info => tracing::info!(%instance, %plugin, "{message}"),
            types::LogLevel::Warn => tracing::warn!(%instance, %plugin, "{message}"),
            types::LogLevel::Error => tracing::error!(%instance, %plugin, "{message}"),
        }
        Ok(())
    }
}
