//! Agreement to the privacy notice: which version each account accepted, and when.
//!
//! `users.privacy_version` holds the latest version accepted, read with every page of a
//! logged-in person (one indexed row they are read from anyway); `consents` keeps every
//! agreement with its time and language, the record the controller may have to show.

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr};

use crate::audit;
use crate::db::{Db, sql};

/// The version of the notice account `user_id` last accepted, if any.
pub async fn accepted(db: &Db, instance: &str, user_id: &str) -> Result<Option<String>, DbErr> {
    let row = db
        .conn()
        .query_one_raw(sql::stmt(
            db.backend(),
            "SELECT privacy_version FROM users WHERE instance = ? AND id = ?",
            vec![instance.into(), user_id.into()],
        ))
        .await?;
    Ok(row
        .map(|row| row.try_get::<Option<String>>("", "privacy_version"))
        .transpose()?
        .flatten())
}

/// What an agreement records.
#[derive(Debug, Clone, Copy)]
pub struct Agreement<'a> {
    pub user_id: &'a str,
    /// The account's username, for the audit entry's actor.
    pub username: &'a str,
    pub version: &'a str,
    /// The language the notice was shown in.
    pub locale: &'a str,
}

/// Records that `agreement.user_id` accepted the notice's `version`, inside `txn` and with its
/// audit entry (which ends the transaction's writes: call it last). Accepting the same version
/// again records nothing new.
pub async fn record_in(
    txn: &DatabaseTransaction,
    instance: &str,
    agreement: Agreement<'_>,
) -> Result<(), DbErr> {
    let backend = txn.get_database_backend();
    let now = crate::clock::now_ms();
    let inserted = txn
        .execute_raw(sql::stmt(
            backend,
            "INSERT INTO consents (instance, user_id, version, given_at, locale) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (instance, user_id, version) DO NOTHING",
            vec![
                instance.into(),
                agreement.user_id.into(),
                agreement.version.into(),
                now.into(),
                agreement.locale.into(),
            ],
        ))
        .await?
        .rows_affected();
    txn.execute_raw(sql::stmt(
        backend,
        "UPDATE users SET privacy_version = ? WHERE instance = ? AND id = ?",
        vec![
            agreement.version.into(),
            instance.into(),
            agreement.user_id.into(),
        ],
    ))
    .await?;
    if inserted > 0 {
        let entry = audit::Entry {
            instance: instance.to_owned(),
            actor: Some(agreement.username.to_owned()),
            plugin: None,
            action: "privacy.accepted".into(),
            subject: agreement.user_id.to_owned(),
            detail: serde_json::json!({ "version": agreement.version, "locale": agreement.locale })
                .to_string(),
        };
        audit::append_in(txn, instance, vec![entry]).await?;
    }
    Ok(())
}

/// [`record_in`] in a transaction of its own.
pub async fn record(db: &Db, instance: &str, agreement: Agreement<'_>) -> Result<(), DbErr> {
    let write = db.begin_owned_write().await?;
    record_in(write.txn(), instance, agreement).await?;
    write.commit().await
}
