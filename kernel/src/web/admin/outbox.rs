//! `/admin/outbox`: the mail the instance sends — waiting, sent, failed with the reason — and a
//! failed message sent again once the cause is fixed (a full mailbox emptied, a typo in an
//! address corrected).

use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::{PER_PAGE, admin, done, refused};
use crate::notify::MailState;
use crate::web::{Ctx, WebError};

#[derive(serde::Deserialize, Default)]
pub(super) struct OutboxQuery {
    /// `pending`, `sent` or `failed` (the default: what needs the administrator).
    state: Option<String>,
    page: Option<u32>,
}

pub(super) async fn list(ctx: Ctx, Query(query): Query<OutboxQuery>) -> Response {
    if let Err(response) = admin(&ctx, "/admin/outbox") {
        return *response;
    }
    let state: MailState = query
        .state
        .as_deref()
        .and_then(|state| state.parse().ok())
        .unwrap_or(MailState::Failed);
    let page = query.page.unwrap_or(1).max(1);
    let instance = &ctx.instance;
    let (db, id) = (&instance.db, instance.id());
    let mut counts = serde_json::Map::new();
    for each in [MailState::Pending, MailState::Sent, MailState::Failed] {
        match crate::notify::count(db, id, each).await {
            Ok(count) => counts.insert(each.as_str().to_owned(), count.into()),
            Err(err) => return WebError::from(err).render(&ctx),
        };
    }
    let offset = (page - 1).saturating_mul(PER_PAGE);
    let messages = match crate::notify::list(db, id, state, offset, PER_PAGE).await {
        Ok(messages) => messages,
        Err(err) => return WebError::from(err).render(&ctx),
    };
    let total = counts[state.as_str()].as_i64().unwrap_or_default();
    let more = i64::from(page) * i64::from(PER_PAGE) < total;
    super::render_or_json(
        &ctx,
        "admin_outbox.html",
        json!({
            "state": state.as_str(),
            "counts": counts,
            "messages": messages,
            "page": page,
            "previous": (page > 1).then(|| format!("/admin/outbox?state={}&page={}", state.as_str(), page - 1)),
            "next": more.then(|| format!("/admin/outbox?state={}&page={}", state.as_str(), page + 1)),
        }),
    )
}

pub(super) async fn retry(mut ctx: Ctx, Path(id): Path<String>, body: Bytes) -> Response {
    if let Err(err) = ctx.posted_form(&body) {
        return err.render(&ctx);
    }
    let me = match admin(&ctx, "/admin/outbox") {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let instance = &ctx.instance;
    let retried = crate::notify::retry(
        &instance.db,
        instance.id(),
        &id,
        Some(&me.username),
        "admin",
    );
    match retried.await {
        Ok(true) => {
            done(
                &mut ctx,
                "/admin/outbox?state=pending",
                "retried",
                json!({ "retried": id }),
            )
            .await
        }
        Ok(false) => refused(
            &ctx,
            StatusCode::CONFLICT,
            "conflict",
            "admin_outbox_not_failed",
        ),
        Err(err) => WebError::from(err).render(&ctx),
    }
}
