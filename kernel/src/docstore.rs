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

    pub async fn put(
        &self,
        collection: &str,
        id: &str,
        data: &str,
        expected_version: Option<u64>,
    ) -> Result<u64, StoreError> {
        let versions = self
            .batch(vec![Write::Put {
                collection: collection.to_owned(),
                id: id.to_owned(),
                data: data.to_owned(),
                expected_version,
            }])
            .await?;
        Ok(versions.first().copied().unwrap_or_default())
    }

    pub async fn delete(
        &self,
        collection: &str,
        id: &str,
        expected_version: Option<u64>,
    ) -> Result<bool, StoreError> {
        let write = self.db.begin_owned_write().await?;
        let deleted = self
            .delete_in(write.txn(), collection, id, expected_version)
            .await?;
        write.commit().await?;
        Ok(deleted)
    }

    /// Deletes a document inside `txn`, in a savepoint. A delete leaves no row to carry the
    /// call's id; the call's audit entry lists it.
    pub async fn delete_in(
        &self,
        txn: &DatabaseTransaction,
        collection: &str,
        id: &str,
        expected_version: Option<u64>,
    ) -> Result<bool, StoreError> {
        self.indexes(collection)?;
        crate::db::savepoint(txn, async |txn| {
            self.apply_delete(txn, collection, id, expected_version)
                .await
        })
        .await
    }

    /// Applies every write in one transaction: all of them or none.
    pub async fn batch(&self, writes: Vec<Write>) -> Result<Vec<u64>, StoreError> {
        let write = self.db.begin_owned_write().await?;
        let versions = self.batch_in(write.txn(), None, writes).await?;
        write.commit().await?;
        Ok(versions)
    }

    /// Applies every write inside `txn`, in a savepoint: all of them or none. `call` is the id
    /// of the plugin call that writes, kept on each document it writes (see the audit log's
    /// completeness check).
    pub async fn batch_in(
        &self,
        txn: &DatabaseTransaction,
        call: Option<&str>,
        writes: Vec<Write>,
    ) -> Result<Vec<u64>, StoreError> {
        // Validate everything before touching the database.
        for write in &writes {
            match write {
                Write::Put {
                    collection,
                    id,
                    data,
                    ..
                } => {
                    self.indexes(collection)?;
                    check_id(id)?;
                    check_data(data)?;
                }
                Write::Delete { collection, id, .. } => {
                    self.indexes(collection)?;
                    check_id(id)?;
                }
            }
        }
        crate::db::savepoint(txn, async |txn| self.apply_all(txn, call, &writes).await).await
    }

    async fn apply_all(
        &self,
        txn: &DatabaseTransaction,
        call: Option<&str>,
        writes: &[Write],
    ) -> Result<Vec<u64>, StoreError> {
        let mut versions = Vec::with_capacity(writes.len());
        for write in writes {
            let version = match write {
                Write::Put {
                    collection,
                    id,
                    data,
                    expected_version,
                } => {
                    self.apply_put(txn, call, collection, id, data, *expected_version)
                        .await?
                }
                Write::Delete {
                    collection,
                    id,
                    expected_version,
                } => {
                    let deleted = self
                        .apply_delete(txn, collection, id, *expected_version)
                        .await?;
                    if !deleted && expected_version.is_some() {
                        return Err(StoreError::Conflict(format!(
                            "`{collection}/{id}` does not exist"
                        )));
                    }
                    0
                }
            };
            versions.push(version);
        }
        Ok(versions)
    }

    async fn apply_put(
        &self,
        txn: &DatabaseTransaction,
        call: Option<&str>,
        collection: &str,
        id: &str,
        data: &str,
        expected_version: Option<u64>,
    ) -> Result<u64, StoreError> {
        let backend = self.db.backend();
        let parsed: Json = serde_json::from_str(data)
            .map_err(|err| StoreError::Invalid(format!("document `{id}` is not JSON: {err}")))?;
        let now = crate::clock::now_ms();
        let version = match expected_version {
            Some(0) => {
                self.insert(txn, call, collection, id, data, now).await?;
                1
            }
            Some(expected) => {
                let mut values = vec![data.to_owned().into(), now.into(), call.into()];
                values.extend(self.scope(collection));
                values.push(id.to_owned().into());
                values.push(to_i64(expected).into());
                let result = txn
                    .execute_raw(sql::stmt(
                        backend,
                        "UPDATE documents SET data = ?, updated_at = ?, call_id = ?, version = version + 1 \
                         WHERE instance = ? AND plugin = ? AND collection = ? AND doc_id = ? AND version = ?",
                        values,
                    ))
                    .await?;
                if result.rows_affected() == 0 {
                    return Err(StoreError::Conflict(format!(
                        "`{collection}/{id}` is no longer at version {expected}: someone changed it first"
                    )));
                }
                expected + 1
            }
            None => {
                // An upsert, so two writers creating the same new document both succeed.
                let mut values = self.scope(collection);
                values.extend([id.into(), data.into(), now.into(), call.into()]);
                txn.execute_raw(sql::stmt(
                    backend,
                    "INSERT INTO documents (instance, plugin, collection, doc_id, data, updated_at, call_id, version) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, 1) \
                     ON CONFLICT (instance, plugin, collection, doc_id) DO UPDATE SET \
                     data = excluded.data, updated_at = excluded.updated_at, call_id = excluded.call_id, \
                     version = documents.version + 1",
                    values,
                ))
                .await?;
                self.current_version(txn, collection, id).await?
            }
        };
        self.reindex(txn, collection, id, &parsed).await?;
        Ok(version)
    }

    async fn insert(
        &self,
        txn: &DatabaseTransaction,
        call: Option<&str>,
        collection: &str,
        id: &str,
        data: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut values = self.scope(collection);
        values.extend([
            id.to_owned().into(),
            data.to_owned().into(),
            now.into(),
            call.into(),
        ]);
        txn.execute_raw(sql::stmt(
            self.db.backend(),
            "INSERT INTO documents (instance, plugin, collection, doc_id, data, updated_at, call_id, version) \
             VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
            values,
        ))
        .await
        .map_err(|err| {
            if sql::is_unique_violation(&err) {
                StoreError::Conflict(format!("`{collection}/{id}` already exists"))
            } else {
                err.into()
            }
        })?;
        Ok(())
    }

    async fn current_version(
        &self,
        txn: &DatabaseTransaction,
        collection: &str,
        id: &str,
    ) -> Result<u64, StoreError> {
        let mut values = self.scope(collection);
        values.push(id.to_owned().into());
        let row = txn
            .query_one_raw(sql::stmt(
                self.db.backend(),
                "SELECT version FROM documents \
                 WHERE instance = ? AND plugin = ? AND collection = ? AND doc_id = ?",
                values,
            ))
            .await?
            .ok_or_else(|| StoreError::Internal(format!("`{collection}/{id}` vanished")))?;
        let version: i64 = row.try_get("", "version")?;
        Ok(from_i64(version))
    }

    async fn apply_delete(
        &self,
        txn: &DatabaseTransaction,
        collection: &str,
        id: &str,
        expected_version: Option<u64>,
    ) -> Result<bool, StoreError> {
        let backend = self.db.backend();
        let mut values = self.scope(collection);
        values.push(id.to_owned().into());
        let mut text = String::from(
            "DELETE FROM documents WHERE instance = ? AND plugin = ? AND collection = ? AND doc_id = ?",
        );
        if let Some(expected) = expected_version {
            text.push_str(" AND version = ?");
            values.push(to_i64(expected).into());
        }
        let deleted = txn
            .execute_raw(sql::stmt(backend, &text, values))
            .await?
            .rows_affected()
            > 0;
        if let (false, Some(expected)) = (deleted, expected_version) {
            return Err(StoreError::Conflict(format!(
                "`{collection}/{id}` is not at version {expected}"
            )));
        }
        self.clear_index(txn, collection, id).await?;
        Ok(deleted)
    }

    async fn clear_index(
        &self,
        txn: &DatabaseTransaction,
        collection: &str,
        id: &str,
    ) -> Result<(), StoreError> {
        let mut values = self.scope(collection);
        values.push(id.to_owned().into());
        txn.execute_raw(sql::stmt(
            self.db.backend(),
            "DELETE FROM document_index \
             WHERE instance = ? AND plugin = ? AND collection = ? AND doc_id = ?",
            values,
        ))
        .await?;
        Ok(())
    }

    async fn reindex(
        &self,
        txn: &DatabaseTransaction,
        collection: &str,
        id: &str,
        data: &Json,
    ) -> Result<(), StoreError> {
        self.clear_index(txn, collection, id).await?;
        for field in self.indexes(collection)? {
            let Some((text, num)) = lookup(data, field).and_then(index_value) else {
                continue;
            };
            let mut values = self.scope(collection);
            values.extend([
                id.to_owned().into(),
                field.clone().into(),
                Value::String(text),
                Value::Double(num),
            ]);
            txn.execute_raw(sql::stmt(
                self.db.backend(),
                "INSERT INTO document_index \
                 (instance, plugin, collection, doc_id, field, value_text, value_num) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
                values,
            ))
            .await?;
        }
        Ok(())
    }

    pub async fn query(
        &self,
        collection: &str,
        query: &Query,
    ) -> Result<Vec<Document>, StoreError> {
        self.query_in(self.db.conn(), collection, query).await
    }

    pub async fn query_in(
        &self,
        conn: &impl ConnectionTrait,
        collection: &str,
        query: &Query,
    ) -> Result<Vec<Document>, StoreError> {
        let indexes = self.indexes(collection)?;
        let mut values = Vec::new();
        let mut text = String::from("SELECT d.doc_id, d.version, d.data FROM documents d ");
        if let Some(field) = &query.order_by {
            require_indexed(indexes, collection, field)?;
            text.push_str(
                "LEFT JOIN document_index o ON o.instance = d.instance AND o.plugin = d.plugin \
                 AND o.collection = d.collection AND o.doc_id = d.doc_id AND o.field = ? ",
            );
            values.push(field.clone().into());
        }
        self.push_where(&mut text, &mut values, collection, indexes, &query.filters)?;
        let dir = if query.descending { "DESC" } else { "ASC" };
        // Documents without the field come last either way, on SQLite as on PostgreSQL.
        let nulls = "NULLS LAST";
        if query.order_by.is_some() {
            text.push_str(&format!(
                " ORDER BY o.value_num {dir} {nulls}, o.value_text {dir} {nulls}, d.doc_id {dir}"
            ));
        } else {
            text.push_str(&format!(" ORDER BY d.doc_id {dir}"));
        }
        let limit = query.limit.unwrap_or(MAX_QUERY_LIMIT).min(MAX_QUERY_LIMIT);
        text.push_str(" LIMIT ? OFFSET ?");
        values.push(i64::from(limit).into());
        values.push(i64::from(query.offset).into());
        let rows = conn
            .query_all_raw(sql::stmt(self.db.backend(), &text, values))
            .await?;
        rows.iter().map(document_from_row).collect()
    }

    pub async fn count(&self, collection: &str, filters: &[Filter]) -> Result<u64, StoreError> {
        self.count_in(self.db.conn(), collection, filters).await
    }

    pub async fn count_in(
        &self,
        conn: &impl ConnectionTrait,
        collection: &str,
        filters: &[Filter],
    ) -> Result<u64, StoreError> {
        let indexes = self.indexes(collection)?;
        let mut values = Vec::new();
        let mut text = String::from("SELECT COUNT(*) AS n FROM documents d ");
        self.push_where(&mut text, &mut values, collection, indexes, filters)?;
        let row = conn
            .query_one_raw(sql::stmt(self.db.backend(), &text, values))
            .await?;
        let n: i64 = match row {
            Some(row) => row.try_get("", "n")?,
            None => 0,
        };
        Ok(from_i64(n))
    }

    fn push_where(
        &self,
        text: &mut String,
        values: &mut Vec<Value>,
        collection: &str,
        indexes: &BTreeSet<String>,
        filters: &[Filter],
    ) -> Result<(), StoreError> {
        text.push_str("WHERE d.instance = ? AND d.plugin = ? AND d.collection = ?");
        values.extend(self.scope(collection));
        for filter in filters {
            require_indexed(indexes, collection, &filter.field)?;
            let (column, value) = match (&filter.value, filter.op) {
                (Json::String(s), _) => ("i.value_text", Value::from(s.clone())),
                (Json::Bool(b), Compare::Eq | Compare::Ne) => {
                    ("i.value_text", Value::from(b.to_string()))
                }
                (Json::Number(n), op) if op != Compare::Prefix => {
                    let n = n.as_f64().ok_or_else(|| {
                        StoreError::Invalid(format!("`{}`: number out of range", filter.field))
                    })?;
                    ("i.value_num", Value::from(n))
                }
                (other, op) => {
                    return Err(StoreError::Invalid(format!(
                        "filter on `{}`: {op:?} cannot compare with {other}",
                        filter.field
                    )));
                }
            };
            let condition = match filter.op {
                Compare::Eq => format!("{column} = ?"),
                Compare::Ne => format!("{column} <> ?"),
                Compare::Lt => format!("{column} < ?"),
                Compare::Le => format!("{column} <= ?"),
                Compare::Gt => format!("{column} > ?"),
                Compare::Ge => format!("{column} >= ?"),
                Compare::Prefix => format!("substr({column}, 1, length(?)) = ?"),
            };
            text.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM document_index i WHERE i.instance = d.instance \
                 AND i.plugin = d.plugin AND i.collection = d.collection AND i.doc_id = d.doc_id \
                 AND i.field = ? AND {condition})"
            ));
            values.push(filter.field.clone().into());
            if filter.op == Compare::Prefix {
                values.push(value.clone());
            }
            values.push(value);
        }
        Ok(())
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

/// Makes a unique identifier that sorts by creation time: 12 hex digits of milliseconds, 4 of a
/// counter within that millisecond (so ids made one after the other in this process sort in that
/// order even when the clock has not moved), then 12 random hex digits.
pub fn new_id() -> String {
    static LAST: std::sync::Mutex<(i64, u16)> = std::sync::Mutex::new((0, 0));
    let now = crate::clock::now_ms().max(0);
    let (ms, seq) = {
        let mut last = LAST
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A clock that steps back keeps the last millisecond, so order survives it too.
        if now > last.0 {
            *last = (now, 0);
        } else {
            last.1 = last.1.wrapping_add(1);
        }
        *last
    };
    format!(
        "{ms:012x}{seq:04x}{:012x}",
        rand::random::<u64>() & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod id_tests {
    #[test]
    fn ids_made_in_a_row_sort_in_that_order() {
        let ids: Vec<String> = (0..1000).map(|_| super::new_id()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        assert!(ids.iter().all(|id| id.len() == 28));
    }
}
