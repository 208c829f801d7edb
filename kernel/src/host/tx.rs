//! One plugin call, one database transaction.
//!
//! Everything a call writes — documents, ledger transfers, events, notifications, the plugin's
//! own audit entries and the kernel's `plugin.changed` entry — goes into one transaction that
//! commits when the call returns success and rolls back when it fails, traps or runs out of
//! time. A crash at any instant therefore leaves either the whole call or none of it, and every
//! committed write has its audit entry.
//!
//! The transaction begins at the call's first write, not at its start, so calls that only read
//! (most page views) never take SQLite's write lock or hold a PostgreSQL connection. Once it
//! has begun, every read of the call goes through it, so the plugin reads its own writes.
//! Events, notifications and audit entries are held in memory until the end and written just
//! before the commit: the audit chain (one per instance, serialised across nodes) is then held
//! only for that last instant. A long job may commit in steps (`store.checkpoint`).

use sea_orm::{DatabaseExecutor, DatabaseTransaction, DbErr};

use crate::db::{Db, OwnedWrite};

/// The transaction of one call, begun at its first write.
#[derive(Debug)]
pub struct CallTx {
    db: Db,
    open: Option<Open>,
}

#[derive(Debug)]
struct Open {
    write: OwnedWrite,
    /// Names this transaction on every row it writes and in its `plugin.changed` entry.
    id: String,
    /// A statement outside a savepoint failed: on PostgreSQL the transaction is aborted (its
    /// `COMMIT` would silently roll back), so it must never be reported as committed.
    failed: bool,
}

impl CallTx {
    pub fn new(db: Db) -> Self {
        Self { db, open: None }
    }

    /// What the call reads through: its transaction once it has written, the pool before.
    pub fn reader(&self) -> DatabaseExecutor<'_> {
        match &self.open {
            Some(open) => DatabaseExecutor::Transaction(open.write.txn()),
            None => DatabaseExecutor::Connection(self.db.conn()),
        }
    }

    /// The transaction to write in and its id, begun now if the call has not written yet.
    pub async fn writer(&mut self) -> Result<(&DatabaseTransaction, &str), DbErr> {
        if self.open.is_none() {
            let write = self.db.begin_owned_write().await?;
            self.open = Some(Open {
                write,
                id: crate::docstore::new_id(),
                failed: false,
            });
        }
        match &self.open {
            Some(open) => Ok((open.write.txn(), &open.id)),
            None => Err(DbErr::Custom("the call's transaction vanished".into())),
        }
    }

    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// Notes that a statement run in the open transaction outside a savepoint failed (a read,
    /// a lock): the transaction can no longer commit.
    pub fn note_failure(&mut self) {
        if let Some(open) = &mut self.open {
            open.failed = true;
        }
    }

    /// Commits what the call wrote; the next write begins a new transaction. A transaction in
    /// which a statement failed is rolled back instead, and the commit fails.
    pub async fn commit(&mut self) -> Result<(), DbErr> {
        match self.open.take() {
            Some(open) if open.failed => {
                if let Err(err) = open.write.rollback().await {
                    tracing::warn!(%err, "rolling back a failed plugin call failed");
                }
                Err(DbErr::Custom(
                    "a statement of the call failed, so none of its writes were kept".into(),
                ))
            }
            Some(open) => open.write.commit().await,
            None => Ok(()),
        }
    }

    /// Undoes what the call wrote.
    pub async fn rollback(&mut self) {
        if let Some(open) = self.open.take()
            && let Err(err) = open.write.rollback().await
        {
            // The connection is closed instead of returned to the pool; nothing was committed.
            tracing::warn!(%err, "rolling back a plugin call failed");
        }
    }
}
