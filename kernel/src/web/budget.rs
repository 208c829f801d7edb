//! `/governance/budget`: the territory's fund and where the table allocated it — per measure
//! and per funder, allocated, committed, spent and remaining — for the members of the table and
//! administrators (HTML, JSON, and a CSV an Italian spreadsheet opens right). Administrators
//! record there the money each funder puts in (`POST /governance/budget/deposits`).

use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value as Json, json};
use trama_manifest::Funder;

use super::pages::{msg, page};
use super::{Ctx, WebError};
use crate::fund::{self, Fund, FunderLine, MeasureLine};
use crate::governance::{self, Board, GovernanceError};
use crate::theme::localized;

/// Whether the caller may see the budget: a member of the table or an administrator; the
/// answer says which, `Ok(true)` for an administrator (who may also record deposits).
async fn reader(ctx: &Ctx) -> Result<bool, Response> {
    let Some(user) = &ctx.user else {
        return Err(super::redirect::login_required(ctx, "/governance/budget"));
    };
    if user.has_role("admin") {
        return Ok(true);
    }
    let board = Board::new(ctx.instance.db.clone(), ctx.instance.id());
    match board.member(&user.id).await {
        Ok(Some(_)) if user.has_role("governance") => Ok(false),
        Ok(_) => Err(WebError::from(GovernanceError::NotMember).render(ctx)),
        Err(err) => Err(WebError::from(err).render(ctx)),
    }
}

fn words(ctx: &Ctx) -> governance::Words<'_> {
    governance::Words {
        catalogues: ctx.instance.theme.catalogues_ref(),
        locale: &ctx.locale,
    }
}

fn service_title(ctx: &Ctx, plugin: &str) -> String {
    ctx.instance
        .plugins
        .get(plugin)
        .and_then(|p| localized(&p.title, &ctx.locale))
        .unwrap_or(plugin)
        .to_owned()
}

fn kind_label(ctx: &Ctx, funder: &Funder) -> String {
    words(ctx).say(
        &format!("governance_budget.kind_{}", funder.kind.as_str()),
        &[],
    )
}

/// The choices of the table's allocation form: the funders with what their fund holds, and
/// every measure the services list. `offered` is false when the manifest declares no funders.
pub(super) async fn allocation_form(ctx: &Ctx) -> Json {
    let funders = &ctx.instance.manifest.budget.funders;
    if funders.is_empty() {
        return json!({ "offered": false });
    }
    let fund = Fund::new(ctx.instance.db.clone(), ctx.instance.id());
    let words = words(ctx);
    let mut choices = Vec::new();
    for funder in funders.values() {
        let available = fund.available(&funder.id).await.unwrap_or(0);
        choices.push(json!({
            "id": funder.id,
            "label": words.say("governance_budget.funder_choice", &[
                ("funder", funder.name.clone()),
                ("available", words.euros(available)),
            ]),
        }));
    }
    let mut measures = Vec::new();
    for listed in governance::measures(&ctx.instance).await {
        let service = service_title(ctx, &listed.plugin);
        for measure in listed.measures.unwrap_or_default() {
            measures.push(json!({
                "value": format!("{}/{}", listed.plugin, measure.id),
                "label": format!("{} — {service}", measure.title),
            }));
        }
    }
    json!({ "offered": true, "funders": choices, "measures": measures })
}

/// The lines of the budget and the services that could not list their measures.
async fn figures(ctx: &Ctx) -> Result<(Vec<MeasureLine>, Vec<FunderLine>, Vec<String>), WebError> {
    let fund = Fund::new(ctx.instance.db.clone(), ctx.instance.id());
    let books = fund.books().await.map_err(|err| match err {
        fund::FundError::Db(err) => WebError::Db(err),
        fund::FundError::Ledger(err) => WebError::Db(sea_orm::DbErr::Custom(err.to_string())),
    })?;
    let mut reported = Vec::new();
    let mut failed = Vec::new();
    for listed in governance::measures(&ctx.instance).await {
        match listed.measures {
            Ok(measures) => {
                reported.extend(measures.into_iter().map(|m| (listed.plugin.clone(), m)));
            }
            Err(_) => failed.push(service_title(ctx, &listed.plugin)),
        }
    }
    let funders: Vec<String> = ctx
        .instance
        .manifest
        .budget
        .funders
        .keys()
        .cloned()
        .collect();
    let (measures, funders) = fund::lines(&books, &funders, &reported);
    Ok((measures, funders, failed))
}

/// The page's data: every figure in cents and as the reader writes it.
async fn data(ctx: &Ctx, admin: bool) -> Result<Json, WebError> {
    let (measures, funders, failed) = figures(ctx).await?;
    let words = words(ctx);
    let euros = |cents: i64| words.euros(cents);
    let shown_measures: Vec<Json> = measures
        .iter()
        .map(|m| {
            json!({
                "plugin": m.plugin, "id": m.id, "title": m.title,
                "service": service_title(ctx, &m.plugin),
                "cents": { "allocated": m.allocated, "budget": m.budget, "committed": m.committed, "spent": m.spent, "remaining": m.remaining },
                "shown": { "allocated": euros(m.allocated), "budget": euros(m.budget), "committed": euros(m.committed), "spent": euros(m.spent), "remaining": euros(m.remaining) },
            })
        })
        .collect();
    let declared = &ctx.instance.manifest.budget.funders;
    let shown_funders: Vec<Json> = funders
        .iter()
        .filter_map(|f| {
            let funder = declared.get(&f.id)?;
            Some(json!({
                "id": f.id, "name": funder.name, "kind": funder.kind.as_str(),
                "kind_label": kind_label(ctx, funder),
                "cents": { "deposited": f.deposited, "allocated": f.allocated, "committed": f.committed, "spent": f.spent, "available": f.available },
                "shown": { "deposited": euros(f.deposited), "allocated": euros(f.allocated), "committed": euros(f.committed), "spent": euros(f.spent), "available": euros(f.available) },
            }))
        })
        .collect();
    let mut data = json!({
        "measures": shown_measures,
        "funders": shown_funders,
        "failed": failed,
        "admin": admin,
        "problems": {},
        "deposit": { "funder": "", "amount": "", "note": "" },
    });
    if admin {
        // One key per form shown: posting it twice (a double click, a reload) deposits once.
        data["deposit"]["key"] = json!(crate::docstore::new_id());
        data["deposit_funders"] = json!(
            declared
                .values()
                .map(|f| json!({ "id": f.id, "name": f.name }))
                .collect::<Vec<_>>()
        );
    }
    Ok(data)
}

pub async fn show(ctx: Ctx) -> Response {
    let admin = match reader(&ctx).await {
        Ok(admin) => admin,
        Err(response) => return response,
    };
    match data(&ctx, admin).await {
        Ok(data) if ctx.wants_html => page(&ctx, "budget.html", StatusCode::OK, data),
        Ok(data) => (StatusCode::OK, axum::Json(data)).into_response(),
        Err(err) => err.render(&ctx),
    }
}

/// A CSV cell: quoted when it holds the separator, a quote or a line break; a leading `=`,
/// `+`, `-` or `@` made text (a spreadsheet would run it as a formula).
fn cell(text: &str) -> String {
    csv_cell(text, ";")
}

/// [`cell`] for a file whose fields are separated by `separator` (`;` in Italian, `,` in
/// English): the indicators' exports use it too.
pub(super) fn csv_cell(text: &str, separator: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains(['"', '\n', '\r']) || text.contains(separator) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The budget as a CSV an Italian spreadsheet opens right: a byte-order mark, `;` between
/// fields, amounts with a decimal comma and no thousands separator.
pub async fn csv(ctx: Ctx) -> Response {
    if let Err(response) = reader(&ctx).await {
        return response;
    }
    let (measures, funders, _) = match figures(&ctx).await {
        Ok(figures) => figures,
        Err(err) => return err.render(&ctx),
    };
    let amount = |cents: i64| {
        let sign = if cents < 0 { "-" } else { "" };
        let abs = cents.unsigned_abs();
        format!("{sign}{},{:02}", abs / 100, abs % 100)
    };
    let words = words(&ctx);
    let head = |key: &str| words.say(&format!("governance_budget.csv_{key}"), &[]);
    let mut out = String::from("\u{feff}");
    let header = [
        "row",
        "id",
        "name",
        "deposited",
        "allocated",
        "budget",
        "committed",
        "spent",
        "remaining",
    ]
    .map(head);
    out.push_str(&header.join(";"));
    out.push_str("\r\n");
    let measure_row = head("row_measure");
    for m in &measures {
        let row = [
            measure_row.clone(),
            format!("{}/{}", m.plugin, m.id),
            m.title.clone(),
            String::new(),
            amount(m.allocated),
            amount(m.budget),
            amount(m.committed),
            amount(m.spent),
            amount(m.remaining),
        ];
        out.push_str(&row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(";"));
        out.push_str("\r\n");
    }
    let funder_row = head("row_funder");
    let declared = &ctx.instance.manifest.budget.funders;
    for f in &funders {
        let name = declared
            .get(&f.id)
            .map(|d| d.name.clone())
            .unwrap_or_default();
        let row = [
            funder_row.clone(),
            f.id.clone(),
            name,
            amount(f.deposited),
            amount(f.allocated),
            String::new(),
            amount(f.committed),
            amount(f.spent),
            amount(f.available),
        ];
        out.push_str(&row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(";"));
        out.push_str("\r\n");
    }
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"bilancio-fondo.csv\"",
            ),
        ],
        out,
    )
        .into_response()
}

/// An administrator records money a funder put into the fund: once per form key.
pub async fn deposit(mut ctx: Ctx, body: Bytes) -> Response {
    let form = match ctx.posted_form(&body) {
        Ok(form) => form,
        Err(err) => return err.render(&ctx),
    };
    match reader(&ctx).await {
        Ok(true) => {}
        Ok(false) => {
            return WebError::Refused {
                status: StatusCode::FORBIDDEN,
                kind: "forbidden",
                message: words(&ctx).say("governance_budget.admins_only", &[]),
            }
            .render(&ctx);
        }
        Err(response) => return response,
    }
    let Some(user) = ctx.user.clone() else {
        return super::redirect::login_required(&ctx, "/governance/budget");
    };
    let field = |name: &str| form.get(name).unwrap_or_default().trim().to_owned();
    let (funder_id, typed, key, note) = (
        field("funder"),
        field("amount"),
        field("key"),
        field("note"),
    );
    let words = words(&ctx);
    let funder = ctx.instance.manifest.budget.funder(&funder_id).cloned();
    let refusal: Option<(&str, String)> = match (&funder, trama_common::money::parse_euros(&typed))
    {
        (None, _) => Some(("funder", words.say("governance_budget.no_funder", &[]))),
        (_, Ok(cents)) if cents <= 0 => {
            Some(("amount", words.say("governance_budget.amount_zero", &[])))
        }
        (_, Err(_)) => Some((
            "amount",
            words.say(
                "governance_budget.amount_malformed",
                &[("amount", format!("«{typed}»"))],
            ),
        )),
        _ if key.is_empty() || key.len() > 64 || note.chars().count() > 500 => {
            Some(("amount", words.say("governance_budget.form_stale", &[])))
        }
        _ => None,
    };
    let (Some(funder), Ok(cents), None) =
        (funder, trama_common::money::parse_euros(&typed), &refusal)
    else {
        let (field, message) = refusal.unwrap_or(("amount", String::new()));
        if !ctx.wants_html {
            return WebError::Refused {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                kind: "invalid",
                message,
            }
            .render(&ctx);
        }
        return match data(&ctx, true).await {
            Ok(mut data) => {
                data["problems"] = json!({ field: message });
                data["error"] = json!(message);
                data["deposit"]["funder"] = json!(funder_id);
                data["deposit"]["amount"] = json!(typed);
                data["deposit"]["note"] = json!(note);
                page(&ctx, "budget.html", StatusCode::UNPROCESSABLE_ENTITY, data)
            }
            Err(err) => err.render(&ctx),
        };
    };
    let entry = crate::audit::Entry {
        instance: ctx.instance.id().to_owned(),
        actor: Some(user.id.clone()),
        plugin: None,
        action: "budget.deposited".into(),
        subject: format!("funder/{}", funder.id),
        detail: json!({ "funder": funder.id, "cents": cents, "note": note, "key": key })
            .to_string(),
    };
    let fund = Fund::new(ctx.instance.db.clone(), ctx.instance.id());
    match fund.deposit(&funder.id, cents, &key, &note, entry).await {
        Ok(moved) if ctx.wants_html => {
            let text = words.say(
                "governance_budget.deposit_done",
                &[
                    ("amount", words.euros(cents)),
                    ("funder", funder.name.clone()),
                ],
            );
            if moved.new {
                ctx.keep_notice(&text).await;
            }
            (ctx.jar.clone(), Redirect::to("/governance/budget")).into_response()
        }
        Ok(moved) => (
            if moved.new {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            },
            axum::Json(json!({ "funder": funder.id, "cents": cents, "new": moved.new })),
        )
            .into_response(),
        Err(err) => {
            tracing::warn!(%err, "a deposit was not recorded");
            WebError::Refused {
                status: StatusCode::CONFLICT,
                kind: "conflict",
                message: msg(&ctx, "conflict"),
            }
            .render(&ctx)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_are_quoted_and_never_formulas() {
        assert_eq!(cell("Buoni spesa"), "Buoni spesa");
        assert_eq!(cell("a;b"), "\"a;b\"");
        assert_eq!(cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
