//! A person's own account without anyone's help: `/account` (address confirmed or not, change
//! of password, the sessions open and "log out everywhere else"), and the pages the mailed
//! links open — accepting an invitation, resetting a forgotten password, confirming the address.
//! A link that is unknown, used or expired gets one page saying so (410), whatever the reason,
//! and "forgot password" answers the same whether the account exists or not.

use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;

use super::pages::{msg, page, refusal_text, start_session};
use super::{AppState, Ctx, WebError};
use crate::auth::recovery::{self, Words};
use crate::auth::tokens::{self, Purpose};
use crate::auth::{AuthError, sessions, users};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/account", get(overview))
        .route("/account/password", post(change_password))
        .route("/account/email", post(change_email))
        .route("/account/sessions/end", post(end_other_sessions))
        .route("/account/confirm", post(resend_confirmation))
        .route("/invite/{token}", get(invitation).post(accept_invitation))
        .route("/password/forgot", get(forgot_form).post(forgot))
        .route("/password/reset/{token}", get(reset_form).post(reset))
        .route("/verify/{token}", get(verify_form).post(verify))
}

/// The words of a mailed link in `locale`: `PREFIX_subject` and `PREFIX_body` of the catalogue
/// with `{instance}`, `{name}` and `{hours}` filled in.
pub(super) fn words(ctx: &Ctx, locale: &str, prefix: &str, name: &str, hours: i64) -> Words {
    let catalogue = ctx.instance.theme.catalogue(locale);
    let fill = |key: &str| {
        catalogue[format!("{prefix}_{key}").as_str()]
            .as_str()
            .unwrap_or(key)
            .replace("{instance}", &ctx.instance.manifest.instance.name)
            .replace("{name}", name)
            .replace("{hours}", &hours.to_string())
    };
    Words {
        subject: fill("subject"),
        body: fill("body"),
    }
}

/// Hours a link of `purpose` stays valid, for the message that carries it.
pub(super) fn hours(purpose: Purpose) -> i64 {
    purpose.ttl_ms() / 3_600_000
}

/// The language a person reads their mail in: the one they chose, else the instance's.
async fn locale_of(ctx: &Ctx, user_id: &str) -> String {
    let instance = &ctx.instance;
    users::locale(&instance.db, instance.id(), user_id)
        .await
        .ok()
        .flatten()
        .filter(|code| instance.theme.catalogues().speaks(code))
        .unwrap_or_else(|| instance.manifest.instance.locale.clone())
}

/// A link that cannot be used (unknown, used or expired): one answer for every case.
fn link_gone(ctx: &Ctx) -> Response {
    WebError::Refused {
        status: StatusCode::GONE,
        kind: "link_expired",
        message: msg(ctx, "link_gone"),
    }
    .render(ctx)
}

/// Checks a new password and its repetition; the refusal's words when they do not do.
fn new_password_problem(ctx: &Ctx, password: &str, confirm: &str) -> Option<String> {
    if password != confirm {
        return Some(msg(ctx, "signup_password_mismatch"));
    }
    crate::auth::password::check_strength(password)
        .err()
        .map(|err| refusal_text(ctx, &err))
}

/// Runs `change`, which checks the account's current password, under the login throttle of
/// this account and address: a stolen session cannot be used to guess the password through
/// these forms any faster than through the login page. `Ok(false)` from `change` (a wrong
/// password) counts as a failed attempt; an error that kept the password from being checked
/// does not count.
async fn with_current_password<F>(
    ctx: &Ctx,
    user: &users::User,
    change: F,
) -> Result<bool, Response>
where
    F: std::future::Future<Output = Result<bool, AuthError>>,
{
    use crate::auth::throttle::{self, Admission, Client};
    let instance = &ctx.instance;
    let (db, id) = (&instance.db, instance.id());
    let now = crate::clock::now_ms();
    let client = Client::Address(&ctx.client_addr);
    let attempt = match throttle::begin(db, id, &user.username, client, now).await {
        Ok(Admission::Allowed(attempt)) => attempt,
        Ok(Admission::Refused {
            retry_after_secs, ..
        }) => {
            let message = msg(ctx, "login_throttled")
                .replace("{minutes}", &retry_after_secs.div_ceil(60).to_string());
            return Err(WebError::TooManyAttempts {
                retry_after_secs,
                message,
            }
            .render(ctx));
        }
        Err(err) => return Err(WebError::from(err).render(ctx)),
    };
    let changed = change.await;
    let recorded = match &changed {
        Ok(true) => throttle::succeeded(db, id, &user.username, attempt).await,
        Ok(false) => Ok(()),
        Err(_) => throttle::abandoned(db, id, attempt).await,
    };
    if let Err(err) = recorded {
        return Err(WebError::from(err).render(ctx));
    }
    changed.map_err(|err| account_error(ctx, err))
}

/// The current password typed on the account page is not the account's.
fn wrong_password(ctx: &Ctx) -> Response {
    WebError::Refused {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        kind: "invalid",
        message: msg(ctx, "account_wrong_password"),
    }
    .render(ctx)
}

fn account_error(ctx: &Ctx, err: AuthError) -> Response {
    match err {
        AuthError::Db(err) => WebError::from(err).render(ctx),
        AuthError::UsernameTaken(_) => WebError::Refused {
            status: StatusCode::CONFLICT,
            kind: "conflict",
            message: msg(ctx, "account_email_taken"),
        }
        .render(ctx),
        AuthError::Busy => WebError::Busy(msg(ctx, "busy")).render(ctx),
        other => WebError::Refused {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            kind: "invalid",
            message: refusal_text(ctx, &other),
        }
        .render(ctx),
    }
}

async fn overview(ctx: Ctx) -> Response {
    let Some(user) = ctx.user.clone() else {
        return super::redirect::login_required(&ctx, "/account");
    };
    let instance = &ctx.instance;
    let (db, id) = (&instance.db, instance.id());
    let open = match sessions::of_user(db, id, &user.id, ctx.session.as_deref()).await {
        Ok(open) => open,
        Err(err) => return WebError::from(err).render(&ctx),
    };
    let confirmed = match users::address_confirmed(db, id, &user.id).await {
        Ok(confirmed) => confirmed,
        Err(err) => return WebError::from(err).render(&ctx),
    };
    let erasure = match crate::privacy::erasure::state(db, id, &user.id).await {
        Ok(state) => state,
        Err(err) => return WebError::from(err).render(&ctx),
    };
    page(
        &ctx,
        "account.html",
        StatusCode::OK,
        json!({
            "sessions": open,
            "confirmed": confirmed,
            "has_address": recovery::is_address(&user.username),
            "erasure": erasure,
        }),
    )
}

async fn change_password(mut ctx: Ctx, body: Bytes) -> Response {
    let form = match ctx.posted_form(&body) {
        Ok(form) => form,
        Err(err) => return err.render(&ctx),
    };
    let (Some(user), Some(session)) = (ctx.user.clone(), ctx.session.clone()) else {
        return super::redirect::login_required(&ctx, "/account");
    };
    let new = form.get("password").unwrap_or_default();
    if let Some(problem) =
        new_password_problem(&ctx, new, form.get("password_confirm").unwrap_or_default())
    {
        return WebError::Refused {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            kind: "invalid",
            message: problem,
        }
        .render(&ctx);
    }
    let current = form.get("current_password").unwrap_or_default();
    let instance = &ctx.instance;
    let change =
        recovery::change_password(&instance.db, instance.id(), &user, current, new, &session);
    match with_current_password(&ctx, &user, change).await {
        Ok(true) => ctx.done_to("/account", "account_done_password").await,
        Ok(false) => wrong_password(&ctx),
        Err(response) => response,
    }
}

/// A new address, which is also the new login; confirmed through the link mailed to it, and
/// the address left behind told of the change.
async fn change_email(mut ctx: Ctx, body: Bytes) -> Response {
    let form = match ctx.posted_form(&body) {
        Ok(form) => form,
        Err(err) => return err.render(&ctx),
    };
    let Some(user) = ctx.user.clone() else {
        return super::redirect::login_required(&ctx, "/account");
    };
    let locale = locale_of(&ctx, &user.id).await;
    let mail = words(
        &ctx,
        &locale,
        "mail_verify",
        &user.display_name,
        hours(Purpose::Verify),
    );
    let instance = &ctx.instance;
    // The address left behind reads when it happened and where the administration's contacts
    // are (the privacy notice names the controller), never a link that changes anything.
    let mut left = words(&ctx, &locale, "mail_address_left", &user.display_name, 0);
    left.body = left
        .body
        .replace("{when}", &crate::clock::local_time(chrono::Utc::now()));
    let notice = recovery::Notice {
        words: left,
        link: instance.theme.privacy().map(|_| "/privacy".to_owned()),
    };
    let current = form.get("current_password").unwrap_or_default();
    let email = form.get("email").unwrap_or_default();
    let change = recovery::change_email(
        &instance.db,
        instance.id(),
        &user,
        current,
        email,
        mail,
        notice,
    );
    match with_current_password(&ctx, &user, change).await {
        Ok(true) => ctx.done_to("/account", "account_done_email").await,
        Ok(false) => wrong_password(&ctx),
        Err(response) => response,
    }
}

async fn end_other_sessions(mut ctx: Ctx, body: Bytes) -> Response {
    if let Err(err) = ctx.posted_form(&body) {
        return err.render(&ctx);
    }
    let (Some(user), Some(session)) = (ctx.user.clone(), ctx.session.clone()) else {
        return super::redirect::login_required(&ctx, "/account");
    };
    let instance = &ctx.instance;
    let ended = async {
        let write = instance.db.begin_owned_write().await?;
        let ended = sessions::end_others_in(write.txn(), instance.id(), &user.id, &session).await?;
        let entry = crate::audit::Entry {
            instance: instance.id().to_owned(),
            actor: Some(user.username.clone()),
            plugin: None,
            action: "sessions.ended".into(),
            subject: user.id.clone(),
            detail: json!({ "ended": ended }).to_string(),
        };
        crate::audit::append_in(write.txn(), instance.id(), vec![entry]).await?;
        write.commit().await
    };
    match ended.await {
        Ok(()) => ctx.done_to("/account", "account_done_sessions").await,
        Err(err) => WebError::from(err).render(&ctx),
    }
}

async fn resend_confirmation(mut ctx: Ctx, body: Bytes) -> Response {
    if let Err(err) = ctx.posted_form(&body) {
        return err.render(&ctx);
    }
    let Some(user) = ctx.user.clone() else {
        return super::redirect::login_required(&ctx, "/account");
    };
    if let Err(response) = send_confirmation(&ctx, &user).await {
        return response;
    }
    ctx.done_to("/account", "account_done_confirm").await
}

/// Mails `user` the link that confirms their address, if their login is one (sign-up, and the
/// account page's "send again").
pub(super) async fn send_confirmation(ctx: &Ctx, user: &users::User) -> Result<(), Response> {
    if !recovery::is_address(&user.username) {
        return Ok(());
    }
    let instance = &ctx.instance;
    let locale = locale_of(ctx, &user.id).await;
    let mail = words(
        ctx,
        &locale,
        "mail_verify",
        &user.display_name,
        hours(Purpose::Verify),
    );
    recovery::send_verification(&instance.db, instance.id(), &user.id, mail)
        .await
        .map_err(|err| account_error(ctx, err))
}

async fn invitation(ctx: Ctx, Path(token): Path<String>) -> Response {
    let instance = &ctx.instance;
    let now = crate::clock::now_ms();
    match tokens::peek(&instance.db, instance.id(), &token, Purpose::Invite, now).await {
        Ok(Some(id)) => match users::find_by_id(&instance.db, instance.id(), &id).await {
            Ok(Some(user)) => page(
                &ctx,
                "invite.html",
                StatusCode::OK,
                json!({ "token": token, "invited": user }),
            ),
            Ok(None) => link_gone(&ctx),
            Err(err) => WebError::from(err).render(&ctx),
        },
        Ok(None) => link_gone(&ctx),
        Err(err) => WebError::from(err).render(&ctx),
    }
}

async fn accept_invitation(mut ctx: Ctx, Path(token): Path<String>, body: Bytes) -> Response {
    let form = match ctx.posted_form(&body) {
        Ok(form) => form,
        Err(err) => return err.render(&ctx),
    };
    let password = form.get("password").unwrap_or_default();
    if let Some(problem) = new_password_problem(
        &ctx,
        password,
        form.get("password_confirm").unwrap_or_default(),
    ) {
        return WebError::Refused {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            kind: "invalid",
            message: problem,
        }
        .render(&ctx);
    }
    let instance = ctx.instance.clone();
    match recovery::accept(&instance.db, instance.id(), &token, password).await {
        Ok(Some(user)) => {
            let welcome = msg(&ctx, "invite_done").replace("{name}", &user.display_name);
            ctx.keep_notice(&welcome).await;
            start_session(&mut ctx, &user.id, "/").await
        }
        Ok(None) => link_gone(&ctx),
        Err(err) => account_error(&ctx, err),
    }
}

async fn forgot_form(ctx: Ctx) -> Response {
    page(
        &ctx,
        "password_forgot.html",
        StatusCode::OK,
        json!({ "sent": false }),
    )
}

async fn forgot(ctx: Ctx, body: Bytes) -> Response {
    let form = match ctx.posted_form(&body) {
        Ok(form) => form,
        Err(err) => return err.render(&ctx),
    };
    let instance = ctx.instance.clone();
    // Per address, like sign-ups: a script asking for thousands of resets is stopped before it
    // costs a query; the per-account cap (`recovery::RESETS_PER_HOUR`) protects each mailbox.
    if let Err(wait) = instance.rates.reset(&ctx.client_addr) {
        return WebError::RateLimited {
            retry_after_secs: wait.retry_after_secs,
            message: msg(&ctx, "reset_rate_limited")
                .replace("{minutes}", &wait.retry_after_secs.div_ceil(60).to_string()),
        }
        .render(&ctx);
    }
    let username = form
        .get("username")
        .unwrap_or_default()
        .trim()
        .to_lowercase();
    let account =
        match crate::auth::accounts::find_by_username(&instance.db, instance.id(), &username).await
        {
            Ok(account) => account,
            Err(err) => return WebError::from(err).render(&ctx),
        };
    if let Some(account) = account {
        let locale = locale_of(&ctx, &account.id).await;
        let mail = words(
            &ctx,
            &locale,
            "mail_reset",
            &account.display_name,
            hours(Purpose::Reset),
        );
        if let Err(err) =
            recovery::request_reset(&instance.db, instance.id(), &username, mail).await
        {
            return account_error(&ctx, err);
        }
    }
    // The same page whether or not the account exists: nobody learns who has one here.
    page(
        &ctx,
        "password_forgot.html",
        StatusCode::OK,
        json!({ "sent": true }),
    )
}

async fn reset_form(ctx: Ctx, Path(token): Path<String>) -> Response {
    let instance = &ctx.instance;
    let now = crate::clock::now_ms();
    match tokens::peek(&instance.db, instance.id(), &token, Purpose::Reset, now).await {
        Ok(Some(_)) => page(
            &ctx,
            "password_reset.html",
            StatusCode::OK,
            json!({ "token": token }),
        ),
        Ok(None) => link_gone(&ctx),
        Err(err) => WebError::from(err).render(&ctx),
    }
}

async fn reset(mut ctx: Ctx, Path(token): Path<String>, body: Bytes) -> Response {
    let form = match ctx.posted_form(&body) {
        Ok(form) => form,
        Err(err) => return err.render(&ctx),
    };
    let password = form.get("password").unwrap_or_default();
    if let Some(problem) = new_password_problem(
        &ctx,
        password,
        form.get("password_confirm").unwrap_or_default(),
    ) {
        return WebError::Refused {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            kind: "invalid",
            message: problem,
        }
        .render(&ctx);
    }
    let instance = &ctx.instance;
    match recovery::reset(&instance.db, instance.id(), &token, password).await {
        // Every session of the account ended with the old password: log in with the new one.
        Ok(Some(_)) => ctx.done_to("/login", "reset_done").await,
        Ok(None) => link_gone(&ctx),
        Err(err) => account_error(&ctx, err),
    }
}

/// The page a confirmation link opens: a button that confirms. Opening the link changes
/// nothing, so a mail scanner that fetches every link cannot spend it.
async fn verify_form(ctx: Ctx, Path(token): Path<String>) -> Response {
    let instance = &ctx.instance;
    let now = crate::clock::now_ms();
    match tokens::peek(&instance.db, instance.id(), &token, Purpose::Verify, now).await {
        Ok(Some(_)) => page(
            &ctx,
            "verify.html",
            StatusCode::OK,
            json!({ "token": token }),
        ),
        Ok(None) => link_gone(&ctx),
        Err(err) => WebError::from(err).render(&ctx),
    }
}

async fn verify(ctx: Ctx, Path(token): Path<String>, body: Bytes) -> Response {
    if let Err(err) = ctx.posted_form(&body) {
        return err.render(&ctx);
    }
    let instance = &ctx.instance;
    match recovery::verify(&instance.db, instance.id(), &token).await {
        Ok(Some(_)) => page(
            &ctx,
            "message.html",
            StatusCode::OK,
            json!({ "heading": msg(&ctx, "verify_done_title"), "text": msg(&ctx, "verify_done") }),
        ),
        Ok(None) => link_gone(&ctx),
        Err(err) => account_error(&ctx, err),
    }
}
