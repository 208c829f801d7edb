//! Messages to people about their bookings, through the kernel's outbox, each once per key.

use trama_sdk::notify::{self, MAX_BODY, MAX_SUBJECT, Notification, cut};
use trama_sdk::{Result, i18n};

use crate::web::BASE;

/// Sends `subject` and `body` (already in the recipient's language) to account `to` about
/// booking `booking`; `kind` makes the key, so a retried call does not send twice.
pub fn send(to: &str, kind: &str, booking: &str, subject: String, body: String) -> Result<()> {
    notify::send(&Notification {
        recipient: to.to_owned(),
        subject: cut(&subject, MAX_SUBJECT),
        body: cut(&body, MAX_BODY),
        key: format!("{kind}/{booking}"),
        link: Some(format!("{BASE}/bookings/{booking}")),
    })?;
    Ok(())
}

/// `key` from the catalogue in the language of account `to`.
pub fn text_for(to: &str, key: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    i18n::text_in(&trama_sdk::identity::locale_of(to), key, args)
}
