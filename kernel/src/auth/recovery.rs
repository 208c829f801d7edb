//! What a person does with their account through links sent by e-mail, and without the shell:
//! accept an administrator's invitation, reset a forgotten password, confirm their address,
//! change their password. Each step commits with its audit entry, and the message carrying a
//! link is queued in the outbox in the same transaction (so a link exists only if its mail
//! will go, and the other way round).

use sea_orm::{ConnectionTrait, DbErr};

use super::accounts::Actor;
use super::roles::Declared;
use super::tokens::{self, Purpose};
use super::users::{self, User};
use super::{AuthError, Field, password};
use crate::audit;
use crate::db::{Db, sql};
use crate::notify::{Notification, Outbox};

/// Who sends the kernel's account mail in the outbox (never a plugin name: those have no `@`).
pub const SENDER: &str = "@accounts";

/// The most reset links one account is sent in an hour: enough for a person who retries, too
/// few to flood a stranger's mailbox with someone else's clicks.
pub const RESETS_PER_HOUR: u64 = 3;

/// The words of a message carrying a link, in the recipient's language; made by the caller,
/// which has the theme's catalogues. The link itself goes in the message's link field.
pub struct Words {
    pub subject: String,
    pub body: String,
}

/// A message that carries no one-time link: its words, and at most a page of the site to
/// point to (a path, made absolute when mailed).
pub struct Notice {
    pub words: Words,
    pub link: Option<String>,
}

fn entry(
    instance: &str,
    actor: Option<&str>,
    action: &str,
    user: &str,
    detail: serde_json::Value,
) -> audit::Entry {
    audit::Entry {
        instance: instance.to_owned(),
        actor: actor.map(str::to_owned),
        plugin: None,
        action: action.to_owned(),
        subject: user.to_owned(),
        detail: detail.to_string(),
    }
}

/// Issues a link of `purpose` for `user` and queues the message that carries it, in `txn`.
async fn send_link(
    db: &Db,
    txn: &sea_orm::DatabaseTransaction,
    instance: &str,
    user: &str,
    purpose: Purpose,
    path: &str,
    words: Words,
) -> Result<(), AuthError> {
    let now = crate::clock::now_ms();
    let token = tokens::issue_in(txn, instance, user, purpose, now).await?;
    let link = format!("{path}/{token}");
    let Words { subject, body } = words;
    let message = Notification {
        recipient: user.to_owned(),
        subject,
        body,
        key: format!("{}-{}", purpose.as_str(), crate::docstore::new_id()),
        link: Some(link),
    };
    Outbox::new(db.clone(), instance, SENDER)
        .queue_in(txn, None, message)
        .await
        .map_err(|err| match err {
            crate::notify::NotifyError::Database(err) => AuthError::Db(err),
            other => AuthError::Invalid(other.to_string()),
        })?;
    Ok(())
}

/// Whether `username` can receive mail: the kernel writes to the login when it is an address.
pub fn is_address(username: &str) -> bool {
    username.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    })
}

/// An invitation: an account made by an administrator for `email`, with `roles`, that its
/// holder completes by choosing a password through the link mailed to them.
pub struct Invitation<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub roles: &'a [String],
}

/// Makes the invited account (no usable password until the invitation is accepted) and mails
/// the link. A role nothing declares, an address that is not one, or one that already has an
/// account is refused.
pub async fn invite(
    db: &Db,
    instance: &str,
    declared: &Declared,
    invitation: &Invitation<'_>,
    actor: Actor<'_>,
    words: Words,
) -> Result<User, AuthError> {
    let email = invitation.email.trim().to_lowercase();
    users::validate_username(&email)?;
    if !is_address(&email) {
        return Err(AuthError::Field(Field::Address));
    }
    let display_name = invitation.display_name.trim();
    if display_name.is_empty() || display_name.chars().count() > 100 {
        return Err(AuthError::Field(Field::DisplayName));
    }
    for role in invitation.roles {
        declared.check(role)?;
    }
    let id = crate::docstore::new_id();
    let write = db.begin_owned_write().await?;
    let txn = write.txn();
    let backend = txn.get_database_backend();
    txn.execute_raw(sql::stmt(
        backend,
        // `!` is no argon2 hash: nothing verifies against it until a password is chosen.
        "INSERT INTO users (instance, id, username, display_name, password_hash, created_at) \
         VALUES (?, ?, ?, ?, '!', ?)",
        vec![
            instance.into(),
            id.clone().into(),
            email.clone().into(),
            display_name.into(),
            crate::clock::now_ms().into(),
        ],
    ))
    .await
    .map_err(|err| {
        if sql::is_unique_violation(&err) {
            AuthError::UsernameTaken(email.clone())
        } else {
            err.into()
        }
    })?;
    for role in invitation.roles {
        txn.execute_raw(sql::stmt(
            backend,
            "INSERT INTO user_roles (instance, user_id, role) VALUES (?, ?, ?) \
             ON CONFLICT (instance, user_id, role) DO NOTHING",
            vec![instance.into(), id.clone().into(), role.clone().into()],
        ))
        .await?;
    }
    send_link(db, txn, instance, &id, Purpose::Invite, "/invite", words).await?;
    let detail =
        serde_json::json!({ "username": email, "roles": invitation.roles, "via": actor.via });
    audit::append_in(
        txn,
        instance,
        vec![entry(
            instance,
            actor.username,
            "account.invited",
            &id,
            detail,
        )],
    )
    .await?;
    write.commit().await?;
    Ok(User {
        id,
        username: email,
        display_name: display_name.to_owned(),
        roles: invitation.roles.to_vec(),
    })
}

/// Whether account `id` still waits for its invitation to be accepted (no password yet).
pub async fn is_pending(db: &Db, instance: &str, id: &str) -> Result<bool, DbErr> {
    let row = db
        .conn()
        .query_one_raw(sql::stmt(
            db.backend(),
            "SELECT password_hash FROM users WHERE instance = ? AND id = ?",
            vec![instance.into(), id.into()],
        ))
        .await?;
    Ok(row
        .map(|row| row.try_get::<String>("", "password_hash"))
        .transpose()?
        .is_some_and(|hash| hash == "!"))
}

/// Mails a fresh invitation link to a pending account (the first one expired or was lost).
pub async fn reinvite(
    db: &Db,
    instance: &str,
    id: &str,
    actor: Actor<'_>,
    words: Words,
) -> Result<(), AuthError> {
    if !is_pending(db, instance, id).await? {
        return Err(AuthError::Invalid(
            "the invitation was accepted already".into(),
        ));
    }
    let write = db.begin_owned_write().await?;
    let txn = write.txn();
    send_link(db, txn, instance, id, Purpose::Invite, "/invite", words).await?;
    let detail = serde_json::json!({ "via": actor.via });
    audit::append_in(
        txn,
        instance,
        vec![entry(
            instance,
            actor.username,
            "account.reinvited",
            id,
            detail,
        )],
    )
    .await?;
    write.commit().await?;
    Ok(())
}

/// Sets the password of the account a link of `purpose` is for, using the link: the invited
/// person completing their account (their address is then confirmed: the link reached it),
/// or a reset (every session of the account ends: whoever had the old password is out).
async fn set_password_by_link(
    db: &Db,
    instance: &str,
    token: &str,
    purpose: Purpose,
    new_password: &str,
) -> Result<Option<User>, AuthError> {
    password::check_strength(new_password)?;
    let hash = password::hash_off_thread(new_password).await?;
    let now = crate::clock::now_ms();
    let write = db.begin_owned_write().await?;
    let txn = write.txn();
    let Some(id) = tokens::redeem_in(txn, instance, token, purpose, now).await? else {
        return Ok(None);
    };
    let backend = txn.get_database_backend();
    let action = match purpose {
        Purpose::Invite => "account.invitation_accepted",
        Purpose::Reset | Purpose::Verify => "password.reset",
    };
    // Either link reached the address: it is confirmed too.
    txn.execute_raw(sql::stmt(
        backend,
        "UPDATE users SET password_hash = ?, email_verified_at = COALESCE(email_verified_at, ?) \
         WHERE instance = ? AND id = ?",
        vec![hash.into(), now.into(), instance.into(), id.clone().into()],
    ))
    .await?;
    txn.execute_raw(sql::stmt(
        backend,
        "DELETE FROM sessions WHERE instance = ? AND user_id = ?",
        vec![instance.into(), id.clone().into()],
    ))
    .await?;
    let user = users::find_by_id_in(txn, instance, &id)
        .await?
        .ok_or(AuthError::NoAccount)?;
    let detail = serde_json::json!({ "username": user.username });
    audit::append_in(
        txn,
        instance,
        vec![entry(instance, Some(&user.username), action, &id, detail)],
    )
    .await?;
    write.commit().await?;
    Ok(Some(user))
}

/// Accepts an invitation: `Ok(None)` when the link is unknown, used or expired.
pub async fn accept(
    db: &Db,
    instance: &str,
    token: &str,
    new_password: &str,
) -> Result<Option<User>, AuthError> {
    set_password_by_link(db, instance, token, Purpose::Invite, new_password).await
}

/// Mails a reset link to the account `username`, if there is one that can receive it, it is
/// not disabled, and it was sent fewer than [`RESETS_PER_HOUR`] in the last hour. The caller
/// answers the same whatever happened here, so that nobody learns who has an account.
pub async fn request_reset(
    db: &Db,
    instance: &str,
    username: &str,
    words: Words,
) -> Result<(), AuthError> {
    let Some(account) = super::accounts::find_by_username(db, instance, username).await? else {
        return Ok(());
    };
    if account.disabled_at.is_some() || !is_address(&account.username) {
        return Ok(());
    }
    let now = crate::clock::now_ms();
    let recent =
        tokens::issued_since(db, instance, &account.id, Purpose::Reset, now - 3_600_000).await?;
    if recent >= RESETS_PER_HOUR {
        tracing::warn!(%instance, %username, "password reset not sent: over the hourly cap for the account");
        return Ok(());
    }
    let write = db.begin_owned_write().await?;
    let txn = write.txn();
    send_link(
        db,
        txn,
        instance,
        &account.id,
        Purpose::Reset,
        "/password/reset",
        words,
    )
    .await?;
    let detail = serde_json::json!({ "username": account.username });
    audit::append_in(
        txn,
        instance,
        vec![entry(
            instance,
            None,
            "password.reset_requested",
            &account.id,
            detail,
        )],
    )
    .await?;
    write.commit().await?;
    Ok(())
}

/// Sets a new password through a reset link: `Ok(None)` when the link is unknown, used or
/// expired.
pub async fn reset(
    db: &Db,
    instance: &str,
    token: &str,
    new_password: &str,
) -> Result<Option<User>, AuthError> {
    set_password_by_link(db, instance, token, Purpose::Reset, new_password).await
}

/// Mails the link that confirms the address of account `id` (after sign-up).
pub async fn send_verification(
    db: &Db,
    instance: &str,
    id: &str,
    words: Words,
) -> Result<(), AuthError> {
    let write = db.begin_owned_write().await?;
    send_link(
        db,
        write.txn(),
        instance,
        id,
        Purpose::Verify,
        "/verify",
        words,
    )
    .await?;
    write.commit().await?;
    Ok(())
}

/// Confirms an address through its link: the account, or `None` when the link is unknown,
/// used or expired.
pub async fn verify(db: &Db, instance: &str, token: &str) -> Result<Option<User>, AuthError> {
    let now = crate::clock::now_ms();
    let write = db.begin_owned_write().await?;
    let txn = write.txn();
    let Some(id) = tokens::redeem_in(txn, instance, token, Purpose::Verify, now).await? else {
        return Ok(None);
    };
    txn.execute_raw(sql::stmt(
        txn.get_database_backend(),
        "UPDATE users SET email_verified_at = COALESCE(email_verified_at, ?) WHERE instance = ? AND id = ?",
        vec![now.into(), instance.into(), id.clone().into()],
    ))
    .await?;
    let user = users::find_by_id_in(txn, instance, &id)
        .await?
        .ok_or(AuthError::NoAccount)?;
    let detail = serde_json::json!({ "username": user.username });
    audit::append_in(
        txn,
        instance,
        vec![entry(
            instance,
            Some(&user.username),
            "account.address_confirmed",
            &id,
            detail,
        )],
    )
    .await?;
    write.commit().await?;
    Ok(Some(user))
}

/// Changes the address of `user`, who knows their password: the address is their login, so
/// they log in with the new one from now on; it counts as unconfirmed until they open the link
/// mailed to it (`words`), and their sessions stay open. The address left behind, if the login
/// was one, is told (`notice`, queued to that address in the same transaction): someone who
/// took over the account with a guessed or stolen password is not the only one to know. The
/// notice carries no link that undoes anything — whoever reads the old mailbox need not be the
/// owner any more — only what to do. `Ok(false)`: the password was wrong, nothing changed. An
/// address another account uses is refused.
pub async fn change_email(
    db: &Db,
    instance: &str,
    user: &User,
    current: &str,
    new_email: &str,
    words: Words,
    notice: Notice,
) -> Result<bool, AuthError> {
    let email = new_email.trim().to_lowercase();
    users::validate_username(&email)?;
    if !is_address(&email) {
        return Err(AuthError::Field(super::Field::Address));
    }
    if users::authenticate(db, instance, &user.username, current)
        .await?
        .is_none()
    {
        return Ok(false);
    }
    if email == user.username {
        return Ok(true);
    }
    let write = db.begin_owned_write().await?;
    let txn = write.txn();
    let changed = txn
        .execute_raw(sql::stmt(
            txn.get_database_backend(),
            "UPDATE users SET username = ?, email_verified_at = NULL WHERE instance = ? AND id = ?",
            vec![
                email.clone().into(),
                instance.into(),
                user.id.clone().into(),
            ],
        ))
        .await;
    match changed {
        Err(err) if crate::db::sql::is_unique_violation(&err) => {
            return Err(AuthError::UsernameTaken(email));
        }
        other => {
            other?;
        }
    }
    // Links already mailed to the old address (a confirmation, a reset) must not confirm the
    // new one or open the account: they are spent.
    txn.execute_raw(sql::stmt(
        txn.get_database_backend(),
        "UPDATE account_links SET used_at = ? WHERE instance = ? AND user_id = ? \
         AND purpose IN ('verify', 'reset') AND used_at IS NULL",
        vec![
            crate::clock::now_ms().into(),
            instance.into(),
            user.id.clone().into(),
        ],
    ))
    .await?;
    send_link(
        db,
        txn,
        instance,
        &user.id,
        Purpose::Verify,
        "/verify",
        words,
    )
    .await?;
    if is_address(&user.username) {
        let Notice { words, link } = notice;
        let message = Notification {
            recipient: user.id.clone(),
            subject: words.subject,
            body: words.body,
            key: format!("address-left-{}", crate::docstore::new_id()),
            link,
        };
        Outbox::new(db.clone(), instance, SENDER)
            .queue_to_address_in(txn, message, &user.username)
            .await
            .map_err(|err| match err {
                crate::notify::NotifyError::Database(err) => AuthError::Db(err),
                other => AuthError::Invalid(other.to_string()),
            })?;
    }
    let detail = serde_json::json!({ "from": user.username, "to": email });
    audit_own(txn, instance, user, "account.address_changed", detail).await?;
    write.commit().await?;
    Ok(true)
}

/// Audits, last in `txn`, a change `user` made to their own account.
async fn audit_own(
    txn: &sea_orm::DatabaseTransaction,
    instance: &str,
    user: &User,
    action: &str,
    detail: serde_json::Value,
) -> Result<(), DbErr> {
    let own = entry(instance, Some(&user.username), action, &user.id, detail);
    audit::append_in(txn, instance, vec![own]).await
}

/// Changes the password of `user` who knows the current one; every other session of the
/// account ends (`keep` is the session making the change). `Ok(false)`: the current password
/// was wrong, nothing changed.
pub async fn change_password(
    db: &Db,
    instance: &str,
    user: &User,
    current: &str,
    new_password: &str,
    keep: &str,
) -> Result<bool, AuthError> {
    password::check_strength(new_password)?;
    if users::authenticate(db, instance, &user.username, current)
        .await?
        .is_none()
    {
        return Ok(false);
    }
    let hash = password::hash_off_thread(new_password).await?;
    let write = db.begin_owned_write().await?;
    let txn = write.txn();
    txn.execute_raw(sql::stmt(
        txn.get_database_backend(),
        "UPDATE users SET password_hash = ? WHERE instance = ? AND id = ?",
        vec![hash.into(), instance.into(), user.id.clone().into()],
    ))
    .await?;
    super::sessions::end_others_in(txn, instance, &user.id, keep).await?;
    let detail = serde_json::json!({ "username": user.username });
    audit_own(txn, instance, user, "password.changed", detail).await?;
    write.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_address_receives_mail() {
        assert!(is_address("maria.rossi@comune.example.it"));
        assert!(!is_address("maria"));
        assert!(!is_address("@example.org"));
        assert!(!is_address("maria@localhost"));
        assert!(!is_address("maria@example."));
    }
}
