//! `/admin/invitations`: a new operator, shop, tutor or committee member is invited by e-mail
//! with the roles they need; they choose their own password through a single-use link that
//! expires in a week (`auth::recovery`). The administrator never knows their password.

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::{actor, admin, admin_form, auth_refusal, done};
use crate::auth::recovery::{self, Invitation};
use crate::auth::tokens::Purpose;
use crate::web::account::{hours, words};
use crate::web::pages::{msg, page};
use crate::web::{Ctx, WebError};

pub(super) async fn form(ctx: Ctx) -> Response {
    if let Err(response) = admin(&ctx, "/admin/invitations") {
        return *response;
    }
    invitation_page(&ctx, StatusCode::OK, json!({}), None)
}

/// The form, with what was typed and the refusal when there is one.
fn invitation_page(
    ctx: &Ctx,
    status: StatusCode,
    typed: serde_json::Value,
    error: Option<String>,
) -> Response {
    let roles: Vec<_> = super::accounts::roles_shown(ctx)
        .into_iter()
        .filter(|role| role["role"] != "governance")
        .collect();
    page(
        ctx,
        "admin_invite.html",
        status,
        json!({ "roles": roles, "typed": typed, "error": error }),
    )
}

pub(super) async fn send(mut ctx: Ctx, body: Bytes) -> Response {
    let (form, me) = match admin_form(&ctx, &body, "/admin/invitations") {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    let email = form.get("email").unwrap_or_default().trim().to_lowercase();
    let display_name = form
        .get("display_name")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let roles: Vec<String> = form.all("role").into_iter().map(str::to_owned).collect();
    let typed = json!({ "email": email, "display_name": display_name, "roles": roles });
    if roles.iter().any(|role| role == "governance") {
        let error = msg(&ctx, "admin_governance_via_seats");
        return invitation_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, typed, Some(error));
    }
    let instance = &ctx.instance;
    let declared = instance.declared_roles();
    let invitation = Invitation {
        email: &email,
        display_name: &display_name,
        roles: &roles,
    };
    // The invited person has chosen no language yet: the instance's own.
    let locale = instance.manifest.instance.locale.clone();
    let mail = words(
        &ctx,
        &locale,
        "mail_invite",
        &display_name,
        hours(Purpose::Invite),
    );
    match recovery::invite(
        &instance.db,
        instance.id(),
        &declared,
        &invitation,
        actor(&me),
        mail,
    )
    .await
    {
        Ok(user) => {
            done(
                &mut ctx,
                &format!("/admin/accounts/{}", user.id),
                "invited",
                json!({ "account": user }),
            )
            .await
        }
        Err(crate::auth::AuthError::UsernameTaken(_)) => {
            let error = msg(&ctx, "admin_invite_taken");
            invitation_page(&ctx, StatusCode::CONFLICT, typed, Some(error))
        }
        Err(crate::auth::AuthError::Field(field)) if ctx.wants_html => {
            let error = msg(&ctx, field.key());
            invitation_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, typed, Some(error))
        }
        Err(err) => auth_refusal(&ctx, err),
    }
}

pub(super) async fn resend(mut ctx: Ctx, Path(id): Path<String>, body: Bytes) -> Response {
    if let Err(err) = ctx.posted_form(&body) {
        return err.render(&ctx);
    }
    let me = match admin(&ctx, &format!("/admin/accounts/{id}")) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let instance = &ctx.instance;
    let account = match crate::auth::accounts::get(&instance.db, instance.id(), &id).await {
        Ok(Some(account)) => account,
        Ok(None) => return WebError::NotFound.render(&ctx),
        Err(err) => return WebError::from(err).render(&ctx),
    };
    let locale = instance.manifest.instance.locale.clone();
    let mail = words(
        &ctx,
        &locale,
        "mail_invite",
        &account.display_name,
        hours(Purpose::Invite),
    );
    match recovery::reinvite(&instance.db, instance.id(), &id, actor(&me), mail).await {
        Ok(()) => {
            done(
                &mut ctx,
                &format!("/admin/accounts/{id}"),
                "invited",
                json!({ "sent": true }),
            )
            .await
        }
        Err(err) => auth_refusal(&ctx, err),
    }
}
