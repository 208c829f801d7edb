//! `protocol` (host API 1.8): numbers from the instance's register of what it receives, taken
//! in the call's own transaction (see [`crate::protocol`]).
use wasmtime::component::{HasSelf, Linker};

use crate::host::bindings::protocol;
use crate::host::call::CallState;

/// Links the `protocol` interface into a plugin's linker.
pub(super) fn link(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    protocol::add_to_linker::<_, HasSelf<_>>(linker, |state| state)
}

impl protocol::Host for CallState {
    async fn register(
        &mut self,
        subject: String,
    ) -> wasmtime::Result<Result<protocol::Entry, String>> {
        let subject = super::clip(subject, crate::protocol::MAX_SUBJECT);
        if subject.trim().is_empty() {
            return Ok(Err("a registration needs a subject".to_owned()));
        }
        let (instance, plugin) = (self.ctx.instance.clone(), self.ctx.plugin.clone());
        let at = self.now_ms();
        let registered = match self.tx.writer().await {
            Ok((txn, _)) => {
                crate::protocol::register_in(txn, &instance, &plugin, &subject, at).await
            }
            Err(err) => Err(err),
        };
        match registered {
            Ok(entry) => {
                self.registered.push(entry.clone());
                self.changes.record(serde_json::json!({
                    "op": "protocol", "number": entry.label(), "subject": subject,
                }));
                Ok(Ok(protocol::Entry {
                    year: u32::try_from(entry.year).unwrap_or_default(),
                    number: u64::try_from(entry.number).unwrap_or_default(),
                    at: entry.at,
                }))
            }
            Err(err) => {
                // A failed statement leaves the transaction unable to commit: the call fails
                // rather than keep what it received without a number.
                tracing::error!(%err, plugin = %plugin, "registering in the protocol failed");
                self.tx.note_failure();
                Ok(Err(
                    "the protocol register could not give a number".to_owned()
                ))
            }
        }
    }
}
