//! Carrying out a person's erasure request (`POST /admin/accounts/{id}/erase`): every service
//! erases or pseudonymises its part, then the account is pseudonymised (`crate::privacy`).
//! The administrator confirms by typing the account's username, since nothing undoes it.

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::{actor, admin_form, done, refused};
use crate::privacy::erasure;
use crate::web::Ctx;

pub(super) async fn erase(mut ctx: Ctx, Path(id): Path<String>, body: Bytes) -> Response {
    let (form, me) = match admin_form(&ctx, &body, &format!("/admin/accounts/{id}")) {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    let instance = &ctx.instance;
    let account = match crate::auth::users::find_by_id(&instance.db, instance.id(), &id).await {
        Ok(Some(account)) => account,
        Ok(None) => return crate::web::WebError::NotFound.render(&ctx),
        Err(err) => return crate::web::WebError::from(err).render(&ctx),
    };
    if form.get("confirm_username").map(str::trim) != Some(account.username.as_str()) {
        return refused(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "admin_erase_confirm",
        );
    }
    match erasure::carry_out(instance, &id, actor(&me)).await {
        Ok(services) => {
            let location = format!("/admin/accounts/{id}");
            done(
                &mut ctx,
                &location,
                "erased",
                json!({ "services": services }),
            )
            .await
        }
        Err(err) => crate::web::privacy::privacy_refusal(&ctx, err),
    }
}
