//! The scientific committee's validations of indicator definitions (table
//! `indicator_validations`). A validation is of one definition: its fingerprint is the SHA-256
//! of [`trama_manifest::Indicator::definition`], so an indicator is published exactly while the
//! manifest holds a definition the committee validated, and a changed one (another event, a new
//! target, a reworded title) waits for a new validation. Validating writes the row and its
//! audit entry in one transaction; validating the same definition twice keeps the first.

use sea_orm::{ConnectionTrait, DbErr};
use sha2::{Digest, Sha256};
use trama_manifest::Indicator;

use crate::db::{Db, sql};

/// The fingerprint of `indicator`'s definition.
pub fn fingerprint(indicator: &Indicator) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"trama-indicator\0");
    hasher.update(indicator.definition().as_bytes());
    hex::encode(hasher.finalize())
}

/// Who validated a definition, and when.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Validated {
    pub by: String,
    pub at: i64,
}

/// The validation of `indicator`'s current definition in `instance`, if it has one.
pub async fn of(
    db: &Db,
    instance: &str,
    indicator: &Indicator,
) -> Result<Option<Validated>, DbErr> {
    let row = db
        .conn()
        .query_one_raw(sql::stmt(
            db.backend(),
            "SELECT validated_by, validated_at FROM indicator_validations \
             WHERE instance = ? AND indicator = ? AND fingerprint = ?",
            vec![
                instance.into(),
                indicator.id.clone().into(),
                fingerprint(indicator).into(),
            ],
        ))
        .await?;
    row.map(|row| {
        Ok(Validated {
            by: row.try_get("", "validated_by")?,
            at: row.try_get("", "validated_at")?,
        })
    })
    .transpose()
}

/// Records that `username` validated `indicator`'s current definition, with `entry` audited in
/// the same transaction. `false`: it was already validated (nothing written).
pub async fn validate(
    db: &Db,
    instance: &str,
    indicator: &Indicator,
    username: &str,
    now: i64,
    entry: crate::audit::Entry,
) -> Result<bool, DbErr> {
    let write = db.begin_owned_write().await?;
    let txn = write.txn();
    let inserted = txn
        .execute_raw(sql::stmt(
            db.backend(),
            "INSERT INTO indicator_validations \
             (instance, indicator, fingerprint, definition, validated_by, validated_at) \
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (instance, indicator, fingerprint) DO NOTHING",
            vec![
                instance.into(),
                indicator.id.clone().into(),
                fingerprint(indicator).into(),
                indicator.definition().into(),
                username.into(),
                now.into(),
            ],
        ))
        .await?
        .rows_affected()
        > 0;
    if inserted {
        crate::audit::append_in(txn, instance, vec![entry]).await?;
        write.commit().await?;
    } else {
        write.rollback().await?;
    }
    Ok(inserted)
}
