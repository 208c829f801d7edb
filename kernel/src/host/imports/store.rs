//! `store`: the plugin's document collections, read and written in the call's transaction.
use serde_json::Value as Json;
use wasmtime::component::{HasSelf, Linker};

use super::{MAX_LABEL, clip};
use crate::docstore::{self, StoreError};
use crate::host::bindings::store;
use crate::host::call::CallState;

/// Links the `store` interface into a plugin's linker.
pub(super) fn link(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    store::add_to_linker::<_, HasSelf<_>>(linker, |state| state)
}

impl CallState {
    /// Notes each collection in `collections` the plugin did not declare: the store refuses
    /// the operation, and the kernel audits the attempt when the call ends.
    fn note_undeclared<'a>(&mut self, collections: impl IntoIterator<Item = &'a str>) {
        for collection in collections {
            if !self.ctx.docs.declares(collection) {
                self.note_refusal(format!(
                    "store: collection `{}` is not declared in plugin.toml",
                    clip(collection.to_owned(), MAX_LABEL)
                ));
            }
        }
    }
}

impl From<StoreError> for store::StoreError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(m) => store::StoreError::Conflict(m),
            StoreError::Invalid(m) => store::StoreError::Invalid(m),
            StoreError::TooLarge(m) => store::StoreError::TooLarge(m),
            StoreError::Internal(m) => store::StoreError::Internal(m),
        }
    }
}

fn document(doc: docstore::Document) -> store::Document {
    store::Document {
        id: doc.id,
        version: doc.version,
        data: doc.data,
    }
}

fn filter(f: store::Filter) -> Result<docstore::Filter, store::StoreError> {
    let value: Json = serde_json::from_str(&f.value).map_err(|err| {
        store::StoreError::Invalid(format!("filter value for `{}` is not JSON: {err}", f.field))
    })?;
    let op = match f.op {
        store::Compare::Eq => docstore::Compare::Eq,
        store::Compare::Ne => docstore::Compare::Ne,
        store::Compare::Lt => docstore::Compare::Lt,
        store::Compare::Le => docstore::Compare::Le,
        store::Compare::Gt => docstore::Compare::Gt,
        store::Compare::Ge => docstore::Compare::Ge,
        store::Compare::Prefix => docstore::Compare::Prefix,
    };
    Ok(docstore::Filter {
        field: f.field,
        op,
        value,
    })
}

fn filters(list: Vec<store::Filter>) -> Result<Vec<docstore::Filter>, store::StoreError> {
    list.into_iter().map(filter).collect()
}

impl store::Host for CallState {
    async fn get(
        &mut self,
        collection: String,
        id: String,
    ) -> wasmtime::Result<Result<Option<store::Document>, store::StoreError>> {
        self.note_undeclared([collection.as_str()]);
        let docs = &self.ctx.docs;
        let found = docs.get_in(&self.tx.reader(), &collection, &id).await;
        self.note_store_failure(&found);
        Ok(found.map(|doc| doc.map(document)).map_err(Into::into))
    }

    async fn put(&mut self, op: store::PutOp) -> wasmtime::Result<Result<u64, store::StoreError>> {
        self.note_undeclared([op.collection.as_str()]);
        let write = docstore::Write::Put {
            collection: op.collection.clone(),
            id: op.id.clone(),
            data: op.data,
            expected_version: op.expected_version,
        };
        let written = self.write_documents(vec![write]).await;
        if let Ok([version]) = written.as_deref() {
            self.changes.put(&op.collection, &op.id, *version);
        }
        Ok(written
            .map(|versions| versions.first().copied().unwrap_or_default())
            .map_err(Into::into))
    }

    async fn delete(
        &mut self,
        op: store::DeleteOp,
    ) -> wasmtime::Result<Result<bool, store::StoreError>> {
        self.note_undeclared([op.collection.as_str()]);
        let deleted = match self.tx.writer().await {
            Ok((txn, _)) => {
                let docs = &self.ctx.docs;
                docs.delete_in(txn, &op.collection, &op.id, op.expected_version)
                    .await
            }
            Err(err) => Err(err.into()),
        };
        if let Ok(true) = deleted {
            self.changes.delete(&op.collection, &op.id);
        }
        Ok(deleted.map_err(Into::into))
    }

    async fn query(
        &mut self,
        collection: String,
        q: store::QueryOptions,
    ) -> wasmtime::Result<Result<Vec<store::Document>, store::StoreError>> {
        self.note_undeclared([collection.as_str()]);
        let query = match filters(q.filters) {
            Ok(filters) => docstore::Query {
                filters,
                order_by: q.order_by,
                descending: q.descending,
                limit: q.limit,
                offset: q.offset,
            },
            Err(err) => return Ok(Err(err)),
        };
        let docs = &self.ctx.docs;
        let found = docs.query_in(&self.tx.reader(), &collection, &query).await;
        self.note_store_failure(&found);
        Ok(found
            .map(|list| list.into_iter().map(document).collect())
            .map_err(Into::into))
    }

    async fn count(
        &mut self,
        collection: String,
        list: Vec<store::Filter>,
    ) -> wasmtime::Result<Result<u64, store::StoreError>> {
        self.note_undeclared([collection.as_str()]);
        let list = match filters(list) {
            Ok(list) => list,
            Err(err) => return Ok(Err(err)),
        };
        let docs = &self.ctx.docs;
        let counted = docs.count_in(&self.tx.reader(), &collection, &list).await;
        self.note_store_failure(&counted);
        Ok(counted.map_err(Into::into))
    }

    async fn batch(
        &mut self,
        writes: Vec<store::Write>,
    ) -> wasmtime::Result<Result<Vec<u64>, store::StoreError>> {
        let targets: Vec<(String, String, bool)> = writes
            .iter()
            .map(|write| match write {
                store::Write::Put(op) => (op.collection.clone(), op.id.clone(), true),
                store::Write::Delete(op) => (op.collection.clone(), op.id.clone(), false),
            })
            .collect();
        self.note_undeclared(targets.iter().map(|(collection, _, _)| collection.as_str()));
        let writes = writes
            .into_iter()
            .map(|write| match write {
                store::Write::Put(op) => docstore::Write::Put {
                    collection: op.collection,
                    id: op.id,
                    data: op.data,
                    expected_version: op.expected_version,
                },
                store::Write::Delete(op) => docstore::Write::Delete {
                    collection: op.collection,
                    id: op.id,
                    expected_version: op.expected_version,
                },
            })
            .collect();
        let written = self.write_documents(writes).await;
        if let Ok(versions) = &written {
            for ((collection, id, put), version) in targets.iter().zip(versions) {
                if *put {
                    self.changes.put(collection, id, *version);
                } else {
                    self.changes.delete(collection, id);
                }
            }
        }
        Ok(written.map_err(Into::into))
    }

    async fn new_id(&mut self) -> wasmtime::Result<String> {
        Ok(docstore::new_id())
    }

    async fn lock(
        &mut self,
        collection: String,
        id: String,
    ) -> wasmtime::Result<Result<Option<store::Document>, store::StoreError>> {
        self.note_undeclared([collection.as_str()]);
        let locked = match self.tx.writer().await {
            Ok((txn, _)) => {
                let docs = &self.ctx.docs;
                docs.lock_in(txn, &collection, &id).await
            }
            Err(err) => Err(err.into()),
        };
        self.note_store_failure(&locked);
        Ok(locked.map(|doc| doc.map(document)).map_err(Into::into))
    }

    async fn checkpoint(&mut self) -> wasmtime::Result<Result<(), store::StoreError>> {
        // A checkpoint that cannot commit has rolled back what the call did since the last
        // one: the call must not go on as if it had been kept, so it fails (a trap).
        self.settle(true)
            .await
            .map_err(|err| wasmtime::format_err!("the checkpoint could not commit: {err}"))?;
        Ok(Ok(()))
    }
}

impl CallState {
    /// A database error on a statement run in the call's transaction outside a savepoint
    /// (reads, locks) leaves it unable to commit on PostgreSQL: note it, so the call fails
    /// instead of reporting writes that were silently rolled back.
    fn note_store_failure<T>(&mut self, result: &Result<T, StoreError>) {
        if let Err(StoreError::Internal(_)) = result {
            self.tx.note_failure();
        }
    }

    /// Applies document writes in the call's transaction, all or none.
    async fn write_documents(
        &mut self,
        writes: Vec<docstore::Write>,
    ) -> Result<Vec<u64>, StoreError> {
        let (txn, call) = self.tx.writer().await?;
        self.ctx.docs.batch_in(txn, Some(call), writes).await
    }
}
