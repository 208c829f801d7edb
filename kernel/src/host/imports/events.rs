//! `events`: publishing the events a plugin declared; they are written with the call's other
//! writes when it commits, and delivered after.
use serde_json::Value as Json;
use wasmtime::component::{HasSelf, Linker};

use crate::event_store::PublishedEvent;
use crate::host::bindings::events;
use crate::host::call::{CallState, PluginContext};

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
        let value = match serde_json::from_str::<Json>(&payload) {
            Ok(value) => value,
            Err(err) => return Ok(Err(format!("event payload is not JSON: {err}"))),
        };
        if let Err(refusal) = check_schema(&self.ctx, &name, &value) {
            return Ok(Err(refusal));
        }
        self.published.push(PublishedEvent { name, payload });
        Ok(Ok(()))
    }
}

/// Checks `payload` against the schema the plugin declared for event `name`. The refusal is
/// for the plugin's developer: it names the plugin, the event, the schema file, the field (as
/// a JSON pointer) and what is wrong there. The call goes on (the plugin decides), but since
/// the SDK turns the refusal into an error, a call that does not catch it writes nothing.
fn check_schema(ctx: &PluginContext, name: &str, payload: &Json) -> Result<(), String> {
    let plugin = &ctx.plugin;
    let Some(schema) = ctx.event_schemas.get(name) else {
        // The manifest check requires a schema for every published event; a context built
        // without one publishes nothing rather than something unchecked.
        return Err(format!(
            "plugin `{plugin}` declares no schema for event `{name}` under [events.schemas]"
        ));
    };
    schema.check(payload).map_err(|mismatch| {
        format!(
            "plugin `{plugin}` published event `{name}` with a payload that does not match its schema {}: {mismatch}",
            schema.file
        )
    })
}
