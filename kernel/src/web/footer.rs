//! The territory's pages every footer links: `/note-legali`, `/accessibilita`, `/contatti` (see
//! `crate::theme::Page`), public, in the visitor's language.

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::pages::page;
use super::{AppState, Ctx, WebError};
use crate::theme::Page;

pub(super) fn router() -> Router<AppState> {
    let mut router = Router::new();
    for which in Page::ALL {
        router = router.route(
            &format!("/{}", which.slug()),
            get(move |ctx: Ctx| show(ctx, which)),
        );
    }
    router
}

/// The page in the visitor's language (else the instance's, else Italian); 404 when the theme
/// has none.
async fn show(ctx: Ctx, which: Page) -> Response {
    let theme = ctx.instance.theme.clone();
    let Some(texts) = theme.page(which) else {
        return WebError::NotFound.render(&ctx);
    };
    let text = match ctx.theme_text(texts) {
        Ok(text) => text,
        Err(err) => return err.render(&ctx),
    };
    let data = json!({
        "page": which.slug(),
        "title_key": which.title_key(),
        "text_html": text.html,
        "text_lang": text.lang,
    });
    if !ctx.wants_html {
        return (StatusCode::OK, axum::Json(data)).into_response();
    }
    page(&ctx, "footer_page.html", StatusCode::OK, data)
}
