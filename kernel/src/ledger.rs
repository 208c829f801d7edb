//! The double-entry ledger: money in integer cents on accounts scoped to (instance, plugin).
//!
//! The journal (`ledger_transfers`) records every movement; each account's balance is kept next
//! to it in the same transaction. A debit is one conditional `UPDATE … WHERE balance >= amount`,
//! so the database itself refuses to overspend a funded account however many requests (or
//! kernel nodes sharing one PostgreSQL database) race for it; a `CHECK` constraint guards the
//! same invariant a second time. Because money only ever moves between accounts, the balances
//! of a plugin's accounts always sum to zero.
//!
//! As with the document store, each operation works on the pool or, with the `_in` forms,
//! inside the transaction of a plugin call, each write in a savepoint of its own.

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, Value};

use crate::db::{Db, sql};

/// Largest amount of one transfer: a hundred billion euros, far from `i64` overflow.
pub const MAX_AMOUNT_CENTS: i64 = 10_000_000_000_000;
const MAX_NAME_LEN: usize = 200;
const MAX_MEMO_LEN: usize = 1000;
const MAX_PAGE: u32 = 1000;
/// Accounts whose name starts with this are the kernel's: the wallet's clearing accounts
/// (`~wallet/{plugin}`, see [`crate::wallet`]). A plugin reads them in its books but neither
/// opens them nor moves money on them, so they always mirror the other plugin's.
pub const KERNEL_PREFIX: &str = "~";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("insufficient funds: {0}")]
    InsufficientFunds(String),
    #[error("unknown account: {0}")]
    UnknownAccount(String),
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Internal(String),
}

impl From<DbErr> for LedgerError {
    fn from(err: DbErr) -> Self {
        LedgerError::Internal(err.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    /// Never below zero.
    Funded,
    /// Outside the books: may go below zero.
    External,
}

impl AccountKind {
    fn as_str(self) -> &'static str {
        match self {
            AccountKind::Funded => "funded",
            AccountKind::External => "external",
        }
    }

    fn parse(text: &str) -> Self {
        if text == "external" {
            AccountKind::External
        } else {
            AccountKind::Funded
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub kind: AccountKind,
    pub balance: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRequest {
    pub from: String,
    pub to: String,
    pub amount: i64,
    pub idempotency_key: String,
    pub memo: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub id: String,
    pub from: String,
    pub to: String,
    pub amount: i64,
    pub memo: String,
    pub idempotency_key: String,
    pub at: i64,
}

/// The ledger as seen by one plugin on one instance.
#[derive(Debug, Clone)]
pub struct Ledger {
    db: Db,
    instance: String,
    plugin: String,
}

fn check_name(what: &str, name: &str) -> Result<(), LedgerError> {
    if name.is_empty() || name.len() > MAX_NAME_LEN || name.chars().any(char::is_control) {
        return Err(LedgerError::Invalid(format!(
            "{what} `{}` must be 1 to {MAX_NAME_LEN} printable characters",
            name.escape_debug()
        )));
    }
    Ok(())
}

/// Refuses a name of the kernel's own accounts where a plugin names one.
fn check_plugin_name(name: &str) -> Result<(), LedgerError> {
    if name.starts_with(KERNEL_PREFIX) {
        return Err(LedgerError::Invalid(format!(
            "account `{}`: names starting with `{KERNEL_PREFIX}` are the kernel's",
            name.escape_debug()
        )));
    }
    Ok(())
}

fn check_request(request: &TransferRequest) -> Result<(), LedgerError> {
    check_name("account", &request.from)?;
    check_name("account", &request.to)?;
    check_name("idempotency key", &request.idempotency_key)?;
    if request.from == request.to {
        return Err(LedgerError::Invalid(format!(
            "a transfer from `{}` to itself moves nothing",
            request.from
        )));
    }
    if request.amount <= 0 || request.amount > MAX_AMOUNT_CENTS {
        return Err(LedgerError::Invalid(format!(
            "amount {} cents must be between 1 and {MAX_AMOUNT_CENTS}",
            request.amount
        )));
    }
    if request.memo.len() > MAX_MEMO_LEN {
        return Err(LedgerError::Invalid(format!(
            "memo longer than {MAX_MEMO_LEN} bytes"
        )));
    }
    Ok(())
}

fn account_from_row(row: &sea_orm::QueryResult) -> Result<Account, DbErr> {
    let kind: String = row.try_get("", "kind")?;
    Ok(Account {
        name: row.try_get("", "name")?,
        kind: AccountKind::parse(&kind),
        balance: row.try_get("", "balance")?,
    })
}

fn transfer_from_row(row: &sea_orm::QueryResult) -> Result<Transfer, DbErr> {
    Ok(Transfer {
        id: row.try_get("", "id")?,
        from: row.try_get("", "from_account")?,
        to: row.try_get("", "to_account")?,
        amount: row.try_get("", "amount")?,
        memo: row.try_get("", "memo")?,
        idempotency_key: row.try_get("", "idempotency_key")?,
        at: row.try_get("", "at")?,
    })
}

const TRANSFER_COLUMNS: &str = "id, from_account, to_account, amount, memo, idempotency_key, at";

impl Ledger {
    pub fn new(db: Db, instance: &str, plugin: &str) -> Self {
        Self {
            db,
            instance: instance.to_owned(),
            plugin: plugin.to_owned(),
        }
    }

    fn scope(&self) -> Vec<Value> {
        vec![self.instance.clone().into(), self.plugin.clone().into()]
    }

    /// Opens an account with a zero balance, or returns it if it exists with the same kind.
    pub async fn open(&self, name: &str, kind: AccountKind) -> Result<Account, LedgerError> {
        let write = self.db.begin_owned_write().await?;
        let account = self.open_in(write.txn(), name, kind).await?;
        write.commit().await?;
        Ok(account)
    }

    /// Opens an account inside `txn`, in a savepoint (see [`Ledger::open`]).
    pub async fn open_in(
        &self,
        txn: &DatabaseTransaction,
        name: &str,
        kind: AccountKind,
    ) -> Result<Account, LedgerError> {
        check_plugin_name(name)?;
        self.open_any_in(txn, name, kind).await
    }

    /// Opens one of the kernel's own accounts of this plugin's books (see [`KERNEL_PREFIX`]).
    pub(crate) async fn open_kernel_in(
        &self,
        txn: &DatabaseTransaction,
        name: &str,
        kind: AccountKind,
    ) -> Result<Account, LedgerError> {
        self.open_any_in(txn, name, kind).await
    }

    async fn open_any_in(
        &self,
        txn: &DatabaseTransaction,
        name: &str,
        kind: AccountKind,
    ) -> Result<Account, LedgerError> {
        check_name("account", name)?;
        if let Some(existing) = self.account(txn, name).await? {
            return self.same_kind(existing, kind);
        }
        let mut values = self.scope();
        values.extend([
            name.into(),
            kind.as_str().into(),
            crate::clock::now_ms().into(),
        ]);
        let inserted = crate::db::savepoint(txn, async |txn| {
            txn.execute_raw(sql::stmt(
                self.db.backend(),
                "INSERT INTO ledger_accounts (instance, plugin, name, kind, balance, created_at) \
                 VALUES (?, ?, ?, ?, 0, ?)",
                values,
            ))
            .await
        })
        .await;
        match inserted {
            Ok(_) => Ok(Account {
                name: name.to_owned(),
                kind,
                balance: 0,
            }),
            // Opened by a concurrent call meanwhile (its insert rolled back): read theirs.
            Err(err) if sql::is_unique_violation(&err) => match self.account(txn, name).await? {
                Some(existing) => self.same_kind(existing, kind),
                None => Err(LedgerError::Internal(format!("account `{name}` vanished"))),
            },
            Err(err) => Err(err.into()),
        }
    }

    fn same_kind(&self, existing: Account, kind: AccountKind) -> Result<Account, LedgerError> {
        if existing.kind == kind {
            Ok(existing)
        } else {
            Err(LedgerError::Invalid(format!(
                "account `{}` already exists as {}",
                existing.name,
                existing.kind.as_str()
            )))
        }
    }

    pub async fn get(&self, name: &str) -> Result<Option<Account>, LedgerError> {
        self.account(self.db.conn(), name).await
    }

    /// Reads an account through `conn`: the pool, or the transaction of the call that reads it.
    pub async fn get_in(
        &self,
        conn: &impl ConnectionTrait,
        name: &str,
    ) -> Result<Option<Account>, LedgerError> {
        self.account(conn, name).await
    }

    /// Accounts whose name starts with `prefix`, by name.
    pub async fn list(
        &self,
        prefix: &str,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<Account>, LedgerError> {
        self.list_in(self.db.conn(), prefix, limit, offset).await
    }

    pub async fn list_in(
        &self,
        conn: &impl ConnectionTrait,
        prefix: &str,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<Account>, LedgerError> {
        let rows = self
            .page(
                conn,
                "SELECT name, kind, balance FROM ledger_accounts WHERE instance = ? AND plugin = ? \
                 AND substr(name, 1, length(?)) = ? ORDER BY name LIMIT ? OFFSET ?",
                prefix,
                limit,
                offset,
            )
            .await?;
        Ok(rows
            .iter()
            .map(account_from_row)
            .collect::<Result<_, _>>()?)
    }

    /// Runs a paged query of this plugin's books whose two `?` after the scope both take `key`.
    async fn page(
        &self,
        conn: &impl ConnectionTrait,
        sql_text: &str,
        key: &str,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
        let mut values = self.scope();
        values.extend([
            key.into(),
            key.into(),
            i64::from(limit.min(MAX_PAGE)).into(),
            i64::from(offset).into(),
        ]);
        conn.query_all_raw(sql::stmt(self.db.backend(), sql_text, values))
            .await
    }

    pub async fn transfer(&self, request: TransferRequest) -> Result<Transfer, LedgerError> {
        let mut done = self.transfer_all(vec![request]).await?;
        done.pop()
            .ok_or_else(|| LedgerError::Internal("no transfer recorded".into()))
    }

    /// Applies every transfer or none. A transfer whose idempotency key was already used for the
    /// same movement is returned as it was recorded, without moving money again.
    pub async fn transfer_all(
        &self,
        requests: Vec<TransferRequest>,
    ) -> Result<Vec<Transfer>, LedgerError> {
        let write = self.db.begin_owned_write().await?;
        let done = self.transfer_all_in(write.txn(), None, requests).await?;
        write.commit().await?;
        Ok(done)
    }

    /// Applies every transfer or none inside `txn`, in a savepoint. `call` is the id of the
    /// plugin call that moves the money, kept on each journal row (see the audit log's
    /// completeness check).
    pub async fn transfer_all_in(
        &self,
        txn: &DatabaseTransaction,
        call: Option<&str>,
        requests: Vec<TransferRequest>,
    ) -> Result<Vec<Transfer>, LedgerError> {
        for request in &requests {
            check_plugin_name(&request.from)?;
            check_plugin_name(&request.to)?;
        }
        self.transfer_kernel_in(txn, call, requests).await
    }

    /// [`Ledger::transfer_all_in`] for the kernel, which may move money on its own accounts.
    pub(crate) async fn transfer_kernel_in(
        &self,
        txn: &DatabaseTransaction,
        call: Option<&str>,
        requests: Vec<TransferRequest>,
    ) -> Result<Vec<Transfer>, LedgerError> {
        for request in &requests {
            check_request(request)?;
        }
        crate::db::savepoint(txn, async |txn| {
            let mut done = Vec::with_capacity(requests.len());
            for request in &requests {
                done.push(self.apply(txn, call, request).await?);
            }
            Ok(done)
        })
        .await
    }

    /// The transfer recorded under idempotency key `key`, if any: whether a movement already
    /// happened, read through the pool or the transaction about to make it.
    pub async fn find_in(
        &self,
        conn: &impl ConnectionTrait,
        key: &str,
    ) -> Result<Option<Transfer>, LedgerError> {
        self.existing(conn, key).await
    }

    async fn existing(
        &self,
        txn: &impl ConnectionTrait,
        key: &str,
    ) -> Result<Option<Transfer>, LedgerError> {
        let mut values = self.scope();
        values.push(key.into());
        let row = txn
            .query_one_raw(sql::stmt(
                self.db.backend(),
                &format!(
                    "SELECT {TRANSFER_COLUMNS} FROM ledger_transfers \
                     WHERE instance = ? AND plugin = ? AND idempotency_key = ?"
                ),
                values,
            ))
            .await?;
        Ok(row.as_ref().map(transfer_from_row).transpose()?)
    }

    /// Records one transfer. The journal row is written first, so the idempotency key is
    /// claimed before any money moves: a concurrent request with the same key waits on the
    /// unique index and then finds this transfer instead of spending a second time.
    async fn apply(
        &self,
        txn: &DatabaseTransaction,
        call: Option<&str>,
        request: &TransferRequest,
    ) -> Result<Transfer, LedgerError> {
        let backend = self.db.backend();
        let transfer = Transfer {
            id: crate::docstore::new_id(),
            from: request.from.clone(),
            to: request.to.clone(),
            amount: request.amount,
            memo: request.memo.clone(),
            idempotency_key: request.idempotency_key.clone(),
            at: crate::clock::now_ms(),
        };
        let mut values = self.scope();
        values.extend([
            transfer.id.clone().into(),
            transfer.idempotency_key.clone().into(),
            transfer.from.clone().into(),
            transfer.to.clone().into(),
            transfer.amount.into(),
            transfer.memo.clone().into(),
            transfer.at.into(),
            call.into(),
        ]);
        let claimed = txn
            .execute_raw(sql::stmt(
                backend,
                "INSERT INTO ledger_transfers \
                 (instance, plugin, id, idempotency_key, from_account, to_account, amount, memo, at, call_id) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (instance, plugin, idempotency_key) DO NOTHING",
                values,
            ))
            .await?;
        if claimed.rows_affected() == 0 {
            let previous = self
                .existing(txn, &request.idempotency_key)
                .await?
                .ok_or_else(|| LedgerError::Internal("an idempotency key vanished".into()))?;
            let same = previous.from == request.from
                && previous.to == request.to
                && previous.amount == request.amount;
            return if same {
                Ok(previous)
            } else {
                Err(LedgerError::Conflict(format!(
                    "idempotency key `{}` was already used for another transfer",
                    request.idempotency_key
                )))
            };
        }
        let mut values = vec![request.amount.into()];
        values.extend(self.scope());
        values.extend([request.from.clone().into(), request.amount.into()]);
        let debited = txn
            .execute_raw(sql::stmt(
                backend,
                "UPDATE ledger_accounts SET balance = balance - ? \
                 WHERE instance = ? AND plugin = ? AND name = ? AND (kind = 'external' OR balance >= ?)",
                values,
            ))
            .await?;
        if debited.rows_affected() == 0 {
            return Err(match self.account(txn, &request.from).await? {
                None => LedgerError::UnknownAccount(request.from.clone()),
                Some(account) => LedgerError::InsufficientFunds(format!(
                    "`{}` holds {} cents, {} cents are needed",
                    account.name, account.balance, request.amount
                )),
            });
        }
        let mut values = vec![request.amount.into()];
        values.extend(self.scope());
        values.push(request.to.clone().into());
        let credited = txn
            .execute_raw(sql::stmt(
                backend,
                "UPDATE ledger_accounts SET balance = balance + ? WHERE instance = ? AND plugin = ? AND name = ?",
                values,
            ))
            .await?;
        if credited.rows_affected() == 0 {
            return Err(LedgerError::UnknownAccount(request.to.clone()));
        }
        Ok(transfer)
    }

    /// Reads an account through `conn`: the pool, or the transaction that is about to write.
    async fn account(
        &self,
        conn: &impl ConnectionTrait,
        name: &str,
    ) -> Result<Option<Account>, LedgerError> {
        check_name("account", name)?;
        let mut values = self.scope();
        values.push(name.into());
        let row = conn
            .query_one_raw(sql::stmt(
                self.db.backend(),
                "SELECT name, kind, balance FROM ledger_accounts WHERE instance = ? AND plugin = ? AND name = ?",
                values,
            ))
            .await?;
        Ok(row.as_ref().map(account_from_row).transpose()?)
    }

    /// Transfers into or out of `name`, newest first.
    pub async fn history(
        &self,
        name: &str,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<Transfer>, LedgerError> {
        self.history_in(self.db.conn(), name, limit, offset).await
    }

    pub async fn history_in(
        &self,
        conn: &impl ConnectionTrait,
        name: &str,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<Transfer>, LedgerError> {
        let rows = self
            .page(
                conn,
                &format!(
                    "SELECT {TRANSFER_COLUMNS} FROM ledger_transfers WHERE instance = ? AND plugin = ? \
                     AND (from_account = ? OR to_account = ?) ORDER BY at DESC, id DESC LIMIT ? OFFSET ?"
                ),
                name,
                limit,
                offset,
            )
            .await?;
        Ok(rows
            .iter()
            .map(transfer_from_row)
            .collect::<Result<_, _>>()?)
    }
}
