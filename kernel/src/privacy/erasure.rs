//! Erasure ("right to be forgotten"): the person asks, the administrator carries it out.
//!
//! Carrying it out first asks every plugin with a `personal_data` route to erase or
//! pseudonymise what it holds about the person (`DELETE`, as that person); each plugin keeps
//! what the law makes it keep (a voucher paid out stays in the accounts) and says so. Only when
//! every plugin has answered does the kernel pseudonymise the account in one transaction: the
//! name, address and password go, sessions, messages, roles, links, login records and attached files are
//! deleted, the files they attached are deleted, and an audit entry records the erasure with what each service kept and why. A
//! plugin that fails stops the erasure before the account changes; the plugins' steps are
//! idempotent, so carrying it out again completes it.
//!
//! The ledger and the audit log are not rewritten: they are the records the law requires, and
//! the audit log's hash chain (`crate::audit`) must verify after an erasure as before. Their
//! rows name the account by its id, which after the erasure leads to no one; audit entries
//! written before it may still show the username of their actor, kept under GDPR Art.
//! 17(3)(b) and (e) and readable by administrators only (see `docs/privacy.md`).

use sea_orm::{ConnectionTrait, DbErr};
use serde::Serialize;
use serde_json::{Value as Json, json};

use super::PrivacyError;
use crate::audit;
use crate::auth::accounts::{ADMIN_ROLE, Actor};
use crate::auth::users::{self, User};
use crate::db::{Db, sql};
use crate::instance::Instance;

/// Records that account `user` asks to be erased; asking again changes nothing.
pub async fn request(db: &Db, instance: &str, user: &User) -> Result<bool, DbErr> {
    let write = db.begin_owned_write().await?;
    let txn = write.txn();
    let changed = txn
        .execute_raw(sql::stmt(
            txn.get_database_backend(),
            "UPDATE users SET erasure_requested_at = ? WHERE instance = ? AND id = ? \
             AND erasure_requested_at IS NULL AND erased_at IS NULL",
            vec![
                crate::clock::now_ms().into(),
                instance.into(),
                user.id.clone().into(),
            ],
        ))
        .await?
        .rows_affected();
    if changed == 0 {
        write.rollback().await?;
        return Ok(false);
    }
    let entry = audit::Entry {
        instance: instance.to_owned(),
        actor: Some(user.username.clone()),
        plugin: None,
        action: "privacy.erasure_requested".into(),
        subject: user.id.clone(),
        detail: "{}".into(),
    };
    audit::append_in(txn, instance, vec![entry]).await?;
    write.commit().await?;
    Ok(true)
}

/// When account `id` asked to be erased, and when it was, if ever.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct State {
    pub requested_at: Option<i64>,
    pub erased_at: Option<i64>,
}

pub async fn state(db: &Db, instance: &str, id: &str) -> Result<State, DbErr> {
    let row = db
        .conn()
        .query_one_raw(sql::stmt(
            db.backend(),
            "SELECT erasure_requested_at, erased_at FROM users WHERE instance = ? AND id = ?",
            vec![instance.into(), id.into()],
        ))
        .await?;
    let Some(row) = row else {
        return Ok(State::default());
    };
    Ok(State {
        requested_at: row.try_get("", "erasure_requested_at")?,
        erased_at: row.try_get("", "erased_at")?,
    })
}

/// What one plugin did with the person's data.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceReport {
    pub plugin: String,
    /// How many records it erased or pseudonymised.
    pub erased: u64,
    /// What it kept and why (`{what, why}`), as it said.
    pub kept: Json,
}

/// Erases account `id`: the plugins first, then the account, as the module says. An account
/// holding the administrator's role or a seat on the coordination table is refused: take
/// those away first, so that the instance never loses its administrator or a seat silently.
pub async fn carry_out(
    instance: &Instance,
    id: &str,
    actor: Actor<'_>,
) -> Result<Vec<ServiceReport>, PrivacyError> {
    let db = &instance.db;
    let user = users::find_by_id(db, instance.id(), id)
        .await?
        .ok_or(PrivacyError::NoAccount)?;
    if state(db, instance.id(), id).await?.erased_at.is_some() {
        return Err(PrivacyError::AlreadyErased);
    }
    if user.has_role(ADMIN_ROLE) {
        return Err(PrivacyError::HoldsAdmin);
    }
    if has_seat(db, instance.id(), id).await? {
        return Err(PrivacyError::HoldsSeat);
    }
    let mut reports = Vec::new();
    for plugin in instance.plugins.values() {
        let Some(route) = &plugin.personal_data else {
            continue;
        };
        reports.push(erase_in_plugin(instance, plugin, route, &user).await?);
    }
    pseudonymise(db, instance.id(), &user, &reports, actor).await?;
    Ok(reports)
}

async fn has_seat(db: &Db, instance: &str, id: &str) -> Result<bool, DbErr> {
    Ok(db
        .conn()
        .query_one_raw(sql::stmt(
            db.backend(),
            "SELECT 1 AS seated FROM governance_members WHERE instance = ? AND user_id = ?",
            vec![instance.into(), id.into()],
        ))
        .await?
        .is_some())
}

/// `DELETE route` of `plugin` as `user`: what it erased and kept, or why it failed.
async fn erase_in_plugin(
    instance: &Instance,
    plugin: &crate::instance::LoadedPlugin,
    route: &str,
    user: &User,
) -> Result<ServiceReport, PrivacyError> {
    let locale = &instance.manifest.instance.locale;
    let answer = super::ask_plugin(instance, plugin, "DELETE", route, user, locale).await?;
    Ok(ServiceReport {
        plugin: plugin.name.clone(),
        erased: answer["erased"].as_u64().unwrap_or_default(),
        kept: answer.get("kept").cloned().unwrap_or_else(|| json!([])),
    })
}

/// The account's own rows: pseudonymised or deleted, with the audit entry, in one transaction.
async fn pseudonymise(
    db: &Db,
    instance: &str,
    user: &User,
    reports: &[ServiceReport],
    actor: Actor<'_>,
) -> Result<(), PrivacyError> {
    // A password nobody knows: the stored value stays a real hash, so a login attempt costs
    // the same time as for any account and learns nothing.
    let unusable = crate::auth::password::hash_off_thread(&crate::auth::sessions::new_token())
        .await
        .map_err(|err| PrivacyError::Internal(err.to_string()))?;
    let now = crate::clock::now_ms();
    let pseudonym = format!("cancellato-{}", user.id);
    let write = db.begin_owned_write().await?;
    let txn = write.txn();
    let backend = txn.get_database_backend();
    txn.execute_raw(sql::stmt(
        backend,
        "UPDATE users SET username = ?, display_name = ?, password_hash = ?, locale = NULL, \
         email_verified_at = NULL, disabled_at = COALESCE(disabled_at, ?), erased_at = ? \
         WHERE instance = ? AND id = ? AND erased_at IS NULL",
        vec![
            pseudonym.clone().into(),
            pseudonym.clone().into(),
            unusable.into(),
            now.into(),
            now.into(),
            instance.into(),
            user.id.clone().into(),
        ],
    ))
    .await?;
    let by_id: [(&str, &str); 6] = [
        ("sessions", "user_id"),
        // The documents the person attached: a plugin deletes them with its records, and
        // whatever one left (a plugin since removed, a bug) goes with the account.
        ("files", "owner"),
        ("user_roles", "user_id"),
        ("account_links", "user_id"),
        ("notifications", "recipient"),
        // The fiscal number SPID or CIE bound: a later login makes a new account.
        ("identity_bindings", "user_id"),
    ];
    for (table, column) in by_id {
        txn.execute_raw(sql::stmt(
            backend,
            &format!("DELETE FROM {table} WHERE instance = ? AND {column} = ?"),
            vec![instance.into(), user.id.clone().into()],
        ))
        .await?;
    }
    for table in ["login_devices", "login_attempts"] {
        txn.execute_raw(sql::stmt(
            backend,
            &format!("DELETE FROM {table} WHERE instance = ? AND username = ?"),
            vec![instance.into(), user.username.clone().into()],
        ))
        .await?;
    }
    let entry = audit::Entry {
        instance: instance.to_owned(),
        actor: actor.username.map(str::to_owned),
        plugin: None,
        action: "privacy.erased".into(),
        subject: user.id.clone(),
        detail: json!({ "via": actor.via, "services": reports }).to_string(),
    };
    audit::append_in(txn, instance, vec![entry]).await?;
    write.commit().await?;
    Ok(())
}
