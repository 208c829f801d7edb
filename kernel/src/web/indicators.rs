//! The territory's indicators on the web.
//!
//! - `/indicators` (no login): the indicators the scientific committee validated, month by
//!   month with their target, a chart and its data table; `/indicators/open-data.csv` the same
//!   figures as open data. Both public views hide any cell standing for fewer than five people
//!   ([`crate::indicators::SMALL_CELL`]), and a month's total when one of its groups is hidden
//!   (else the total less the other groups would tell it).
//! - `/governance/indicators` (administrators, operators, the table's members and the
//!   scientific committee): every indicator with its exact figures, whether its definition is
//!   validated, and for the committee the button that validates it; JSON by `Accept`, and
//!   `/governance/indicators.csv`.
//! - `/fleet/indicators`: `super::fleet_report`.

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value as Json, json};
use trama_manifest::{Aggregate, Indicator, Unit};

use super::chart::{self, Bar};
use super::pages::page;
use super::{Ctx, WebError};
use crate::governance::{Board, GovernanceError, Words};
use crate::indicators::validation::{self, Validated};
use crate::indicators::{self, Cell, Series};
use crate::instance::Instance;

/// The role of the scientific committee, which validates indicator definitions.
pub const COMMITTEE: &str = "scientific_committee";

pub(super) fn words<'a>(instance: &'a Instance, locale: &'a str) -> Words<'a> {
    Words {
        catalogues: instance.theme.catalogues_ref(),
        locale,
    }
}

/// One indicator with its figures and its validation.
pub(super) struct Figures {
    pub indicator: Indicator,
    pub series: Series,
    pub validated: Option<Validated>,
}

/// Every indicator of `instance` (only the validated ones when `published`), in id order.
pub(super) async fn figures(
    instance: &Instance,
    published: bool,
) -> Result<Vec<Figures>, WebError> {
    let mut all = Vec::new();
    for indicator in instance.manifest.indicators.indicators.values() {
        let validated = validation::of(&instance.db, instance.id(), indicator).await?;
        if published && validated.is_none() {
            continue;
        }
        let series = indicators::series(&instance.db, instance.id(), indicator).await?;
        all.push(Figures {
            indicator: indicator.clone(),
            series,
            validated,
        });
    }
    Ok(all)
}

/// A value in the indicator's unit as the reader writes it: euros, hours with one decimal,
/// whole numbers with the reader's thousands separator.
pub(super) fn shown(words: &Words<'_>, unit: Unit, value: i64) -> String {
    let (thousands, decimal) = if words.locale == "en" {
        (',', '.')
    } else {
        ('.', ',')
    };
    let sign = if value < 0 { "-" } else { "" };
    match unit {
        Unit::Euro => words.euros(value),
        Unit::Hours => {
            let tenths = (value.unsigned_abs() * 10 + 30) / 60;
            let whole = trama_common::money::group_digits(tenths / 10, thousands);
            format!("{sign}{whole}{decimal}{}", tenths % 10)
        }
        _ => format!(
            "{sign}{}",
            trama_common::money::group_digits(value.unsigned_abs(), thousands)
        ),
    }
}

/// A value for a spreadsheet: no thousands separator, the reader's decimal mark.
pub(super) fn sheet_value(locale: &str, unit: Unit, value: i64) -> String {
    let decimal = if locale == "en" { '.' } else { ',' };
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.unsigned_abs();
    match unit {
        Unit::Euro => format!("{sign}{}{decimal}{:02}", abs / 100, abs % 100),
        Unit::Hours => {
            let tenths = (abs * 10 + 30) / 60;
            format!("{sign}{}{decimal}{}", tenths / 10, tenths % 10)
        }
        _ => value.to_string(),
    }
}

/// `2026-12` as `dicembre 2026`.
pub(super) fn month_label(words: &Words<'_>, month: &str) -> String {
    let (year, m) = month.split_once('-').unwrap_or((month, "01"));
    format!("{} {year}", words.say(&format!("sdk.months.m{m}"), &[]))
}

/// A group's label: its value, or "not stated".
fn group_label(words: &Words<'_>, group: &str) -> String {
    if group.is_empty() {
        words.say("indicators.not_stated", &[])
    } else {
        group.to_owned()
    }
}

/// One indicator as the pages and the JSON show it. `public`: small cells hidden.
pub(super) fn view(words: &Words<'_>, figures: &Figures, public: bool) -> Json {
    let Figures {
        indicator,
        series,
        validated,
    } = figures;
    let unit = indicator.unit;
    let target = indicator.target.saturating_mul(unit.scale());
    let grouped = indicator.group_by.is_some();
    // An outcome counted out of its subjects (improved, at least) is shown as "5 of 6".
    let out_of = matches!(
        indicator.aggregate,
        Aggregate::Improved { .. } | Aggregate::AtLeast { .. }
    );
    let cell_json = |cell: &Cell, hidden: bool| {
        if hidden {
            json!({ "value": null, "shown": words.say("indicators.suppressed", &[]), "suppressed": true, "subjects": null })
        } else {
            let mut text = shown(words, unit, cell.value);
            if out_of && cell.subjects > 0 {
                text = words.say(
                    "indicators.out_of",
                    &[
                        ("value", text),
                        ("subjects", shown(words, unit, cell.subjects)),
                    ],
                );
            }
            json!({ "value": cell.value, "shown": text, "suppressed": false, "subjects": cell.subjects })
        }
    };
    let mut months = Vec::new();
    let mut bars = Vec::new();
    for month in &series.months {
        let cells: Vec<(Cell, bool)> = series
            .groups
            .iter()
            .map(|group| {
                let cell = series.cell(month, group);
                let hidden = public && cell.small();
                (cell, hidden)
            })
            .collect();
        let total = series.total(month);
        let total_hidden = public && (total.small() || cells.iter().any(|(_, hidden)| *hidden));
        bars.push(Bar {
            label: month_label(words, month),
            value: if total_hidden { 0 } else { total.value },
        });
        months.push(json!({
            "month": month,
            "label": month_label(words, month),
            "total": cell_json(&total, total_hidden),
            "groups": cells.iter().map(|(cell, hidden)| cell_json(cell, *hidden)).collect::<Vec<_>>(),
            "met": !total_hidden && target > 0 && total.value >= target,
        }));
    }
    let title = indicator.title_in(words.locale).to_owned();
    let svg = chart::bars(
        &title,
        &bars,
        target,
        &words.say("indicators.target", &[]),
        |value| shown(words, unit, value),
    );
    json!({
        "id": indicator.id,
        "title": title,
        "kind": indicator.kind,
        "kind_label": words.say(&format!("indicators.kind_{}", json!(indicator.kind).as_str().unwrap_or("output")), &[]),
        "unit": unit.as_str(),
        "unit_label": words.say(&format!("indicators.unit_{}", unit.as_str()), &[]),
        "event": indicator.event,
        "aggregate": indicator.aggregate,
        "group_by": indicator.group_by,
        "target": { "value": target, "shown": shown(words, unit, target) },
        "published": validated.is_some(),
        "validated": validated.as_ref().map(|v| json!({ "by": v.by, "at": v.at })),
        "grouped": grouped,
        "groups": series.groups.iter().map(|g| group_label(words, g)).collect::<Vec<_>>(),
        "months": months,
        "chart": svg,
    })
}

/// The public page of the territory's published indicators (no login).
pub async fn public(ctx: Ctx) -> Response {
    let words = words(&ctx.instance, &ctx.locale);
    match figures(&ctx.instance, true).await {
        Ok(all) => {
            let shown: Vec<Json> = all.iter().map(|f| view(&words, f, true)).collect();
            let data = json!({ "indicators": shown, "dashboard": false });
            if ctx.wants_html {
                page(&ctx, "indicators.html", StatusCode::OK, data)
            } else {
                (StatusCode::OK, axum::Json(data)).into_response()
            }
        }
        Err(err) => err.render(&ctx),
    }
}

/// Who may read the dashboard: `Ok(true)` for the scientific committee (who may validate).
async fn reader(ctx: &Ctx) -> Result<bool, Response> {
    let Some(user) = &ctx.user else {
        return Err(super::redirect::login_required(
            ctx,
            "/governance/indicators",
        ));
    };
    let committee = user.has_role(COMMITTEE);
    if committee || user.has_role("admin") || user.has_role("operator") {
        return Ok(committee);
    }
    let board = Board::new(ctx.instance.db.clone(), ctx.instance.id());
    match board.member(&user.id).await {
        Ok(Some(_)) if user.has_role("governance") => Ok(false),
        Ok(_) => Err(WebError::from(GovernanceError::NotMember).render(ctx)),
        Err(err) => Err(WebError::from(err).render(ctx)),
    }
}

/// The dashboard of every indicator, for the table and the operators (HTML or JSON).
pub async fn dashboard(ctx: Ctx) -> Response {
    let committee = match reader(&ctx).await {
        Ok(committee) => committee,
        Err(response) => return response,
    };
    let words = words(&ctx.instance, &ctx.locale);
    match figures(&ctx.instance, false).await {
        Ok(all) => {
            let shown: Vec<Json> = all.iter().map(|f| view(&words, f, false)).collect();
            let data = json!({ "indicators": shown, "dashboard": true, "committee": committee });
            if ctx.wants_html {
                page(&ctx, "indicators.html", StatusCode::OK, data)
            } else {
                (StatusCode::OK, axum::Json(data)).into_response()
            }
        }
        Err(err) => err.render(&ctx),
    }
}

/// The header of the indicators' CSV files, in the reader's language.
pub(super) fn csv_header(words: &Words<'_>, with_instance: bool) -> Vec<String> {
    let mut columns = Vec::new();
    if with_instance {
        columns.push("territory");
    }
    columns.extend([
        "indicator",
        "title",
        "kind",
        "month",
        "group",
        "value",
        "unit",
        "target",
        "note",
    ]);
    columns
        .into_iter()
        .map(|column| words.say(&format!("indicators.csv_{column}"), &[]))
        .collect()
}

/// The CSV rows of one indicator: one per month and group (and, for a grouped indicator, none
/// for the total, which a spreadsheet adds up). `public`: small cells left empty and noted.
pub(super) fn csv_rows(words: &Words<'_>, figures: &Figures, public: bool) -> Vec<Vec<String>> {
    let indicator = &figures.indicator;
    let unit = indicator.unit;
    let target = sheet_value(
        words.locale,
        unit,
        indicator.target.saturating_mul(unit.scale()),
    );
    let mut rows = Vec::new();
    for month in &figures.series.months {
        for group in &figures.series.groups {
            let cell = figures.series.cell(month, group);
            let hidden = public && cell.small();
            rows.push(vec![
                indicator.id.clone(),
                indicator.title_in(words.locale).to_owned(),
                words.say(
                    &format!(
                        "indicators.kind_{}",
                        json!(indicator.kind).as_str().unwrap_or("output")
                    ),
                    &[],
                ),
                month.clone(),
                if indicator.group_by.is_some() {
                    group_label(words, group)
                } else {
                    String::new()
                },
                if hidden {
                    String::new()
                } else {
                    sheet_value(words.locale, unit, cell.value)
                },
                words.say(&format!("indicators.unit_{}", unit.as_str()), &[]),
                target.clone(),
                if hidden {
                    words.say("indicators.suppressed_note", &[])
                } else {
                    String::new()
                },
            ]);
        }
    }
    rows
}

/// A CSV an Italian spreadsheet opens right (byte-order mark, `;` in Italian), as a download.
pub(super) fn csv_response(
    locale: &str,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
    file: &str,
) -> Response {
    let separator = if locale == "en" { ',' } else { ';' };
    let mut out = String::from(trama_common::csv::BOM);
    for row in std::iter::once(columns).chain(rows) {
        trama_common::csv::push_record(&mut out, &row, separator);
    }
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        out,
    )
        .into_response()
}

/// Every indicator with its exact figures, for the table and the operators.
pub async fn dashboard_csv(ctx: Ctx) -> Response {
    if let Err(response) = reader(&ctx).await {
        return response;
    }
    let words = words(&ctx.instance, &ctx.locale);
    match figures(&ctx.instance, false).await {
        Ok(all) => {
            let rows = all
                .iter()
                .flat_map(|f| csv_rows(&words, f, false))
                .collect();
            csv_response(
                &ctx.locale,
                csv_header(&words, false),
                rows,
                "indicatori.csv",
            )
        }
        Err(err) => err.render(&ctx),
    }
}

/// The published indicators as open data, small cells suppressed (no login).
pub async fn open_data(ctx: Ctx) -> Response {
    let words = words(&ctx.instance, &ctx.locale);
    match figures(&ctx.instance, true).await {
        Ok(all) => {
            let rows = all.iter().flat_map(|f| csv_rows(&words, f, true)).collect();
            csv_response(
                &ctx.locale,
                csv_header(&words, false),
                rows,
                "indicatori-open-data.csv",
            )
        }
        Err(err) => err.render(&ctx),
    }
}

/// A member of the scientific committee validates an indicator's current definition.
pub async fn validate(mut ctx: Ctx, Path(id): Path<String>, body: Bytes) -> Response {
    if let Err(err) = ctx.posted_form(&body) {
        return err.render(&ctx);
    }
    let Some(user) = ctx.user.clone() else {
        return super::redirect::login_required(&ctx, "/governance/indicators");
    };
    let words = words(&ctx.instance, &ctx.locale);
    if !user.has_role(COMMITTEE) {
        return WebError::Refused {
            status: StatusCode::FORBIDDEN,
            kind: "forbidden",
            message: words.say("indicators.committee_only", &[]),
        }
        .render(&ctx);
    }
    let Some(indicator) = ctx
        .instance
        .manifest
        .indicators
        .indicators
        .get(&id)
        .cloned()
    else {
        return WebError::NotFound.render(&ctx);
    };
    let entry = crate::audit::Entry {
        instance: ctx.instance.id().to_owned(),
        actor: Some(user.id.clone()),
        plugin: None,
        action: "indicator.validated".into(),
        subject: format!("indicator/{id}"),
        detail: json!({
            "fingerprint": validation::fingerprint(&indicator),
            "definition": indicator.definition(),
        })
        .to_string(),
    };
    let now = crate::clock::now_ms();
    match validation::validate(
        &ctx.instance.db,
        ctx.instance.id(),
        &indicator,
        &user.username,
        now,
        entry,
    )
    .await
    {
        Ok(_) if ctx.wants_html => {
            let title = indicator.title_in(&ctx.locale).to_owned();
            let text = words.say("indicators.validated_done", &[("title", title)]);
            ctx.keep_notice(&text).await;
            (ctx.jar.clone(), Redirect::to("/governance/indicators")).into_response()
        }
        Ok(new) => (
            if new {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            },
            axum::Json(json!({ "id": id, "validated": true, "new": new })),
        )
            .into_response(),
        Err(err) => WebError::Db(err).render(&ctx),
    }
}
