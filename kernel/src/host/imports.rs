//! The host side of every import in the `trama:plugin` world. Each function is async: it runs on
//! the call's fiber and awaits kernel services (the database) there, so a plugin waiting for a
//! query holds no thread.

use serde_json::Value as Json;

use super::bindings::{
    audit, clock, events, identity, ledger, log, notify, settings, store, types,
};
use super::call::CallState;
use crate::docstore::{self, StoreError};
use crate::event_store::PublishedEvent;

/// Largest event payload, in bytes of JSON.
const MAX_EVENT_PAYLOAD: usize = 64 * 1024;
/// Largest audit detail, in bytes of JSON.
const MAX_AUDIT_DETAIL: usize = 64 * 1024;
/// Most events one call may publish: they are held in kernel memory, outside the plugin's cap,
/// until the call ends.
const MAX_EVENTS_PER_CALL: usize = 1000;
/// Most notifications one call may send (held in kernel memory until the call ends).
const MAX_NOTICES_PER_CALL: usize = 1000;
/// Most bytes of audit entries one call may hold until it ends (or checkpoints).
const MAX_AUDIT_BYTES_PER_CALL: usize = 16 * 1024 * 1024;
/// Longest audit action or subject, and longest log line, in bytes.
const MAX_LABEL: usize = 200;
const MAX_LOG_LINE: usize = 8 * 1024;

/// Cuts `text` to at most `max` bytes on a character boundary, control characters (which a
/// label has no use for, and PostgreSQL cannot store as NUL) made spaces.
fn clip(text: String, max: usize) -> String {
    let mut text = if text.chars().any(char::is_control) {
        text.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect()
    } else {
        text
    };
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

impl types::Host for CallState {}

/// Most refusals one call keeps for the audit log.
const MAX_REFUSALS_PER_CALL: usize = 20;

impl CallState {
    /// Notes each collection in `collections` the plugin did not declare: the store refuses
    /// the operation, and the kernel audits the attempt when the call ends.
    fn note_undeclared<'a>(&mut self, collections: impl IntoIterator<Item = &'a str>) {
        for collection in collections {
            if !self.ctx.docs.declares(collection) && self.refusals.len() < MAX_REFUSALS_PER_CALL {
                self.refusals.push(format!(
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

impl settings::Host for CallState {
    async fn get(&mut self) -> wasmtime::Result<String> {
        Ok(self.ctx.settings.clone())
    }
}

impl identity::Host for CallState {
    async fn caller(&mut self) -> wasmtime::Result<Option<types::User>> {
        Ok(self.caller.clone())
    }

    async fn has_role(&mut self, role: String) -> wasmtime::Result<bool> {
        Ok(self
            .caller
            .as_ref()
            .is_some_and(|user| user.roles.contains(&role)))
    }

    async fn find_user(&mut self, id: String) -> wasmtime::Result<Option<types::User>> {
        let ctx = &self.ctx;
        let found = crate::auth::users::find_by_id_in(&self.tx.reader(), &ctx.instance, &id).await;
        if found.is_err() {
            self.tx.note_failure();
        }
        let found = found?;
        Ok(found.map(Into::into))
    }
}

impl events::Host for CallState {
    async fn publish(
        &mut self,
        name: String,
        payload: String,
    ) -> wasmtime::Result<Result<(), String>> {
        if !self.ctx.publishes.contains(&name) {
            return Ok(Err(format!(
                "event `{name}` is not declared in [events] publishes of plugin `{}`",
                self.ctx.plugin
            )));
        }
        if self.published.len() >= MAX_EVENTS_PER_CALL {
            return Ok(Err(format!(
                "a call may publish at most {MAX_EVENTS_PER_CALL} events"
            )));
        }
        if payload.len() > MAX_EVENT_PAYLOAD {
            return Ok(Err(format!(
                "event payload of {} bytes exceeds {MAX_EVENT_PAYLOAD} bytes",
                payload.len()
            )));
        }
        if let Err(err) = serde_json::from_str::<Json>(&payload) {
            return Ok(Err(format!("event payload is not JSON: {err}")));
        }
        self.published.push(PublishedEvent { name, payload });
        Ok(Ok(()))
    }
}

impl audit::Host for CallState {
    async fn append(
        &mut self,
        action: String,
        subject: String,
        detail: String,
    ) -> wasmtime::Result<()> {
        let detail = if detail.len() > MAX_AUDIT_DETAIL {
            serde_json::json!({ "truncated": true, "bytes": detail.len() }).to_string()
        } else if serde_json::from_str::<Json>(&detail).is_ok() {
            detail
        } else {
            serde_json::json!({ "text": detail }).to_string()
        };
        let ctx = &self.ctx;
        let entry = crate::audit::Entry {
            instance: ctx.instance.clone(),
            actor: self.caller.as_ref().map(|user| user.username.clone()),
            plugin: Some(ctx.plugin.clone()),
            action: clip(action, MAX_LABEL),
            subject: clip(subject, MAX_LABEL),
            detail,
        };
        let held: usize = self.audits.iter().map(|entry| entry.detail.len()).sum();
        if held + entry.detail.len() > MAX_AUDIT_BYTES_PER_CALL {
            // Trapping fails the call: an unaudited change is worse than a refused one.
            return Err(wasmtime::format_err!(
                "a call may hold at most {MAX_AUDIT_BYTES_PER_CALL} bytes of audit entries; \
                 a long job should call store.checkpoint between steps"
            ));
        }
        // Written with the call's other writes, when it ends: the entry exists exactly when
        // what it describes does.
        self.audits.push(entry);
        Ok(())
    }
}

impl log::Host for CallState {
    async fn write(&mut self, level: types::LogLevel, message: String) -> wasmtime::Result<()> {
        let (instance, plugin) = (&self.ctx.instance, &self.ctx.plugin);
        let message = clip(message, MAX_LOG_LINE);
        match level {
            types::LogLevel::Trace => tracing::trace!(%instance, %plugin, "{message}"),
            types::LogLevel::Debug => tracing::debug!(%instance, %plugin, "{message}"),
            types::LogLevel::Info => tracing::info!(%instance, %plugin, "{message}"),
            types::LogLevel::Warn => tracing::warn!(%instance, %plugin, "{message}"),
            types::LogLevel::Error => tracing::error!(%instance, %plugin, "{message}"),
        }
        Ok(())
    }
}

impl clock::Host for CallState {
    async fn now(&mut self) -> wasmtime::Result<i64> {
        Ok(crate::clock::now_ms())
    }
}

impl From<crate::ledger::LedgerError> for ledger::LedgerError {
    fn from(err: crate::ledger::LedgerError) -> Self {
        use crate::ledger::LedgerError as E;
        match err {
            E::InsufficientFunds(m) => ledger::LedgerError::InsufficientFunds(m),
            E::UnknownAccount(m) => ledger::LedgerError::UnknownAccount(m),
            E::Invalid(m) => ledger::LedgerError::Invalid(m),
            E::Conflict(m) => ledger::LedgerError::Conflict(m),
            E::Internal(m) => ledger::LedgerError::Internal(m),
        }
    }
}

fn account(account: crate::ledger::Account) -> ledger::Account {
    ledger::Account {
        name: account.name,
        kind: match account.kind {
            crate::ledger::AccountKind::Funded => ledger::AccountKind::Funded,
            crate::ledger::AccountKind::External => ledger::AccountKind::External,
        },
        balance: account.balance,
    }
}

/// A transfer as the audit log lists it.
fn moved_money(record: &crate::ledger::Transfer) -> Json {
    serde_json::json!({
        "op": "transfer",
        "id": record.id,
        "from": record.from,
        "to": record.to,
        "amount_cents": record.amount,
    })
}

fn transfer(transfer: crate::ledger::Transfer) -> ledger::TransferRecord {
    ledger::TransferRecord {
        id: transfer.id,
        from: transfer.from,
        to: transfer.to,
        amount: transfer.amount,
        memo: transfer.memo,
        idempotency_key: transfer.idempotency_key,
        at: transfer.at,
    }
}

fn transfer_request(request: ledger::TransferRequest) -> crate::ledger::TransferRequest {
    crate::ledger::TransferRequest {
        from: request.from,
        to: request.to,
        amount: request.amount,
        idempotency_key: request.idempotency_key,
        memo: request.memo,
    }
}

impl ledger::Host for CallState {
    async fn open(
        &mut self,
        name: String,
        kind: ledger::AccountKind,
    ) -> wasmtime::Result<Result<ledger::Account, ledger::LedgerError>> {
        let kind = match kind {
            ledger::AccountKind::Funded => crate::ledger::AccountKind::Funded,
            ledger::AccountKind::External => crate::ledger::AccountKind::External,
        };
        let opened = match self.tx.writer().await {
            Ok((txn, _)) => self.ctx.ledger.open_in(txn, &name, kind).await,
            Err(err) => Err(err.into()),
        };
        Ok(opened.map(account).map_err(Into::into))
    }

    async fn get(
        &mut self,
        name: String,
    ) -> wasmtime::Result<Result<Option<ledger::Account>, ledger::LedgerError>> {
        let books = &self.ctx.ledger;
        let found = books.get_in(&self.tx.reader(), &name).await;
        self.note_ledger_failure(&found);
        Ok(found.map(|found| found.map(account)).map_err(Into::into))
    }

    async fn accounts(
        &mut self,
        prefix: String,
        limit: u32,
        offset: u32,
    ) -> wasmtime::Result<Result<Vec<ledger::Account>, ledger::LedgerError>> {
        let books = &self.ctx.ledger;
        let found = books
            .list_in(&self.tx.reader(), &prefix, limit, offset)
            .await;
        self.note_ledger_failure(&found);
        Ok(found
            .map(|list| list.into_iter().map(account).collect())
            .map_err(Into::into))
    }

    async fn transfer(
        &mut self,
        request: ledger::TransferRequest,
    ) -> wasmtime::Result<Result<ledger::TransferRecord, ledger::LedgerError>> {
        let moved = self.move_money(vec![transfer_request(request)]).await;
        if let Ok(records) = &moved {
            for record in records {
                self.changes.record(moved_money(record));
            }
        }
        Ok(moved
            .and_then(|mut list| {
                list.pop().ok_or_else(|| {
                    crate::ledger::LedgerError::Internal("no transfer recorded".into())
                })
            })
            .map(transfer)
            .map_err(Into::into))
    }

    async fn transfer_all(
        &mut self,
        requests: Vec<ledger::TransferRequest>,
    ) -> wasmtime::Result<Result<Vec<ledger::TransferRecord>, ledger::LedgerError>> {
        let requests = requests.into_iter().map(transfer_request).collect();
        let moved = self.move_money(requests).await;
        if let Ok(records) = &moved {
            for record in records {
                self.changes.record(moved_money(record));
            }
        }
        Ok(moved
            .map(|list| list.into_iter().map(transfer).collect())
            .map_err(Into::into))
    }

    async fn history(
        &mut self,
        name: String,
        limit: u32,
        offset: u32,
    ) -> wasmtime::Result<Result<Vec<ledger::TransferRecord>, ledger::LedgerError>> {
        let books = &self.ctx.ledger;
        let found = books
            .history_in(&self.tx.reader(), &name, limit, offset)
            .await;
        self.note_ledger_failure(&found);
        Ok(found
            .map(|list| list.into_iter().map(transfer).collect())
            .map_err(Into::into))
    }
}

impl CallState {
    /// See [`CallState::note_store_failure`].
    fn note_ledger_failure<T>(&mut self, result: &Result<T, crate::ledger::LedgerError>) {
        if let Err(crate::ledger::LedgerError::Internal(_)) = result {
            self.tx.note_failure();
        }
    }

    /// Applies transfers in the call's transaction, all or none.
    async fn move_money(
        &mut self,
        requests: Vec<crate::ledger::TransferRequest>,
    ) -> Result<Vec<crate::ledger::Transfer>, crate::ledger::LedgerError> {
        let (txn, call) = self.tx.writer().await?;
        self.ctx
            .ledger
            .transfer_all_in(txn, Some(call), requests)
            .await
    }
}

impl notify::Host for CallState {
    async fn send(
        &mut self,
        message: notify::Notification,
    ) -> wasmtime::Result<Result<bool, String>> {
        let message = crate::notify::Notification {
            recipient: message.recipient,
            subject: message.subject,
            body: message.body,
            key: message.key,
            link: message.link,
        };
        if self.notices.len() >= MAX_NOTICES_PER_CALL {
            return Ok(Err(format!(
                "a call may send at most {MAX_NOTICES_PER_CALL} notifications"
            )));
        }
        if self.notices.iter().any(|queued| queued.key == message.key) {
            return Ok(Ok(false));
        }
        let outbox = &self.ctx.outbox;
        match outbox.check_in(&self.tx.reader(), &message).await {
            Ok(true) => {
                self.notices.push(message);
                Ok(Ok(true))
            }
            Ok(false) => Ok(Ok(false)),
            Err(err) => {
                if matches!(err, crate::notify::NotifyError::Database(_)) {
                    self.tx.note_failure();
                }
                Ok(Err(err.to_string()))
            }
        }
    }
}
