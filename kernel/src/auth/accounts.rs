//! What an administrator does to accounts (`/admin/accounts`, `trama user`): find them among
//! many, grant and revoke roles, disable and re-enable. Each change commits together with its
//! audit entry naming who made it, or not at all.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Value};
use serde::Serialize;

use super::AuthError;
use super::roles::Declared;
use crate::audit;
use crate::db::{Db, sql};

/// The role that may administer an instance; it must always have a holder.
pub const ADMIN_ROLE: &str = "admin";

/// An account as the administrator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<String>,
    pub created_at: i64,
    /// When an administrator disabled it; `None` while it may log in.
    pub disabled_at: Option<i64>,
}

/// Which accounts to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Part of the username or the display name, any case.
    pub text: String,
    /// Only the holders of this role.
    pub role: Option<String>,
    /// `Some(true)`: only disabled accounts; `Some(false)`: only active ones.
    pub disabled: Option<bool>,
    /// Only accounts whose holder asked to be erased and that are not erased yet.
    pub erasure_pending: bool,
}

/// One page of a listing, with how many accounts match in all.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub accounts: Vec<Account>,
    pub total: u64,
}

/// Who makes a change, for the audit entry.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    /// The administrator's username; `None` from the command line.
    pub username: Option<&'a str>,
    /// `"admin"` (the pages) or `"cli"`.
    pub via: &'a str,
}

/// `%`, `_` and `\` typed into a search stand for themselves.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for ch in text.trim().to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(ch);
    }
    pattern.push('%');
    pattern
}

/// The `WHERE` clause of `filter` and its values.
fn conditions(instance: &str, filter: &Filter) -> (String, Vec<Value>) {
    let mut clause = "u.instance = ?".to_owned();
    let mut values: Vec<Value> = vec![instance.into()];
    if !filter.text.trim().is_empty() {
        clause.push_str(
            " AND (LOWER(u.username) LIKE ? ESCAPE '\\' OR LOWER(u.display_name) LIKE ? ESCAPE '\\')",
        );
        let pattern = like_pattern(&filter.text);
        values.push(pattern.clone().into());
        values.push(pattern.into());
    }
    if let Some(role) = &filter.role {
        clause.push_str(
            " AND EXISTS (SELECT 1 FROM user_roles r WHERE r.instance = u.instance \
             AND r.user_id = u.id AND r.role = ?)",
        );
        values.push(role.clone().into());
    }
    match filter.disabled {
        Some(true) => clause.push_str(" AND u.disabled_at IS NOT NULL"),
        Some(false) => clause.push_str(" AND u.disabled_at IS NULL"),
        None => {}
    }
    if filter.erasure_pending {
        clause.push_str(" AND u.erasure_requested_at IS NOT NULL AND u.erased_at IS NULL");
    }
    (clause, values)
}

/// The accounts matching `filter`, by username: at most `limit` from `offset`.
pub async fn search(
    db: &Db,
    instance: &str,
    filter: &Filter,
    limit: u32,
    offset: u64,
) -> Result<Page, DbErr> {
    let conn = db.conn();
    let (clause, values) = conditions(instance, filter);
    let total = conn
        .query_one_raw(sql::stmt(
            db.backend(),
            &format!("SELECT COUNT(*) AS total FROM users u WHERE {clause}"),
            values.clone(),
        ))
        .await?
        .map(|row| row.try_get::<i64>("", "total"))
        .transpose()?
        .unwrap_or_default();
    let mut paged = values;
    paged.push(i64::from(limit).into());
    paged.push(i64::try_from(offset).unwrap_or(i64::MAX).into());
    let rows = conn
        .query_all_raw(sql::stmt(
            db.backend(),
            &format!(
                "SELECT u.id, u.username, u.display_name, u.created_at, u.disabled_at \
                 FROM users u WHERE {clause} ORDER BY u.username LIMIT ? OFFSET ?"
            ),
            paged,
        ))
        .await?;
    let mut accounts = Vec::with_capacity(rows.len());
    for row in &rows {
        accounts.push(account_from_row(conn, instance, row).await?);
    }
    Ok(Page {
        accounts,
        total: u64::try_from(total).unwrap_or_default(),
    })
}

async fn account_from_row(
    conn: &impl ConnectionTrait,
    instance: &str,
    row: &sea_orm::QueryResult,
) -> Result<Account, DbErr> {
    let id: String = row.try_get("", "id")?;
    let roles = super::users::roles_of(conn, instance, &id).await?;
    Ok(Account {
        username: row.try_get("", "username")?,
        display_name: row.try_get("", "display_name")?,
        created_at: row.try_get("", "created_at")?,
        disabled_at: row.try_get("", "disabled_at")?,
        roles,
        id,
    })
}

/// One account by id.
pub async fn get(db: &Db, instance: &str, id: &str) -> Result<Option<Account>, DbErr> {
    get_in(db.conn(), instance, id).await
}

async fn get_in(
    conn: &impl ConnectionTrait,
    instance: &str,
    id: &str,
) -> Result<Option<Account>, DbErr> {
    find_where(conn, instance, "id", id).await
}

/// One account by username.
pub async fn find_by_username(
    db: &Db,
    instance: &str,
    username: &str,
) -> Result<Option<Account>, DbErr> {
    find_where(db.conn(), instance, "username", username).await
}

/// The account whose `column` (`id` or `username`, both unique per instance) is `value`.
async fn find_where(
    conn: &impl ConnectionTrait,
    instance: &str,
    column: &str,
    value: &str,
) -> Result<Option<Account>, DbErr> {
    let row = conn
        .query_one_raw(sql::stmt(
            conn.get_database_backend(),
            &format!(
                "SELECT u.id, u.username, u.display_name, u.created_at, u.disabled_at \
                 FROM users u WHERE u.instance = ? AND u.{column} = ?"
            ),
            vec![instance.into(), value.into()],
        ))
        .await?;
    match row {
        Some(row) => Ok(Some(account_from_row(conn, instance, &row).await?)),
        None => Ok(None),
    }
}

/// How many sessions of the account are open now.
pub async fn open_sessions(db: &Db, instance: &str, id: &str) -> Result<u64, DbErr> {
    let row = db
        .conn()
        .query_one_raw(sql::stmt(
            db.backend(),
            "SELECT COUNT(*) AS open FROM sessions WHERE instance = ? AND user_id = ? AND expires_at > ?",
            vec![instance.into(), id.into(), crate::clock::now_ms().into()],
        ))
        .await?;
    Ok(row
        .map(|row| row.try_get::<i64>("", "open"))
        .transpose()?
        .map_or(0, |n| u64::try_from(n).unwrap_or_default()))
}

fn entry(
    instance: &str,
    actor: Actor<'_>,
    action: &str,
    account: &Account,
    detail: serde_json::Value,
) -> audit::Entry {
    let mut detail = detail;
    detail["username"] = account.username.clone().into();
    detail["via"] = actor.via.into();
    audit::Entry {
        instance: instance.to_owned(),
        actor: actor.username.map(str::to_owned),
        plugin: None,
        action: action.to_owned(),
        subject: account.id.clone(),
        detail: detail.to_string(),
    }
}

/// Runs `change` on account `id` in one write transaction that ends with the audit entry it
/// returns, and answers the account as it is afterwards. A change with nothing to do (granting
/// a role held already) writes nothing and is not audited.
async fn change(
    db: &Db,
    instance: &str,
    id: &str,
    change: impl AsyncChange,
) -> Result<Account, AuthError> {
    let write = db.begin_owned_write().await?;
    let txn = write.txn();
    let Some(account) = get_in(txn, instance, id).await? else {
        return Err(AuthError::NoAccount);
    };
    match change.run(txn, &account).await? {
        Some(entry) => {
            audit::append_in(txn, instance, vec![entry]).await?;
            let account = get_in(txn, instance, id)
                .await?
                .ok_or(AuthError::NoAccount)?;
            write.commit().await?;
            Ok(account)
        }
        None => {
            write.rollback().await?;
            Ok(account)
        }
    }
}

/// One change to an account inside its transaction: `None` when there is nothing to do, else
/// the audit entry that records it. (A trait, because an async closure cannot yet borrow the
/// transaction it is given.)
trait AsyncChange {
    async fn run(
        self,
        txn: &sea_orm::DatabaseTransaction,
        account: &Account,
    ) -> Result<Option<audit::Entry>, AuthError>;
}

struct Grant<'a> {
    instance: &'a str,
    role: &'a str,
    actor: Actor<'a>,
}

impl AsyncChange for Grant<'_> {
    async fn run(
        self,
        txn: &sea_orm::DatabaseTransaction,
        account: &Account,
    ) -> Result<Option<audit::Entry>, AuthError> {
        if account.roles.iter().any(|role| role == self.role) {
            return Ok(None);
        }
        txn.execute_raw(sql::stmt(
            txn.get_database_backend(),
            "INSERT INTO user_roles (instance, user_id, role) VALUES (?, ?, ?) \
             ON CONFLICT (instance, user_id, role) DO NOTHING",
            vec![
                self.instance.into(),
                account.id.clone().into(),
                self.role.into(),
            ],
        ))
        .await?;
        let detail = serde_json::json!({ "role": self.role });
        Ok(Some(entry(
            self.instance,
            self.actor,
            "role.granted",
            account,
            detail,
        )))
    }
}

struct Revoke<'a> {
    instance: &'a str,
    role: &'a str,
    actor: Actor<'a>,
}

impl AsyncChange for Revoke<'_> {
    async fn run(
        self,
        txn: &sea_orm::DatabaseTransaction,
        account: &Account,
    ) -> Result<Option<audit::Entry>, AuthError> {
        if !account.roles.iter().any(|role| role == self.role) {
            return Ok(None);
        }
        if self.role == ADMIN_ROLE && account.disabled_at.is_none() {
            keeps_an_admin(txn, self.instance, &account.id).await?;
        }
        txn.execute_raw(sql::stmt(
            txn.get_database_backend(),
            "DELETE FROM user_roles WHERE instance = ? AND user_id = ? AND role = ?",
            vec![
                self.instance.into(),
                account.id.clone().into(),
                self.role.into(),
            ],
        ))
        .await?;
        let detail = serde_json::json!({ "role": self.role });
        Ok(Some(entry(
            self.instance,
            self.actor,
            "role.revoked",
            account,
            detail,
        )))
    }
}

struct SetDisabled<'a> {
    instance: &'a str,
    disabled: bool,
    actor: Actor<'a>,
}

impl AsyncChange for SetDisabled<'_> {
    async fn run(
        self,
        txn: &sea_orm::DatabaseTransaction,
        account: &Account,
    ) -> Result<Option<audit::Entry>, AuthError> {
        if account.disabled_at.is_some() == self.disabled {
            return Ok(None);
        }
        let backend = txn.get_database_backend();
        if self.disabled {
            if account.roles.iter().any(|role| role == ADMIN_ROLE) {
                keeps_an_admin(txn, self.instance, &account.id).await?;
            }
            txn.execute_raw(sql::stmt(
                backend,
                "UPDATE users SET disabled_at = ? WHERE instance = ? AND id = ?",
                vec![
                    crate::clock::now_ms().into(),
                    self.instance.into(),
                    account.id.clone().into(),
                ],
            ))
            .await?;
            // Disabling takes effect at once: every open session of the account ends with it.
            txn.execute_raw(sql::stmt(
                backend,
                "DELETE FROM sessions WHERE instance = ? AND user_id = ?",
                vec![self.instance.into(), account.id.clone().into()],
            ))
            .await?;
        } else {
            txn.execute_raw(sql::stmt(
                backend,
                "UPDATE users SET disabled_at = NULL WHERE instance = ? AND id = ?",
                vec![self.instance.into(), account.id.clone().into()],
            ))
            .await?;
        }
        let action = if self.disabled {
            "account.disabled"
        } else {
            "account.enabled"
        };
        Ok(Some(entry(
            self.instance,
            self.actor,
            action,
            account,
            serde_json::json!({}),
        )))
    }
}

/// Refuses a change that would leave no active administrator besides `leaving`. On PostgreSQL
/// the administrators' role rows are locked first, so that two administrators removing each
/// other at once on two nodes cannot both pass the check.
async fn keeps_an_admin(
    txn: &sea_orm::DatabaseTransaction,
    instance: &str,
    leaving: &str,
) -> Result<(), AuthError> {
    let backend = txn.get_database_backend();
    let lock = if backend == DbBackend::Postgres {
        " FOR UPDATE OF r"
    } else {
        ""
    };
    let rows = txn
        .query_all_raw(sql::stmt(
            backend,
            &format!(
                "SELECT r.user_id, u.disabled_at FROM user_roles r JOIN users u \
                 ON u.instance = r.instance AND u.id = r.user_id \
                 WHERE r.instance = ? AND r.role = ?{lock}"
            ),
            vec![instance.into(), ADMIN_ROLE.into()],
        ))
        .await?;
    let mut others = 0;
    for row in &rows {
        let user: String = row.try_get("", "user_id")?;
        let disabled: Option<i64> = row.try_get("", "disabled_at")?;
        if user != leaving && disabled.is_none() {
            others += 1;
        }
    }
    if others == 0 {
        return Err(AuthError::LastAdmin);
    }
    Ok(())
}

/// Grants `role` to account `id`, if `declared` knows it. Granting a role held already changes
/// nothing and writes no audit entry.
pub async fn grant(
    db: &Db,
    instance: &str,
    declared: &Declared,
    id: &str,
    role: &str,
    actor: Actor<'_>,
) -> Result<Account, AuthError> {
    declared.check(role)?;
    change(
        db,
        instance,
        id,
        Grant {
            instance,
            role,
            actor,
        },
    )
    .await
}

/// Revokes `role` from account `id`; the last active administrator keeps `admin`.
pub async fn revoke(
    db: &Db,
    instance: &str,
    id: &str,
    role: &str,
    actor: Actor<'_>,
) -> Result<Account, AuthError> {
    change(
        db,
        instance,
        id,
        Revoke {
            instance,
            role,
            actor,
        },
    )
    .await
}

/// Disables account `id` (its sessions end now) or enables it again. The last active
/// administrator cannot be disabled.
pub async fn set_disabled(
    db: &Db,
    instance: &str,
    id: &str,
    disabled: bool,
    actor: Actor<'_>,
) -> Result<Account, AuthError> {
    change(
        db,
        instance,
        id,
        SetDisabled {
            instance,
            disabled,
            actor,
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_typed_in_a_search_match_themselves() {
        assert_eq!(like_pattern(" Rossi_% "), "%rossi\\_\\%%");
    }
}
