//! `seal` (host API 1.9): encryption at rest with the instance's data keys (see
//! [`crate::seal`]). Linked only for a plugin the instance grants `seal`; an instance that
//! grants it does not open without the deployment's key file, so a call never finds it missing.
use wasmtime::component::{HasSelf, Linker};

use crate::host::bindings::seal;
use crate::host::call::CallState;
use crate::seal::SealError;

/// Links the `seal` interface into a plugin's linker.
pub(super) fn link(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    seal::add_to_linker::<_, HasSelf<_>>(linker, |state| state)
}

/// What a plugin is told: the kernel's reason, never a key or the plaintext.
fn refusal(err: &SealError) -> String {
    match err {
        SealError::Db(err) => {
            tracing::error!(%err, "the seal keys could not be read");
            "the seal keys could not be read".to_owned()
        }
        other => other.to_string(),
    }
}

impl seal::Host for CallState {
    async fn seal(
        &mut self,
        context: String,
        plaintext: Vec<u8>,
    ) -> wasmtime::Result<Result<String, String>> {
        let Some(sealer) = self.ctx.sealer.clone() else {
            return Ok(Err(SealError::NoKeys.to_string()));
        };
        let plugin = self.ctx.plugin.clone();
        Ok(sealer
            .seal(&plugin, &context, &plaintext)
            .await
            .map_err(|err| refusal(&err)))
    }

    async fn open(
        &mut self,
        context: String,
        sealed: String,
    ) -> wasmtime::Result<Result<Vec<u8>, String>> {
        let Some(sealer) = self.ctx.sealer.clone() else {
            return Ok(Err(SealError::NoKeys.to_string()));
        };
        let plugin = self.ctx.plugin.clone();
        Ok(sealer
            .open_sealed(&plugin, &context, &sealed)
            .await
            .map(|text| text.to_vec())
            .map_err(|err| refusal(&err)))
    }
}
