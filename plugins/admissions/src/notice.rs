//! Messages to applicants, providers and committee members, through the kernel's outbox
//! (host API 1.2).
//!
//! The plugin does not know a recipient's language, so each message is written in the
//! instance's own language ([`in_instance_language`]), from the catalogues under
//! `[admissions.notice]`. Every message has a key built from what it is about (the case, the round,
//! the recipient), so a job that runs twice or a retried request does not notify twice.
//!
//! Sending is best effort: the state change it reports is already stored and its events are only
//! queued if the call succeeds, so a message the kernel refuses is logged, never allowed to fail
//! the call (the decision is on the person's page anyway).

use trama_sdk::notify::{self, MAX_BODY, MAX_KEY, MAX_SUBJECT, Notification, cut};
use trama_sdk::{i18n, log};

use crate::roster::MemberRef;

/// A message, in the instance's language.
pub struct Message {
    pub subject: String,
    pub body: String,
    /// A path inside the instance, e.g. `/p/admissions/applications/42`.
    pub link: Option<String>,
}

/// Runs `compose` in the instance's own language — a recipient's language is unknown, and the
/// person whose request sends the message may speak another — then gives the call back its
/// caller's language. Everything `t!` writes inside (labels, a decision's summary) follows.
pub fn in_instance_language<T>(compose: impl FnOnce() -> T) -> T {
    let caller = i18n::locale();
    i18n::set_locale("");
    let composed = compose();
    i18n::set_locale(&caller);
    composed
}

/// Sends `message` to the account `recipient` once per `key`.
pub fn send(recipient: &str, key: &str, message: &Message) {
    let notification = Notification {
        recipient: recipient.to_owned(),
        subject: cut(&message.subject, MAX_SUBJECT),
        body: cut(&message.body, MAX_BODY),
        key: cut(key, MAX_KEY),
        link: message.link.clone(),
    };
    match notify::send(&notification) {
        Ok(true) => {}
        Ok(false) => log::debug(format!("notification {key} was already sent")),
        Err(err) => log::warn(format!(
            "could not notify {recipient} ({key}); the page shows it anyway: {err}"
        )),
    }
}

/// Sends `message` to every member in `members`, keyed by `key` and the member.
pub fn send_to_members(members: &[MemberRef], key: &str, message: &Message) {
    for member in members {
        send(&member.id, &format!("{key}/{}", member.id), message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_composed_in_the_instance_language_and_the_caller_keeps_theirs() {
        i18n::set_locale("en");
        let text = in_instance_language(|| (i18n::locale(), i18n::current()));
        assert_eq!(text, (String::new(), i18n::Lang::It));
        assert_eq!(i18n::locale(), "en");
        assert_eq!(i18n::current(), i18n::Lang::En);
        i18n::set_locale("it");
    }
}
