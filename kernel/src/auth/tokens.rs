//! One-time links sent by e-mail: an invitation to an account, a password reset, the check of
//! an address. The link carries a random 256-bit token; the database keeps only its SHA-256,
//! when it expires, and when it was used — so a leaked database opens no account, and a link
//! works once (a conditional update, so two clicks racing on two nodes cannot both pass).

use sea_orm::{ConnectionTrait, DbErr};
use sha2::{Digest, Sha256};

use crate::db::{Db, sql};

/// What a link is for; a token of one purpose never serves another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Accepting an invitation: choose a password for an account an administrator made.
    Invite,
    /// Choosing a new password after "forgot password".
    Reset,
    /// Confirming that the address of an account is the holder's.
    Verify,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Invite => "invite",
            Purpose::Reset => "reset",
            Purpose::Verify => "verify",
        }
    }

    /// How long a link stays valid: an invitation waits a week for its reader, a reset an
    /// hour (whoever asked is at the screen), an address check two days.
    pub fn ttl_ms(self) -> i64 {
        const HOUR: i64 = 60 * 60 * 1000;
        match self {
            Purpose::Invite => 7 * 24 * HOUR,
            Purpose::Reset => HOUR,
            Purpose::Verify => 48 * HOUR,
        }
    }
}

fn token_hash(token: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"trama-link\0");
    hasher.update(token.as_bytes());
    hex::encode(hasher.finalize())
}

/// Issues a link of `purpose` for account `user_id` inside `txn` and returns its token (to be
/// put in the link, never stored).
pub async fn issue_in(
    txn: &impl ConnectionTrait,
    instance: &str,
    user_id: &str,
    purpose: Purpose,
    now: i64,
) -> Result<String, DbErr> {
    let token = super::sessions::new_token();
    txn.execute_raw(sql::stmt(
        txn.get_database_backend(),
        "INSERT INTO account_links (instance, token_hash, user_id, purpose, created_at, expires_at) \
         VALUES (?, ?, ?, ?, ?, ?)",
        vec![
            instance.into(),
            token_hash(&token).into(),
            user_id.into(),
            purpose.as_str().into(),
            now.into(),
            (now + purpose.ttl_ms()).into(),
        ],
    ))
    .await?;
    Ok(token)
}

/// The account a valid (unused, unexpired) link of `purpose` is for, without using it: for the
/// page that shows the form.
pub async fn peek(
    db: &Db,
    instance: &str,
    token: &str,
    purpose: Purpose,
    now: i64,
) -> Result<Option<String>, DbErr> {
    let row = db
        .conn()
        .query_one_raw(sql::stmt(
            db.backend(),
            "SELECT user_id FROM account_links WHERE instance = ? AND token_hash = ? \
             AND purpose = ? AND used_at IS NULL AND expires_at > ?",
            vec![
                instance.into(),
                token_hash(token).into(),
                purpose.as_str().into(),
                now.into(),
            ],
        ))
        .await?;
    row.map(|row| row.try_get("", "user_id")).transpose()
}

/// Uses a valid link of `purpose` inside `txn`: the account it is for, or `None` if it is
/// unknown, expired or used (by this call's rival too). Every other unused link of the same
/// purpose for the account is spent with it: an older reset mail opens nothing any more.
pub async fn redeem_in(
    txn: &impl ConnectionTrait,
    instance: &str,
    token: &str,
    purpose: Purpose,
    now: i64,
) -> Result<Option<String>, DbErr> {
    let backend = txn.get_database_backend();
    let hash = token_hash(token);
    let Some(row) = txn
        .query_one_raw(sql::stmt(
            backend,
            "SELECT user_id FROM account_links WHERE instance = ? AND token_hash = ? AND purpose = ?",
            vec![instance.into(), hash.clone().into(), purpose.as_str().into()],
        ))
        .await?
    else {
        return Ok(None);
    };
    let user_id: String = row.try_get("", "user_id")?;
    let used = txn
        .execute_raw(sql::stmt(
            backend,
            "UPDATE account_links SET used_at = ? WHERE instance = ? AND token_hash = ? \
             AND used_at IS NULL AND expires_at > ?",
            vec![now.into(), instance.into(), hash.into(), now.into()],
        ))
        .await?;
    if used.rows_affected() != 1 {
        return Ok(None);
    }
    txn.execute_raw(sql::stmt(
        backend,
        "UPDATE account_links SET used_at = ? WHERE instance = ? AND user_id = ? AND purpose = ? \
         AND used_at IS NULL",
        vec![
            now.into(),
            instance.into(),
            user_id.clone().into(),
            purpose.as_str().into(),
        ],
    ))
    .await?;
    Ok(Some(user_id))
}

/// How many links of `purpose` account `user_id` was sent since `since`: resets are capped per
/// account, so that nobody can fill a stranger's mailbox.
pub async fn issued_since(
    db: &Db,
    instance: &str,
    user_id: &str,
    purpose: Purpose,
    since: i64,
) -> Result<u64, DbErr> {
    let row = db
        .conn()
        .query_one_raw(sql::stmt(
            db.backend(),
            "SELECT COUNT(*) AS issued FROM account_links WHERE instance = ? AND user_id = ? \
             AND purpose = ? AND created_at >= ?",
            vec![
                instance.into(),
                user_id.into(),
                purpose.as_str().into(),
                since.into(),
            ],
        ))
        .await?;
    Ok(row
        .map(|row| row.try_get::<i64>("", "issued"))
        .transpose()?
        .map_or(0, |n| u64::try_from(n).unwrap_or_default()))
}
