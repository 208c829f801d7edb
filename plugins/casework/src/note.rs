//! Notes of a case file. A sensitive note — what a person confided, health, family conflict —
//! is sealed with the instance's keys (host API 1.9 `seal`), bound to its case and its own id,
//! so the store (and every backup of it) holds only ciphertext, and a sealed note copied into
//! another case does not open.

use serde::{Deserialize, Serialize};
use trama_sdk::input::{Input, Problems};
use trama_sdk::store::{Cmp, Collection, Doc};
use trama_sdk::{Result, seal, store, t};

/// One note. Exactly one of `text` and `sealed` is set.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Note {
    /// The case id (indexed).
    pub case: String,
    /// When, in UTC ms (indexed).
    pub at: i64,
    pub author: String,
    pub author_name: String,
    pub sensitive: bool,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub sealed: Option<String>,
}

pub const NOTES: Collection<Note> = Collection::new("notes");

pub const FIELDS: &[&str] = &["text", "sensitive"];

/// What the seal binds a note to: its case and its own id.
pub fn context(case: &str, note: &str) -> String {
    format!("case/{case}/note/{note}")
}

/// The note's text and whether it is sensitive, once checked.
pub fn check(input: &Input) -> std::result::Result<(String, bool), Problems> {
    let mut problems = Problems::default();
    let text = input.one("text").unwrap_or_default().to_owned();
    if text.is_empty() {
        problems.push("text", t!("casework.problems.note_missing"));
    } else if text.chars().count() > 10_000 {
        problems.push("text", t!("casework.problems.too_long", max = 10_000));
    }
    let sensitive = match input.flag("sensitive") {
        Ok(flag) => flag,
        Err(_) => {
            problems.push("sensitive", t!("casework.problems.yes_no"));
            false
        }
    };
    if problems.is_empty() {
        Ok((text, sensitive))
    } else {
        Err(problems)
    }
}

/// Adds a note to `case`; a sensitive one is sealed before it reaches the store.
pub fn add(
    case: &str,
    text: &str,
    sensitive: bool,
    author: &trama_sdk::identity::User,
    now: i64,
) -> Result<Doc<Note>> {
    let id = store::new_id();
    let (plain, sealed) = if sensitive {
        (None, Some(seal::seal_text(&context(case, &id), text)?))
    } else {
        (Some(text.to_owned()), None)
    };
    let note = Note {
        case: case.to_owned(),
        at: now,
        author: author.id.clone(),
        author_name: author.display_name.clone(),
        sensitive,
        text: plain,
        sealed,
    };
    NOTES.create(&id, note)
}

/// The notes of a case, newest first.
pub fn of_case(case: &str) -> Result<Vec<Doc<Note>>> {
    let mut notes = NOTES
        .query()
        .filter("case", Cmp::Eq, case)
        .order_by("at")
        .fetch_all()?;
    notes.reverse();
    Ok(notes)
}

/// The text of a note for a reader allowed to see it: a sealed note is opened under its own
/// context, so a note that does not open is an error, never an empty note.
pub fn read(doc: &Doc<Note>) -> Result<String> {
    match (&doc.data.text, &doc.data.sealed) {
        (_, Some(sealed)) => seal::open_text(&context(&doc.data.case, &doc.id), sealed),
        (Some(text), None) => Ok(text.clone()),
        (None, None) => Ok(String::new()),
    }
}
