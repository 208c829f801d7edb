//! `/notifications`: the messages plugins sent to the logged-in user (their inbox), readable
//! without any mail set up.

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::pages::page;
use super::{Ctx, WebError};
use crate::notify;

/// How many messages the page shows.
const SHOWN: u32 = 100;

pub async fn list(ctx: Ctx) -> Response {
    let Some(user) = ctx.user.clone() else {
        return super::redirect::login_required(&ctx, "/notifications");
    };
    let instance = ctx.instance.clone();
    let messages = match notify::inbox(&instance.db, instance.id(), &user.id, SHOWN).await {
        Ok(messages) => messages,
        Err(err) => return WebError::from(err).render(&ctx),
    };
    let unread = messages.iter().filter(|m| m.read_at.is_none()).count();
    if !ctx.wants_html {
        return (
            StatusCode::OK,
            axum::Json(json!({ "notifications": messages })),
        )
            .into_response();
    }
    let shown: Vec<_> = messages
        .iter()
        .map(|message| {
            let (iso, local) = when(message.created_at);
            json!({
                "subject": message.subject,
                "body": message.body,
                "link": message.link,
                "read_at": message.read_at,
                "created_iso": iso,
                "created_shown": local,
            })
        })
        .collect();
    page(
        &ctx,
        "notifications.html",
        StatusCode::OK,
        json!({ "notifications": shown, "unread": unread }),
    )
}

/// A Unix time in milliseconds as an ISO 8601 instant and as `dd/mm/yyyy hh:mm UTC`.
fn when(ms: i64) -> (String, String) {
    let Ok(at) = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000) else {
        return (String::new(), String::new());
    };
    let iso = at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let shown = format!(
        "{:02}/{:02}/{} {:02}:{:02} UTC",
        at.day(),
        u8::from(at.month()),
        at.year(),
        at.hour(),
        at.minute()
    );
    (iso, shown)
}

/// Marks every message read.
pub async fn mark_read(mut ctx: Ctx, body: Bytes) -> Response {
    if let Err(err) = ctx.posted_form(&body) {
        return err.render(&ctx);
    }
    let Some(user) = ctx.user.clone() else {
        return super::redirect::login_required(&ctx, "/notifications");
    };
    let instance = ctx.instance.clone();
    if let Err(err) = notify::mark_all_read(&instance.db, instance.id(), &user.id).await {
        return WebError::from(err).render(&ctx);
    }
    ctx.done_to("/notifications", "notifications_read_done")
        .await
}
