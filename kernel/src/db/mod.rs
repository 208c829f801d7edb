//! The kernel's database: one connection pool per instance, SQLite (WAL) by default and
//! PostgreSQL for deployments with many nodes. Every table carries an `instance` column so that
//! several instances can share one PostgreSQL database without ever seeing each other's rows.

pub mod claims;
mod migration;
pub mod sql;

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};
use sea_orm_migration::MigratorTrait;
use tokio::sync::{Mutex, MutexGuard, OwnedMutexGuard};

pub use migration::Migrator;

/// A connected, migrated database plus what the kernel needs to write to it safely.
#[derive(Clone, Debug)]
pub struct Db {
    conn: DatabaseConnection,
    /// SQLite allows one writer at a time and answers `SQLITE_BUSY` when a deferred transaction
    /// tries to upgrade to a write lock that another connection holds. Serialising write
    /// transactions inside the process avoids those spurious failures; PostgreSQL needs no such lock.
    write_lock: Option<Arc<Mutex<()>>>,
}

impl Db {
    /// Connects to `url` and applies every pending migration.
    pub async fn connect(url: &str) -> Result<Self, DbErr> {
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30));
        let is_sqlite = url.starts_with("sqlite:");
        if is_sqlite {
            create_parent_dir(url)?;
            options.max_connections(8).map_sqlx_sqlite_opts(|opts| {
                opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    .create_if_missing(true)
            });
        } else {
            options.max_connections(16);
        }
        let conn = Database::connect(options).await?;
        Migrator::up(&conn, None).await?;
        Ok(Self {
            conn,
            write_lock: is_sqlite.then(|| Arc::new(Mutex::new(()))),
        })
    }

    /// A fresh, migrated SQLite database that lives in memory for as long as this value (and
    /// its clones) do: for plugins' native tests (`trama-testhost`), which need the kernel's
    /// real tables without a file. The pool's connections share one database (sqlx names it
    /// and opens it in shared-cache mode), and one connection stays open so that it is never
    /// dropped between calls.
    pub async fn memory() -> Result<Self, DbErr> {
        let mut options = ConnectOptions::new("sqlite::memory:".to_owned());
        options
            .sqlx_logging(false)
            .min_connections(1)
            .max_connections(4)
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(Duration::from_secs(30))
            .map_sqlx_sqlite_opts(|opts| {
                opts.busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
            });
        let conn = Database::connect(options).await?;
        Migrator::up(&conn, None).await?;
        Ok(Self {
            conn,
            write_lock: Some(Arc::new(Mutex::new(()))),
        })
    }

    /// Opens the database at `url` to read it, if it already exists: nothing is created and
    /// nothing migrated (`trama check` must not change what it checks). `None` when there is
    /// no such SQLite file yet, or the database has no `proposals` table (nothing was ever
    /// migrated there): nothing was ever approved. A read-only SQLite connection to a WAL
    /// database may leave its `-wal` and `-shm` files behind; the server uses them as they are.
    pub async fn open_existing(url: &str) -> Result<Option<Self>, DbErr> {
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(10))
            .max_connections(1);
        let is_sqlite = url.starts_with("sqlite:");
        if is_sqlite {
            let path = sqlite_path(url);
            if path.is_empty() || path == ":memory:" || !std::path::Path::new(path).is_file() {
                return Ok(None);
            }
            options.map_sqlx_sqlite_opts(|opts| opts.read_only(true).create_if_missing(false));
        }
        let conn = Database::connect(options).await?;
        let db = Self {
            conn,
            write_lock: is_sqlite.then(|| Arc::new(Mutex::new(()))),
        };
        Ok(db.has_table("proposals").await?.then_some(db))
    }

    /// Whether the database has a table called `name`.
    async fn has_table(&self, name: &str) -> Result<bool, DbErr> {
        let query = match self.backend() {
            DbBackend::Sqlite => "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
            _ => {
                "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?"
            }
        };
        let row = self
            .conn
            .query_one_raw(sql::stmt(self.backend(), query, vec![name.into()]))
            .await?;
        Ok(row.is_some())
    }

    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so it waits its turn (busy timeout) instead of failing when it later
    /// tries to upgrade a read lock that another connection or process holds.
    pub async fn begin_write(&self) -> Result<sea_orm::DatabaseTransaction, DbErr> {
        use sea_orm::TransactionTrait;
        if self.write_lock.is_some() {
            self.conn
                .begin_with_options(sea_orm::TransactionOptions {
                    sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                    ..Default::default()
                })
                .await
        } else {
            self.conn.begin().await
        }
    }

    /// Held for the duration of a write transaction (a no-op guard on PostgreSQL).
    pub async fn write_guard(&self) -> Option<MutexGuard<'_, ()>> {
        match &self.write_lock {
            Some(lock) => Some(lock.lock().await),
            None => None,
        }
    }

    /// Begins a write transaction that owns its turn at the write lock, so that it can outlive
    /// the borrow of this `Db`: a plugin call keeps one open across many host calls.
    pub async fn begin_owned_write(&self) -> Result<OwnedWrite, DbErr> {
        let guard = match &self.write_lock {
            Some(lock) => Some(Arc::clone(lock).lock_owned().await),
            None => None,
        };
        let txn = self.begin_write().await?;
        Ok(OwnedWrite { txn, _guard: guard })
    }
}

/// A write transaction together with its turn at SQLite's write lock; dropping it without
/// [`OwnedWrite::commit`] rolls back, then frees the lock.
#[derive(Debug)]
pub struct OwnedWrite {
    txn: sea_orm::DatabaseTransaction,
    // Declared after `txn`, so the lock is released only once the transaction has ended.
    _guard: Option<OwnedMutexGuard<()>>,
}

impl OwnedWrite {
    pub fn txn(&self) -> &sea_orm::DatabaseTransaction {
        &self.txn
    }

    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

/// The file path of a SQLite URL (`sqlite://path?options`).
fn sqlite_path(url: &str) -> &str {
    url.trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default()
}

/// SQLite creates the database file but not its folder (`data/` of a new instance).
fn create_parent_dir(url: &str) -> Result<(), DbErr> {
    let path = sqlite_path(url);
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    match std::path::Path::new(path).parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir).map_err(|err| {
            DbErr::Custom(format!("cannot create the folder {}: {err}", dir.display()))
        }),
        _ => Ok(()),
    }
}

/// Runs `work` in a savepoint of `txn`: released if it succeeds, rolled back if it fails, so a
/// refused write (a conflict, a duplicate key, an overdraft) undoes only itself and leaves the
/// transaction usable — PostgreSQL would otherwise refuse every later statement of it.
pub async fn savepoint<T, E>(
    txn: &sea_orm::DatabaseTransaction,
    work: impl AsyncFnOnce(&sea_orm::DatabaseTransaction) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<DbErr>,
{
    use sea_orm::TransactionTrait;
    let inner = txn.begin().await?;
    match work(&inner).await {
        Ok(value) => {
            inner.commit().await?;
            Ok(value)
        }
        Err(err) => {
            inner.rollback().await?;
            Err(err)
        }
    }
}
