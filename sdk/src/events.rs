//! Named events between plugins, delivered at least once.
//!
//! An event's payload is a contract between its publisher and every subscriber. Write it once
//! as a type that implements [`Payload`] (Trama's own plugins keep theirs in the
//! `trama-contracts` crate of `plugins/`), publish it with [`publish_typed`] and read it with
//! [`Event::decode`]: a changed payload then fails to compile wherever it is used. The kernel
//! checks the same contract at run time against the JSON schema the plugin declares under
//! `[events.schemas]` in its `plugin.toml`, and refuses a publish that does not match.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::trama::plugin::types::Event as WitEvent;
use crate::host::events as wit;
use crate::{Error, Result};

/// The payload type of one named event.
pub trait Payload: Serialize + DeserializeOwned {
    /// The dotted event name, as `plugin.toml` declares it under `[events] publishes` and
    /// `subscribes`.
    const NAME: &'static str;
}

/// Queues the event `P::NAME` with `payload`; the kernel delivers it only if the current call
/// succeeds.
pub fn publish_typed<P: Payload>(payload: &P) -> Result<()> {
    publish(P::NAME, payload)
}

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

    /// Whether this is the event `P` describes.
    pub fn is<P: Payload>(&self) -> bool {
        self.name == P::NAME
    }

    /// The payload as `P` when this is the event `P` describes, `None` when it is another
    /// event; an error when the name matches but the payload does not have `P`'s shape.
    pub fn decode<P: Payload>(&self) -> Result<Option<P>> {
        if self.is::<P>() {
            self.payload().map(Some)
        } else {
            Ok(None)
        }
    }

    /// The payload read into a typed value (prefer [`Event::decode`] with a [`Payload`]).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Greeted {
        name: String,
    }

    impl Payload for Greeted {
        const NAME: &'static str = "hello.greeted";
    }

    #[test]
    fn decode_reads_its_own_event_and_leaves_others() {
        let event = Event::new("e1", "hello.greeted", "hello", r#"{"name":"Anna"}"#);
        assert!(event.is::<Greeted>());
        assert_eq!(
            event.decode::<Greeted>(),
            Ok(Some(Greeted {
                name: "Anna".into()
            }))
        );
        let other = Event::new("e2", "hello.waved", "hello", r#"{"hand":"left"}"#);
        assert_eq!(other.decode::<Greeted>(), Ok(None));
    }

    #[test]
    fn a_payload_of_another_shape_is_an_error_naming_the_event() {
        let event = Event::new("e1", "hello.greeted", "hello", r#"{"name":5}"#);
        let Err(err) = event.decode::<Greeted>() else {
            panic!("a number is not a name");
        };
        assert!(err.to_string().contains("hello.greeted"), "{err}");
    }
}
