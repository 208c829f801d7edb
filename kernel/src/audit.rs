//! The append-only, hash-chained audit log.
//!
//! Each row's hash covers its content and the previous row's hash, so altering or deleting any
//! row breaks every hash after it; `verify` walks the chain to find the first broken link.

use sea_orm::{ConnectionTrait, DbErr};
use sha2::{Digest, Sha256};

use crate::db::{Db, sql};

/// Hash that precedes the first row of every instance's chain.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone)]
pub struct Entry {
    pub instance: String,
    /// Username of who acted, if anyone (none for the kernel itself and for jobs).
    pub actor: Option<String>,
    pub plugin: Option<String>,
    pub action: String,
    pub subject: String,
    /// JSON object.
    pub detail: String,
}

fn row_hash(prev: &str, at: i64, entry: &Entry) -> String {
    let mut hasher = Sha256::new();
    for part in [
        prev,
        &at.to_string(),
        &entry.instance,
        entry.actor.as_deref().unwrap_or(""),
        entry.plugin.as_deref().unwrap_or(""),
        &entry.action,
        &entry.subject,
        &entry.detail,
    ] {
        // Length-prefix each part so that moving text between fields changes the hash.
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// Appends one entry at the end of the instance's chain.
pub async fn append(db: &Db, entry: Entry) -> Result<(), DbErr> {
    let instance = entry.instance.clone();
    let write = db.begin_owned_write().await?;
    append_in(write.txn(), &instance, vec![entry]).await?;
    write.commit().await
}

/// Appends `entries` of `instance` at the end of its chain, inside `txn`: they commit with
/// whatever else `txn` writes, or not at all. Call it last before committing: on PostgreSQL
/// it holds the instance's chain (so that two writers never chain onto the same previous row,
/// whichever node they run on) until `txn` ends.
pub async fn append_in(
    txn: &sea_orm::DatabaseTransaction,
    instance: &str,
    entries: Vec<Entry>,
) -> Result<(), DbErr> {
    if entries.is_empty() {
        return Ok(());
    }
    let backend = txn.get_database_backend();
    if backend == sea_orm::DbBackend::Postgres {
        txn.execute_raw(sql::stmt(
            backend,
            "SELECT pg_advisory_xact_lock(hashtext(?))",
            vec![format!("trama-audit:{instance}").into()],
        ))
        .await?;
    }
    let mut prev = txn
        .query_one_raw(sql::stmt(
            backend,
            "SELECT hash FROM audit_log WHERE instance = ? ORDER BY seq DESC LIMIT 1",
            vec![instance.to_owned().into()],
        ))
        .await?
        .map(|row| row.try_get::<String>("", "hash"))
        .transpose()?
        .unwrap_or_else(|| GENESIS.to_owned());
    let at = crate::clock::now_ms();
    for entry in entries {
        debug_assert_eq!(entry.instance, instance);
        let hash = row_hash(&prev, at, &entry);
        txn.execute_raw(sql::stmt(
            backend,
            "INSERT INTO audit_log (instance, at, actor, plugin, action, subject, detail, prev_hash, hash) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                entry.instance.into(),
                at.into(),
                entry.actor.into(),
                entry.plugin.into(),
                entry.action.into(),
                entry.subject.into(),
                entry.detail.into(),
                std::mem::replace(&mut prev, hash.clone()).into(),
                hash.into(),
            ],
        ))
        .await?;
    }
    Ok(())
}

/// A row of the log as read back.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Record {
    pub seq: i64,
    pub at: i64,
    pub actor: Option<String>,
    pub plugin: Option<String>,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

/// The most recent entries of an instance, newest first.
pub async fn recent(db: &Db, instance: &str, limit: u32) -> Result<Vec<Record>, DbErr> {
    search(db, instance, &Filter::default(), None, limit).await
}

/// Which entries to read (`/admin/audit`): each field, when set, must match exactly, except
/// `action`, which also matches the actions it begins (`role.` finds grants and revocations).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub action: Option<String>,
    pub actor: Option<String>,
    pub plugin: Option<String>,
    pub subject: Option<String>,
}

/// The entries matching `filter` older than `before` (a `seq`; none: the newest), newest first.
/// Paging by `seq` keeps every page as quick as the first on a long log.
pub async fn search(
    db: &Db,
    instance: &str,
    filter: &Filter,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<Record>, DbErr> {
    let mut clause = "instance = ?".to_owned();
    let mut values: Vec<sea_orm::Value> = vec![instance.to_owned().into()];
    if let Some(action) = &filter.action {
        if action.ends_with('.') {
            // A prefix: `substr` keeps `_` and `%` literal, as a LIKE pattern would not.
            clause.push_str(" AND substr(action, 1, ?) = ?");
            values.push(
                i64::try_from(action.chars().count())
                    .unwrap_or(i64::MAX)
                    .into(),
            );
        } else {
            clause.push_str(" AND action = ?");
        }
        values.push(action.clone().into());
    }
    for (column, value) in [
        ("actor", &filter.actor),
        ("plugin", &filter.plugin),
        ("subject", &filter.subject),
    ] {
        if let Some(value) = value {
            clause.push_str(&format!(" AND {column} = ?"));
            values.push(value.clone().into());
        }
    }
    if let Some(before) = before {
        clause.push_str(" AND seq < ?");
        values.push(before.into());
    }
    values.push(i64::from(limit).into());
    let rows = db
        .conn()
        .query_all_raw(sql::stmt(
            db.backend(),
            &format!(
                "SELECT seq, at, actor, plugin, action, subject, detail FROM audit_log \
                 WHERE {clause} ORDER BY seq DESC LIMIT ?"
            ),
            values,
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Record {
                seq: row.try_get("", "seq")?,
                at: row.try_get("", "at")?,
                actor: row.try_get("", "actor")?,
                plugin: row.try_get("", "plugin")?,
                action: row.try_get("", "action")?,
                subject: row.try_get("", "subject")?,
                detail: row.try_get("", "detail")?,
            })
        })
        .collect()
}

/// Where the chain first breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit row {seq} has been altered or a row before it removed")]
pub struct Tampered {
    pub seq: i64,
}

/// Checks the whole chain of an instance; returns how many rows were verified.
pub async fn verify(db: &Db, instance: &str) -> Result<Result<u64, Tampered>, DbErr> {
    let rows = db
        .conn()
        .query_all_raw(sql::stmt(
            db.backend(),
            "SELECT seq, at, actor, plugin, action, subject, detail, prev_hash, hash \
             FROM audit_log WHERE instance = ? ORDER BY seq",
            vec![instance.to_owned().into()],
        ))
        .await?;
    let mut prev = GENESIS.to_owned();
    let mut count = 0;
    for row in &rows {
        let seq: i64 = row.try_get("", "seq")?;
        let entry = Entry {
            instance: instance.to_owned(),
            actor: row.try_get("", "actor")?,
            plugin: row.try_get("", "plugin")?,
            action: row.try_get("", "action")?,
            subject: row.try_get("", "subject")?,
            detail: row.try_get("", "detail")?,
        };
        let at: i64 = row.try_get("", "at")?;
        let stored_prev: String = row.try_get("", "prev_hash")?;
        let stored_hash: String = row.try_get("", "hash")?;
        if stored_prev != prev || row_hash(&prev, at, &entry) != stored_hash {
            return Ok(Err(Tampered { seq }));
        }
        prev = stored_hash;
        count += 1;
    }
    Ok(Ok(count))
}

/// The tables whose rows carry the id of the plugin call that last wrote them.
const CALL_TABLES: [&str; 4] = ["documents", "ledger_transfers", "events", "notifications"];

/// Committed plugin writes whose call has no `plugin.changed` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unaudited {
    /// Per table, the calls that wrote rows there without an entry (at most ten listed each).
    pub calls: Vec<(&'static str, Vec<String>)>,
    /// How many such calls in all.
    pub total: u64,
}

/// Checks that every row a plugin call wrote has the call's `plugin.changed` entry: the chain
/// proves no entry was altered or removed, this proves no write went unaudited. Rows written
/// before calls were named (kernel versions before host API 1.3) are not checked.
pub async fn completeness(db: &Db, instance: &str) -> Result<Unaudited, DbErr> {
    let conn = db.conn();
    let backend = db.backend();
    let rows = conn
        .query_all_raw(sql::stmt(
            backend,
            "SELECT detail FROM audit_log WHERE instance = ? AND action = 'plugin.changed'",
            vec![instance.to_owned().into()],
        ))
        .await?;
    let mut audited = std::collections::HashSet::new();
    for row in &rows {
        let detail: String = row.try_get("", "detail")?;
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_str(&detail)
            && let Some(serde_json::Value::String(call)) = map.get("call")
        {
            audited.insert(call.clone());
        }
    }
    let mut unaudited = Unaudited::default();
    for table in CALL_TABLES {
        let rows = conn
            .query_all_raw(sql::stmt(
                backend,
                &format!(
                    "SELECT DISTINCT call_id FROM {table} WHERE instance = ? AND call_id IS NOT NULL"
                ),
                vec![instance.to_owned().into()],
            ))
            .await?;
        let mut missing = Vec::new();
        for row in &rows {
            let call: String = row.try_get("", "call_id")?;
            if !audited.contains(&call) {
                unaudited.total += 1;
                if missing.len() < 10 {
                    missing.push(call);
                }
            }
        }
        if !missing.is_empty() {
            unaudited.calls.push((table, missing));
        }
    }
    Ok(unaudited)
}
