//! Typed JSON documents in the plugin's collections.
//!
//! Each collection must be declared under `[collections.NAME]` in `plugin.toml`, with the fields
//! that queries filter or sort on listed as `indexes`. Every write bumps a document's version,
//! which is what [`Collection::put_if_version`] checks: two people editing the same document
//! cannot silently overwrite each other. A [`Batch`] applies many writes atomically.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::bindings::trama::plugin::store as wit;
use crate::{Error, Result};

/// Why the kernel refused a store operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The expected version did not match, or the document already existed.
    Conflict(String),
    /// An undeclared collection, a field that is not indexed, malformed JSON.
    Invalid(String),
    /// A document above the kernel's size limit.
    TooLarge(String),
    /// The kernel's database failed; retrying later may work.
    Internal(String),
}

impl From<wit::StoreError> for StoreError {
    fn from(err: wit::StoreError) -> Self {
        match err {
            wit::StoreError::Conflict(m) => Self::Conflict(m),
            wit::StoreError::Invalid(m) => Self::Invalid(m),
            wit::StoreError::TooLarge(m) => Self::TooLarge(m),
            wit::StoreError::Internal(m) => Self::Internal(m),
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Conflict(m) => write!(f, "conflict: {m}"),
            Self::Invalid(m) => write!(f, "invalid store request: {m}"),
            Self::TooLarge(m) => write!(f, "too large: {m}"),
            Self::Internal(m) => write!(f, "store failure: {m}"),
        }
    }
}

impl std::error::Error for StoreError {}

/// A conflict is the caller's to resolve (409); a document that is too large is input breaking
/// a rule (422); an invalid request is a bug in the plugin, and a database failure is the
/// kernel's, so neither is the user's to fix (500).
///
/// The kernel's conflict text names the plugin's collections and versions, which mean nothing
/// to the person who sees it: a conflict becomes a sentence in their language
/// ([`i18n::current`](crate::i18n::current)). Plugins that expect a conflict (a code just used,
/// a duplicate) match [`Error::Conflict`] and say it their own way.
impl From<StoreError> for Error {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(_) => Error::Conflict(
                crate::i18n::current()
                    .pick(
                        "questi dati sono appena stati cambiati da qualcun altro (o esistono già): ricarica la pagina e riprova",
                        "someone else has just changed this (or it already exists): reload the page and try again",
                    )
                    .to_owned(),
            ),
            StoreError::TooLarge(m) => Error::Invalid(m),
            StoreError::Invalid(m) | StoreError::Internal(m) => Error::Internal(m),
        }
    }
}

/// A comparison in a query filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// Text that starts with the value.
    Prefix,
}

impl Cmp {
    fn to_wit(self) -> wit::Compare {
        match self {
            Cmp::Eq => wit::Compare::Eq,
            Cmp::Ne => wit::Compare::Ne,
            Cmp::Lt => wit::Compare::Lt,
            Cmp::Le => wit::Compare::Le,
            Cmp::Gt => wit::Compare::Gt,
            Cmp::Ge => wit::Compare::Ge,
            Cmp::Prefix => wit::Compare::Prefix,
        }
    }
}

/// A stored document: its id, its version (the optimistic-concurrency token) and its data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Doc<T> {
    pub id: String,
    pub version: u64,
    pub data: T,
}

/// A fresh unique id from the kernel (plugins have no randomness of their own).
pub fn new_id() -> String {
    wit::new_id()
}

/// Commits everything this call has written so far (documents, money, events, notifications,
/// audit entries) and releases its locks; later writes go into a new transaction.
///
/// A call is one transaction: what it writes commits together when it returns `Ok` and not at
/// all when it returns an error or fails. That is what an HTTP request or an event handler
/// wants. A long job that walks thousands of records calls `checkpoint` between steps, so that
/// it keeps the steps it finished if a later one fails and does not hold the database for its
/// whole run (other people's writes wait while a call holds SQLite's write lock).
pub fn checkpoint() -> Result<()> {
    Ok(wit::checkpoint().map_err(StoreError::from)?)
}

/// Most documents one query returns (the kernel's limit); see [`Query::fetch_all`].
pub const PAGE: u32 = 1000;

/// Attempts [`retry`] makes before it gives the last conflict back.
pub const ATTEMPTS: usize = 5;

/// Runs `attempt` again while it fails with [`Error::Conflict`], at most [`ATTEMPTS`] times in
/// all: for a read-check-write step that loses a race when someone changes a document between
/// its read and its conditional write (`put_if_version`, a [`Batch`]). Each attempt reads
/// afresh, so a conflict raised by the step's own checks (a duplicate) is checked again on the
/// new state, and returned if it still stands.
pub fn retry<T>(mut attempt: impl FnMut() -> Result<T>) -> Result<T> {
    let mut tries = 1;
    loop {
        match attempt() {
            Err(Error::Conflict(_)) if tries < ATTEMPTS => tries += 1,
            other => return other,
        }
    }
}

/// A typed handle on one collection. It holds no data, so it can be a `const`:
///
/// ```
/// # use trama_sdk::store::Collection;
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Greeting {
///     name: String,
/// }
///
/// const GREETINGS: Collection<Greeting> = Collection::new("greetings");
/// assert_eq!(GREETINGS.name(), "greetings");
/// ```
pub struct Collection<T> {
    name: Cow<'static, str>,
    data: PhantomData<fn() -> T>,
}

// Not derived: a derive would require `T: Clone`, but a collection holds no `T`.
impl<T> Clone for Collection<T> {
    fn clone(&self) -> Self {
        Self {
            name: self.name.clone(),
            data: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Collection<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Collection").field(&self.name).finish()
    }
}

impl<T> Collection<T> {
    pub const fn new(name: &'static str) -> Self {
        Self {
            name: Cow::Borrowed(name),
            data: PhantomData,
        }
    }

    /// A collection whose name is only known at run time.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: Cow::Owned(name.into()),
            data: PhantomData,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl<T: Serialize + DeserializeOwned> Collection<T> {
    /// The document `id`, if it exists.
    pub fn get(&self, id: &str) -> Result<Option<Doc<T>>> {
        let found = wit::get(&self.name, id).map_err(StoreError::from)?;
        found.map(|doc| self.decode(doc)).transpose()
    }

    /// The document `id`, if it exists, held against every other writer until this call ends
    /// (or [`checkpoint`]s): writing it back with [`Collection::put_if_version`] or in a
    /// [`Batch`] cannot meet a version conflict. For documents many people update at once,
    /// such as counters, so that they wait their turn instead of failing. Lock few documents,
    /// always in the same order.
    pub fn lock(&self, id: &str) -> Result<Option<Doc<T>>> {
        let found = wit::lock(&self.name, id).map_err(StoreError::from)?;
        found.map(|doc| self.decode(doc)).transpose()
    }

    /// Stores `data` under a new id; the document starts at version 1.
    pub fn insert(&self, data: T) -> Result<Doc<T>> {
        self.create(&new_id(), data)
    }

    /// Stores `data` under `id`, which must not exist yet (otherwise [`Error::Conflict`]).
    pub fn create(&self, id: &str, data: T) -> Result<Doc<T>> {
        let version = self.write(id, &data, Some(0))?;
        Ok(Doc {
            id: id.to_owned(),
            version,
            data,
        })
    }

    /// Writes `data` under `id` whatever is there; returns the new version.
    pub fn put(&self, id: &str, data: &T) -> Result<u64> {
        self.write(id, data, None)
    }

    /// Writes `data` under `id` only if the document is still at `version`; otherwise
    /// someone changed it first and the answer is [`Error::Conflict`]. Returns the new version.
    pub fn put_if_version(&self, id: &str, data: &T, version: u64) -> Result<u64> {
        self.write(id, data, Some(version))
    }

    /// Deletes `id`; returns whether it existed.
    pub fn delete(&self, id: &str) -> Result<bool> {
        Ok(wit::delete(&wit::DeleteOp {
            collection: self.name.to_string(),
            id: id.to_owned(),
            expected_version: None,
        })
        .map_err(StoreError::from)?)
    }

    /// Deletes `id` only if it is still at `version` (otherwise [`Error::Conflict`]).
    pub fn delete_if_version(&self, id: &str, version: u64) -> Result<bool> {
        Ok(wit::delete(&wit::DeleteOp {
            collection: self.name.to_string(),
            id: id.to_owned(),
            expected_version: Some(version),
        })
        .map_err(StoreError::from)?)
    }

    /// Reads `id`, lets `change` edit it and writes it back only if nobody changed it since
    /// the read; on a conflict it reads again and runs `change` on the new state (see
    /// [`retry`]). `None` when there is no such document; an error from `change` leaves the
    /// document as it was.
    pub fn update(
        &self,
        id: &str,
        mut change: impl FnMut(&mut T) -> Result<()>,
    ) -> Result<Option<Doc<T>>> {
        retry(|| {
            let Some(mut doc) = self.get(id)? else {
                return Ok(None);
            };
            change(&mut doc.data)?;
            doc.version = self.put_if_version(id, &doc.data, doc.version)?;
            Ok(Some(doc))
        })
    }

    /// Starts a query; see [`Query`].
    pub fn query(&self) -> Query<T> {
        Query {
            collection: self.clone(),
            filters: Vec::new(),
            order_by: None,
            descending: false,
            limit: None,
            offset: 0,
        }
    }

    /// How many documents the collection holds.
    pub fn count(&self) -> Result<u64> {
        self.query().count()
    }

    fn write(&self, id: &str, data: &T, expected_version: Option<u64>) -> Result<u64> {
        let op = wit::PutOp {
            collection: self.name.to_string(),
            id: id.to_owned(),
            data: self.encode(id, data)?,
            expected_version,
        };
        Ok(wit::put(&op).map_err(StoreError::from)?)
    }

    fn encode(&self, id: &str, data: &T) -> Result<String> {
        serde_json::to_string(data).map_err(|err| {
            Error::internal(format!(
                "could not write `{}/{id}` as JSON: {err}",
                self.name
            ))
        })
    }

    fn decode(&self, doc: wit::Document) -> Result<Doc<T>> {
        let data = serde_json::from_str(&doc.data).map_err(|err| {
            Error::internal(format!(
                "the stored document `{}/{}` does not have the expected shape: {err}",
                self.name, doc.id
            ))
        })?;
        Ok(Doc {
            id: doc.id,
            version: doc.version,
            data,
        })
    }
}

/// A query on a collection: filters and ordering use indexed fields only.
///
/// ```no_run
/// # use trama_sdk::store::{Cmp, Collection};
/// # #[derive(serde::Serialize, serde::Deserialize)]
/// # struct Greeting { name: String }
/// # const GREETINGS: Collection<Greeting> = Collection::new("greetings");
/// # fn main() -> trama_sdk::Result<()> {
/// let recent = GREETINGS
///     .query()
///     .filter("name", Cmp::Eq, "Anna")
///     .order_by_desc("created_at")
///     .limit(20)
///     .fetch()?;
/// # Ok(())
/// # }
/// ```
#[must_use = "a query does nothing until `fetch` or `count`"]
pub struct Query<T> {
    /// A copy, so that a query on a `const` collection can be kept in a variable.
    collection: Collection<T>,
    filters: Vec<wit::Filter>,
    order_by: Option<String>,
    descending: bool,
    limit: Option<u32>,
    offset: u32,
}

impl<T: Serialize + DeserializeOwned> Query<T> {
    /// Keeps documents whose indexed `field` compares to `value` (a string, number or bool).
    pub fn filter(mut self, field: &str, cmp: Cmp, value: impl Into<Value>) -> Self {
        self.filters.push(wit::Filter {
            field: field.to_owned(),
            op: cmp.to_wit(),
            value: value.into().to_string(),
        });
        self
    }

    /// Sorts by an indexed field, smallest first (documents are sorted by id otherwise).
    pub fn order_by(mut self, field: &str) -> Self {
        self.order_by = Some(field.to_owned());
        self.descending = false;
        self
    }

    /// Sorts by an indexed field, largest first.
    pub fn order_by_desc(mut self, field: &str) -> Self {
        self.order_by = Some(field.to_owned());
        self.descending = true;
        self
    }

    /// Returns at most `n` documents (the kernel caps every page anyway).
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }

    /// Skips the first `n` documents.
    pub fn offset(mut self, n: u32) -> Self {
        self.offset = n;
        self
    }

    /// Runs the query.
    pub fn fetch(self) -> Result<Vec<Doc<T>>> {
        let query = wit::QueryOptions {
            filters: self.filters,
            order_by: self.order_by,
            descending: self.descending,
            limit: self.limit,
            offset: self.offset,
        };
        let docs = wit::query(&self.collection.name, &query).map_err(StoreError::from)?;
        docs.into_iter()
            .map(|doc| self.collection.decode(doc))
            .collect()
    }

    /// Every document that passes the filters, from the query's offset on, read a page of
    /// [`PAGE`] (the kernel's largest) at a time; a limit set on the query is ignored. For
    /// exports and reports that must see everything: a page walk by hand is easy to get wrong
    /// at the boundary.
    pub fn fetch_all(self) -> Result<Vec<Doc<T>>> {
        let mut all = Vec::new();
        loop {
            let offset = self
                .offset
                .saturating_add(u32::try_from(all.len()).unwrap_or(u32::MAX));
            let query = wit::QueryOptions {
                filters: self.filters.clone(),
                order_by: self.order_by.clone(),
                descending: self.descending,
                limit: Some(PAGE),
                offset,
            };
            let docs = wit::query(&self.collection.name, &query).map_err(StoreError::from)?;
            let full = docs.len() == PAGE as usize;
            for doc in docs {
                all.push(self.collection.decode(doc)?);
            }
            if !full {
                return Ok(all);
            }
        }
    }

    /// Counts the documents that pass the filters (ordering and paging are ignored).
    pub fn count(self) -> Result<u64> {
        Ok(wit::count(&self.collection.name, &self.filters).map_err(StoreError::from)?)
    }
}

/// Writes that succeed together or not at all.
///
/// ```no_run
/// # use trama_sdk::store::{self, Batch, Collection};
/// # fn main() -> trama_sdk::Result<()> {
/// const NAMES: Collection<String> = Collection::new("names");
/// const TOTALS: Collection<u64> = Collection::new("totals");
///
/// let total = TOTALS.get("names")?;
/// let mut batch = Batch::new();
/// batch.create(&NAMES, &store::new_id(), &"Anna".to_owned());
/// match &total {
///     // Fails the whole batch if someone else counted in the meantime.
///     Some(doc) => batch.put_if_version(&TOTALS, "names", &(doc.data + 1), doc.version),
///     None => batch.create(&TOTALS, "names", &1),
/// };
/// batch.commit()?;
/// # Ok(())
/// # }
/// ```
#[derive(Default)]
#[must_use = "a batch does nothing until `commit`"]
pub struct Batch {
    writes: Vec<wit::Write>,
    /// The first document that could not be serialized; reported by `commit`.
    error: Option<Error>,
}

impl Batch {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many writes the batch holds.
    pub fn len(&self) -> usize {
        self.writes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    /// Writes `data` under `id` whatever is there.
    pub fn put<T: Serialize + DeserializeOwned>(
        &mut self,
        collection: &Collection<T>,
        id: &str,
        data: &T,
    ) -> &mut Self {
        self.push_put(collection, id, data, None)
    }

    /// Creates `id`, which must not exist yet.
    pub fn create<T: Serialize + DeserializeOwned>(
        &mut self,
        collection: &Collection<T>,
        id: &str,
        data: &T,
    ) -> &mut Self {
        self.push_put(collection, id, data, Some(0))
    }

    /// Writes `data` under `id` only if it is still at `version`.
    pub fn put_if_version<T: Serialize + DeserializeOwned>(
        &mut self,
        collection: &Collection<T>,
        id: &str,
        data: &T,
        version: u64,
    ) -> &mut Self {
        self.push_put(collection, id, data, Some(version))
    }

    /// Deletes `id` if it exists.
    pub fn delete<T>(&mut self, collection: &Collection<T>, id: &str) -> &mut Self {
        self.push_delete(collection, id, None)
    }

    /// Deletes `id`, which must exist at `version`.
    pub fn delete_if_version<T>(
        &mut self,
        collection: &Collection<T>,
        id: &str,
        version: u64,
    ) -> &mut Self {
        self.push_delete(collection, id, Some(version))
    }

    /// Applies every write atomically; returns the new version of each (0 for deletes), in
    /// order. If any write fails — a version conflict, say — nothing is written.
    pub fn commit(self) -> Result<Vec<u64>> {
        if let Some(err) = self.error {
            return Err(err);
        }
        Ok(wit::batch(&self.writes).map_err(StoreError::from)?)
    }

    fn push_put<T: Serialize + DeserializeOwned>(
        &mut self,
        collection: &Collection<T>,
        id: &str,
        data: &T,
        expected_version: Option<u64>,
    ) -> &mut Self {
        match collection.encode(id, data) {
            Ok(data) => self.writes.push(wit::Write::Put(wit::PutOp {
                collection: collection.name.to_string(),
                id: id.to_owned(),
                data,
                expected_version,
            })),
            Err(err) => {
                self.error.get_or_insert(err);
            }
        }
        self
    }

    fn push_delete<T>(
        &mut self,
        collection: &Collection<T>,
        id: &str,
        expected_version: Option<u64>,
    ) -> &mut Self {
        self.writes.push(wit::Write::Delete(wit::DeleteOp {
            collection: collection.name.to_string(),
            id: id.to_owned(),
            expected_version,
        }));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_map_to_the_status_the_user_should_see() {
        let cases = [
            (StoreError::Conflict("c".into()), 409),
            (StoreError::TooLarge("t".into()), 422),
            (StoreError::Invalid("i".into()), 500),
            (StoreError::Internal("d".into()), 500),
        ];
        for (err, status) in cases {
            assert_eq!(Error::from(err).status(), status);
        }
        // The kernel's text names collections and versions; the person reads a sentence.
        let conflict = Error::from(StoreError::Conflict(
            "`tutors/7` is at version 3, not 2".into(),
        ));
        assert!(
            conflict
                .message()
                .starts_with("questi dati sono appena stati cambiati")
        );
        assert!(!conflict.message().contains("tutors"));
    }

    #[test]
    fn a_document_that_cannot_be_serialized_fails_the_batch_before_the_kernel_sees_it() {
        // A map with non-string keys cannot be JSON.
        let weird: Collection<std::collections::BTreeMap<(u8, u8), u8>> = Collection::new("w");
        let mut batch = Batch::new();
        batch.put(&weird, "x", &[((1, 2), 3)].into_iter().collect());
        assert!(batch.is_empty());
        let err = batch.commit().unwrap_err();
        assert_eq!(err.status(), 500);
        assert!(err.message().contains("`w/x`"), "{err}");
    }
}
