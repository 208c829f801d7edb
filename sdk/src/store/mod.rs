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

use crate::host::store as wit;
use crate::{Error, Result};

mod batch;
mod query;

pub use batch::Batch;
pub use query::{Cmp, Query};

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
            StoreError::Conflict(_) => Error::Conflict(crate::t!("sdk.store.conflict")),
            StoreError::TooLarge(m) => Error::Invalid(m),
            StoreError::Invalid(m) | StoreError::Internal(m) => Error::Internal(m),
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

    /// [`Collection::create`] for a record keyed by an idempotency key (a payment's request
    /// id): when a concurrent replay of the same request wrote `id` first, that record is the
    /// answer, so both callers see the same one. `what` names the record in the internal
    /// error for the one case left, a record deleted between the two steps.
    pub fn create_or_get(&self, id: &str, data: T, what: &str) -> Result<Doc<T>> {
        match self.create(id, data) {
            Err(Error::Conflict(_)) => self
                .get(id)?
                .ok_or_else(|| Error::internal(format!("{what} {id} vanished"))),
            created => created,
        }
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
        Query::on(self.clone())
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
