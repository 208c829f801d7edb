//! Login sessions. The cookie holds a random token; the database holds only its SHA-256, so a
//! leaked database does not leak usable sessions.

use sea_orm::{ConnectionTrait, DbErr};
use sha2::{Digest, Sha256};

use super::users::{self, User};
use crate::db::{Db, sql};

/// How long a session lasts from login.
pub const SESSION_TTL_MS: i64 = 12 * 60 * 60 * 1000;

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The CSRF token of a logged-in session: a hash of the session token, which only the browser
/// holding the (HttpOnly) session cookie can know.
pub fn csrf_token(session_token: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"trama-csrf\0");
    hasher.update(session_token.as_bytes());
    hex::encode(hasher.finalize())
}

/// A fresh random token: 256 bits, hex encoded.
pub fn new_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// Opens a session for `user_id` and returns its token.
pub async fn create(db: &Db, instance: &str, user_id: &str) -> Result<String, DbErr> {
    create_for(db, instance, user_id, None).await
}

/// [`create`], remembering which browser the session is (at most 200 characters of its
/// `User-Agent`), for the holder's list of sessions.
pub async fn create_for(
    db: &Db,
    instance: &str,
    user_id: &str,
    user_agent: Option<&str>,
) -> Result<String, DbErr> {
    let token = new_token();
    let now = crate::clock::now_ms();
    let user_agent: Option<String> = user_agent.map(|agent| {
        agent
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect()
    });
    let _guard = db.write_guard().await;
    db.conn()
        .execute_raw(sql::stmt(
            db.backend(),
            "INSERT INTO sessions (instance, token_hash, user_id, created_at, expires_at, user_agent) \
             VALUES (?, ?, ?, ?, ?, ?)",
            vec![
                instance.into(),
                token_hash(&token).into(),
                user_id.into(),
                now.into(),
                (now + SESSION_TTL_MS).into(),
                user_agent.into(),
            ],
        ))
        .await?;
    Ok(token)
}

/// The user of a live session, if the token names one and the account is not disabled.
pub async fn user(db: &Db, instance: &str, token: &str) -> Result<Option<User>, DbErr> {
    let row = db
        .conn()
        .query_one_raw(sql::stmt(
            db.backend(),
            "SELECT s.user_id FROM sessions s JOIN users u ON u.instance = s.instance AND u.id = s.user_id \
             WHERE s.instance = ? AND s.token_hash = ? AND s.expires_at > ? AND u.disabled_at IS NULL",
            vec![
                instance.into(),
                token_hash(token).into(),
                crate::clock::now_ms().into(),
            ],
        ))
        .await?;
    match row {
        Some(row) => {
            let user_id: String = row.try_get("", "user_id")?;
            users::find_by_id(db, instance, &user_id).await
        }
        None => Ok(None),
    }
}

/// Ends a session (logout) and sweeps expired ones.
pub async fn delete(db: &Db, instance: &str, token: &str) -> Result<(), DbErr> {
    let _guard = db.write_guard().await;
    db.conn()
        .execute_raw(sql::stmt(
            db.backend(),
            "DELETE FROM sessions WHERE instance = ? AND (token_hash = ? OR expires_at <= ?)",
            vec![
                instance.into(),
                token_hash(token).into(),
                crate::clock::now_ms().into(),
            ],
        ))
        .await?;
    Ok(())
}

/// A session as its holder sees it in "my sessions".
#[derive(Debug, Clone, serde::Serialize)]
pub struct SessionInfo {
    pub created_at: i64,
    pub expires_at: i64,
    /// The browser that logged in, as it named itself.
    pub user_agent: Option<String>,
    /// Whether it is the session asking.
    pub current: bool,
}

/// The live sessions of `user_id`, newest first; `current` is the asking session's token.
pub async fn of_user(
    db: &Db,
    instance: &str,
    user_id: &str,
    current: Option<&str>,
) -> Result<Vec<SessionInfo>, DbErr> {
    let rows = db
        .conn()
        .query_all_raw(sql::stmt(
            db.backend(),
            "SELECT token_hash, created_at, expires_at, user_agent FROM sessions \
             WHERE instance = ? AND user_id = ? AND expires_at > ? ORDER BY created_at DESC",
            vec![
                instance.into(),
                user_id.into(),
                crate::clock::now_ms().into(),
            ],
        ))
        .await?;
    let current = current.map(token_hash);
    rows.iter()
        .map(|row| {
            let hash: String = row.try_get("", "token_hash")?;
            Ok(SessionInfo {
                created_at: row.try_get("", "created_at")?,
                expires_at: row.try_get("", "expires_at")?,
                user_agent: row.try_get("", "user_agent")?,
                current: current.as_deref() == Some(hash.as_str()),
            })
        })
        .collect()
}

/// Ends every session of `user_id` but the one holding `keep`, inside `txn`; how many ended.
pub async fn end_others_in(
    txn: &impl ConnectionTrait,
    instance: &str,
    user_id: &str,
    keep: &str,
) -> Result<u64, DbErr> {
    let done = txn
        .execute_raw(sql::stmt(
            txn.get_database_backend(),
            "DELETE FROM sessions WHERE instance = ? AND user_id = ? AND token_hash <> ?",
            vec![instance.into(), user_id.into(), token_hash(keep).into()],
        ))
        .await?;
    Ok(done.rows_affected())
}
