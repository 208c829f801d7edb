//! Messages to people through the kernel's outbox (host API 1.2).
//!
//! A plugin never sees e-mail addresses or mail credentials: it names the recipient's account and
//! the kernel puts the message in their inbox on the instance and in the outbox that a mail relay
//! drains. The `key` makes sending idempotent, so a job that runs again, or an event delivered
//! twice, does not notify twice.

use crate::host::notify as wit;
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

/// The longest subject the outbox accepts, in bytes.
pub const MAX_SUBJECT: usize = 200;
/// The longest body the outbox accepts, in bytes.
pub const MAX_BODY: usize = 8 * 1024;
/// The longest key the outbox accepts, in bytes.
pub const MAX_KEY: usize = 200;

/// `text` cut to at most `max` bytes on a character boundary, ending in `...` when cut: a
/// subject, body or key built from what people typed (a long name, a long reason) would
/// otherwise be refused by the outbox, and the message lost.
pub fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max.saturating_sub(3);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_are_cut_on_a_character_boundary() {
        let text = "è".repeat(150);
        let cut = cut(&text, MAX_SUBJECT);
        assert!(cut.len() <= MAX_SUBJECT);
        assert!(cut.ends_with("..."));
        assert_eq!(super::cut("breve", MAX_SUBJECT), "breve");
    }
}
