//! Tutors: the young people the cooperative selected and trained, what they teach and when
//! they are free.
//!
//! **Linking an account.** The kernel finds accounts by id only, and operators do not know
//! account ids, so registering a tutor gives a one-time *claim code* the operator hands over;
//! the tutor, logged in with the `tutor` role, enters it once and their account becomes the
//! tutor record's. The code is cleared when used, so it cannot link a second account.

use crate::config::Settings;
use crate::schedule::{self, Window};
use crate::{edit, input};
use serde::{Deserialize, Serialize};
use trama_sdk::checked::IntoResult;
use trama_sdk::claim::{self, Link};
use trama_sdk::code;
use trama_sdk::i18n::Lang;
use trama_sdk::identity::User;
use trama_sdk::input::{Input, Problems};
use trama_sdk::store::{Cmp, Collection, Doc};
use trama_sdk::{Error, Result, t};

pub const TUTORS: Collection<Tutor> = Collection::new("tutors");

/// Members of a tutor in JSON.
pub const JSON_FIELDS: &[&str] = &[
    "name",
    "subjects",
    "levels",
    "availability",
    "unavailable_dates",
    "active",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tutor {
    pub name: String,
    pub subjects: Vec<String>,
    pub levels: Vec<String>,
    /// Weekly hours the tutor can teach.
    pub availability: Vec<Window>,
    /// Days off (exams, holidays), `YYYY-MM-DD`.
    #[serde(default)]
    pub unavailable_dates: Vec<String>,
    /// The tutor's account, and the code that links it.
    #[serde(flatten)]
    pub link: Link,
    pub active: bool,
    /// The secret of the tutor's calendar address.
    pub feed_token: String,
    pub created_at: i64,
}

impl Tutor {
    /// Whether the tutor teaches `subject` at `level`.
    pub fn teaches(&self, subject: &str, level: &str) -> bool {
        self.subjects.iter().any(|s| s == subject) && self.levels.iter().any(|l| l == level)
    }

    pub fn away_on(&self, date: &str) -> bool {
        self.unavailable_dates.iter().any(|d| d == date)
    }
}

/// What an operator typed, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub name: String,
    pub subjects: Vec<String>,
    pub levels: Vec<String>,
    pub availability: Vec<Window>,
    pub unavailable_dates: Vec<String>,
    /// Only when the input said (an edit); a new tutor is active.
    pub active: Option<bool>,
}

pub fn read(input: &Input, settings: &Settings) -> std::result::Result<Draft, Problems> {
    let mut problems = Problems::default();
    let name = input::text(
        input,
        "name",
        (2, 120),
        &mut problems,
        &t!("tutoring.tutor.name_length"),
    );
    let subjects = input::choices(input, "subjects", &settings.subjects, true, &mut problems);
    let levels = input::choices(input, "levels", &settings.levels, true, &mut problems);
    let availability = input::windows(
        input,
        "availability",
        &t!("tutoring.tutor.availability_missing"),
        &mut problems,
    );
    let unavailable_dates = input::dates(input, "unavailable_dates", &mut problems);
    let active = input::active_flag(input, &mut problems);
    problems.into_result(Draft {
        name,
        subjects,
        levels,
        availability,
        unavailable_dates,
        active,
    })
}

pub fn not_found(id: &str) -> Error {
    Error::not_found(t!("tutoring.tutor.not_found", id = id))
}

pub fn load(id: &str) -> Result<Doc<Tutor>> {
    TUTORS.get(id)?.ok_or_else(|| not_found(id))
}

/// The tutor record linked to `user`, if any.
pub fn of_user(user: &User) -> Result<Option<Doc<Tutor>>> {
    Ok(TUTORS
        .query()
        .filter("user_id", Cmp::Eq, user.id.as_str())
        .limit(1)
        .fetch()?
        .into_iter()
        .next())
}

/// Every tutor, by name (a cooperative has tens of them; the kernel pages at 1000).
pub fn all() -> Result<Vec<Doc<Tutor>>> {
    TUTORS.query().order_by("name").limit(1000).fetch()
}

/// A fresh calendar secret.
pub fn new_feed_token() -> String {
    code::token()
}

impl Draft {
    /// The tutor `draft` describes, with its account `link` and calendar secret (a
    /// registration draws a code and a secret; an edit keeps the record's; tests pass fixed
    /// ones), `active` unless the draft says otherwise (an edit that does not say keeps the
    /// record's).
    fn into_tutor(self, link: Link, feed_token: String, active: bool, created_at: i64) -> Tutor {
        Tutor {
            name: self.name,
            subjects: self.subjects,
            levels: self.levels,
            availability: self.availability,
            unavailable_dates: self.unavailable_dates,
            link,
            active: self.active.unwrap_or(active),
            feed_token,
            created_at,
        }
    }
}

pub fn register(draft: Draft, now: i64, actor: &User) -> Result<Doc<Tutor>> {
    let detail = serde_json::json!({ "name": draft.name, "by": actor.username });
    let tutor = draft.into_tutor(
        Link::pending(CLAIM_CODES.draw()),
        new_feed_token(),
        true,
        now,
    );
    edit::insert(&TUTORS, tutor, "tutor.registered", &detail)
}

/// An operator changes a tutor's details. Lessons already scheduled stay as they are: the
/// new availability only shapes the slots offered from now on.
pub fn update(id: &str, draft: Draft, actor: &User) -> Result<Doc<Tutor>> {
    let mut doc = load(id)?;
    // The account, its code and the calendar secret stay as they were.
    let old = &doc.data;
    doc.data = draft.into_tutor(
        old.link.clone(),
        old.feed_token.clone(),
        old.active,
        old.created_at,
    );
    let detail = serde_json::json!({ "by": actor.username, "active": doc.data.active });
    edit::save(&TUTORS, doc, "tutor.updated", &detail)
}

/// A tutor's one-time claim code.
pub const CLAIM_CODES: claim::Codes = claim::Codes {
    field: "claim_code",
    len: 8,
    unmatched: "tutoring.claim.no_tutor_code",
    audit: "tutor.claimed",
};

trama_sdk::claimable!(Tutor, link);

/// Links the caller's account to the tutor holding the code `typed`.
pub fn claim(user: &User, typed: &str, lang: Lang) -> Result<Doc<Tutor>> {
    if let Some(mine) = of_user(user)? {
        return Err(Error::conflict(t!(
            "tutoring.tutor.already_linked",
            tutor = mine.data.name
        )));
    }
    claim::redeem(&TUTORS, &CLAIM_CODES, typed, user, lang)
}

/// A new calendar address for the tutor; the old one stops working.
pub fn renew_feed(id: &str) -> Result<Doc<Tutor>> {
    let mut doc = load(id)?;
    doc.data.feed_token = new_feed_token();
    edit::save(&TUTORS, doc, "tutor.feed_renewed", &serde_json::json!({}))
}

/// A tutor for pages and the API. The claim code and the calendar address are only filled in
/// for those who may see them.
#[derive(Debug, Clone, Serialize)]
pub struct TutorView {
    pub id: String,
    pub name: String,
    pub subjects: Vec<String>,
    pub levels: Vec<String>,
    pub availability: Vec<Window>,
    pub availability_text: String,
    pub availability_lines: String,
    pub unavailable_dates: Vec<String>,
    pub active: bool,
    pub linked: bool,
    pub claim_code: Option<String>,
    pub feed_path: Option<String>,
}

impl TutorView {
    pub fn new(doc: &Doc<Tutor>, private: bool) -> Self {
        let t = &doc.data;
        Self {
            id: doc.id.clone(),
            name: t.name.clone(),
            subjects: t.subjects.clone(),
            levels: t.levels.clone(),
            availability: t.availability.clone(),
            availability_text: schedule::describe(&t.availability),
            availability_lines: schedule::to_lines(&t.availability),
            unavailable_dates: t.unavailable_dates.clone(),
            active: t.active,
            linked: t.link.is_linked(),
            claim_code: if private {
                t.link.claim_code.clone()
            } else {
                None
            },
            feed_path: private.then(|| crate::ics::tutor_feed_path(&t.feed_token)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tutor_is_read_from_a_form() {
        let settings = Settings::for_tests();
        let draft = read(
            &Input::from_strs(&[
                ("name", "Giulia Neri"),
                ("subjects", "matematica"),
                ("subjects", "Italiano"),
                ("levels", "Primaria"),
                ("availability", "lun, mer 15:00-18:00\nven 14-16"),
                ("unavailable_dates", "2025-04-25"),
            ]),
            &settings,
        )
        .unwrap();
        assert_eq!(draft.subjects, vec!["Matematica", "Italiano"]);
        assert_eq!(draft.availability.len(), 3);
        assert_eq!(draft.active, None);
        let tutor = draft.into_tutor(Link::default(), String::new(), true, 0);
        assert!(tutor.teaches("Matematica", "Primaria"));
        assert!(!tutor.teaches("Inglese", "Primaria"));
        assert!(!tutor.teaches("Matematica", "Secondaria di primo grado"));
        assert!(tutor.away_on("2025-04-25"));
    }

    #[test]
    fn every_mistake_is_named() {
        trama_sdk::i18n::set_locale("en");
        let settings = Settings::for_tests();
        let problems = read(
            &Input::from_strs(&[
                ("name", "G"),
                ("subjects", "Latino"),
                ("availability", "lun 15-14"),
                ("active", "forse"),
            ]),
            &settings,
        )
        .unwrap_err();
        let fields: Vec<&str> = problems.0.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["name", "subjects", "levels", "availability", "active"]
        );
        assert!(
            problems
                .for_field("subjects")
                .is_some_and(|m| m.contains("`Latino`"))
        );
    }
}
