//! A record's history: who did what and when, kept on the record itself so that its page (the
//! theme's `history::timeline` macro), its JSON and the person's data download tell the same
//! story without a query to the audit log, which only operators read.

use serde::{Deserialize, Serialize};

/// One step of a record's history (an application filed, examined, decided…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// When, in milliseconds since the epoch (shown in the instance's zone).
    pub at: i64,
    /// Who: a display name or username, or the plugin's word for itself when a job acted.
    pub actor: String,
    /// What, as a key the plugin's catalogue and templates translate.
    pub action: String,
    /// A reason or note written with it, if any.
    #[serde(default)]
    pub note: Option<String>,
}

impl Step {
    pub fn new(at: i64, actor: &str, action: &str, note: Option<String>) -> Self {
        Self {
            at,
            actor: actor.to_owned(),
            action: action.to_owned(),
            note,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_stored_before_notes_existed_still_reads() {
        let step: Step =
            serde_json::from_str(r#"{"at":1,"actor":"anna","action":"submitted"}"#).unwrap();
        assert_eq!(step, Step::new(1, "anna", "submitted", None));
    }
}
