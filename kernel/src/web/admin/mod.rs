//! `/admin`: the instance administrator's pages — accounts and their roles, invitations, the
//! coordination table's seats, the audit log, the outbox and the effective manifest — so that running a territory needs
//! no shell. Role `admin` only. Browsers get pages and, after a change, a redirect to a page that
//! says what was done; API clients get JSON. Every change is audited with its actor.

mod accounts;
mod erasure;
mod invitations;
mod log;
mod outbox;
mod seats;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value as Json, json};

use super::pages::{msg, page};
use super::{AppState, Ctx, WebError};
use crate::auth::AuthError;
use crate::auth::accounts::{ADMIN_ROLE, Actor};
use crate::auth::users::User;

/// Rows per page of the accounts and of the audit log.
const PER_PAGE: u32 = 50;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(overview))
        .route("/admin/accounts", get(accounts::list))
        .route("/admin/accounts/{id}", get(accounts::show))
        .route("/admin/accounts/{id}/roles", post(accounts::roles))
        .route("/admin/accounts/{id}/status", post(accounts::status))
        .route("/admin/accounts/{id}/reinvite", post(invitations::resend))
        .route("/admin/accounts/{id}/erase", post(erasure::erase))
        .route(
            "/admin/invitations",
            get(invitations::form).post(invitations::send),
        )
        .route("/admin/seats", get(seats::list).post(seats::add))
        .route("/admin/seats/{id}/remove", post(seats::remove))
        .route("/admin/audit", get(log::list))
        .route("/admin/audit/verify", post(log::verify))
        .route("/admin/manifest", get(manifest))
        .route("/admin/outbox", get(outbox::list))
        .route("/admin/outbox/{id}/retry", post(outbox::retry))
}

/// The administrator making the request, or the answer for anyone else: the login page for a
/// visitor, 403 for an account without the role.
fn admin(ctx: &Ctx, here: &str) -> Result<User, Box<Response>> {
    match &ctx.user {
        None => Err(Box::new(super::redirect::login_required(ctx, here))),
        Some(user) if user.has_role(ADMIN_ROLE) => Ok(user.clone()),
        Some(_) => Err(Box::new(refused(
            ctx,
            StatusCode::FORBIDDEN,
            "forbidden",
            "admin_forbidden",
        ))),
    }
}

/// A form posted to an administrator's page (`here`): its fields and the administrator, or
/// the answer for a forged form or anyone else.
fn admin_form(
    ctx: &Ctx,
    body: &[u8],
    here: &str,
) -> Result<(super::form::FormFields, User), Box<Response>> {
    let form = ctx
        .posted_form(body)
        .map_err(|err| Box::new(err.render(ctx)))?;
    Ok((form, admin(ctx, here)?))
}

/// A refusal whose message is the catalogue's `key`.
fn refused(ctx: &Ctx, status: StatusCode, kind: &'static str, key: &str) -> Response {
    WebError::Refused {
        status,
        kind,
        message: msg(ctx, key),
    }
    .render(ctx)
}

/// The audit actor of a change made through these pages.
fn actor(user: &User) -> Actor<'_> {
    Actor {
        username: Some(&user.username),
        via: "admin",
    }
}

/// An account operation that failed, in the visitor's language.
fn auth_refusal(ctx: &Ctx, err: AuthError) -> Response {
    let (status, kind, message) = match err {
        AuthError::Db(err) => return WebError::from(err).render(ctx),
        AuthError::NoAccount => return WebError::NotFound.render(ctx),
        AuthError::UnknownRole { role, .. } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            msg(ctx, "admin_unknown_role").replace("{role}", &role),
        ),
        AuthError::LastAdmin => (
            StatusCode::CONFLICT,
            "conflict",
            msg(ctx, "admin_last_admin"),
        ),
        other => {
            tracing::error!(error = %other, "account change failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                msg(ctx, "error_internal"),
            )
        }
    };
    WebError::Refused {
        status,
        kind,
        message,
    }
    .render(ctx)
}

/// A page to a browser, its data to an API client.
fn render_or_json(ctx: &Ctx, template: &str, data: Json) -> Response {
    if ctx.wants_html {
        page(ctx, template, StatusCode::OK, data)
    } else {
        (StatusCode::OK, ctx.jar.clone(), axum::Json(data)).into_response()
    }
}

/// What an administrator's change may say it did: `admin_done_{key}` of the theme's catalogue.
const DONE: &[&str] = &[
    "granted", "revoked", "disabled", "enabled", "invited", "erased", "seated", "unseated",
    "retried",
];

/// After a change: a browser goes to `location`, where the message `admin_done_{done}` (one of
/// [`DONE`]) waits for it once; an API client gets `data`.
async fn done(ctx: &mut Ctx, location: &str, done: &str, data: Json) -> Response {
    debug_assert!(DONE.contains(&done), "`{done}` is not in DONE");
    if ctx.wants_html {
        ctx.done_to(location, &format!("admin_done_{done}")).await
    } else {
        (StatusCode::OK, ctx.jar.clone(), axum::Json(data)).into_response()
    }
}

async fn overview(ctx: Ctx) -> Response {
    let me = match admin(&ctx, "/admin") {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let instance = &ctx.instance;
    let filter = crate::auth::accounts::Filter::default();
    let all = match crate::auth::accounts::search(&instance.db, instance.id(), &filter, 0, 0).await
    {
        Ok(page) => page.total,
        Err(err) => return WebError::from(err).render(&ctx),
    };
    let disabled = crate::auth::accounts::Filter {
        disabled: Some(true),
        ..Default::default()
    };
    let disabled =
        match crate::auth::accounts::search(&instance.db, instance.id(), &disabled, 0, 0).await {
            Ok(page) => page.total,
            Err(err) => return WebError::from(err).render(&ctx),
        };
    let erasure = crate::auth::accounts::Filter {
        erasure_pending: true,
        ..Default::default()
    };
    let erasure =
        match crate::auth::accounts::search(&instance.db, instance.id(), &erasure, 0, 0).await {
            Ok(page) => page.total,
            Err(err) => return WebError::from(err).render(&ctx),
        };
    render_or_json(
        &ctx,
        "admin.html",
        json!({ "me": me.username, "accounts": all, "disabled": disabled, "erasure_pending": erasure }),
    )
}

/// The manifest the instance runs with — file, environment and approved proposals merged, each
/// value annotated with where it comes from — with any password in a database URL hidden.
async fn manifest(ctx: Ctx) -> Response {
    if let Err(response) = admin(&ctx, "/admin/manifest") {
        return *response;
    }
    let instance = &ctx.instance;
    let overlay = match crate::board::Board::new(instance.db.clone(), instance.id())
        .overlay()
        .await
    {
        Ok(overlay) => overlay,
        Err(err) => return WebError::from(err).render(&ctx),
    };
    let text = match trama_manifest::effective(
        &instance.manifest.dir,
        trama_manifest::process_env(),
        &overlay,
    ) {
        Ok(effective) => redact_urls(&effective.annotated()),
        // The running instance was built from this manifest; an edit since may have broken
        // the file: say so rather than show nothing.
        Err(diagnostics) => format!("{}\n\n{diagnostics}", msg(&ctx, "admin_manifest_broken")),
    };
    render_or_json(&ctx, "admin_manifest.html", json!({ "manifest": text }))
}

/// Hides the password of every `url = "…"` value (a database URL may carry one).
fn redact_urls(text: &str) -> String {
    text.lines()
        .map(|line| {
            let trimmed = line.trim_start();
            match trimmed
                .strip_prefix("url = \"")
                .and_then(|rest| rest.split_once('"'))
            {
                Some((url, after)) => format!(
                    "{}url = \"{}\"{after}",
                    &line[..line.len() - trimmed.len()],
                    trama_manifest::redact_url(url)
                ),
                None => line.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_password_never_reaches_the_page() {
        let text = "[database]\nurl = \"postgres://trama:s3cret@db/trama\" # TRAMA_DATABASE__URL\n";
        let shown = redact_urls(text);
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("# TRAMA_DATABASE__URL"), "{shown}");
    }

    #[test]
    fn done_keys_have_messages_in_every_language() {
        for lang in ["it", "en", "de"] {
            let path = format!(
                "{}/../themes/default/locales/{lang}.toml",
                env!("CARGO_MANIFEST_DIR")
            );
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for key in DONE {
                assert!(
                    text.contains(&format!("admin_done_{key} =")),
                    "{path} lacks admin_done_{key}"
                );
            }
        }
    }
}
