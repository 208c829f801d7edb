//! `/me/wallet`: the person's welfare wallet on one page — every purse the services of the
//! instance offer them (public support, company credit), what they can spend today, and each
//! charge with what credits paid and what they paid directly (see [`crate::wallet`]).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json, json};

use super::pages::page;
use super::{Ctx, WebError};
use crate::theme::localized;
use crate::wallet::{Purse, Wallet};

/// A day `YYYY-MM-DD` as people in the territory write it, `31/12/2026`.
fn day(text: &str) -> String {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_else(|_| text.to_owned())
}

pub async fn show(ctx: Ctx) -> Response {
    let Some(user) = ctx.user.clone() else {
        return super::redirect::login_required(&ctx, "/me/wallet");
    };
    let wallet = Wallet::new(ctx.instance.db.clone(), ctx.instance.id());
    let today = crate::clock::today();
    let summary = match wallet
        .summary(ctx.instance.db.conn(), &user.id, &today)
        .await
    {
        Ok(summary) => summary,
        Err(crate::wallet::WalletError::Internal(err)) => {
            return WebError::Db(sea_orm::DbErr::Custom(err)).render(&ctx);
        }
        Err(other) => return WebError::BadRequest(other.to_string()).render(&ctx),
    };
    if !ctx.wants_html {
        return (StatusCode::OK, axum::Json(json!({ "wallet": summary }))).into_response();
    }
    let words = crate::governance::Words {
        catalogues: ctx.instance.theme.catalogues_ref(),
        locale: &ctx.locale,
    };
    let service = |plugin: &str| -> String {
        ctx.instance
            .plugins
            .get(plugin)
            .and_then(|p| localized(&p.title, &ctx.locale))
            .unwrap_or(plugin)
            .to_owned()
    };
    let purse = |p: &Purse| -> Json {
        json!({
            "label": p.label,
            "service": service(&p.owner),
            "categories": p.categories,
            "valid_from": p.valid_from.as_deref().map(day),
            "valid_until": p.valid_until.as_deref().map(day),
            "balance": words.euros(p.balance),
            "withdrawn": p.withdrawn,
            "state": p.state_on(&today),
        })
    };
    let movements: Vec<Json> = summary
        .movements
        .iter()
        .map(|m| {
            json!({
                "at": m.charge.at,
                "memo": m.charge.memo,
                "service": service(&m.charge.charger),
                "category": m.charge.category,
                "amount": words.euros(m.charge.amount),
                "cancelled": m.charge.amount == 0,
                "drawn": m.charge.drawn.iter().map(|d| json!({
                    "label": d.label,
                    "amount": words.euros(d.amount),
                })).collect::<Vec<_>>(),
                "directly": words.euros(m.charge.uncovered),
            })
        })
        .collect();
    page(
        &ctx,
        "wallet.html",
        StatusCode::OK,
        json!({
            "usable": summary.usable.iter().map(purse).collect::<Vec<_>>(),
            "other": summary.other.iter().map(purse).collect::<Vec<_>>(),
            "available": words.euros(summary.available),
            "movements": movements,
            "paid_by_credit": words.euros(summary.paid_by_credit),
            "paid_directly": words.euros(summary.paid_directly),
        }),
    )
}
