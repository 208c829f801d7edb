//! Plugin data: JSON documents in collections scoped to (instance, plugin).
//!
//! Documents live in one table; the fields a plugin declares as `indexes` in `plugin.toml` are
//! copied into `document_index` on every write so that queries filter and sort in SQL instead of
//! scanning JSON. Every write bumps the document's version, which gives plugins optimistic
//! concurrency; `batch` applies many writes in one transaction.
//!
//! Each operation comes in two forms: one on the pool (`get`, `batch`, …), for the kernel's own
//! use and for tests, and one inside a transaction the caller holds (`get_in`, `batch_in`, …),
//! which is how plugin calls use it: all of one call's writes commit together (see
//! `host::tx`). Writes inside a transaction run in a savepoint of their own, so a refused write
//! (a version conflict, a duplicate) undoes only itself and the call can go on.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseTransaction, Value};
use serde_json::Value as Json;

use crate::db::{Db, sql};

mod id;
mod query;
mod write;

pub use id::new_id;

/// Largest document a plugin may store, in bytes of JSON text.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// Largest page a query returns, whatever the plugin asks for.
pub const MAX_QUERY_LIMIT: u32 = 1000;
const MAX_ID_LEN: usize = 200;

/// Why a store operation failed, in terms a plugin can act on.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StoreError {
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("too large: {0}")]
    TooLarge(String),
    #[error("database error: {0}")]
    Internal(String),
}

impl From<sea_orm::DbErr> for StoreError {
    fn from(err: sea_orm::DbErr) -> Self {
        StoreError::Internal(err.to_string())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub id: String,
    pub version: u64,
    pub data: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Prefix,
}

#[derive(Debug, Clone)]
pub struct Filter {
    pub field: String,
    pub op: Compare,
    /// A JSON scalar.
    pub value: Json,
}

#[derive(Debug, Clone, Default)]
pub struct Query {
    pub filters: Vec<Filter>,
    pub order_by: Option<String>,
    pub descending: bool,
    pub limit: Option<u32>,
    pub offset: u32,
}

#[derive(Debug, Clone)]
pub enum Write {
    Put {
        collection: String,
        id: String,
        data: String,
        expected_version: Option<u64>,
    },
    Delete {
        collection: String,
        id: String,
        expected_version: Option<u64>,
    },
}

/// Collections a plugin declared, each with its indexed fields.
pub type Collections = BTreeMap<String, BTreeSet<String>>;

/// The document store as seen by one plugin on one instance.
#[derive(Clone, Debug)]
pub struct DocStore {
    db: Db,
    instance: Arc<str>,
    plugin: Arc<str>,
    collections: Arc<Collections>,
}

impl DocStore {
    pub fn new(db: Db, instance: &str, plugin: &str, collections: Arc<Collections>) -> Self {
        Self {
            db,
            instance: instance.into(),
            plugin: plugin.into(),
            collections,
        }
    }

    /// Whether the plugin declared `collection` in its `plugin.toml`.
    pub fn declares(&self, collection: &str) -> bool {
        self.collections.contains_key(collection)
    }

    fn indexes(&self, collection: &str) -> Result<&BTreeSet<String>, StoreError> {
        self.collections.get(collection).ok_or_else(|| {
            StoreError::Invalid(format!(
                "collection `{collection}` is not declared in plugin `{}`'s plugin.toml",
                self.plugin
            ))
        })
    }

    fn scope(&self, collection: &str) -> Vec<Value> {
        vec![
            self.instance.to_string().into(),
            self.plugin.to_string().into(),
            collection.to_owned().into(),
        ]
    }

    pub async fn get(&self, collection: &str, id: &str) -> Result<Option<Document>, StoreError> {
        self.get_in(self.db.conn(), collection, id).await
    }

    /// Reads a document through `conn`: the pool, or the transaction of the call that reads it.
    pub async fn get_in(
        &self,
        conn: &impl ConnectionTrait,
        collection: &str,
        id: &str,
    ) -> Result<Option<Document>, StoreError> {
        self.indexes(collection)?;
        // An id no document can have is refused before the database sees it (PostgreSQL
        // would fail on a NUL byte, and the failure would end the caller's transaction).
        check_id(id)?;
        let mut values = self.scope(collection);
        values.push(id.to_owned().into());
        let row = conn
            .query_one_raw(sql::stmt(
                self.db.backend(),
                "SELECT doc_id, version, data FROM documents \
                 WHERE instance = ? AND plugin = ? AND collection = ? AND doc_id = ?",
                values,
            ))
            .await?;
        row.map(|row| document_from_row(&row)).transpose()
    }

    /// Reads a document and holds it against every other writer until `txn` ends, so that the
    /// caller's read-modify-write never meets a version conflict: a contended counter makes
    /// writers wait their turn instead of failing and retrying. On SQLite the transaction
    /// already holds the database's write lock; on PostgreSQL a transaction-scoped advisory
    /// lock keyed by the document serialises the writers of that one document across every
    /// node, whether or not it exists yet.
    pub async fn lock_in(
        &self,
        txn: &DatabaseTransaction,
        collection: &str,
        id: &str,
    ) -> Result<Option<Document>, StoreError> {
        self.indexes(collection)?;
        check_id(id)?;
        let backend = self.db.backend();
        if backend == sea_orm::DbBackend::Postgres {
            let key = format!(
                "trama-doc:{}\u{1f}{}\u{1f}{collection}\u{1f}{id}",
                self.instance, self.plugin
            );
            txn.execute_raw(sql::stmt(
                backend,
                "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))",
                vec![key.into()],
            ))
            .await?;
        }
        self.get_in(txn, collection, id).await
    }
}

fn require_indexed(
    indexes: &BTreeSet<String>,
    collection: &str,
    field: &str,
) -> Result<(), StoreError> {
    if indexes.contains(field) {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "field `{field}` of collection `{collection}` is not indexed: add it to \
             [collections.{collection}] indexes in plugin.toml"
        )))
    }
}

fn check_id(id: &str) -> Result<(), StoreError> {
    if id.is_empty() || id.len() > MAX_ID_LEN || id.chars().any(char::is_control) {
        return Err(StoreError::Invalid(format!(
            "document id `{}` must be 1 to {MAX_ID_LEN} printable characters",
            id.escape_debug()
        )));
    }
    Ok(())
}

fn check_data(data: &str) -> Result<(), StoreError> {
    if data.len() > MAX_DOCUMENT_BYTES {
        return Err(StoreError::TooLarge(format!(
            "document of {} bytes exceeds the limit of {MAX_DOCUMENT_BYTES} bytes",
            data.len()
        )));
    }
    Ok(())
}

/// Finds a field by dotted path (`address.city`).
fn lookup<'a>(data: &'a Json, field: &str) -> Option<&'a Json> {
    field
        .split('.')
        .try_fold(data, |value, key| value.as_object()?.get(key))
}

/// The (text, number) pair stored in the index for a scalar value.
fn index_value(value: &Json) -> Option<(Option<String>, Option<f64>)> {
    match value {
        Json::String(s) => Some((Some(s.clone()), None)),
        Json::Number(n) => Some((None, n.as_f64())),
        Json::Bool(b) => Some((Some(b.to_string()), None)),
        _ => None,
    }
}

fn document_from_row(row: &sea_orm::QueryResult) -> Result<Document, StoreError> {
    let version: i64 = row.try_get("", "version")?;
    Ok(Document {
        id: row.try_get("", "doc_id")?,
        version: from_i64(version),
        data: row.try_get("", "data")?,
    })
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn from_i64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or_default()
}
