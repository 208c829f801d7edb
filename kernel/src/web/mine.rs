//! `/me`: "my applications and bookings" — what the logged-in person asked for across every
//! service of the instance, gathered from each plugin that declares a `mine` route.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Ctx;
use super::pages::page;
use crate::theme::localized;

/// One application or booking, as a plugin lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Item {
    pub title: String,
    pub status: String,
    /// A path inside the instance; anything else is dropped.
    #[serde(default)]
    pub href: Option<String>,
}

/// The items of one service, or why they could not be listed.
#[derive(Debug, Serialize)]
struct Section {
    plugin: String,
    title: String,
    items: Vec<Item>,
    failed: bool,
}

/// Most items shown per service.
const PER_SERVICE: usize = 50;

pub async fn list(ctx: Ctx) -> Response {
    let Some(user) = ctx.user.clone() else {
        return super::redirect::login_required(&ctx, "/me");
    };
    let instance = ctx.instance.clone();
    let mut sections = Vec::new();
    for plugin in instance.plugins.values() {
        let Some(route) = &plugin.mine else { continue };
        let items: Option<Vec<Item>> = super::ask::get_json(&ctx, plugin, route, Some(&user)).await;
        let failed = items.is_none();
        let items = items
            .unwrap_or_default()
            .into_iter()
            .filter(|item| {
                item.href
                    .as_deref()
                    .is_none_or(crate::links::is_same_site_path)
            })
            .take(PER_SERVICE)
            .collect();
        sections.push(Section {
            plugin: plugin.name.clone(),
            title: localized(&plugin.title, &ctx.locale)
                .unwrap_or(&plugin.name)
                .to_owned(),
            items,
            failed,
        });
    }
    if !ctx.wants_html {
        return (StatusCode::OK, axum::Json(json!({ "services": sections }))).into_response();
    }
    // A person sees the services where they have something (or that could not answer), not a
    // heading with "nothing" under it for every service of the instance.
    let offered = sections.len();
    let shown: Vec<&Section> = sections
        .iter()
        .filter(|s| s.failed || !s.items.is_empty())
        .collect();
    page(
        &ctx,
        "me.html",
        StatusCode::OK,
        json!({ "services": shown, "offered": offered }),
    )
}
