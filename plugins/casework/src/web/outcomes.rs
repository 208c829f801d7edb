//! The outcomes of the plans for supervisors: month by month, the reviews that compared the
//! household's situation with the one at intake, and how many found it better, the same or
//! worse — the figures the territory's `improved` indicator computes from the events casework
//! publishes (see [`crate::situation`]). Counts from 1 to 4 are shown as `< 5`.

use serde_json::{Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::{self, lang};
use trama_sdk::router::Params;
use trama_sdk::stats::{cell, percent};
use trama_sdk::{Result, local};

use super::SUPERVISORS;
use crate::config::Settings;
use crate::situation::{self, Scale};

/// The months, newest first, as published.
fn months() -> Result<Vec<Value>> {
    let reviews = situation::all_reviews()?;
    let lang = i18n::current();
    let mut months: Vec<Value> = situation::monthly(reviews.iter().map(|doc| &doc.data))
        .into_iter()
        .map(|m| {
            let (year, month) = m.month.split_once('-').unwrap_or((&m.month, "01"));
            let label = format!(
                "{} {year}",
                local::month_name(month.parse().unwrap_or(1), lang)
            );
            // A share only over five reviews at least, like every figure about people.
            let share = trama_sdk::stats::enough(m.compared)
                .then(|| percent(m.improved, m.compared))
                .flatten();
            json!({
                "month": m.month,
                "label": label,
                "compared": cell(m.compared),
                "improved": cell(m.improved),
                "unchanged": cell(m.unchanged),
                "worse": cell(m.worse),
                "improved_share": share,
            })
        })
        .collect();
    months.reverse();
    Ok(months)
}

fn context() -> Result<Value> {
    let scale = Scale::new(&Settings::load()?.situation_scale);
    Ok(json!({
        "on": scale.on(),
        "scale": scale.choices(),
        "months": months()?,
    }))
}

/// `GET /outcomes` (supervisors, admins)
pub fn page(request: Request, _: Params) -> Result<Response> {
    SUPERVISORS.require(lang(&request))?;
    Response::render("outcomes.html", &context()?)
}

/// `GET /api/outcomes` (supervisors, admins): `{on, scale: [{key, text}], months: [{month,
/// label, compared, improved, unchanged, worse, improved_share}]}`, newest month first, counts
/// as published (`"< 5"` from 1 to 4).
pub fn api(request: Request, _: Params) -> Result<Response> {
    SUPERVISORS.require(lang(&request))?;
    Response::json(&context()?)
}
