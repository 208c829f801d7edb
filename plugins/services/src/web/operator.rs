//! The operator's page: every service with its photos (hide one, with the reason, or show it
//! again) and the rating comments to moderate. Both actions are audited.

use serde_json::json;
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::{Lang, lang};
use trama_sdk::input::{FormState, parse_yes_no, with_form};
use trama_sdk::router::Params;
use trama_sdk::submit::Submission;
use trama_sdk::{Result, t};

use super::OPERATORS;
use crate::provider;
use crate::published;
use crate::rating;
use crate::service::{self, SERVICES};

fn render(lang: Lang, status: u16, form: Option<FormState>) -> Result<Response> {
    let mut services = Vec::new();
    for doc in SERVICES.query().order_by_desc("created_at").fetch_all()? {
        let provider = provider::load(&doc.data.provider)?;
        let mut view = service::view(&doc, &provider, lang);
        view["comments"] = json!(rating::of_service(&doc.id, true)?);
        services.push(view);
    }
    Response::render_with_status(
        status,
        "operator.html",
        &with_form(json!({ "services": services }), form),
    )
}

/// `GET /operator`
pub fn page(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    render(lang, 200, None)
}

fn hidden_flag(sub: &Submission) -> std::result::Result<bool, trama_sdk::input::Problems> {
    match parse_yes_no(sub.input.one("hidden").unwrap_or("")) {
        Some(hidden) => Ok(hidden),
        None => {
            let mut problems = trama_sdk::input::Problems::default();
            problems.push("hidden", t!("services.problems.yes_no"));
            Err(problems)
        }
    }
}

/// `POST /services/{id}/visibility` (+ `/api/`): `hidden` (yes/no), `reason`.
pub fn set_service(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    let id = params.get("id")?.to_owned();
    let sub = Submission::read(&request, &format!("hide-{id}"), &["hidden", "reason"])?;
    let show = |status, form| render(lang, status, Some(form));
    let hidden = match hidden_flag(&sub) {
        Ok(hidden) => hidden,
        Err(problems) => return sub.refused(problems, show),
    };
    let reason = sub.input.one("reason").unwrap_or("");
    let outcome = service::set_hidden(&id, hidden, reason).and_then(published::service);
    sub.answer(
        outcome,
        |doc| sub.done(&json!({ "id": doc.id, "hidden": hidden }), "/operator"),
        show,
    )
}

/// `POST /bookings/{id}/comment` (+ `/api/`): `hidden` (yes/no) for the rating's comment.
pub fn set_comment(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    let id = params.get("id")?.to_owned();
    let sub = Submission::read(&request, &format!("comment-{id}"), &["hidden"])?;
    let show = |status, form| render(lang, status, Some(form));
    let hidden = match hidden_flag(&sub) {
        Ok(hidden) => hidden,
        Err(problems) => return sub.refused(problems, show),
    };
    let outcome = rating::set_hidden(&id, hidden);
    sub.answer(
        outcome,
        |doc| sub.done(&json!({ "id": doc.id, "hidden": hidden }), "/operator"),
        show,
    )
}
