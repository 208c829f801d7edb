//! `/fleet/indicators`: the cooperative's view across every territory this process serves —
//! each instance with its published indicators, month by month against their targets (HTML,
//! JSON by `Accept`, and `/fleet/indicators.csv`).
//!
//! Who sees it is a deployment's choice, not a territory's: the server settings name one
//! instance (`fleet_report` in `[server]`, `--fleet-report`, `TRAMA_FLEET_REPORT`), the
//! cooperative's own, and its administrators see the report on its hosts. On any other host,
//! or with none named, the page does not exist (404): a territory's visitors never learn
//! which others share the process. The figures are the public ones, small cells suppressed:
//! the report crosses territories, so it carries nothing a territory does not publish.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json, json};

use super::indicators::{csv_header, csv_response, csv_rows, figures, view, words};
use super::pages::page;
use super::{AppState, Ctx, WebError};

/// The answer refusing the caller the fleet report here; `None` when they may read it.
fn refusal(state: &AppState, ctx: &Ctx) -> Option<Response> {
    if state.fleet_report.as_deref() != Some(ctx.instance.id()) {
        return Some(WebError::NotFound.render(ctx));
    }
    let Some(user) = &ctx.user else {
        return Some(super::redirect::login_required(ctx, "/fleet/indicators"));
    };
    if !user.has_role("admin") {
        return Some(
            WebError::Refused {
                status: StatusCode::FORBIDDEN,
                kind: "forbidden",
                message: words(&ctx.instance, &ctx.locale).say("indicators.fleet_admins_only", &[]),
            }
            .render(ctx),
        );
    }
    None
}

/// Every served instance, by id, with the figures of its published indicators.
async fn territories(
    state: &AppState,
) -> Result<
    Vec<(
        std::sync::Arc<crate::instance::Instance>,
        Vec<super::indicators::Figures>,
    )>,
    WebError,
> {
    let mut all: Vec<_> = state
        .instances
        .all()
        .iter()
        .map(|live| live.current())
        .collect();
    all.sort_by(|a, b| a.id().cmp(b.id()));
    let mut out = Vec::with_capacity(all.len());
    for instance in all {
        let published = figures(&instance, true).await?;
        out.push((instance, published));
    }
    Ok(out)
}

pub async fn fleet(State(state): State<AppState>, ctx: Ctx) -> Response {
    if let Some(response) = refusal(&state, &ctx) {
        return response;
    }
    let words = words(&ctx.instance, &ctx.locale);
    let territories = match territories(&state).await {
        Ok(territories) => territories,
        Err(err) => return err.render(&ctx),
    };
    let shown: Vec<Json> = territories
        .iter()
        .map(|(instance, published)| {
            json!({
                "id": instance.id(),
                "name": instance.manifest.instance.name,
                "indicators": published.iter().map(|f| view(&words, f, true)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let data = json!({ "territories": shown });
    if ctx.wants_html {
        page(&ctx, "fleet_indicators.html", StatusCode::OK, data)
    } else {
        (StatusCode::OK, axum::Json(data)).into_response()
    }
}

pub async fn fleet_csv(State(state): State<AppState>, ctx: Ctx) -> Response {
    if let Some(response) = refusal(&state, &ctx) {
        return response;
    }
    let words = words(&ctx.instance, &ctx.locale);
    let territories = match territories(&state).await {
        Ok(territories) => territories,
        Err(err) => return err.render(&ctx),
    };
    let mut rows = Vec::new();
    for (instance, published) in &territories {
        for figures in published {
            for mut row in csv_rows(&words, figures, true) {
                row.insert(0, instance.manifest.instance.name.clone());
                rows.push(row);
            }
        }
    }
    csv_response(
        &ctx.locale,
        csv_header(&words, true),
        rows,
        "indicatori-territori.csv",
    )
}
