//! `notify`: messages to people, queued in the kernel's outbox when the call commits.
use wasmtime::component::{HasSelf, Linker};

use crate::host::bindings::notify;
use crate::host::call::CallState;

/// Most notifications one call may send (held in kernel memory until the call ends).
const MAX_NOTICES_PER_CALL: usize = 1000;

/// Links the `notify` interface into a plugin's linker.
pub(super) fn link(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    notify::add_to_linker::<_, HasSelf<_>>(linker, |state| state)
}

impl notify::Host for CallState {
    async fn send(
        &mut self,
        message: notify::Notification,
    ) -> wasmtime::Result<Result<bool, String>> {
        let message = crate::notify::Notification {
            recipient: message.recipient,
            subject: message.subject,
            body: message.body,
            key: message.key,
            link: message.link,
        };
        if self.notices.len() >= MAX_NOTICES_PER_CALL {
            return Ok(Err(format!(
                "a call may send at most {MAX_NOTICES_PER_CALL} notifications"
            )));
        }
        if self.notices.iter().any(|queued| queued.key == message.key) {
            return Ok(Ok(false));
        }
        let outbox = &self.ctx.outbox;
        match outbox.check_in(&self.tx.reader(), &message).await {
            Ok(true) => {
                self.notices.push(message);
                Ok(Ok(true))
            }
            Ok(false) => Ok(Ok(false)),
            Err(err) => {
                if matches!(err, crate::notify::NotifyError::Database(_)) {
                    self.tx.note_failure();
                }
                Ok(Err(err.to_string()))
            }
        }
    }
}
