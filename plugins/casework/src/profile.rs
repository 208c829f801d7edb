//! What the case knows of the household's means and residence: the ISEE (the indicator of
//! the household's economic situation, in cents, with the year of its declaration) and
//! whether the household lives in the municipality. Recorded at intake or later on the case
//! page, and used only inside casework: to sift the team's own cases for an open measure
//! (see [`crate::outreach`]). One document per case, id = the case id.

use serde::{Deserialize, Serialize};
use trama_sdk::i18n::Lang;
use trama_sdk::input::{Input, Problems};
use trama_sdk::money::parse_euros;
use trama_sdk::store::Collection;
use trama_sdk::{Result, t};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// The household's ISEE in cents; `None` while not known.
    #[serde(default)]
    pub isee_cents: Option<i64>,
    /// Whether the household lives in the municipality; `None` while not known.
    #[serde(default)]
    pub resident: Option<bool>,
    #[serde(default)]
    pub updated_at: i64,
}

pub const PROFILES: Collection<Profile> = Collection::new("profiles");

/// The form's (and the JSON's) members.
pub const FIELDS: &[&str] = &["isee", "resident"];

/// The profile of case `id` (empty when nothing was recorded).
pub fn of(id: &str) -> Result<Profile> {
    Ok(PROFILES.get(id)?.map(|d| d.data).unwrap_or_default())
}

/// Reads `isee` (euros, `12.500,00`; empty: not known) and `resident` (`yes`, `no`, empty: not
/// known), each problem beside its field.
pub fn read(input: &Input, lang: Lang, now: i64, problems: &mut Problems) -> Profile {
    let isee_cents = match input.one("isee").map(str::trim) {
        None | Some("") => None,
        Some(text) => match parse_euros(text) {
            Ok(cents) => Some(cents),
            Err(err) => {
                problems.push("isee", err.describe(text, lang));
                None
            }
        },
    };
    let resident = match input.one("resident").map(str::trim) {
        None | Some("") => None,
        Some(text) => match trama_sdk::input::parse_yes_no(text) {
            Some(yes) => Some(yes),
            None => {
                problems.push("resident", t!("casework.problems.yes_no"));
                None
            }
        },
    };
    Profile {
        isee_cents,
        resident,
        updated_at: now,
    }
}

impl Profile {
    /// Whether anything is known.
    pub fn is_empty(&self) -> bool {
        self.isee_cents.is_none() && self.resident.is_none()
    }
}
