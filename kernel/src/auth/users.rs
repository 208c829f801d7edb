//! Accounts and their roles on an instance.

use sea_orm::{ConnectionTrait, DbErr};

use super::{AuthError, Field, password};
use crate::db::{Db, sql};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<String>,
}

impl User {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

/// What is needed to open an account.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password: &'a str,
    pub roles: &'a [String],
}

/// Checks a username: 3–64 characters among lower-case letters, digits, `.`, `_`, `-`, `@`.
pub fn validate_username(username: &str) -> Result<(), AuthError> {
    let ok_chars = username
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-@".contains(c));
    if (3..=64).contains(&username.len()) && ok_chars {
        Ok(())
    } else {
        Err(AuthError::Field(Field::Username))
    }
}

pub fn validate_role(role: &str) -> Result<(), AuthError> {
    let ok = !role.is_empty()
        && role.len() <= 40
        && role
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(AuthError::Invalid(format!(
            "`{role}` is not a valid role name (lower-case letters, digits and '_')"
        )))
    }
}

/// Checks what can be checked of a new account without the database or a hash: username,
/// display name, password length, roles. Sign-up calls it before counting the attempt against
/// the address's rate, so a typo costs no one a sign-up.
pub fn validate_new(new: &NewUser<'_>) -> Result<(), AuthError> {
    validate_username(new.username)?;
    let display_name = new.display_name.trim();
    if display_name.is_empty() || display_name.chars().count() > 100 {
        return Err(AuthError::Field(Field::DisplayName));
    }
    password::check_strength(new.password)?;
    for role in new.roles {
        validate_role(role)?;
    }
    Ok(())
}

pub async fn create(db: &Db, instance: &str, new: NewUser<'_>) -> Result<User, AuthError> {
    validate_new(&new)?;
    let display_name = new.display_name.trim();
    let hash = password::hash_off_thread(new.password).await?;
    let id = crate::docstore::new_id();
    let backend = db.backend();
    let _guard = db.write_guard().await;
    let txn = db.begin_write().await?;
    txn.execute_raw(sql::stmt(
        backend,
        "INSERT INTO users (instance, id, username, display_name, password_hash, created_at) \
         VALUES (?, ?, ?, ?, ?, ?)",
        vec![
            instance.into(),
            id.clone().into(),
            new.username.into(),
            display_name.into(),
            hash.into(),
            crate::clock::now_ms().into(),
        ],
    ))
    .await
    .map_err(|err| {
        if sql::is_unique_violation(&err) {
            AuthError::UsernameTaken(new.username.to_owned())
        } else {
            err.into()
        }
    })?;
    for role in new.roles {
        txn.execute_raw(sql::stmt(
            backend,
            "INSERT INTO user_roles (instance, user_id, role) VALUES (?, ?, ?)",
            vec![instance.into(), id.clone().into(), role.clone().into()],
        ))
        .await?;
    }
    txn.commit().await?;
    Ok(User {
        id,
        username: new.username.to_owned(),
        display_name: display_name.to_owned(),
        roles: new.roles.to_vec(),
    })
}

/// The roles of account `id`, sorted (also read by `accounts`).
pub(super) async fn roles_of(
    conn: &impl ConnectionTrait,
    instance: &str,
    id: &str,
) -> Result<Vec<String>, DbErr> {
    let rows = conn
        .query_all_raw(sql::stmt(
            conn.get_database_backend(),
            "SELECT role FROM user_roles WHERE instance = ? AND user_id = ? ORDER BY role",
            vec![instance.into(), id.into()],
        ))
        .await?;
    rows.iter().map(|row| row.try_get("", "role")).collect()
}

/// The account whose `column` is `value`, with its password hash and whether it is disabled.
async fn find_where(
    conn: &impl ConnectionTrait,
    instance: &str,
    column: &str,
    value: &str,
) -> Result<Option<(User, String, bool)>, DbErr> {
    let row = conn
        .query_one_raw(sql::stmt(
            conn.get_database_backend(),
            &format!(
                "SELECT id, username, display_name, password_hash, disabled_at FROM users \
                 WHERE instance = ? AND {column} = ?"
            ),
            vec![instance.into(), value.into()],
        ))
        .await?;
    let Some(row) = row else { return Ok(None) };
    let id: String = row.try_get("", "id")?;
    let roles = roles_of(conn, instance, &id).await?;
    Ok(Some((
        User {
            id,
            username: row.try_get("", "username")?,
            display_name: row.try_get("", "display_name")?,
            roles,
        },
        row.try_get("", "password_hash")?,
        row.try_get::<Option<i64>>("", "disabled_at")?.is_some(),
    )))
}

pub async fn find_by_id(db: &Db, instance: &str, id: &str) -> Result<Option<User>, DbErr> {
    find_by_id_in(db.conn(), instance, id).await
}

/// [`find_by_id`] through `conn`: the pool, or the transaction of a plugin call.
pub async fn find_by_id_in(
    conn: &impl ConnectionTrait,
    instance: &str,
    id: &str,
) -> Result<Option<User>, DbErr> {
    Ok(find_where(conn, instance, "id", id)
        .await?
        .map(|(user, ..)| user))
}

/// The accounts of `instance` holding `role`, by username: at most `limit` from `offset`.
/// Through `conn`, the pool or the transaction of a plugin call.
pub async fn holders_in(
    conn: &impl ConnectionTrait,
    instance: &str,
    role: &str,
    limit: u32,
    offset: u32,
) -> Result<Vec<User>, DbErr> {
    let rows = conn
        .query_all_raw(sql::stmt(
            conn.get_database_backend(),
            "SELECT u.id, u.username, u.display_name FROM users u \
             JOIN user_roles r ON r.instance = u.instance AND r.user_id = u.id \
             WHERE u.instance = ? AND r.role = ? ORDER BY u.username LIMIT ? OFFSET ?",
            vec![
                instance.into(),
                role.into(),
                i64::from(limit).into(),
                i64::from(offset).into(),
            ],
        ))
        .await?;
    let mut holders = Vec::with_capacity(rows.len());
    for row in &rows {
        let id: String = row.try_get("", "id")?;
        let roles = roles_of(conn, instance, &id).await?;
        holders.push(User {
            id,
            username: row.try_get("", "username")?,
            display_name: row.try_get("", "display_name")?,
            roles,
        });
    }
    Ok(holders)
}

pub async fn find_by_username(
    db: &Db,
    instance: &str,
    username: &str,
) -> Result<Option<User>, DbErr> {
    Ok(find_where(db.conn(), instance, "username", username)
        .await?
        .map(|(user, ..)| user))
}

/// Whether the holder of account `id` confirmed that its address is theirs (a mailed link).
pub async fn address_confirmed(db: &Db, instance: &str, id: &str) -> Result<bool, DbErr> {
    let row = db
        .conn()
        .query_one_raw(sql::stmt(
            db.backend(),
            "SELECT email_verified_at FROM users WHERE instance = ? AND id = ?",
            vec![instance.into(), id.into()],
        ))
        .await?;
    Ok(row
        .map(|row| row.try_get::<Option<i64>>("", "email_verified_at"))
        .transpose()?
        .flatten()
        .is_some())
}

/// The language the person chose for pages, if they ever did.
pub async fn locale(db: &Db, instance: &str, id: &str) -> Result<Option<String>, DbErr> {
    locale_in(db.conn(), instance, id).await
}

/// [`locale`] through `conn`, the pool or the transaction of a plugin call.
pub async fn locale_in(
    conn: &impl ConnectionTrait,
    instance: &str,
    id: &str,
) -> Result<Option<String>, DbErr> {
    let row = conn
        .query_one_raw(sql::stmt(
            conn.get_database_backend(),
            "SELECT locale FROM users WHERE instance = ? AND id = ?",
            vec![instance.into(), id.into()],
        ))
        .await?;
    Ok(row.and_then(|row| row.try_get::<Option<String>>("", "locale").ok().flatten()))
}

/// Remembers the language a person chose, so that it follows them to every device.
pub async fn set_locale(db: &Db, instance: &str, id: &str, locale: &str) -> Result<(), DbErr> {
    let _guard = db.write_guard().await;
    db.conn()
        .execute_raw(sql::stmt(
            db.backend(),
            "UPDATE users SET locale = ? WHERE instance = ? AND id = ?",
            vec![locale.into(), instance.into(), id.into()],
        ))
        .await?;
    Ok(())
}

/// Returns the user only if the password matches; a disabled account whose password matches
/// is [`AuthError::Disabled`]. A missing user costs the same hashing time
/// as a wrong password, so response times do not reveal which usernames exist.
pub async fn authenticate(
    db: &Db,
    instance: &str,
    username: &str,
    password: &str,
) -> Result<Option<User>, AuthError> {
    match find_where(db.conn(), instance, "username", username).await? {
        Some((user, hash, disabled)) => {
            let right = password::verify_off_thread(password, &hash).await?;
            // Only the holder of the password learns that the account is disabled.
            if right && disabled {
                return Err(AuthError::Disabled);
            }
            Ok(right.then_some(user))
        }
        None => {
            password::verify_off_thread(password, dummy_hash()).await?;
            Ok(None)
        }
    }
}

/// A hash verified against when the username does not exist, computed once.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| password::hash(&super::sessions::new_token()).unwrap_or_default())
}

pub async fn grant_role(
    db: &Db,
    instance: &str,
    user_id: &str,
    role: &str,
) -> Result<(), AuthError> {
    validate_role(role)?;
    let _guard = db.write_guard().await;
    db.conn()
        .execute_raw(sql::stmt(
            db.backend(),
            "INSERT INTO user_roles (instance, user_id, role) VALUES (?, ?, ?)",
            vec![instance.into(), user_id.into(), role.into()],
        ))
        .await
        .map(|_| ())
        .or_else(|err| {
            if sql::is_unique_violation(&err) {
                Ok(())
            } else {
                Err(err.into())
            }
        })
}
