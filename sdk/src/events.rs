//! Named events between plugins, delivered at least once.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::trama::plugin::events as wit;
use crate::bindings::trama::plugin::types::Event as WitEvent;
use crate::{Error, Result};

/// Queues event `name` (declared under `[events] publishes` in `plugin.toml`) with a JSON
/// payload. The kernel delivers it only if the current call succeeds.
pub fn publish<T: Serialize + ?Sized>(name: &str, payload: &T) -> Result<()> {
    let payload = serde_json::to_string(payload).map_err(|err| {
        Error::internal(format!(
            "could not write the payload of event `{name}`: {err}"
        ))
    })?;
    wit::publish(name, &payload)
        .map_err(|err| Error::internal(format!("could not publish event `{name}`: {err}")))
}

/// An event delivered to a subscriber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Unique id: the same event delivered twice has the same id.
    pub id: String,
    /// Dotted name, e.g. `admissions.provider_accredited`.
    pub name: String,
    /// The plugin that published it.
    pub source: String,
    /// Unix time in milliseconds.
    pub published_at: i64,
    payload: String,
}

impl Event {
    pub(crate) fn from_wit(event: WitEvent) -> Self {
        Self {
            id: event.id,
            name: event.name,
            source: event.source,
            published_at: event.published_at,
            payload: event.payload,
        }
    }

    /// Builds an event by hand, for a plugin's own unit tests.
    pub fn new(id: &str, name: &str, source: &str, payload: &str) -> Self {
        Self {
            id: id.to_owned(),
            name: name.to_owned(),
            source: source.to_owned(),
            published_at: 0,
            payload: payload.to_owned(),
        }
    }

    /// The payload read into a typed value.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_str(&self.payload).map_err(|err| {
            Error::internal(format!(
                "the payload of event `{}` from `{}` does not have the expected shape: {err}",
                self.name, self.source
            ))
        })
    }

    /// The payload as JSON text.
    pub fn raw_payload(&self) -> &str {
        &self.payload
    }
}
