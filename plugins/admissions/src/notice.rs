//! Messages to applicants, providers and committee members, through the kernel's outbox
//! (host API 1.2).
//!
//! Each message is written in its recipient's language — the one they chose on the site
//! (`identity::locale_of`, host API 1.5), else the instance's ([`in_language_of`]) — from the
//! catalogues under `[admissions.notice]`, composed once per recipient. Every message has a key built from what it is about (the case, the round,
//! the recipient), so a job that runs twice or a retried request does not notify twice.
//!
//! Sending is best effort: the state change it reports is already stored and its events are only
//! queued if the call succeeds, so a message the kernel refuses is logged, never allowed to fail
//! the call (the decision is on the person's page anyway).

use trama_sdk::notify::{self, MAX_BODY, MAX_KEY, MAX_SUBJECT, Notification, cut};
use trama_sdk::{i18n, identity, log};

use crate::roster::MemberRef;

/// A message, in the instance's language.
pub struct Message {
    pub subject: String,
    pub body: String,
    /// A path inside the instance, e.g. `/p/admissions/applications/42`.
    pub link: Option<String>,
}

/// Runs `compose` in the language account `recipient` chose on the site (the instance's own
/// when they chose none) — the person whose request sends the message may speak another —
/// then gives the call back its caller's language. Everything `t!` writes inside (labels, a
/// decision's summary) follows.
pub fn in_language_of<T>(recipient: &str, compose: impl FnOnce() -> T) -> T {
    in_locale(&identity::locale_of(recipient), compose)
}

/// [`in_language_of`] for a locale already known (empty: the instance's own language).
fn in_locale<T>(locale: &str, compose: impl FnOnce() -> T) -> T {
    let caller = i18n::locale();
    i18n::set_locale(locale);
    let composed = compose();
    i18n::set_locale(&caller);
    composed
}

/// Sends `message` to the account `recipient` once per `key`.
/// `compose` writes the message; it runs in the recipient's language.
pub fn send(recipient: &str, key: &str, compose: &dyn Fn() -> Message) {
    let message = in_language_of(recipient, compose);
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

/// Sends the message `compose` writes to every member in `members`, each in their own
/// language, keyed by `key` and the member.
pub fn send_to_members(members: &[MemberRef], key: &str, compose: &dyn Fn() -> Message) {
    for member in members {
        send(&member.id, &format!("{key}/{}", member.id), compose);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_composed_in_the_instance_language_and_the_caller_keeps_theirs() {
        i18n::set_locale("en");
        let text = in_locale("", || (i18n::locale(), i18n::current()));
        assert_eq!(text, (String::new(), i18n::Lang::It));
        assert_eq!(i18n::locale(), "en");
        assert_eq!(i18n::current(), i18n::Lang::En);
        i18n::set_locale("it");
    }
}
