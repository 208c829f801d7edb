//! `events`: publishing the events a plugin declared; they are written with the call's other
//! writes when it commits, and delivered after.
use serde_json::Value as Json;
use wasmtime::component::{HasSelf, Linker};

use crate::event_store::PublishedEvent;
use crate::host::bindings::events;
use crate::host::call::CallState;

/// Largest event payload, in bytes of JSON.
const MAX_EVENT_PAYLOAD: usize = 64 * 1024;
/// Most events one call may publish: they are held in kernel memory, outside the plugin's cap,
/// until the call ends.
const MAX_EVENTS_PER_CALL: usize = 1000;

/// Links the `events` interface into a plugin's linker.
pub(super) fn link(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    events::add_to_linker::<_, HasSelf<_>>(linker, |state| state)
}

impl events::Host for CallState {
    async fn publish(
        &mut self,
        name: String,
        payload: String,
    ) -> wasmtime::Result<Result<(), String>> {
        if !self.ctx.publishes.contains(&name) {
            return Ok(Err(format!(
                "event `{name}` is not declared in [events] publishes of plugin `{}`",
                self.ctx.plugin
            )));
        }
        if self.published.len() >= MAX_EVENTS_PER_CALL {
            return Ok(Err(format!(
                "a call may publish at most {MAX_EVENTS_PER_CALL} events"
            )));
        }
        if payload.len() > MAX_EVENT_PAYLOAD {
            return Ok(Err(format!(
                "event payload of {} bytes exceeds {MAX_EVENT_PAYLOAD} bytes",
                payload.len()
            )));
        }
        if let Err(err) = serde_json::from_str::<Json>(&payload) {
            return Ok(Err(format!("event payload is not JSON: {err}")));
        }
        self.published.push(PublishedEvent { name, payload });
        Ok(Ok(()))
    }
}
