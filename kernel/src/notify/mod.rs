//! The notification outbox: messages plugins send to people (host API 1.2).
//!
//! One row is two things at once: an entry in the recipient's inbox on the instance (the
//! "Notifiche" page; `read_at`) and a mail waiting to be sent (`sent_at`), either by the
//! kernel's own mail worker (`[mail]`, see `crate::mail` and [`delivery`]) or by an external
//! relay (`trama outbox --mark-sent`). A plugin names an account, never an address, so it
//! cannot write to strangers, and the key it gives makes sending idempotent: a job that runs
//! again, or an event delivered twice, queues nothing new.

pub mod delivery;

pub use delivery::{Delivery, MailState, count, list, retry};

use sea_orm::{ConnectionTrait, DbErr, Value};
use serde::Serialize;

use crate::db::{Db, sql};

/// Longest subject, dedup key and link, in bytes.
const MAX_LINE: usize = 200;
/// Longest body, in bytes.
const MAX_BODY: usize = 8 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("{0}")]
    Invalid(String),
    #[error("database: {0}")]
    Database(#[from] DbErr),
}

/// A message as a plugin hands it over.
#[derive(Debug, Clone)]
pub struct Notification {
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub key: String,
    pub link: Option<String>,
}

/// A queued message, as the inbox and the relay see it.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub id: String,
    pub plugin: String,
    pub recipient: String,
    /// Where the mail goes, for the relay: the recipient's username (their login, usually an
    /// e-mail address), or the address the kernel queued it to (the notice to an address an
    /// account left).
    pub username: String,
    pub subject: String,
    pub body: String,
    pub link: Option<String>,
    pub created_at: i64,
    pub read_at: Option<i64>,
    pub sent_at: Option<i64>,
}

/// The outbox as seen by one plugin on one instance.
#[derive(Debug, Clone)]
pub struct Outbox {
    db: Db,
    instance: String,
    plugin: String,
}

fn check_line(what: &str, text: &str, allow_empty: bool) -> Result<(), NotifyError> {
    if (!allow_empty && text.trim().is_empty())
        || text.len() > MAX_LINE
        || text.chars().any(char::is_control)
    {
        return Err(NotifyError::Invalid(format!(
            "the {what} must be one line of 1 to {MAX_LINE} bytes"
        )));
    }
    Ok(())
}

impl Outbox {
    pub fn new(db: Db, instance: &str, plugin: &str) -> Self {
        Self {
            db,
            instance: instance.to_owned(),
            plugin: plugin.to_owned(),
        }
    }

    /// Checks `message` and whether its key is still unused; nothing is written.
    pub async fn check(&self, message: &Notification) -> Result<bool, NotifyError> {
        self.check_in(self.db.conn(), message).await
    }

    /// [`Outbox::check`] through `conn`: the pool, or the transaction of the call that sends.
    pub async fn check_in(
        &self,
        conn: &impl ConnectionTrait,
        message: &Notification,
    ) -> Result<bool, NotifyError> {
        check_line("subject", &message.subject, false)?;
        check_line("key", &message.key, false)?;
        if message.body.contains('\0') {
            return Err(NotifyError::Invalid(
                "the body holds a NUL character".into(),
            ));
        }
        if message.body.len() > MAX_BODY {
            return Err(NotifyError::Invalid(format!(
                "the body is longer than {MAX_BODY} bytes"
            )));
        }
        if let Some(link) = &message.link {
            check_line("link", link, false)?;
            if !crate::links::is_same_site_path(link) {
                return Err(NotifyError::Invalid(format!(
                    "the link `{}` must be a path inside the instance, starting with `/`",
                    link.escape_debug()
                )));
            }
        }
        let known = conn
            .query_one_raw(sql::stmt(
                self.db.backend(),
                "SELECT 1 AS found FROM users WHERE instance = ? AND id = ?",
                vec![
                    self.instance.clone().into(),
                    message.recipient.clone().into(),
                ],
            ))
            .await?;
        if known.is_none() {
            return Err(NotifyError::Invalid(format!(
                "no account `{}` on this instance",
                message.recipient.escape_debug()
            )));
        }
        let used = conn
            .query_one_raw(sql::stmt(
                self.db.backend(),
                "SELECT 1 AS used FROM notifications WHERE instance = ? AND plugin = ? AND dedup_key = ?",
                vec![
                    self.instance.clone().into(),
                    self.plugin.clone().into(),
                    message.key.clone().into(),
                ],
            ))
            .await?;
        Ok(used.is_none())
    }

    /// Checks and queues `message`; `Ok(false)` when its key was used before (nothing queued).
    pub async fn send(&self, message: Notification) -> Result<bool, NotifyError> {
        if !self.check(&message).await? {
            return Ok(false);
        }
        self.queue(message).await
    }

    /// Queues a checked message; `Ok(false)` if its key was taken meanwhile.
    pub async fn queue(&self, message: Notification) -> Result<bool, NotifyError> {
        let write = self.db.begin_owned_write().await?;
        let queued = self.queue_in(write.txn(), None, message).await?;
        write.commit().await?;
        Ok(queued)
    }

    /// [`Outbox::queue`] inside `txn`; `call` is the id of the plugin call that sends (see the
    /// audit log's completeness check).
    pub async fn queue_in(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        call: Option<&str>,
        message: Notification,
    ) -> Result<bool, NotifyError> {
        self.insert_in(txn, call, message, None).await
    }

    /// [`Outbox::queue_in`] for a mail that must reach `address` rather than the account's
    /// login as it will be when the mail is sent: the kernel's notice to the address an
    /// account just left (`auth::recovery::change_email`). Plugins name accounts only, so they
    /// never reach this.
    pub async fn queue_to_address_in(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        message: Notification,
        address: &str,
    ) -> Result<bool, NotifyError> {
        self.insert_in(txn, None, message, Some(address)).await
    }

    async fn insert_in(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        call: Option<&str>,
        message: Notification,
        address: Option<&str>,
    ) -> Result<bool, NotifyError> {
        let values: Vec<Value> = vec![
            self.instance.clone().into(),
            crate::docstore::new_id().into(),
            self.plugin.clone().into(),
            message.key.into(),
            message.recipient.into(),
            message.subject.into(),
            message.body.into(),
            message.link.into(),
            crate::clock::now_ms().into(),
            call.into(),
            address.into(),
        ];
        let inserted = txn
            .execute_raw(sql::stmt(
                self.db.backend(),
                "INSERT INTO notifications (instance, id, plugin, dedup_key, recipient, subject, body, link, created_at, call_id, address) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (instance, plugin, dedup_key) DO NOTHING",
                values,
            ))
            .await?;
        Ok(inserted.rows_affected() == 1)
    }
}

/// `username` is where the mail goes: the account's login, or the address the row was queued
/// to ([`Outbox::queue_to_address_in`]).
pub(crate) const MESSAGE_COLUMNS: &str = "n.id, n.plugin, n.recipient, \
     COALESCE(n.address, u.username) AS username, n.subject, n.body, n.link, \
     n.created_at, n.read_at, n.sent_at";

pub(crate) fn message_from_row(row: &sea_orm::QueryResult) -> Result<Message, DbErr> {
    Ok(Message {
        id: row.try_get("", "id")?,
        plugin: row.try_get("", "plugin")?,
        recipient: row.try_get("", "recipient")?,
        username: row.try_get("", "username")?,
        subject: row.try_get("", "subject")?,
        body: row.try_get("", "body")?,
        link: row.try_get("", "link")?,
        created_at: row.try_get("", "created_at")?,
        read_at: row.try_get("", "read_at")?,
        sent_at: row.try_get("", "sent_at")?,
    })
}

/// The newest `limit` messages of `user`, newest first.
pub async fn inbox(db: &Db, instance: &str, user: &str, limit: u32) -> Result<Vec<Message>, DbErr> {
    let rows = db
        .conn()
        .query_all_raw(sql::stmt(
            db.backend(),
            &format!(
                "SELECT {MESSAGE_COLUMNS} FROM notifications n JOIN users u \
                 ON u.instance = n.instance AND u.id = n.recipient \
                 WHERE n.instance = ? AND n.recipient = ? ORDER BY n.created_at DESC, n.id DESC LIMIT ?"
            ),
            vec![instance.into(), user.into(), i64::from(limit).into()],
        ))
        .await?;
    rows.iter().map(message_from_row).collect()
}

/// How many messages `user` has not read yet.
pub async fn unread(db: &Db, instance: &str, user: &str) -> Result<i64, DbErr> {
    let row = db
        .conn()
        .query_one_raw(sql::stmt(
            db.backend(),
            "SELECT COUNT(*) AS unread FROM notifications \
             WHERE instance = ? AND recipient = ? AND read_at IS NULL",
            vec![instance.into(), user.into()],
        ))
        .await?;
    row.map(|row| row.try_get("", "unread"))
        .transpose()
        .map(Option::unwrap_or_default)
}

/// Marks every message of `user` read.
pub async fn mark_all_read(db: &Db, instance: &str, user: &str) -> Result<u64, DbErr> {
    let _guard = db.write_guard().await;
    let done = db
        .conn()
        .execute_raw(sql::stmt(
            db.backend(),
            "UPDATE notifications SET read_at = ? \
             WHERE instance = ? AND recipient = ? AND read_at IS NULL",
            vec![crate::clock::now_ms().into(), instance.into(), user.into()],
        ))
        .await?;
    Ok(done.rows_affected())
}

/// Messages the relay has not sent yet, oldest first: neither sent, nor given up as failed,
/// nor being sent by a node's mail worker right now.
pub async fn pending(db: &Db, instance: &str, limit: u32) -> Result<Vec<Message>, DbErr> {
    let rows = db
        .conn()
        .query_all_raw(sql::stmt(
            db.backend(),
            &format!(
                "SELECT {MESSAGE_COLUMNS} FROM notifications n JOIN users u \
                 ON u.instance = n.instance AND u.id = n.recipient \
                 WHERE n.instance = ? AND n.sent_at IS NULL AND n.failed_at IS NULL \
                 AND (n.claimed_until IS NULL OR n.claimed_until <= ?) \
                 ORDER BY n.created_at, n.id LIMIT ?"
            ),
            vec![
                instance.into(),
                crate::clock::now_ms().into(),
                i64::from(limit).into(),
            ],
        ))
        .await?;
    rows.iter().map(message_from_row).collect()
}

/// Records that the relay handed message `id` to the mail system; `false` if it was sent or
/// given up already, or a mail worker holds it now (the relay must then not print it).
pub async fn mark_sent(db: &Db, instance: &str, id: &str) -> Result<bool, DbErr> {
    let _guard = db.write_guard().await;
    let now = crate::clock::now_ms();
    let done = db
        .conn()
        .execute_raw(sql::stmt(
            db.backend(),
            "UPDATE notifications SET sent_at = ? WHERE instance = ? AND id = ? \
             AND sent_at IS NULL AND failed_at IS NULL \
             AND (claimed_until IS NULL OR claimed_until <= ?)",
            vec![now.into(), instance.into(), id.into(), now.into()],
        ))
        .await?;
    Ok(done.rows_affected() == 1)
}
