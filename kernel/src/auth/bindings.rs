//! Identity bindings: which account a person an identity provider vouches for logs in to, and
//! the fiscal number bound to it.
//!
//! A provider names a person by its `subject`, stable for that provider, and asserts their
//! fiscal number. The first login with a subject binds it: to the account that already has the
//! fiscal number (a person who logged in through another provider), or to a new `citizen`
//! account. After that the subject always opens the same account, and a token asserting
//! another fiscal number for it is refused: a fiscal number, once bound, is never silently
//! replaced. The table is unique on the subject and on the fiscal number, so two accounts can
//! never hold one fiscal number — the guarantee plugins rely on when they read it from
//! `identity.fiscal-number` instead of letting people type whichever code they like.
//!
//! Each login writes its audit entries in the transaction that binds or creates, so a binding
//! exists only with its record.

use sea_orm::{ConnectionTrait, DbErr, Value};
use serde_json::json;

use super::AuthError;
use super::users::{self, User};
use crate::audit;
use crate::db::{Db, sql};

/// What a provider asserted about the person logging in, its ID token verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asserted {
    /// The provider's name in the manifest.
    pub provider: String,
    /// The provider's identifier of the person (`sub`).
    pub subject: String,
    /// Normalised and checked (see [`super::fiscal::from_claim`]).
    pub fiscal_number: String,
    /// From `given_name` and `family_name`, else `name`.
    pub display_name: Option<String>,
    pub email: Option<String>,
}

/// How a login found its account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The subject was bound before.
    Returning,
    /// An account held the fiscal number already (bound through another provider).
    Matched,
    /// A new `citizen` account was made and bound.
    Created,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Returning => "returning",
            Outcome::Matched => "matched",
            Outcome::Created => "created",
        }
    }
}

/// Why a login through a provider opens no account.
#[derive(Debug, thiserror::Error)]
pub enum BindingError {
    /// The subject is bound to another fiscal number than the one now asserted.
    #[error(
        "provider `{provider}` asserts another fiscal number for a subject bound before: refused"
    )]
    FiscalNumberChanged { provider: String },
    #[error(transparent)]
    Auth(#[from] AuthError),
}

impl From<DbErr> for BindingError {
    fn from(err: DbErr) -> Self {
        Self::Auth(AuthError::Db(err))
    }
}

/// Stands in for a password hash on accounts made through a provider: no argon2 string, so no
/// password opens them until their holder sets one (a password reset by mail, when their
/// username is an address).
const NO_PASSWORD: &str = "!oidc";

/// The account `asserted` logs in to, binding or creating it: see the module documentation.
/// `address` is the client's, for the audit trail.
pub async fn log_in(
    db: &Db,
    instance: &str,
    asserted: &Asserted,
    address: &str,
) -> Result<(User, Outcome), BindingError> {
    let write = db.begin_owned_write().await?;
    let txn = write.txn();
    let now = crate::clock::now_ms();
    let bound = binding_of_subject(txn, instance, &asserted.provider, &asserted.subject).await?;
    let (user_id, outcome) = match bound {
        Some((user_id, fiscal_number)) => {
            if fiscal_number != asserted.fiscal_number {
                return Err(BindingError::FiscalNumberChanged {
                    provider: asserted.provider.clone(),
                });
            }
            (user_id, Outcome::Returning)
        }
        None => match holder_of(txn, instance, &asserted.fiscal_number).await? {
            // One fiscal number, one binding: the person's first provider keeps it, and the
            // others find the account through it.
            Some(user_id) => (user_id, Outcome::Matched),
            None => {
                let user_id = create_account(txn, instance, asserted, now).await?;
                bind_in(
                    txn,
                    instance,
                    &asserted.provider,
                    &asserted.subject,
                    &user_id,
                    &asserted.fiscal_number,
                )
                .await?;
                (user_id, Outcome::Created)
            }
        },
    };
    let disabled = txn
        .query_one_raw(sql::stmt(
            txn.get_database_backend(),
            "SELECT disabled_at FROM users WHERE instance = ? AND id = ?",
            vec![instance.into(), user_id.clone().into()],
        ))
        .await?
        .map(|row| row.try_get::<Option<i64>>("", "disabled_at"))
        .transpose()?
        .flatten()
        .is_some();
    if disabled {
        return Err(AuthError::Disabled.into());
    }
    let user = users::find_by_id_in(txn, instance, &user_id)
        .await?
        .ok_or(AuthError::NoAccount)?;
    let mut entries = Vec::new();
    let entry = |action: &str, detail: serde_json::Value| audit::Entry {
        instance: instance.to_owned(),
        actor: Some(user.username.clone()),
        plugin: None,
        action: action.to_owned(),
        subject: user.id.clone(),
        detail: detail.to_string(),
    };
    if outcome == Outcome::Created {
        entries.push(entry(
            "account.created",
            json!({ "username": user.username, "via": "oidc", "provider": asserted.provider }),
        ));
        // The fiscal number itself stays out of the trail: the binding row holds it, and an
        // erasure request must not meet it again in an append-only log.
        entries.push(entry(
            "identity.bound",
            json!({ "provider": asserted.provider }),
        ));
    }
    entries.push(entry(
        "login.oidc",
        json!({ "provider": asserted.provider, "outcome": outcome.as_str(), "address": address }),
    ));
    audit::append_in(txn, instance, entries).await?;
    write.commit().await?;
    Ok((user, outcome))
}

/// The account and fiscal number bound to `subject` of `provider`.
async fn binding_of_subject(
    conn: &impl ConnectionTrait,
    instance: &str,
    provider: &str,
    subject: &str,
) -> Result<Option<(String, String)>, DbErr> {
    let row = conn
        .query_one_raw(sql::stmt(
            conn.get_database_backend(),
            "SELECT user_id, fiscal_number FROM identity_bindings \
             WHERE instance = ? AND provider = ? AND subject = ?",
            vec![instance.into(), provider.into(), subject.into()],
        ))
        .await?;
    row.map(|row| {
        Ok((
            row.try_get("", "user_id")?,
            row.try_get("", "fiscal_number")?,
        ))
    })
    .transpose()
}

/// The account bound to `fiscal_number`, through any provider.
async fn holder_of(
    conn: &impl ConnectionTrait,
    instance: &str,
    fiscal_number: &str,
) -> Result<Option<String>, DbErr> {
    let row = conn
        .query_one_raw(sql::stmt(
            conn.get_database_backend(),
            "SELECT user_id FROM identity_bindings WHERE instance = ? AND fiscal_number = ?",
            vec![instance.into(), fiscal_number.into()],
        ))
        .await?;
    row.map(|row| row.try_get("", "user_id")).transpose()
}

/// The fiscal number bound to account `user_id`, if a provider asserted one: what a plugin
/// reads through `identity.fiscal-number` for its caller. Through `conn`, the pool or the
/// transaction of a plugin call.
pub async fn fiscal_number_of(
    conn: &impl ConnectionTrait,
    instance: &str,
    user_id: &str,
) -> Result<Option<String>, DbErr> {
    let row = conn
        .query_one_raw(sql::stmt(
            conn.get_database_backend(),
            "SELECT fiscal_number FROM identity_bindings WHERE instance = ? AND user_id = ? \
             ORDER BY bound_at LIMIT 1",
            vec![instance.into(), user_id.into()],
        ))
        .await?;
    row.map(|row| row.try_get("", "fiscal_number")).transpose()
}

/// Binds `subject` of `provider` and `fiscal_number` to account `user_id` inside `conn`; a
/// subject or a fiscal number bound already is a unique violation.
pub async fn bind_in(
    conn: &impl ConnectionTrait,
    instance: &str,
    provider: &str,
    subject: &str,
    user_id: &str,
    fiscal_number: &str,
) -> Result<(), DbErr> {
    conn.execute_raw(sql::stmt(
        conn.get_database_backend(),
        "INSERT INTO identity_bindings (instance, provider, subject, user_id, fiscal_number, bound_at) \
         VALUES (?, ?, ?, ?, ?, ?)",
        vec![
            instance.into(),
            provider.into(),
            subject.into(),
            user_id.into(),
            fiscal_number.into(),
            crate::clock::now_ms().into(),
        ],
    ))
    .await
    .map(|_| ())
}

/// Makes the `citizen` account of a person seen for the first time; its username is their
/// e-mail address when the provider gave one that no account uses, else a generated one.
async fn create_account(
    txn: &impl ConnectionTrait,
    instance: &str,
    asserted: &Asserted,
    now: i64,
) -> Result<String, AuthError> {
    let backend = txn.get_database_backend();
    let email = asserted
        .email
        .as_deref()
        .map(|email| email.trim().to_lowercase())
        .filter(|email| {
            super::recovery::is_address(email) && users::validate_username(email).is_ok()
        });
    let username = match email {
        Some(email) if !username_taken(txn, instance, &email).await? => email,
        _ => generated_username(),
    };
    // A provider that sends no name leaves the person known by their username until they
    // say otherwise.
    let display_name = asserted
        .display_name
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty() && !name.chars().any(char::is_control))
        .map_or_else(
            || username.clone(),
            |name| name.chars().take(100).collect::<String>(),
        );
    let id = crate::docstore::new_id();
    let values: Vec<Value> = vec![
        instance.into(),
        id.clone().into(),
        username.into(),
        display_name.into(),
        NO_PASSWORD.into(),
        now.into(),
    ];
    txn.execute_raw(sql::stmt(
        backend,
        "INSERT INTO users (instance, id, username, display_name, password_hash, created_at) \
         VALUES (?, ?, ?, ?, ?, ?)",
        values,
    ))
    .await?;
    txn.execute_raw(sql::stmt(
        backend,
        "INSERT INTO user_roles (instance, user_id, role) VALUES (?, ?, 'citizen')",
        vec![instance.into(), id.clone().into()],
    ))
    .await?;
    Ok(id)
}

async fn username_taken(
    conn: &impl ConnectionTrait,
    instance: &str,
    username: &str,
) -> Result<bool, DbErr> {
    Ok(conn
        .query_one_raw(sql::stmt(
            conn.get_database_backend(),
            "SELECT 1 AS taken FROM users WHERE instance = ? AND username = ?",
            vec![instance.into(), username.into()],
        ))
        .await?
        .is_some())
}

/// `cittadino-` and 12 random hex digits: a login name nobody has to remember (the person logs
/// in through the provider) and that reveals nothing about them.
fn generated_username() -> String {
    format!("cittadino-{}", hex::encode(rand::random::<[u8; 6]>()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_usernames_are_valid_usernames() {
        let name = generated_username();
        assert!(users::validate_username(&name).is_ok(), "{name}");
        assert_ne!(name, generated_username());
    }
}
