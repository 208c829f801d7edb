//! Kept files: the `files` table, one row per file with its content, scoped to (instance,
//! plugin) like documents — a plugin reads only its own files.

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, QueryResult, Value};
use sha2::{Digest, Sha256};

use super::Upload;
use crate::db::sql;

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
/// transaction, `call` its id).
pub async fn insert_in(
    txn: &DatabaseTransaction,
    call: &str,
    instance: &str,
    plugin: &str,
    owner: Option<&str>,
    upload: &Upload,
) -> Result<Stored, DbErr> {
    let stored = Stored {
        id: new_id(),
        name: upload.name.clone(),
        content_type: upload.content_type.to_owned(),
        size: upload.bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(&upload.bytes)),
        owner: owner.map(str::to_owned),
        created_at: crate::clock::now_ms(),
    };
    txn.execute_raw(sql::stmt(
        txn.get_database_backend(),
        "INSERT INTO files (instance, plugin, id, owner, name, content_type, size, sha256, body, \
         created_at, call_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            instance.into(),
            plugin.into(),
            stored.id.clone().into(),
            stored.owner.clone().into(),
            stored.name.clone().into(),
            stored.content_type.clone().into(),
            (stored.size as i64).into(),
            stored.sha256.clone().into(),
            Value::Bytes(Some(upload.bytes.to_vec())),
            stored.created_at.into(),
            call.into(),
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

/// The content of file `id` of `plugin`.
pub async fn read(
    conn: &impl ConnectionTrait,
    instance: &str,
    plugin: &str,
    id: &str,
) -> Result<Option<Vec<u8>>, DbErr> {
    let row = conn
        .query_one_raw(sql::stmt(
            conn.get_database_backend(),
            "SELECT body FROM files WHERE instance = ? AND plugin = ? AND id = ?",
            vec![instance.into(), plugin.into(), id.into()],
        ))
        .await?;
    row.map(|row| row.try_get("", "body")).transpose()
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

/// Every file about account `owner` on `instance`, by plugin and with its content, oldest
/// first: what "download my data" packs.
pub async fn owned_by(
    conn: &impl ConnectionTrait,
    instance: &str,
    owner: &str,
) -> Result<Vec<(String, Stored, Vec<u8>)>, DbErr> {
    let rows = conn
        .query_all_raw(sql::stmt(
            conn.get_database_backend(),
            &format!(
                "SELECT plugin, body, {COLUMNS} FROM files WHERE instance = ? AND owner = ? \
                 ORDER BY created_at, id"
            ),
            vec![instance.into(), owner.into()],
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("", "plugin")?,
                from_row(row)?,
                row.try_get("", "body")?,
            ))
        })
        .collect()
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
