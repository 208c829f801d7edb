//! Kernel pages: the instance home, sign-up, login and logout, theme assets.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde_json::{Value as Json, json};

use super::context::{DEVICE_COOKIE, SESSION_COOKIE};
use super::{AppState, Ctx, WebError};
use crate::auth::throttle::{self, Admission, Attempt, Client};
use crate::auth::{AuthError, devices, sessions, users};

/// Renders a kernel template with the page context of `ctx` and `extra` merged in.
pub(super) fn page(ctx: &Ctx, template: &str, status: StatusCode, extra: Json) -> Response {
    let mut context = ctx.page_context();
    if let (Json::Object(base), Json::Object(extra)) = (&mut context, extra) {
        base.extend(extra);
    }
    match ctx.instance.theme.render(template, &ctx.locale, &context) {
        Ok(body) => (status, ctx.jar.clone(), Html(body)).into_response(),
        Err(err) => WebError::from(err).render(ctx),
    }
}

/// What an account form did wrong, in the visitor's language.
pub(super) fn refusal_text(ctx: &Ctx, err: &AuthError) -> String {
    match err {
        AuthError::Field(field) => msg(ctx, field.key()),
        other => other.to_string(),
    }
}

/// Message of the catalogue for the current locale (the key itself if missing).
pub(super) fn msg(ctx: &Ctx, key: &str) -> String {
    ctx.instance.theme.catalogue(&ctx.locale)[key]
        .as_str()
        .unwrap_or(key)
        .to_owned()
}

pub async fn not_found(ctx: Ctx) -> Response {
    WebError::NotFound.render(&ctx)
}

/// A method the route does not take: 405 in the kernel's envelope; the router adds `Allow`
/// with the methods it does take.
pub async fn method_not_allowed(ctx: Ctx) -> Response {
    WebError::Refused {
        status: StatusCode::METHOD_NOT_ALLOWED,
        kind: "method_not_allowed",
        message: msg(&ctx, "method_not_allowed"),
    }
    .render(&ctx)
}

#[derive(serde::Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_form(ctx: Ctx, Query(query): Query<NextQuery>) -> Response {
    page(
        &ctx,
        "login.html",
        StatusCode::OK,
        json!({
            "next": super::redirect::after_login(query.next.as_deref()),
            "username": "",
        }),
    )
}

pub async fn login(mut ctx: Ctx, body: Bytes) -> Response {
    let form = match ctx.posted_form(&body) {
        Ok(form) => form,
        Err(err) => return err.render(&ctx),
    };
    if !ctx.instance.manifest.identity.password_login {
        return password_login_off(&ctx, "login.html");
    }
    let username = form
        .get("username")
        .unwrap_or_default()
        .trim()
        .to_lowercase();
    let password = form.get("password").unwrap_or_default();
    let next = super::redirect::after_login(form.get("next"));
    // No account has an empty username or password: nothing to guess, nothing to count or
    // audit, and the answer is as quick for every username.
    if username.is_empty() || password.is_empty() {
        return login_failed(&ctx, &next, &username);
    }
    let instance = ctx.instance.clone();
    let (db, id, address) = (&instance.db, instance.id(), ctx.client_addr.clone());
    let now = crate::clock::now_ms();
    let device_cookie = ctx.cookie_value(DEVICE_COOKIE);
    let device = match &device_cookie {
        Some(token) => match devices::recognise(db, id, &username, token, now).await {
            Ok(device) => device,
            Err(err) => return WebError::from(err).render(&ctx),
        },
        None => None,
    };
    let client = device
        .as_deref()
        .map_or(Client::Address(&address), Client::Device);
    let attempt = match throttle::begin(db, id, &username, client, now).await {
        Ok(Admission::Allowed(attempt)) => attempt,
        Ok(Admission::Refused {
            scope,
            retry_after_secs,
        }) => {
            tracing::warn!(instance = %id, %username, %address, scope = scope.as_str(), retry_after_secs, "login refused: too many failed attempts");
            let key = match scope {
                throttle::Scope::Account => "login_throttled_account",
                throttle::Scope::Pair | throttle::Scope::Address => "login_throttled",
            };
            let error =
                msg(&ctx, key).replace("{minutes}", &retry_after_secs.div_ceil(60).to_string());
            let form = json!({ "next": next, "username": username, "error": error });
            let refusal = WebError::TooManyAttempts {
                retry_after_secs,
                message: error,
            };
            return form_refused(&ctx, refusal, "login.html", form);
        }
        Err(err) => return WebError::from(err).render(&ctx),
    };
    let user = match users::authenticate(db, id, &username, password).await {
        Ok(user) => user,
        Err(err) => {
            if let Err(db_err) = throttle::abandoned(db, id, attempt).await {
                tracing::error!(error = %db_err, "could not release an unchecked login attempt");
            }
            if matches!(err, AuthError::Disabled) {
                tracing::info!(instance = %id, %username, %address, "login to a disabled account");
                let error = msg(&ctx, "login_disabled");
                let form = json!({ "next": next, "username": username, "error": error });
                return page(&ctx, "login.html", StatusCode::FORBIDDEN, form);
            }
            return auth_failure(&ctx, err);
        }
    };
    let Some(user) = user else {
        tracing::info!(instance = %id, %username, %address, "failed login");
        if let Err(err) = audit_lockout(&ctx, &username, &attempt).await {
            return WebError::from(err).render(&ctx);
        }
        return login_failed(&ctx, &next, &username);
    };
    if let Err(err) = throttle::succeeded(db, id, &username, attempt).await {
        return WebError::from(err).render(&ctx);
    }
    // This browser is now trusted for the account: guesses made elsewhere cannot lock the
    // owner out of it (see auth::devices).
    match devices::remember(db, id, &username, device_cookie.as_deref(), now).await {
        Ok(token) => {
            let mut cookie = ctx.cookie(DEVICE_COOKIE, token, true);
            cookie.set_max_age(time::Duration::milliseconds(devices::DEVICE_TTL_MS));
            ctx.jar = ctx.jar.clone().add(cookie);
        }
        Err(err) => return WebError::from(err).render(&ctx),
    }
    start_session(&mut ctx, &user.id, &next).await
}

/// `[identity] password_login = false`: the territory logs people in through its identity
/// providers only (403), the page saying so next to their buttons.
fn password_login_off(ctx: &Ctx, template: &str) -> Response {
    let refusal = WebError::Refused {
        status: StatusCode::FORBIDDEN,
        kind: "password_login_off",
        message: msg(ctx, "password_login_off"),
    };
    if !ctx.wants_html {
        return refusal.render(ctx);
    }
    let form =
        json!({ "next": "/", "username": "", "display_name": "", "error": refusal.to_string() });
    page(ctx, template, StatusCode::FORBIDDEN, form)
}

/// Wrong username or password (401): the login form again, with what was typed.
fn login_failed(ctx: &Ctx, next: &str, username: &str) -> Response {
    let error = msg(ctx, "login_failed");
    let form = json!({ "next": next, "username": username, "error": error });
    page(ctx, "login.html", StatusCode::UNAUTHORIZED, form)
}

/// A refusal (429) of a login or sign-up form: to a browser, the same form again with what was
/// typed and the reason, carrying the refusal's `Retry-After`; to an API client, the envelope.
fn form_refused(ctx: &Ctx, refusal: WebError, template: &str, form: Json) -> Response {
    if !ctx.wants_html {
        return refusal.render(ctx);
    }
    let mut response = page(ctx, template, refusal.status(), form);
    refusal.add_headers(&mut response);
    response
}

/// The answer to an account operation that failed for a reason other than the visitor's input:
/// busy hashers ask to come back in a moment (503, `Retry-After`), anything else is logged.
fn auth_failure(ctx: &Ctx, err: AuthError) -> Response {
    match err {
        AuthError::Busy => WebError::Busy(msg(ctx, "busy")).render(ctx),
        AuthError::Db(err) => WebError::from(err).render(ctx),
        other => {
            tracing::error!(error = %other, "account operation failed");
            WebError::Refused {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                kind: "internal",
                message: "an internal error occurred; it has been logged".to_owned(),
            }
            .render(ctx)
        }
    }
}

/// Records in the audit trail the failure that locks an account, a client on an account or an
/// address (once per lock, not per refused attempt, so a flood of guesses cannot flood the
/// trail).
async fn audit_lockout(ctx: &Ctx, username: &str, attempt: &Attempt) -> Result<(), sea_orm::DbErr> {
    for scope in &attempt.locks_on_failure {
        tracing::warn!(instance = %ctx.instance.id(), %username, address = %ctx.client_addr, scope = scope.as_str(), "login locked: too many failed attempts");
        let entry = crate::audit::Entry {
            instance: ctx.instance.id().to_owned(),
            actor: None,
            plugin: None,
            action: "login.locked".into(),
            subject: username.to_owned(),
            detail: json!({ "scope": scope.as_str(), "address": ctx.client_addr }).to_string(),
        };
        crate::audit::append(&ctx.instance.db, entry).await?;
    }
    Ok(())
}

/// Opens a new session (a fresh token, so a token planted before login is worthless) and
/// rotates the CSRF token.
pub(super) async fn start_session(ctx: &mut Ctx, user_id: &str, next: &str) -> Response {
    let instance = ctx.instance.clone();
    if let Some(old) = ctx.session.take()
        && let Err(err) = sessions::delete(&instance.db, instance.id(), &old).await
    {
        return WebError::from(err).render(ctx);
    }
    let agent = ctx.user_agent.clone();
    let token =
        match sessions::create_for(&instance.db, instance.id(), user_id, agent.as_deref()).await {
            Ok(token) => token,
            Err(err) => return WebError::from(err).render(ctx),
        };
    ctx.jar = ctx.jar.clone().add(ctx.cookie(SESSION_COOKIE, token, true));
    ctx.rotate_csrf();
    // Asked for no page: an operator starts on their work queue, a citizen on the home page.
    let next = if next == "/" {
        match users::find_by_id(&instance.db, instance.id(), user_id).await {
            Ok(Some(user)) => instance.landing_for(&user.roles),
            Ok(None) => "/".to_owned(),
            Err(err) => return WebError::from(err).render(ctx),
        }
    } else {
        next.to_owned()
    };
    (ctx.jar.clone(), Redirect::to(&next)).into_response()
}

pub async fn signup_form(ctx: Ctx) -> Response {
    page(
        &ctx,
        "signup.html",
        StatusCode::OK,
        json!({ "username": "", "display_name": "" }),
    )
}

pub async fn signup(mut ctx: Ctx, body: Bytes) -> Response {
    let form = match ctx.posted_form(&body) {
        Ok(form) => form,
        Err(err) => return err.render(&ctx),
    };
    // An account with a password would open a session the password form no longer may.
    if !ctx.instance.manifest.identity.password_login {
        return password_login_off(&ctx, "signup.html");
    }
    let username = form
        .get("username")
        .unwrap_or_default()
        .trim()
        .to_lowercase();
    let display_name = form
        .get("display_name")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let password = form.get("password").unwrap_or_default();
    let confirm = form.get("password_confirm").unwrap_or_default();
    let refill = |error: String| json!({ "username": username, "display_name": display_name, "error": error });
    if password != confirm {
        let error = msg(&ctx, "signup_password_mismatch");
        return page(
            &ctx,
            "signup.html",
            StatusCode::UNPROCESSABLE_ENTITY,
            refill(error),
        );
    }
    // Where the theme has a privacy notice, signing up means accepting the version shown.
    let notice_version = ctx
        .instance
        .theme
        .privacy()
        .map(|notice| notice.version.clone());
    if let Some(version) = &notice_version
        && form.get("privacy_version") != Some(version.as_str())
    {
        let error = msg(&ctx, "privacy_required");
        return page(
            &ctx,
            "signup.html",
            StatusCode::UNPROCESSABLE_ENTITY,
            refill(error),
        );
    }
    let instance = ctx.instance.clone();
    let roles = ["citizen".to_owned()];
    let new = users::NewUser {
        username: &username,
        display_name: &display_name,
        password,
        roles: &roles,
    };
    // A mistake in the form is answered before the attempt counts against the rate.
    if let Err(err) = users::validate_new(&new) {
        return page(
            &ctx,
            "signup.html",
            StatusCode::UNPROCESSABLE_ENTITY,
            refill(refusal_text(&ctx, &err)),
        );
    }
    // Counted before the password is hashed: a script signing up thousands of accounts costs
    // neither hashing time nor rows once over the rate.
    if let Err(wait) = instance.rates.signup(&ctx.client_addr) {
        tracing::warn!(instance = %instance.id(), address = %ctx.client_addr, "sign-up refused: over the rate for this address");
        let error = msg(&ctx, "signup_rate_limited")
            .replace("{minutes}", &wait.retry_after_secs.div_ceil(60).to_string());
        let form = refill(error.clone());
        let refusal = WebError::RateLimited {
            retry_after_secs: wait.retry_after_secs,
            message: error,
        };
        return form_refused(&ctx, refusal, "signup.html", form);
    }
    let created = users::create(&instance.db, instance.id(), new).await;
    match created {
        Ok(user) => {
            let detail = json!({ "username": user.username }).to_string();
            let entry = crate::audit::Entry {
                instance: instance.id().to_owned(),
                actor: Some(user.username.clone()),
                plugin: None,
                action: "account.created".into(),
                subject: user.id.clone(),
                detail,
            };
            if let Err(err) = crate::audit::append(&instance.db, entry).await {
                return WebError::from(err).render(&ctx);
            }
            if let Some(version) = &notice_version {
                let agreement = crate::privacy::consent::Agreement {
                    user_id: &user.id,
                    username: &user.username,
                    version,
                    locale: &ctx.locale,
                };
                let recorded =
                    crate::privacy::consent::record(&instance.db, instance.id(), agreement).await;
                if let Err(err) = recorded {
                    return WebError::from(err).render(&ctx);
                }
            }
            if let Err(response) = super::account::send_confirmation(&ctx, &user).await {
                return response;
            }
            let welcome = msg(&ctx, "signup_done").replace("{name}", &user.display_name);
            ctx.keep_notice(&welcome).await;
            start_session(&mut ctx, &user.id, "/").await
        }
        Err(err @ (AuthError::Db(_) | AuthError::Busy)) => auth_failure(&ctx, err),
        Err(AuthError::UsernameTaken(_)) => {
            let error = msg(&ctx, "signup_username_taken");
            page(&ctx, "signup.html", StatusCode::CONFLICT, refill(error))
        }
        Err(other) => page(
            &ctx,
            "signup.html",
            StatusCode::UNPROCESSABLE_ENTITY,
            refill(refusal_text(&ctx, &other)),
        ),
    }
}

pub async fn logout(mut ctx: Ctx, body: Bytes) -> Response {
    if let Err(err) = ctx.posted_form(&body) {
        return err.render(&ctx);
    }
    let instance = ctx.instance.clone();
    if let Some(token) = ctx.session.take()
        && let Err(err) = sessions::delete(&instance.db, instance.id(), &token).await
    {
        return WebError::from(err).render(&ctx);
    }
    ctx.jar = ctx
        .jar
        .clone()
        .remove(ctx.cookie(SESSION_COOKIE, String::new(), true));
    ctx.rotate_csrf();
    ctx.done_to("/", "logout_done").await
}

/// For API clients: the CSRF token to send as `X-CSRF-Token`, and who is logged in.
pub async fn session(ctx: Ctx) -> Response {
    let body = json!({ "csrf_token": ctx.csrf, "user": ctx.user, "locale": ctx.locale });
    (ctx.jar.clone(), axum::Json(body)).into_response()
}

pub async fn static_file(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Path(path): Path<String>,
) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let Some(instance) = state.instances.for_host(host) else {
        return WebError::UnknownHost(host.to_owned()).into_response();
    };
    let Some(file) = instance.current().theme.static_file(&path) else {
        return WebError::NotFound.into_response();
    };
    match tokio::fs::read(&file).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, content_type(&path)),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => WebError::NotFound.into_response(),
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}
