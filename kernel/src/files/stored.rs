//! Kept files: the `files` table, one row per file with its content, scoped to (instance,
//! plugin) like documents — a plugin reads only its own files.
//!
//! A file kept with a [`Sealer`] (its plugin's `[files] sealed = true`) is stored encrypted,
//! its row naming the data key in `seal_key`; a row with no `seal_key` is in clear (kept before
//! the plugin sealed its files). Reading opens what is sealed, so callers see the content
//! either way; size and SHA-256 are the content's.

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, QueryResult, Value};
use sha2::{Digest, Sha256};

use super::Upload;
use crate::db::sql;
use crate::seal::{SealError, Sealer};

/// Why a file could not be kept or read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("database: {0}")]
    Db(#[from] DbErr),
    /// Sealing or opening it failed (no keys, a missing master key, altered bytes).
    #[error("file `{id}` is sealed: {source}")]
    Seal { id: String, source: SealError },
}

/// `body` as stored in row `seal_key`: opened when sealed (which needs `sealer`).
async fn opened(
    sealer: Option<&Sealer>,
    plugin: &str,
    id: &str,
    seal_key: Option<i64>,
    body: Vec<u8>,
) -> Result<Vec<u8>, FileError> {
    let Some(key) = seal_key else {
        return Ok(body);
    };
    let seal = |source| FileError::Seal {
        id: id.to_owned(),
        source,
    };
    let sealer = sealer.ok_or_else(|| seal(SealError::NoKeys))?;
    let open = sealer.open_file(plugin, id, key, &body).await;
    Ok(open.map_err(seal)?.to_vec())
}

/// A kept file, without its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub id: String,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub owner: Option<String>,
    pub created_at: i64,
}

const COLUMNS: &str = "id, name, content_type, size, sha256, owner, created_at";

fn from_row(row: &QueryResult) -> Result<Stored, DbErr> {
    let size: i64 = row.try_get("", "size")?;
    Ok(Stored {
        id: row.try_get("", "id")?,
        name: row.try_get("", "name")?,
        content_type: row.try_get("", "content_type")?,
        size: u64::try_from(size).unwrap_or_default(),
        sha256: row.try_get("", "sha256")?,
        owner: row.try_get("", "owner")?,
        created_at: row.try_get("", "created_at")?,
    })
}

/// A new file id: random, so that ids say nothing about when or how many files came.
fn new_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Stores `upload` for `plugin` of `instance`, about `owner`, in `txn` (the call's own
/// transaction, `call` its id); sealed with `sealer` when there is one.
pub async fn insert_in(
    txn: &DatabaseTransaction,
    call: &str,
    instance: &str,
    plugin: &str,
    owner: Option<&str>,
    upload: &Upload,
    sealer: Option<&Sealer>,
) -> Result<Stored, FileError> {
    let stored = Stored {
        id: new_id(),
        name: upload.name.clone(),
        content_type: upload.content_type.to_owned(),
        size: upload.bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(&upload.bytes)),
        owner: owner.map(str::to_owned),
        created_at: crate::clock::now_ms(),
    };
    let (seal_key, body) = match sealer {
        Some(sealer) => {
            let (key, sealed) = sealer
                .seal_file(plugin, &stored.id, &upload.bytes)
                .await
                .map_err(|source| FileError::Seal {
                    id: stored.id.clone(),
                    source,
                })?;
            (Some(key), sealed)
        }
        None => (None, upload.bytes.to_vec()),
    };
    txn.execute_raw(sql::stmt(
        txn.get_database_backend(),
        "INSERT INTO files (instance, plugin, id, owner, name, content_type, size, sha256, body, \
         created_at, call_id, seal_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            instance.into(),
            plugin.into(),
            stored.id.clone().into(),
            stored.owner.clone().into(),
            stored.name.clone().into(),
            stored.content_type.clone().into(),
            (stored.size as i64).into(),
            stored.sha256.clone().into(),
            Value::Bytes(Some(body)),
            stored.created_at.into(),
            call.into(),
            seal_key.into(),
        ],
    ))
    .await?;
    Ok(stored)
}

/// What is known of file `id` of `plugin`, without its content.
pub async fn describe(
    conn: &impl ConnectionTrait,
    instance: &str,
    plugin: &str,
    id: &str,
) -> Result<Option<Stored>, DbErr> {
    let row = conn
        .query_one_raw(sql::stmt(
            conn.get_database_backend(),
            &format!("SELECT {COLUMNS} FROM files WHERE instance = ? AND plugin = ? AND id = ?"),
            vec![instance.into(), plugin.into(), id.into()],
        ))
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The content of file `id` of `plugin`, opened with `sealer` if it was kept sealed.
pub async fn read(
    conn: &impl ConnectionTrait,
    instance: &str,
    plugin: &str,
    id: &str,
    sealer: Option<&Sealer>,
) -> Result<Option<Vec<u8>>, FileError> {
    let row = conn
        .query_one_raw(sql::stmt(
            conn.get_database_backend(),
            "SELECT body, seal_key FROM files WHERE instance = ? AND plugin = ? AND id = ?",
            vec![instance.into(), plugin.into(), id.into()],
        ))
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let body: Vec<u8> = row.try_get("", "body")?;
    let seal_key: Option<i64> = row.try_get("", "seal_key")?;
    opened(sealer, plugin, id, seal_key, body).await.map(Some)
}

/// Deletes file `id` of `plugin`; whether there was one.
pub async fn delete_in(
    txn: &DatabaseTransaction,
    instance: &str,
    plugin: &str,
    id: &str,
) -> Result<bool, DbErr> {
    let done = txn
        .execute_raw(sql::stmt(
            txn.get_database_backend(),
            "DELETE FROM files WHERE instance = ? AND plugin = ? AND id = ?",
            vec![instance.into(), plugin.into(), id.into()],
        ))
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Every file about account `owner` on `instance`, by plugin and with its content (opened
/// with the instance's `sealer` where sealed), oldest first: what "download my data" packs.
pub async fn owned_by(
    conn: &impl ConnectionTrait,
    instance: &str,
    owner: &str,
    sealer: Option<&Sealer>,
) -> Result<Vec<(String, Stored, Vec<u8>)>, FileError> {
    let rows = conn
        .query_all_raw(sql::stmt(
            conn.get_database_backend(),
            &format!(
                "SELECT plugin, body, seal_key, {COLUMNS} FROM files WHERE instance = ? AND \
                 owner = ? ORDER BY created_at, id"
            ),
            vec![instance.into(), owner.into()],
        ))
        .await?;
    let mut files = Vec::with_capacity(rows.len());
    for row in &rows {
        let plugin: String = row.try_get("", "plugin")?;
        let file = from_row(row)?;
        let body = opened(
            sealer,
            &plugin,
            &file.id,
            row.try_get("", "seal_key")?,
            row.try_get("", "body")?,
        )
        .await?;
        files.push((plugin, file, body));
    }
    Ok(files)
}

/// How many files `plugin` of `instance` keeps, and their total size in bytes.
pub async fn count(
    conn: &impl ConnectionTrait,
    instance: &str,
    plugin: &str,
) -> Result<(u64, u64), DbErr> {
    let row = conn
        .query_one_raw(sql::stmt(
            conn.get_database_backend(),
            "SELECT COUNT(*) AS files, CAST(COALESCE(SUM(size), 0) AS BIGINT) AS bytes FROM files \
             WHERE instance = ? AND plugin = ?",
            vec![instance.into(), plugin.into()],
        ))
        .await?;
    let Some(row) = row else {
        return Ok((0, 0));
    };
    let files: i64 = row.try_get("", "files")?;
    let bytes: i64 = row.try_get("", "bytes")?;
    Ok((
        u64::try_from(files).unwrap_or_default(),
        u64::try_from(bytes).unwrap_or_default(),
    ))
}
