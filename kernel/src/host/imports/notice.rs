//! `notice` (ambient, host API 1.8): the one-time message after an action. The plugin only
//! sets it on the call; the web layer keeps it for the browser's next page when the call
//! answers with a redirect (`web::notice`), so nothing here touches the database.
use wasmtime::component::{HasSelf, Linker};

use crate::host::bindings::notice;
use crate::host::call::CallState;

/// Longest message kept, in bytes: a sentence and a protocol number, never a page.
const MAX_NOTICE: usize = 300;

/// Links the `notice` interface into a plugin's linker.
pub(super) fn link(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    notice::add_to_linker::<_, HasSelf<_>>(linker, |state| state)
}

impl notice::Host for CallState {
    async fn show(&mut self, text: String) -> wasmtime::Result<()> {
        let text = super::clip(text, MAX_NOTICE);
        self.notice = (!text.trim().is_empty()).then(|| text.trim().to_owned());
        Ok(())
    }
}
