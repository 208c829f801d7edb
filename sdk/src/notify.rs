//! Messages to people through the kernel's outbox (host API 1.2).
//!
//! A plugin never sees e-mail addresses or mail credentials: it names the recipient's account and
//! the kernel puts the message in their inbox on the instance and in the outbox that a mail relay
//! drains. The `key` makes sending idempotent, so a job that runs again, or an event delivered
//! twice, does not notify twice.

use crate::bindings::trama::plugin::notify as wit;
use crate::{Error, Result};

/// A message to one account of the instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The recipient's account id ([`crate::identity::User::id`]).
    pub recipient: String,
    /// One line, at most 200 bytes.
    pub subject: String,
    /// Plain text, at most 8 KiB.
    pub body: String,
    /// Sending the same key twice queues one message; 1 to 200 bytes. Build it from what the
    /// message is about, e.g. `reminder/{lesson}/{child}`.
    pub key: String,
    /// A path inside the instance the message is about, e.g. `/p/tutoring/lessons/42`.
    pub link: Option<String>,
}

/// Queues `message`. Returns `false` when a message with the same key was already queued
/// (nothing is sent twice). Needs the `notify` capability.
pub fn send(message: &Notification) -> Result<bool> {
    wit::send(&wit::Notification {
        recipient: message.recipient.clone(),
        subject: message.subject.clone(),
        body: message.body.clone(),
        key: message.key.clone(),
        link: message.link.clone(),
    })
    .map_err(|err| Error::invalid(format!("notification not queued: {err}")))
}
