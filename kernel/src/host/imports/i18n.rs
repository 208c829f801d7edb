//! `i18n` (ambient, host API 1.5): the instance's message catalogues, so that a plugin's
//! text lives in its `locales/` files and a territory can add a language without its code.
use wasmtime::component::{HasSelf, Linker};

use crate::host::bindings::i18n;
use crate::host::call::CallState;

/// Longest key looked up, in bytes: keys are short dotted paths; a longer one is a mistake
/// (or a plugin probing), answered with none rather than walked.
const MAX_KEY: usize = 256;
/// Longest locale code looked up (`de-AT` is 5): anything longer names no catalogue.
const MAX_LOCALE: usize = 35;

/// Links the `i18n` interface into a plugin's linker.
pub(super) fn link(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    i18n::add_to_linker::<_, HasSelf<_>>(linker, |state| state)
}

impl i18n::Host for CallState {
    async fn text(&mut self, locale: String, key: String) -> wasmtime::Result<Option<String>> {
        if key.len() > MAX_KEY || locale.len() > MAX_LOCALE {
            return Ok(None);
        }
        Ok(self.ctx.catalogues.text(&locale, &key).map(str::to_owned))
    }
}
