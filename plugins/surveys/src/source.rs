//! The services a questionnaire follows, and how each one's delivery is read from the typed
//! event its plugin publishes.
//!
//! A new service joins by publishing an event that names who received it (their accounts) and
//! when, subscribing to it in `plugin.toml`, and adding a line to [`delivery`] and [`SERVICES`].

use trama_contracts::tutoring::AttendanceRecorded;
use trama_sdk::Result;
use trama_sdk::events::Event;

/// Every service this plugin can follow, by the name the settings use.
pub const SERVICES: &[&str] = &["tutoring"];

/// A service delivered to some people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The service, one of [`SERVICES`].
    pub service: &'static str,
    /// Its month in Rome, `YYYY-MM`.
    pub month: String,
    /// Who received it.
    pub accounts: Vec<String>,
}

/// The delivery `event` tells of, if it is one.
pub fn delivery(event: &Event) -> Result<Option<Delivery>> {
    if let Some(held) = event.decode::<AttendanceRecorded>()? {
        return Ok(Some(Delivery {
            service: "tutoring",
            month: month_of(&held.date),
            accounts: held.accounts,
        }));
    }
    Ok(None)
}

/// `YYYY-MM` of a `YYYY-MM-DD` date.
fn month_of(date: &str) -> String {
    date.get(..7).unwrap_or(date).to_owned()
}

/// The catalogue key of a service's name, for messages and tables.
pub fn title(service: &str) -> String {
    trama_sdk::i18n::text(&format!("surveys.service.{service}"), &[])
}
