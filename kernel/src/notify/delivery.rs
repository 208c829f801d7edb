//! The mail side of a notification row, as the kernel's mail worker (`crate::mail`) and the
//! administrators see it: pending, sent or failed, with its attempts and last error.
//!
//! ## One sender across nodes
//!
//! Several `trama serve` processes may share one database. A node sends a message only after
//! *claiming* it with a conditional update (`attempts = attempts + 1`, `claimed_by = node`,
//! `claimed_until = lease end`, `WHERE attempts = what it read AND the previous lease is over`):
//! one node wins, the others change no row and skip the message. The outcome (sent, retry
//! later, failed) is written only if the row still carries that claim (`claimed_by` and
//! `attempts`), so a node that stalled past its lease cannot overwrite what the node that took
//! over wrote. A node that dies mid-send leaves its lease behind; once it expires the message
//! is due again, as a new attempt. Attempts are counted when claimed, so a message whose sends
//! keep killing their node still ends, failed, after the configured number of attempts.
//!
//! Times here are what the caller passes: the mail worker reads them from the database's
//! clock on PostgreSQL (`events::db_now_ms`), so every node measures leases alike.

use sea_orm::{ConnectionTrait, DbErr, Value};
use serde::Serialize;

use super::{MESSAGE_COLUMNS, Message, message_from_row};
use crate::db::{Db, sql};

/// Where a message stands on its way to the recipient's mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MailState {
    /// Not sent yet: waiting for its first attempt or for a retry.
    Pending,
    /// Handed to the SMTP server (or to an external relay).
    Sent,
    /// Given up: a permanent refusal, no address, or too many attempts. Only an
    /// administrator's [`retry`] sends it again.
    Failed,
}

impl MailState {
    pub fn as_str(self) -> &'static str {
        match self {
            MailState::Pending => "pending",
            MailState::Sent => "sent",
            MailState::Failed => "failed",
        }
    }

    /// The SQL condition on `n.` columns that selects this state.
    fn condition(self) -> &'static str {
        match self {
            MailState::Pending => "n.sent_at IS NULL AND n.failed_at IS NULL",
            MailState::Sent => "n.sent_at IS NOT NULL",
            MailState::Failed => "n.sent_at IS NULL AND n.failed_at IS NOT NULL",
        }
    }
}

impl std::str::FromStr for MailState {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "pending" => Ok(MailState::Pending),
            "sent" => Ok(MailState::Sent),
            "failed" => Ok(MailState::Failed),
            other => Err(format!(
                "{other:?} is not a mail state: use pending, sent or failed"
            )),
        }
    }
}

/// A message with its delivery record, for the administrators' lists.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    #[serde(flatten)]
    pub message: Message,
    pub state: MailState,
    /// Attempts made (claimed) since it was queued or last retried.
    pub attempts: i64,
    /// When a pending message is tried again, if it failed before.
    pub next_attempt_at: Option<i64>,
    pub failed_at: Option<i64>,
    /// Why the last attempt failed (the SMTP server's reply, or the kernel's reason).
    pub last_error: Option<String>,
    /// The node that claimed the last attempt.
    pub claimed_by: Option<String>,
}

const DELIVERY_COLUMNS: &str =
    "n.attempts, n.next_attempt_at, n.failed_at, n.last_error, n.claimed_by";

fn delivery_from_row(row: &sea_orm::QueryResult) -> Result<Delivery, DbErr> {
    let message = message_from_row(row)?;
    let failed_at: Option<i64> = row.try_get("", "failed_at")?;
    let state = match (message.sent_at, failed_at) {
        (Some(_), _) => MailState::Sent,
        (None, Some(_)) => MailState::Failed,
        (None, None) => MailState::Pending,
    };
    Ok(Delivery {
        message,
        state,
        attempts: row.try_get("", "attempts")?,
        next_attempt_at: row.try_get("", "next_attempt_at")?,
        failed_at,
        last_error: row.try_get("", "last_error")?,
        claimed_by: row.try_get("", "claimed_by")?,
    })
}

/// The messages in `state`, newest first, `limit` of them after skipping `offset`.
pub async fn list(
    db: &Db,
    instance: &str,
    state: MailState,
    offset: u32,
    limit: u32,
) -> Result<Vec<Delivery>, DbErr> {
    let rows = db
        .conn()
        .query_all_raw(sql::stmt(
            db.backend(),
            &format!(
                "SELECT {MESSAGE_COLUMNS}, {DELIVERY_COLUMNS} FROM notifications n JOIN users u \
                 ON u.instance = n.instance AND u.id = n.recipient \
                 WHERE n.instance = ? AND {} ORDER BY n.created_at DESC, n.id DESC LIMIT ? OFFSET ?",
                state.condition()
            ),
            vec![
                instance.into(),
                i64::from(limit).into(),
                i64::from(offset).into(),
            ],
        ))
        .await?;
    rows.iter().map(delivery_from_row).collect()
}

/// How many messages are in `state` (for paging).
pub async fn count(db: &Db, instance: &str, state: MailState) -> Result<i64, DbErr> {
    let row = db
        .conn()
        .query_one_raw(sql::stmt(
            db.backend(),
            &format!(
                "SELECT COUNT(*) AS n FROM notifications n WHERE n.instance = ? AND {}",
                state.condition()
            ),
            vec![instance.into()],
        ))
        .await?;
    row.map(|row| row.try_get("", "n"))
        .transpose()
        .map(Option::unwrap_or_default)
}

/// Puts failed message `id` back to pending, with its attempts counted from zero, to be sent
/// at the mail worker's next poll; its last error stays until an attempt replaces it. `false`
/// when there is no such failed message (unknown, pending or sent). Audited `mail.retried` in
/// the same transaction, with who asked (`actor`: a username, none from the command line) and
/// how (`via`: `admin`, `cli`).
pub async fn retry(
    db: &Db,
    instance: &str,
    id: &str,
    actor: Option<&str>,
    via: &str,
) -> Result<bool, DbErr> {
    let write = db.begin_owned_write().await?;
    if !retry_in(write.txn(), instance, id).await? {
        write.rollback().await?;
        return Ok(false);
    }
    let entry = crate::audit::Entry {
        instance: instance.to_owned(),
        actor: actor.map(str::to_owned),
        plugin: None,
        action: "mail.retried".into(),
        subject: id.to_owned(),
        detail: serde_json::json!({ "via": via }).to_string(),
    };
    crate::audit::append_in(write.txn(), instance, vec![entry]).await?;
    write.commit().await.map(|()| true)
}

/// Puts failed message `id` back to pending through `conn` (see [`retry`]).
async fn retry_in(
    conn: &impl sea_orm::ConnectionTrait,
    instance: &str,
    id: &str,
) -> Result<bool, DbErr> {
    let done = conn
        .execute_raw(sql::stmt(
            conn.get_database_backend(),
            "UPDATE notifications SET failed_at = NULL, attempts = 0, next_attempt_at = NULL, \
             claimed_until = NULL, claimed_by = NULL \
             WHERE instance = ? AND id = ? AND sent_at IS NULL AND failed_at IS NOT NULL",
            vec![instance.into(), id.into()],
        ))
        .await?;
    Ok(done.rows_affected() == 1)
}

/// A pending message due now, with what composing the mail needs of its recipient.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub message: Message,
    pub display_name: String,
    /// The recipient's chosen language, if any.
    pub locale: Option<String>,
    /// Attempts claimed so far: what [`claim`] expects to find.
    pub attempts: i64,
}

/// Pending messages due at `now` and held by no live lease, oldest first.
pub async fn due(db: &Db, instance: &str, now: i64, limit: u32) -> Result<Vec<Outgoing>, DbErr> {
    let rows = db
        .conn()
        .query_all_raw(sql::stmt(
            db.backend(),
            &format!(
                "SELECT {MESSAGE_COLUMNS}, u.display_name, u.locale, n.attempts \
                 FROM notifications n JOIN users u ON u.instance = n.instance AND u.id = n.recipient \
                 WHERE n.instance = ? AND n.sent_at IS NULL AND n.failed_at IS NULL \
                 AND (n.next_attempt_at IS NULL OR n.next_attempt_at <= ?) \
                 AND (n.claimed_until IS NULL OR n.claimed_until <= ?) \
                 ORDER BY n.created_at, n.id LIMIT ?"
            ),
            vec![
                instance.into(),
                now.into(),
                now.into(),
                i64::from(limit).into(),
            ],
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Outgoing {
                message: message_from_row(row)?,
                display_name: row.try_get("", "display_name")?,
                locale: row.try_get("", "locale")?,
                attempts: row.try_get("", "attempts")?,
            })
        })
        .collect()
}

/// Claims `message` for `node` until `lease_until`, as attempt `attempts + 1`; `false` if
/// another node claimed it first, or it was sent or given up meanwhile.
pub async fn claim(
    db: &Db,
    instance: &str,
    message: &Outgoing,
    node: &str,
    now: i64,
    lease_until: i64,
) -> Result<bool, DbErr> {
    update(
        db,
        "UPDATE notifications SET attempts = attempts + 1, claimed_by = ?, claimed_until = ? \
         WHERE instance = ? AND id = ? AND sent_at IS NULL AND failed_at IS NULL \
         AND attempts = ? AND (claimed_until IS NULL OR claimed_until <= ?)",
        vec![
            node.into(),
            lease_until.into(),
            instance.into(),
            message.message.id.clone().into(),
            message.attempts.into(),
            now.into(),
        ],
    )
    .await
}

/// A claim as written by [`claim`]: the outcome of an attempt is recorded only if the row
/// still carries it.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    pub instance: &'a str,
    pub id: &'a str,
    pub node: &'a str,
    /// The attempt's number (`attempts` after the claim).
    pub attempt: i64,
}

impl Claim<'_> {
    fn keys(&self) -> Vec<Value> {
        vec![
            self.instance.into(),
            self.id.into(),
            self.node.into(),
            self.attempt.into(),
        ]
    }
}

const CLAIMED: &str = "WHERE instance = ? AND id = ? AND claimed_by = ? AND attempts = ? \
     AND sent_at IS NULL AND failed_at IS NULL";

/// Records that the SMTP server accepted the message.
pub async fn mark_delivered(db: &Db, claim: Claim<'_>, now: i64) -> Result<bool, DbErr> {
    let mut values: Vec<Value> = vec![now.into()];
    values.extend(claim.keys());
    update(
        db,
        &format!(
            "UPDATE notifications SET sent_at = ?, claimed_until = NULL, next_attempt_at = NULL {CLAIMED}"
        ),
        values,
    )
    .await
}

/// Records a failed attempt to be made again at `next_attempt_at`.
pub async fn defer(
    db: &Db,
    claim: Claim<'_>,
    next_attempt_at: i64,
    error: &str,
) -> Result<bool, DbErr> {
    let mut values: Vec<Value> = vec![next_attempt_at.into(), error.into()];
    values.extend(claim.keys());
    update(
        db,
        &format!(
            "UPDATE notifications SET next_attempt_at = ?, last_error = ?, claimed_until = NULL {CLAIMED}"
        ),
        values,
    )
    .await
}

/// Gives the message up: failed at `now` because of `error`, never tried again by itself.
pub async fn fail(db: &Db, claim: Claim<'_>, now: i64, error: &str) -> Result<bool, DbErr> {
    let mut values: Vec<Value> = vec![now.into(), error.into()];
    values.extend(claim.keys());
    update(
        db,
        &format!(
            "UPDATE notifications SET failed_at = ?, last_error = ?, claimed_until = NULL, next_attempt_at = NULL {CLAIMED}"
        ),
        values,
    )
    .await
}

/// Gives up a message whose every attempt was claimed but whose last ones never reported back
/// (the nodes making them stopped): it is due, unclaimed, and has no attempt left.
pub async fn abandon(db: &Db, instance: &str, message: &Outgoing, now: i64) -> Result<bool, DbErr> {
    update(
        db,
        "UPDATE notifications SET failed_at = ?, claimed_until = NULL, last_error = ? \
         WHERE instance = ? AND id = ? AND sent_at IS NULL AND failed_at IS NULL \
         AND attempts = ? AND (claimed_until IS NULL OR claimed_until <= ?)",
        vec![
            now.into(),
            "the node making the last attempt stopped before it finished".into(),
            instance.into(),
            message.message.id.clone().into(),
            message.attempts.into(),
            now.into(),
        ],
    )
    .await
}

/// One conditional update; `true` if it changed the row.
async fn update(db: &Db, query: &str, values: Vec<Value>) -> Result<bool, DbErr> {
    let _guard = db.write_guard().await;
    let done = db
        .conn()
        .execute_raw(sql::stmt(db.backend(), query, values))
        .await?;
    Ok(done.rows_affected() == 1)
}
