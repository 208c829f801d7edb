//! `audit`: the plugin's own entries in the instance's audit log, written with the call's
//! other writes so that an entry exists exactly when what it describes does.
use serde_json::Value as Json;
use wasmtime::component::{HasSelf, Linker};

use super::{MAX_LABEL, clip};
use crate::host::bindings::audit;
use crate::host::call::CallState;

/// Largest audit detail, in bytes of JSON.
const MAX_AUDIT_DETAIL: usize = 64 * 1024;
/// Most bytes of audit entries one call may hold until it ends (or checkpoints).
const MAX_AUDIT_BYTES_PER_CALL: usize = 16 * 1024 * 1024;

/// Links the `audit` interface into a plugin's linker.
pub(super) fn link(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    audit::add_to_linker::<_, HasSelf<_>>(linker, |state| state)
}

impl audit::Host for CallState {
    async fn append(
        &mut self,
        action: String,
        subject: String,
        detail: String,
    ) -> wasmtime::Result<()> {
        let detail = if detail.len() > MAX_AUDIT_DETAIL {
            serde_json::json!({ "truncated": true, "bytes": detail.len() }).to_string()
        } else if serde_json::from_str::<Json>(&detail).is_ok() {
            detail
        } else {
            serde_json::json!({ "text": detail }).to_string()
        };
        let ctx = &self.ctx;
        let entry = crate::audit::Entry {
            instance: ctx.instance.clone(),
            actor: self.caller.as_ref().map(|user| user.username.clone()),
            plugin: Some(ctx.plugin.clone()),
            action: clip(action, MAX_LABEL),
            subject: clip(subject, MAX_LABEL),
            detail,
        };
        let held: usize = self.audits.iter().map(|entry| entry.detail.len()).sum();
        if held + entry.detail.len() > MAX_AUDIT_BYTES_PER_CALL {
            // Trapping fails the call: an unaudited change is worse than a refused one.
            return Err(wasmtime::format_err!(
                "a call may hold at most {MAX_AUDIT_BYTES_PER_CALL} bytes of audit entries; \
                 a long job should call store.checkpoint between steps"
            ));
        }
        // Written with the call's other writes, when it ends: the entry exists exactly when
        // what it describes does.
        self.audits.push(entry);
        Ok(())
    }
}
