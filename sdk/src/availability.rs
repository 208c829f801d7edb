//! The answer to a plugin's `[plugin] status` route, which the kernel calls for the service's
//! card on the instance's home page: whether the service takes requests now ("Aperto" /
//! "Chiuso", as Italian public services mark them) and a short note in the request's language
//! ("2 bandi aperti, il primo chiude il 31 dicembre 2026"). Every plugin answers in this one
//! shape, so it lives here rather than in each plugin.

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::http::Response;

/// Whether a service is open, and why in a few words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Availability {
    pub open: bool,
    /// At most [`NOTE_MAX`] characters; the kernel cuts a longer one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The longest note the home page shows, in characters.
pub const NOTE_MAX: usize = 160;

impl Availability {
    pub fn open(note: impl Into<String>) -> Self {
        Self {
            open: true,
            note: Some(note.into()),
        }
    }

    pub fn closed(note: impl Into<String>) -> Self {
        Self {
            open: false,
            note: Some(note.into()),
        }
    }

    /// The JSON answer of the `status` route.
    pub fn respond(&self) -> Result<Response> {
        Response::json(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_reads_open_and_the_note() {
        let open = serde_json::to_value(Availability::open("2 bandi aperti")).unwrap_or_default();
        assert_eq!(
            open,
            serde_json::json!({ "open": true, "note": "2 bandi aperti" })
        );
        let bare: Availability =
            serde_json::from_str(r#"{"open": false}"#).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(bare.note, None);
    }
}
