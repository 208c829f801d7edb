//! The person's side of privacy: `/privacy` (the notice, and accepting it), "download my data"
//! and "erase my account" from `/account`. The administrator's side (carrying an erasure out)
//! is in `admin::erasure`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use super::pages::{msg, page};
use super::{AppState, Ctx, WebError};
use crate::privacy::{PrivacyError, consent, erasure, export};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/privacy", get(notice).post(accept))
        .route("/account/data", post(download))
        .route("/account/erasure", post(request_erasure))
}

#[derive(serde::Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// The notice in the visitor's language; to a logged-in person who has not accepted this
/// version, with the button that accepts it and continues to `next`.
async fn notice(ctx: Ctx, Query(query): Query<NextQuery>) -> Response {
    let Some(notice) = ctx.instance.theme.privacy() else {
        return WebError::NotFound.render(&ctx);
    };
    let instance = &ctx.instance;
    let text = match ctx.theme_text(notice.texts()) {
        Ok(text) => text,
        Err(err) => return err.render(&ctx),
    };
    let accepted = match &ctx.user {
        Some(user) => match consent::accepted(&instance.db, instance.id(), &user.id).await {
            Ok(accepted) => accepted,
            Err(err) => return WebError::from(err).render(&ctx),
        },
        None => None,
    };
    let next = super::redirect::after_login(query.next.as_deref());
    let data = json!({
        "notice_html": text.html,
        "notice_lang": text.lang,
        "version": notice.version,
        "updated": notice.updated,
        "accepted": accepted.as_deref() == Some(notice.version.as_str()),
        "accepted_before": accepted.is_some(),
        "next": next,
    });
    if !ctx.wants_html {
        return (StatusCode::OK, ctx.jar.clone(), axum::Json(data)).into_response();
    }
    page(&ctx, "privacy.html", StatusCode::OK, data)
}

/// Accepts the version of the notice the person was shown; if it changed meanwhile they are
/// shown the new one instead.
async fn accept(mut ctx: Ctx, body: Bytes) -> Response {
    let form = match ctx.posted_form(&body) {
        Ok(form) => form,
        Err(err) => return err.render(&ctx),
    };
    let next = super::redirect::after_login(form.get("next"));
    let Some(user) = ctx.user.clone() else {
        return super::redirect::login_required(&ctx, "/privacy");
    };
    let Some(notice) = ctx.instance.theme.privacy() else {
        return WebError::NotFound.render(&ctx);
    };
    if form.get("version") != Some(notice.version.as_str()) {
        return WebError::Refused {
            status: StatusCode::CONFLICT,
            kind: "conflict",
            message: msg(&ctx, "privacy_changed"),
        }
        .render(&ctx);
    }
    let agreement = consent::Agreement {
        user_id: &user.id,
        username: &user.username,
        version: &notice.version,
        locale: &ctx.locale,
    };
    match consent::record(&ctx.instance.db, ctx.instance.id(), agreement).await {
        Ok(()) => ctx.done_to(&next, "privacy_accepted_done").await,
        Err(err) => WebError::from(err).render(&ctx),
    }
}

/// The ZIP of everything held about the person, recorded in the audit log.
async fn download(ctx: Ctx, body: Bytes) -> Response {
    if let Err(err) = ctx.posted_form(&body) {
        return err.render(&ctx);
    }
    let Some(user) = ctx.user.clone() else {
        return super::redirect::login_required(&ctx, "/account");
    };
    let instance = &ctx.instance;
    let download = match export::download(instance, &user, &ctx.locale).await {
        Ok(download) => download,
        Err(err) => return privacy_refusal(&ctx, err),
    };
    let entry = crate::audit::Entry {
        instance: instance.id().to_owned(),
        actor: Some(user.username.clone()),
        plugin: None,
        action: "privacy.downloaded".into(),
        subject: user.id.clone(),
        detail: json!({ "services": download.services }).to_string(),
    };
    if let Err(err) = crate::audit::append(&instance.db, entry).await {
        return WebError::from(err).render(&ctx);
    }
    let disposition = format!("attachment; filename=\"{}\"", download.filename);
    (
        ctx.jar.clone(),
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        download.zip,
    )
        .into_response()
}

/// Records the person's request that their account be erased; the administrator carries it
/// out. The form asks them to tick a box, so that a stray click asks nothing.
async fn request_erasure(mut ctx: Ctx, body: Bytes) -> Response {
    let form = match ctx.posted_form(&body) {
        Ok(form) => form,
        Err(err) => return err.render(&ctx),
    };
    let Some(user) = ctx.user.clone() else {
        return super::redirect::login_required(&ctx, "/account");
    };
    if form.get("confirm") != Some("yes") {
        return WebError::Refused {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            kind: "invalid",
            message: msg(&ctx, "privacy_erasure_confirm_missing"),
        }
        .render(&ctx);
    }
    match erasure::request(&ctx.instance.db, ctx.instance.id(), &user).await {
        Ok(_) => ctx.done_to("/account", "account_done_erasure").await,
        Err(err) => WebError::from(err).render(&ctx),
    }
}

/// A download or an erasure that could not be done, in the visitor's language.
pub(super) fn privacy_refusal(ctx: &Ctx, err: PrivacyError) -> Response {
    let (status, kind, message) = match err {
        PrivacyError::Db(err) => return WebError::from(err).render(ctx),
        PrivacyError::NoAccount => return WebError::NotFound.render(ctx),
        PrivacyError::Service { plugin, why } => {
            tracing::error!(instance = %ctx.instance.id(), %plugin, %why, "a service did not answer for a person's data");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "plugin_unavailable",
                msg(ctx, "privacy_service_failed").replace("{plugin}", &plugin),
            )
        }
        PrivacyError::AlreadyErased => (
            StatusCode::CONFLICT,
            "conflict",
            msg(ctx, "privacy_already_erased"),
        ),
        PrivacyError::HoldsAdmin => (
            StatusCode::CONFLICT,
            "conflict",
            msg(ctx, "privacy_erase_admin"),
        ),
        PrivacyError::HoldsSeat => (
            StatusCode::CONFLICT,
            "conflict",
            msg(ctx, "privacy_erase_seat"),
        ),
        other @ (PrivacyError::Zip(_) | PrivacyError::Io(_) | PrivacyError::Internal(_)) => {
            tracing::error!(error = %other, "privacy request failed");
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
