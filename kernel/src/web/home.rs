//! `/`: the instance's services as cards, as Italian public services show theirs — what each
//! is, who it is for, and whether it takes requests now ("Aperto" / "Chiuso", with a note),
//! asked of every plugin that declares a `status` route.

use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::Ctx;
use super::pages::page;
use crate::theme::localized;

/// A plugin's answer (`trama_sdk::availability::Availability`).
#[derive(Debug, Deserialize)]
struct Availability {
    open: bool,
    #[serde(default)]
    note: Option<String>,
}

/// The longest note shown, in characters (`trama_sdk::availability::NOTE_MAX`).
const NOTE_MAX: usize = 160;

pub async fn home(ctx: Ctx) -> Response {
    let instance = ctx.instance.clone();
    let mut cards = Vec::new();
    for plugin in instance.plugins.values() {
        let availability = match &plugin.status {
            Some(route) => super::ask::get_json::<Availability>(&ctx, plugin, route, None).await,
            None => None,
        };
        let note = availability
            .as_ref()
            .and_then(|a| a.note.as_deref())
            .map(|note| note.chars().take(NOTE_MAX).collect::<String>());
        cards.push(json!({
            "name": plugin.name,
            "title": localized(&plugin.title, &ctx.locale).unwrap_or(&plugin.name),
            "description": localized(&plugin.description, &ctx.locale).unwrap_or(""),
            "audience": localized(&plugin.audience, &ctx.locale).unwrap_or(""),
            "href": format!("/p/{}/", plugin.name),
            // None: the plugin says nothing of it (or could not answer): no tag.
            "open": availability.as_ref().map(|a| a.open),
            "note": note,
        }));
    }
    page(&ctx, "home.html", StatusCode::OK, json!({ "cards": cards }))
}
