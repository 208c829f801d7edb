//! Monthly statements: operators see every provider's month and mark it paid; a provider's
//! account sees its own; both download the CSV.

use serde_json::json;
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::{Lang, lang};
use trama_sdk::identity::{self, User};
use trama_sdk::input::{FormState, with_form};
use trama_sdk::router::Params;
use trama_sdk::submit::Submission;
use trama_sdk::{Error, Result, clock, local, t};

use super::OPERATORS;
use crate::provider::{self, PROVIDERS};
use crate::settlement;

/// The caller may read provider `id`'s statements: an operator or the provider's account.
fn may_read(user: &User, id: &str) -> Result<()> {
    let doc = provider::load(id)?;
    if OPERATORS.admits() || doc.data.user_id.as_deref() == Some(user.id.as_str()) {
        Ok(())
    } else {
        Err(Error::not_found(t!("services.provider.unknown", id = id)))
    }
}

fn month_of(request: &Request) -> Result<String> {
    match request.query_value("month") {
        Some(month) => settlement::parse_month(month),
        None => {
            let today = local::today(clock::now_ms());
            Ok(format!("{:04}-{:02}", today.year, today.month))
        }
    }
}

fn render(month: &str, lang: Lang, status: u16, form: Option<FormState>) -> Result<Response> {
    let mut statements = Vec::new();
    for p in PROVIDERS.query().fetch_all()? {
        let mut s = settlement::statement(&p.id, month, lang)?;
        s["name"] = json!(p.data.legal_name);
        statements.push(s);
    }
    Response::render_with_status(
        status,
        "statements.html",
        &with_form(json!({ "month": month, "statements": statements }), form),
    )
}

/// `GET /statements?month=YYYY-MM` (operators): every provider's statement of the month.
pub fn page(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    render(&month_of(&request)?, lang, 200, None)
}

/// `GET /api/providers/{id}/statements/{month}`
pub fn api(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    let id = params.get("id")?;
    may_read(&user, id)?;
    let month = settlement::parse_month(params.get("month")?)?;
    Response::json(&settlement::statement(id, &month, lang)?)
}

/// `GET /providers/{id}/statements/{month}/statement.csv`
pub fn csv(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    let id = params.get("id")?;
    may_read(&user, id)?;
    let month = settlement::parse_month(params.get("month")?)?;
    Ok(settlement::sheet(id, &month, lang)?.download(format!("statement-{id}-{month}.csv")))
}

/// `POST /providers/{id}/statements/{month}/paid` (+ `/api/`), operators: `reference`.
pub fn mark_paid(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = OPERATORS.require(lang)?;
    let id = params.get("id")?.to_owned();
    provider::load(&id)?;
    let month = settlement::parse_month(params.get("month")?)?;
    let sub = Submission::read(&request, &format!("paid-{id}"), &["reference"])?;
    let show = |status, form| render(&month, lang, status, Some(form));
    let reference = sub.input.one("reference").unwrap_or("").trim().to_owned();
    if reference.is_empty() || reference.chars().count() > 140 {
        let mut problems = trama_sdk::input::Problems::default();
        problems.push("reference", t!("services.problems.reference"));
        return sub.refused(problems, show);
    }
    let outcome = settlement::mark_paid(&id, &month, &reference, &user, clock::now_ms());
    sub.answer(
        outcome,
        |doc| {
            sub.done(
                &json!({ "id": doc.id }),
                &format!("/statements?month={month}"),
            )
        },
        show,
    )
}
