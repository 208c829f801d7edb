//! `/admin/seats`: who sits on the coordination table and for which organisation. A seat comes
//! with the role `governance`; taking the seat away takes the role with it.

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::{admin, admin_form, done, refused};
use crate::audit;
use crate::board::Board;
use crate::web::{Ctx, WebError};

pub(super) async fn list(ctx: Ctx) -> Response {
    if let Err(response) = admin(&ctx, "/admin/seats") {
        return *response;
    }
    let board = Board::new(ctx.instance.db.clone(), ctx.instance.id());
    let members = match board.members().await {
        Ok(members) => members,
        Err(err) => return WebError::from(err).render(&ctx),
    };
    super::render_or_json(&ctx, "admin_seats.html", json!({ "members": members }))
}

/// `username=…&organisation=…`: seats an existing account (or changes the organisation it
/// stands for).
pub(super) async fn add(mut ctx: Ctx, body: Bytes) -> Response {
    let (form, me) = match admin_form(&ctx, &body, "/admin/seats") {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    let username = form
        .get("username")
        .unwrap_or_default()
        .trim()
        .to_lowercase();
    let organisation = form.get("organisation").unwrap_or_default().trim();
    if organisation.is_empty() || organisation.chars().count() > 120 {
        return refused(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "admin_seat_organisation",
        );
    }
    let instance = &ctx.instance;
    let user =
        match crate::auth::users::find_by_username(&instance.db, instance.id(), &username).await {
            Ok(Some(user)) => user,
            Ok(None) => {
                return refused(
                    &ctx,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    "admin_seat_no_account",
                );
            }
            Err(err) => return WebError::from(err).render(&ctx),
        };
    let entry = audit::Entry {
        instance: instance.id().to_owned(),
        actor: Some(me.username.clone()),
        plugin: None,
        action: "governance.member_added".into(),
        subject: user.id.clone(),
        detail: json!({ "username": user.username, "organisation": organisation, "via": "admin" })
            .to_string(),
    };
    let board = Board::new(instance.db.clone(), instance.id());
    if let Err(err) = board.add_member(&user.id, organisation, entry).await {
        return WebError::from(err).render(&ctx);
    }
    let data = json!({ "seated": user.username, "organisation": organisation });
    done(&mut ctx, "/admin/seats", "seated", data).await
}

pub(super) async fn remove(mut ctx: Ctx, Path(id): Path<String>, body: Bytes) -> Response {
    if let Err(err) = ctx.posted_form(&body) {
        return err.render(&ctx);
    }
    let me = match admin(&ctx, "/admin/seats") {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let instance = &ctx.instance;
    let board = Board::new(instance.db.clone(), instance.id());
    let entry = |member: &crate::board::Member| audit::Entry {
        instance: instance.id().to_owned(),
        actor: Some(me.username.clone()),
        plugin: None,
        action: "governance.member_removed".into(),
        subject: member.user_id.clone(),
        detail: json!({
            "username": member.username, "organisation": member.organisation, "via": "admin",
        })
        .to_string(),
    };
    let removed = match board.remove_member(&id, entry).await {
        Ok(removed) => removed,
        Err(err) => return WebError::from(err).render(&ctx),
    };
    let Some(member) = removed else {
        return WebError::NotFound.render(&ctx);
    };
    let data = json!({ "unseated": member.username });
    done(&mut ctx, "/admin/seats", "unseated", data).await
}
