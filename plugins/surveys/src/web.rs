//! The HTTP side: the questionnaire (no login: the link is the key), the page that says how
//! answers are kept, and the operators' results with their JSON twin and CSV.

use serde_json::{Value, json};
use trama_sdk::csv::Sheet;
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::{self, lang};
use trama_sdk::input::{FormState, with_form};
use trama_sdk::router::Params;
use trama_sdk::submit::Submission;
use trama_sdk::web::{self, Audience};
use trama_sdk::{Result, local, t};

use crate::answer::{self, Closed, FIELDS, MAX_COMMENT};
use crate::config::Settings;
use crate::results::{self, Row};
use crate::source;

/// Where the plugin is mounted, for the links it sends.
pub const BASE: &str = "/p/surveys";

/// Operators read the results.
pub const OPERATORS: Audience = Audience {
    roles: &["operator"],
    refusal: "surveys.refusal.operators",
};

/// `GET /`: what the questionnaires are, which services they follow, how answers are kept.
pub fn home(_: Request, _: Params) -> Result<Response> {
    let settings = Settings::load()?;
    let services: Vec<String> = settings
        .services
        .iter()
        .filter(|s| source::SERVICES.contains(&s.as_str()))
        .map(|s| source::title(s))
        .collect();
    Response::render(
        "index.html",
        &json!({
            "services": services,
            "days_between": settings.days_between,
            "answer_days": settings.answer_days,
            "operator": OPERATORS.admits(),
        }),
    )
}

fn questionnaire_page(secret: &str, status: u16, form: Option<FormState>) -> Result<Response> {
    let (service, closed) = match answer::open_invitation(secret)? {
        Ok(doc) => (source::title(&doc.data.service), None),
        Err(closed) => (String::new(), Some(closed)),
    };
    let status = match closed {
        Some(Closed::Unknown) => 404,
        Some(_) => 409,
        None => status,
    };
    let context = json!({
        "secret": secret,
        "service": service,
        "closed": closed,
        "max_comment": MAX_COMMENT,
    });
    Response::render_with_status(status, "answer.html", &with_form(context, form))
}

/// `GET /answer/{secret}`
pub fn questionnaire(_: Request, params: Params) -> Result<Response> {
    questionnaire_page(params.get("secret")?, 200, None)
}

/// `POST /answer/{secret}` and `POST /api/answer/{secret}`
pub fn send(request: Request, params: Params) -> Result<Response> {
    let secret = params.get("secret")?.to_owned();
    let sub = Submission::read(&request, "answer", FIELDS)?;
    let show = |status, form| questionnaire_page(&secret, status, Some(form));
    let reply = match answer::check(&sub.input) {
        Ok(reply) => reply,
        Err(problems) => return sub.refused(problems, show),
    };
    let outcome = answer::record(&secret, reply);
    sub.answer(
        outcome,
        |()| {
            if sub.json {
                web::created(&json!({ "answered": true }))
            } else {
                Ok(web::to("/").with_notice(t!("surveys.answer.thanks")))
            }
        },
        show,
    )
}

/// The rows with each month written out for people.
fn rows_for_people(rows: &[Row]) -> Vec<Value> {
    let lang = i18n::current();
    rows.iter()
        .map(|row| {
            let mut value = json!(row);
            value["month_label"] = json!(month_label(&row.month, lang));
            value
        })
        .collect()
}

/// `dicembre 2026` for `2026-12`.
fn month_label(month: &str, lang: i18n::Lang) -> String {
    let number = month.get(5..7).and_then(|m| m.parse::<u8>().ok());
    match (month.get(..4), number) {
        (Some(year), Some(m)) => format!("{} {year}", local::month_name(m, lang)),
        _ => month.to_owned(),
    }
}

/// `GET /results` (operators)
pub fn results_page(request: Request, _: Params) -> Result<Response> {
    OPERATORS.require(lang(&request))?;
    let rows = results::rows()?;
    Response::render("results.html", &json!({ "rows": rows_for_people(&rows) }))
}

/// `GET /api/results` (operators)
pub fn results_api(request: Request, _: Params) -> Result<Response> {
    OPERATORS.require(lang(&request))?;
    Response::json(&results::rows()?)
}

/// `GET /results.csv` (operators): one line per service and month, as the page shows them.
pub fn results_csv(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    let mut sheet = Sheet::new(lang);
    sheet.header(&[
        "surveys.results.service",
        "surveys.results.month",
        "surveys.results.invited",
        "surveys.results.answered",
        "surveys.results.rate",
        "surveys.results.mean",
        "surveys.results.recommend",
    ]);
    for row in results::rows()? {
        let described = row.results.as_ref();
        sheet.row(&[
            row.service_title.clone(),
            row.month.clone(),
            row.invited.to_string(),
            row.answered.clone(),
            row.rate.map(|r| r.to_string()).unwrap_or_default(),
            described.map(|r| r.mean_score.clone()).unwrap_or_default(),
            described
                .map(|r| r.recommend.to_string())
                .unwrap_or_default(),
        ]);
    }
    Ok(sheet.download("questionari.csv"))
}
