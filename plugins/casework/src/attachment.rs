//! Documents attached to a case file: an ISEE, a medical certificate, an eviction notice. The
//! kernel keeps the file (capability `files`, in the instance's database, inside the call's
//! transaction) and recognises its type from its content; the plugin checks it against the
//! instance's settings (`attachment_kinds`, `attachment_max_kb`) and records who attached it
//! and whether the person may see it in their summary (`shareable`). Downloads are for those
//! who may see the case — the person only the shareable ones — and every download is audited.
//!
//! Documents are sealed at rest: casework's plugin.toml sets `[files] sealed = true`, so the
//! kernel encrypts every file casework keeps with the instance's seal keys and opens it when
//! casework reads it (see docs/deployment.md); the plugin's code is the same either way.

use serde::{Deserialize, Serialize};
use trama_sdk::files::{self, StoredFile, Upload};
use trama_sdk::input::{Input, Problems};
use trama_sdk::store::{Cmp, Collection, Doc};
use trama_sdk::{Result, t};

use crate::config::Settings;

/// The form field the document comes in.
pub const FIELD: &str = "file";

/// The longest title of a document.
pub const MAX_TITLE: usize = 200;

/// One document of a case.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attachment {
    /// The case id (indexed).
    pub case: String,
    pub file: StoredFile,
    /// What it is, in the care manager's words (the file's name when left empty).
    pub title: String,
    /// Whether the person sees it in their summary.
    pub shareable: bool,
    pub at: i64,
    pub author: String,
    pub author_name: String,
}

pub const ATTACHMENTS: Collection<Attachment> = Collection::new("attachments");

/// What the upload form sends besides the file.
pub const FIELDS: &[&str] = &["title", "shareable"];

/// The title and the `shareable` flag, and the one file of [`FIELD`] among `uploads`, checked
/// against the settings: no file, more than one, a type or a size the instance does not take
/// are each a problem beside the field.
pub fn check(
    input: &Input,
    uploads: &[Upload],
    settings: &Settings,
) -> std::result::Result<(String, bool), Problems> {
    let mut problems = Problems::default();
    let sent: Vec<&Upload> = uploads.iter().filter(|u| u.field == FIELD).collect();
    match sent.as_slice() {
        [] => problems.push(FIELD, t!("casework.attachment.problems.missing")),
        [one] => {
            if let Some(refusal) = settings.attachments().refusal(one) {
                problems.push(FIELD, refusal);
            }
        }
        _ => problems.push(FIELD, t!("casework.attachment.problems.one")),
    }
    let title = input.one("title").unwrap_or_default().trim().to_owned();
    if title.chars().count() > MAX_TITLE {
        problems.push("title", t!("casework.problems.too_long", max = MAX_TITLE));
    }
    let shareable = match input.flag("shareable") {
        Ok(flag) => flag,
        Err(_) => {
            problems.push("shareable", t!("casework.problems.yes_no"));
            false
        }
    };
    if problems.is_empty() {
        Ok((title, shareable))
    } else {
        Err(problems)
    }
}

/// Keeps the file sent in [`FIELD`] and records it on `case`.
pub fn keep(
    case: &str,
    title: String,
    shareable: bool,
    author: &trama_sdk::identity::User,
    now: i64,
) -> Result<Doc<Attachment>> {
    let file = files::keep(FIELD, None)?;
    let title = if title.is_empty() {
        file.name.clone()
    } else {
        title
    };
    ATTACHMENTS.insert(Attachment {
        case: case.to_owned(),
        file,
        title,
        shareable,
        at: now,
        author: author.id.clone(),
        author_name: author.display_name.clone(),
    })
}

/// The documents of a case, newest first.
pub fn of_case(case: &str) -> Result<Vec<Doc<Attachment>>> {
    let mut docs = ATTACHMENTS
        .query()
        .filter("case", Cmp::Eq, case)
        .order_by("at")
        .fetch_all()?;
    docs.reverse();
    Ok(docs)
}
