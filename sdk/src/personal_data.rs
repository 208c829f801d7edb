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

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value as Json};

use crate::http::Response;
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
#[derive(Debug, Serialize)]
pub struct Kept {
    pub what: String,
    pub why: String,
}

impl Erased {
    /// Counts `n` more records erased or pseudonymised.
    pub fn count(&mut self, n: u64) {
        self.erased = self.erased.saturating_add(n);
    }

    /// Records that `what` was kept because of `why`.
    pub fn keep(&mut self, what: impl Into<String>, why: impl Into<String>) {
        self.kept.push(Kept {
            what: what.into(),
            why: why.into(),
        });
    }

    pub fn response(self) -> Result<Response> {
        Response::json(&self)
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
}
