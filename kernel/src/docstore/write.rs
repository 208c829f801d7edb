//! Writing documents: puts, deletes and batches, each in a savepoint of the caller's
//! transaction, with the indexed fields copied into `document_index`.

use sea_orm::{ConnectionTrait, DatabaseTransaction, Value};
use serde_json::Value as Json;

use super::{
    DocStore, StoreError, Write, check_data, check_id, from_i64, index_value, lookup, to_i64,
};
use crate::db::sql;

impl DocStore {
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
}
