//! The answers to a plugin's `personal_data` route (`[plugin] personal_data` in `plugin.toml`),
//! which the kernel calls as the person concerned:
//!
//! - `GET` for "download my data": a JSON object with everything the plugin holds about the
//!   caller — build it with [`Export`];
//! - `DELETE` when the administrator carries out an erasure: the plugin erases or
//!   pseudonymises what it holds about the caller and answers [`Erased`], saying what it kept
//!   and why (a voucher paid out stays in the accounts; the law says so).
//!
//! Both must be complete — a record left out of the download is a record the person is told
//! does not exist — and the `DELETE` must be idempotent: the kernel calls it again when an
//! erasure is carried out a second time after a failure elsewhere.
//!
//! ```no_run
//! use trama_sdk::http::{Request, Response};
//! use trama_sdk::personal_data::{Erased, Export, owned_by};
//! use trama_sdk::router::Params;
//! use trama_sdk::store::Collection;
//! use trama_sdk::{Result, identity};
//!
//! const NOTES: Collection<serde_json::Value> = Collection::new("notes");
//!
//! fn export(_: Request, _: Params) -> Result<Response> {
//!     let me = identity::require_login()?;
//!     Export::new().with("notes", &owned_by(&NOTES, "author", &me.id)?)?.response()
//! }
//!
//! fn erase(_: Request, _: Params) -> Result<Response> {
//!     let me = identity::require_login()?;
//!     let mut erased = Erased::default();
//!     for note in owned_by(&NOTES, "author", &me.id)? {
//!         NOTES.delete(&note.id)?;
//!         erased.count(1);
//!     }
//!     erased.response()
//! }
//! ```
//!
//! **What to erase and what to keep.** Erase what no rule requires to keep: drafts, requests
//! still pending or refused, bookings not yet held, preferences, claim codes ([`delete_owned`]).
//! Pseudonymise what the accounts or the law need ([`rewrite`]): replace names, tax codes,
//! contacts and free text with [`ERASED`], unlink the account id, and keep amounts, dates,
//! statuses and ids, so that the books, counters and ledger stay as they were; then say so with
//! [`Erased::keep`]. A record unlinked from the account is no longer found by the next call,
//! which therefore erases nothing (`erased: 0`).

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value as Json};

use crate::http::Response;
use crate::identity::User;
use crate::store::{Cmp, Collection, Doc};
use crate::{Error, Result};

/// Every document of `collection` whose indexed `field` holds `user_id`, however many.
pub fn owned_by<T: Serialize + DeserializeOwned>(
    collection: &Collection<T>,
    field: &str,
    user_id: &str,
) -> Result<Vec<Doc<T>>> {
    collection
        .query()
        .filter(field, Cmp::Eq, user_id)
        .fetch_all()
}

/// What replaces a name, a tax code, a contact or a free text in a record kept after an
/// erasure (the kernel pseudonymises accounts the same way, `cancellato-{id}`).
pub const ERASED: &str = "cancellato";

/// Deletes every document of `collection` whose indexed `field` holds `user_id`: how many.
pub fn delete_owned<T: Serialize + DeserializeOwned>(
    collection: &Collection<T>,
    field: &str,
    user_id: &str,
) -> Result<u64> {
    let mut deleted = 0;
    for doc in owned_by(collection, field, user_id)? {
        if collection.delete(&doc.id)? {
            deleted += 1;
        }
    }
    Ok(deleted)
}

/// Writes back each of `docs` that `pseudonymise` changed (it edits the data in place and says
/// whether it changed anything), expecting the version read: how many were written. A record
/// changed meanwhile is a conflict (`409`), and the erasure can simply be carried out again.
pub fn rewrite<T: Serialize + DeserializeOwned>(
    collection: &Collection<T>,
    docs: Vec<Doc<T>>,
    mut pseudonymise: impl FnMut(&mut T) -> bool,
) -> Result<u64> {
    let mut written = 0;
    for mut doc in docs {
        if pseudonymise(&mut doc.data) {
            collection.put_if_version(&doc.id, &doc.data, doc.version)?;
            written += 1;
        }
    }
    Ok(written)
}

/// `text` as a kept record shows it: [`ERASED`] unless it is empty (nothing to hide).
pub fn erase_text(text: &mut String) -> bool {
    if text.is_empty() || text == ERASED {
        return false;
    }
    ERASED.clone_into(text);
    true
}

/// [`erase_text`] for an optional text.
pub fn erase_opt(text: &mut Option<String>) -> bool {
    text.as_mut().is_some_and(erase_text)
}

/// `data` with every text that is exactly one of `person` (their username, their display
/// name: how records name whoever acted, voted or commented) replaced by [`ERASED`], however
/// deep it sits, or `None` if none is there. Ids are left alone: they lead to no one once the
/// kernel has pseudonymised the account. Empty texts in `person` are ignored.
pub fn scrub<T: Serialize + DeserializeOwned>(data: &T, person: &[&str]) -> Result<Option<T>> {
    let mut value = serde_json::to_value(data)
        .map_err(|err| Error::internal(format!("personal data: {err}")))?;
    if !scrub_value(&mut value, person) {
        return Ok(None);
    }
    serde_json::from_value(value)
        .map(Some)
        .map_err(|err| Error::internal(format!("personal data: {err}")))
}

fn scrub_value(value: &mut Json, person: &[&str]) -> bool {
    match value {
        Json::String(text) => {
            let hit = !text.is_empty() && person.iter().any(|p| !p.is_empty() && text == p);
            if hit {
                ERASED.clone_into(text);
            }
            hit
        }
        Json::Array(items) => items
            .iter_mut()
            .fold(false, |hit, item| scrub_value(item, person) | hit),
        Json::Object(map) => map
            .values_mut()
            .fold(false, |hit, item| scrub_value(item, person) | hit),
        _ => false,
    }
}

/// The download: one entry per kind of record, each a list of documents (id and data).
#[derive(Debug, Default)]
pub struct Export(Map<String, Json>);

impl Export {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `docs` under `name` (an entry already there is extended).
    pub fn with<T: Serialize>(mut self, name: &str, docs: &[Doc<T>]) -> Result<Self> {
        let entry = self
            .0
            .entry(name.to_owned())
            .or_insert_with(|| Json::Array(Vec::new()));
        if let Json::Array(list) = entry {
            for doc in docs {
                let mut value = serde_json::to_value(&doc.data)
                    .map_err(|err| Error::internal(format!("personal data `{name}`: {err}")))?;
                if let Json::Object(map) = &mut value {
                    map.insert("id".into(), Json::String(doc.id.clone()));
                }
                list.push(value);
            }
        }
        Ok(self)
    }

    /// Adds any value under `name` (a summary, a derived record).
    pub fn with_value(mut self, name: &str, value: Json) -> Self {
        self.0.insert(name.to_owned(), value);
        self
    }

    /// The JSON object, as the kernel expects it.
    pub fn response(self) -> Result<Response> {
        Response::json(&Json::Object(self.0))
    }
}

/// What an erasure did: how many records were erased or pseudonymised, what was kept and why.
#[derive(Debug, Default, Serialize)]
pub struct Erased {
    pub erased: u64,
    pub kept: Vec<Kept>,
}

/// A kind of record kept after an erasure, and the reason (a rule, a legal obligation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kept {
    pub what: String,
    pub why: String,
}

impl Erased {
    /// Counts `n` more records erased or pseudonymised.
    pub fn count(&mut self, n: u64) {
        self.erased = self.erased.saturating_add(n);
    }

    /// Records that `what` was kept because of `why`; the same kind of record is listed once,
    /// however many of them were kept.
    pub fn keep(&mut self, what: impl Into<String>, why: impl Into<String>) {
        let kept = Kept {
            what: what.into(),
            why: why.into(),
        };
        if !self.kept.contains(&kept) {
            self.kept.push(kept);
        }
    }

    pub fn response(self) -> Result<Response> {
        Response::json(&self)
    }

    /// Ends an erasure carried out for `person`: the audit trail records how many records went
    /// (`personal_data.erased`, never what they held), and the kernel gets the answer.
    pub fn finish(self, person: &User) -> Result<Response> {
        crate::audit::record(
            "personal_data.erased",
            &person.id,
            &serde_json::json!({ "erased": self.erased }),
        )?;
        self.response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_document_carries_its_id_beside_its_data() {
        let doc = Doc {
            id: "a1".to_owned(),
            version: 3,
            data: serde_json::json!({ "name": "Anna" }),
        };
        let export = Export::new()
            .with("applications", &[doc])
            .unwrap_or_default();
        assert_eq!(
            Json::Object(export.0),
            serde_json::json!({ "applications": [{ "name": "Anna", "id": "a1" }] })
        );
    }

    #[test]
    fn a_kind_of_record_kept_is_listed_once_and_texts_are_erased_once() {
        let mut erased = Erased::default();
        erased.keep("buoni emessi", "contabilità");
        erased.keep("buoni emessi", "contabilità");
        erased.count(2);
        assert_eq!(erased.kept.len(), 1);
        assert_eq!(erased.erased, 2);

        let mut name = "Anna Rossi".to_owned();
        assert!(erase_text(&mut name));
        assert_eq!(name, ERASED);
        assert!(!erase_text(&mut name), "erased already: nothing changes");
        let mut none: Option<String> = None;
        assert!(!erase_opt(&mut none));
        let mut empty = String::new();
        assert!(!erase_text(&mut empty));
    }

    #[test]
    fn a_scrub_replaces_the_person_wherever_they_are_named_and_nothing_else() {
        let record = serde_json::json!({
            "actor": "anna",
            "votes": [{ "member": "u1", "name": "Anna Rossi" }, { "member": "u2", "name": "Bruno" }],
            "note": "Anna Rossi ha scritto",
        });
        let scrubbed = scrub(&record, &["anna", "Anna Rossi", ""])
            .unwrap_or_default()
            .unwrap_or_default();
        assert_eq!(
            scrubbed,
            serde_json::json!({
                "actor": ERASED,
                "votes": [{ "member": "u1", "name": ERASED }, { "member": "u2", "name": "Bruno" }],
                "note": "Anna Rossi ha scritto",
            })
        );
        assert!(scrub(&scrubbed, &["anna"]).unwrap_or_default().is_none());
    }
}
