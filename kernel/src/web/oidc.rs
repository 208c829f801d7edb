//! `/login/oidc/{provider}` and its callback: logging in through an OpenID Connect provider
//! (`[identity.providers.NAME]`), such as a SPID or CIE gateway.
//!
//! The protocol is `auth::oidc`'s and the binding of the person to an account
//! `auth::bindings`'s; this module carries the browser between them. It gives the browser a
//! random value in a cookie (`oidc`) whose hash the started login keeps, so a callback address
//! copied into another browser opens nothing there, and it shows every failure as a page of
//! the theme in the person's language, offering to try again — the details go to the log only,
//! since they may name keys, tokens or the provider's internals.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use super::pages::{msg, page, start_session};
use super::{Ctx, WebError};
use crate::auth::bindings::{self, BindingError};
use crate::auth::oidc::{self, Callback, OidcError};
use crate::auth::{AuthError, sessions};

/// The cookie holding the browser's login value.
const OIDC_COOKIE: &str = "oidc";

#[derive(serde::Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

/// Starts a login through `provider`: to its authorization page.
pub async fn start(
    mut ctx: Ctx,
    Path(provider): Path<String>,
    Query(query): Query<StartQuery>,
) -> Response {
    let instance = ctx.instance.clone();
    let Some(section) = instance.manifest.identity.providers.get(&provider) else {
        return WebError::NotFound.render(&ctx);
    };
    let next = super::redirect::after_login(query.next.as_deref());
    // One value per browser, kept across logins started in several tabs.
    let browser = ctx
        .cookie_value(OIDC_COOKIE)
        .filter(|value| value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(sessions::new_token);
    let started = oidc::begin(
        &instance.db,
        instance.id(),
        section,
        &instance.manifest.public_url,
        &browser,
        &next,
    )
    .await;
    match started {
        Ok(started) => {
            let mut cookie = ctx.cookie(OIDC_COOKIE, browser, true);
            cookie.set_max_age(time::Duration::milliseconds(oidc::LOGIN_TTL_MS));
            ctx.jar = ctx.jar.clone().add(cookie);
            tracing::info!(instance = %instance.id(), %provider, "login through an identity provider started");
            (ctx.jar.clone(), Redirect::to(&started.url)).into_response()
        }
        Err(err) => failed(&ctx, &provider, &err),
    }
}

#[derive(serde::Deserialize)]
pub struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    iss: Option<String>,
    /// Set by the provider when the person cancelled or it refused (RFC 6749 §4.1.2.1).
    error: Option<String>,
}

/// Where the provider sends the browser back: completes the login and opens a session.
pub async fn callback(
    mut ctx: Ctx,
    Path(provider): Path<String>,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let instance = ctx.instance.clone();
    let Some(section) = instance.manifest.identity.providers.get(&provider) else {
        return WebError::NotFound.render(&ctx);
    };
    if let Some(error) = &query.error {
        tracing::info!(instance = %instance.id(), %provider, error = %error.chars().take(100).collect::<String>(), "the identity provider sent the person back without a login");
        return problem(&ctx, &provider, StatusCode::FORBIDDEN, "oidc_cancelled");
    }
    let (Some(state), Some(code)) = (query.state.as_deref(), query.code.as_deref()) else {
        tracing::warn!(instance = %instance.id(), %provider, "identity provider callback without state or code");
        return problem(&ctx, &provider, StatusCode::BAD_REQUEST, "oidc_state");
    };
    let browser = ctx.cookie_value(OIDC_COOKIE);
    let completed = oidc::complete(
        &instance.db,
        instance.id(),
        section,
        &instance.manifest.public_url,
        Callback {
            state,
            code,
            iss: query.iss.as_deref(),
            browser: browser.as_deref(),
        },
    )
    .await;
    let completed = match completed {
        Ok(completed) => completed,
        Err(err) => return failed(&ctx, &provider, &err),
    };
    let address = ctx.client_addr.clone();
    let user = match bindings::log_in(&instance.db, instance.id(), &completed.asserted, &address)
        .await
    {
        Ok((user, outcome)) => {
            tracing::info!(instance = %instance.id(), %provider, user = %user.id, outcome = outcome.as_str(), "login through an identity provider");
            user
        }
        Err(BindingError::Auth(AuthError::Disabled)) => {
            tracing::info!(instance = %instance.id(), %provider, "login through an identity provider to a disabled account");
            return problem(&ctx, &provider, StatusCode::FORBIDDEN, "login_disabled");
        }
        Err(err @ BindingError::FiscalNumberChanged { .. }) => {
            tracing::warn!(instance = %instance.id(), %provider, error = %err, "identity provider login refused");
            return problem(&ctx, &provider, StatusCode::FORBIDDEN, "oidc_refused");
        }
        Err(BindingError::Auth(err)) => {
            // Two first logins of one person racing each other: the second finds the binding
            // if it tries again.
            tracing::error!(instance = %instance.id(), %provider, error = %err, "binding an identity failed");
            return problem(
                &ctx,
                &provider,
                StatusCode::SERVICE_UNAVAILABLE,
                "oidc_failed",
            );
        }
    };
    ctx.jar = ctx
        .jar
        .clone()
        .remove(ctx.cookie(OIDC_COOKIE, String::new(), true));
    start_session(&mut ctx, &user.id, &completed.next).await
}

/// The page (or, for an API client, the envelope) for a failed login, its cause logged.
fn failed(ctx: &Ctx, provider: &str, err: &OidcError) -> Response {
    let instance = ctx.instance.id();
    let (status, key) = match err {
        OidcError::Unavailable(_) => (StatusCode::BAD_GATEWAY, "oidc_unavailable"),
        OidcError::UnknownState => (StatusCode::BAD_REQUEST, "oidc_state"),
        OidcError::Refused(_) => (StatusCode::FORBIDDEN, "oidc_refused"),
        OidcError::NoFiscalNumber { .. } => (StatusCode::FORBIDDEN, "oidc_no_fiscal_number"),
        OidcError::Db(err) => {
            tracing::error!(%instance, %provider, error = %err, "login through an identity provider failed");
            return problem(
                ctx,
                provider,
                StatusCode::SERVICE_UNAVAILABLE,
                "oidc_failed",
            );
        }
    };
    tracing::warn!(%instance, %provider, error = %err, "login through an identity provider refused");
    problem(ctx, provider, status, key)
}

/// The themed page saying what went wrong (`key` of the catalogue) and offering to try again.
fn problem(ctx: &Ctx, provider: &str, status: StatusCode, key: &'static str) -> Response {
    let message = msg(ctx, key);
    if !ctx.wants_html {
        return WebError::Refused {
            status,
            kind: key,
            message,
        }
        .render(ctx);
    }
    page(
        ctx,
        "login_problem.html",
        status,
        json!({ "problem": message, "retry": format!("/login/oidc/{provider}") }),
    )
}
