//! `/cerca`: the header's search field. It finds the territory's services (each plugin's title
//! and description, in the visitor's language) and its own pages (legal notes, accessibility
//! statement, contacts, privacy notice), so that a citizen who types "affitto" or "contatti"
//! lands on the right page. Every word typed must appear, in any case and with or without
//! accents.

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::pages::page;
use super::{Ctx, WebError};
use crate::theme::Page;

/// Longer queries are cut: nobody types more to find a service.
const MAX_QUERY_CHARS: usize = 100;

#[derive(Debug, Deserialize)]
pub(super) struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// One thing found: where it is, what it is called and a line about it.
#[derive(Debug, Serialize)]
struct Hit {
    href: String,
    title: String,
    summary: String,
}

pub(super) async fn search(ctx: Ctx, Query(query): Query<SearchQuery>) -> Response {
    let typed: String = query.q.trim().chars().take(MAX_QUERY_CHARS).collect();
    let words: Vec<String> = fold(&typed).split_whitespace().map(str::to_owned).collect();
    let hits = if words.is_empty() {
        Vec::new()
    } else {
        match candidates(&ctx) {
            Ok(all) => all
                .into_iter()
                .filter(|(hit, text)| {
                    let haystack = fold(&format!("{} {} {}", hit.title, hit.summary, text));
                    words.iter().all(|word| haystack.contains(word.as_str()))
                })
                .map(|(hit, _)| hit)
                .collect(),
            Err(err) => return err.render(&ctx),
        }
    };
    let data = json!({ "q": typed, "hits": hits, "searched": !words.is_empty() });
    if !ctx.wants_html {
        return (StatusCode::OK, axum::Json(data)).into_response();
    }
    page(&ctx, "search.html", StatusCode::OK, data)
}

/// Everything the search looks through, with the text it matches besides title and summary.
fn candidates(ctx: &Ctx) -> Result<Vec<(Hit, String)>, WebError> {
    let locale = ctx.locale.as_str();
    let mut all: Vec<(Hit, String)> = ctx
        .instance
        .plugins
        .values()
        .map(|plugin| {
            let hit = Hit {
                href: format!("/p/{}/", plugin.name),
                title: crate::theme::localized(&plugin.title, locale)
                    .unwrap_or(&plugin.name)
                    .to_owned(),
                summary: crate::theme::localized(&plugin.description, locale)
                    .unwrap_or_default()
                    .to_owned(),
            };
            (hit, String::new())
        })
        .collect();
    let theme = ctx.instance.theme.clone();
    let catalogue = theme.catalogue(locale);
    let word = |key: &str| {
        catalogue
            .get(key)
            .and_then(|v| v.as_str())
            .unwrap_or(key)
            .to_owned()
    };
    for which in Page::ALL {
        if let Some(texts) = theme.page(which) {
            let text = ctx.theme_text(texts)?;
            all.push((
                Hit {
                    href: format!("/{}", which.slug()),
                    title: word(which.title_key()),
                    summary: String::new(),
                },
                strip_tags(&text.html),
            ));
        }
    }
    if let Some(notice) = theme.privacy() {
        let text = ctx.theme_text(notice.texts())?;
        all.push((
            Hit {
                href: "/privacy".to_owned(),
                title: word("privacy"),
                summary: String::new(),
            },
            strip_tags(&text.html),
        ));
    }
    Ok(all)
}

/// Lower case without accents, so that "Città" finds "citta" and "ISEE" finds "isee".
fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ä' => 'a',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ò' | 'ó' | 'ô' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ß' => 's',
            other => other,
        })
        .collect()
}

/// The words of a page the theme rendered from Markdown (its markup is the theme's own).
fn strip_tags(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_case_and_accents() {
        assert_eq!(fold("Città ÈRA Perché"), "citta era perche");
    }

    #[test]
    fn tags_are_not_searched() {
        assert_eq!(
            strip_tags("<p>Ufficio <a href=\"/x\">servizi</a></p>")
                .split_whitespace()
                .collect::<Vec<_>>(),
            ["Ufficio", "servizi"]
        );
    }
}
