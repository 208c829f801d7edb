//! Spaces: operators register the rooms lent for lessons and keep their hours up to date.

use serde_json::json;
use trama_sdk::http::{Request, Response};
use trama_sdk::router::Params;
use trama_sdk::store::Cmp;
use trama_sdk::submit::Submission;
use trama_sdk::{Result, clock, t};

use super::lessons::staff_views;
use super::{FormState, OPERATORS, lang, to, with_form};
use crate::config::Settings;
use crate::lesson::LESSONS;
use crate::space::{self, SpaceView};
use trama_sdk::local;

fn views() -> Result<Vec<SpaceView>> {
    Ok(space::all()?.iter().map(SpaceView::new).collect())
}

fn list_page_with(status: u16, form: Option<FormState>) -> Result<Response> {
    let context = json!({ "spaces": views()? });
    Response::render_with_status(status, "spaces.html", &with_form(context, form))
}

/// `GET /spaces` (operators)
pub fn list_page(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    list_page_with(200, None)
}

/// `GET /api/spaces` (operators)
pub fn api_list(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    Response::json(&views()?)
}

/// `POST /spaces` and `POST /api/spaces` (operators): `{name, address, capacity, opening,
/// closed_dates}`; `201` with the space.
pub fn register(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = OPERATORS.require(lang)?;
    let sub = Submission::read(&request, "register", space::JSON_FIELDS)?;
    let draft = match space::read(&sub.input) {
        Ok(draft) => draft,
        Err(problems) => {
            return sub.refused(problems, |status, form| list_page_with(status, Some(form)));
        }
    };
    let doc = space::register(draft, clock::now_ms(), &user)?;
    let done = t!("tutoring.done.space_registered", name = doc.data.name);
    sub.done(&SpaceView::new(&doc), "/spaces")
        .map(|answer| answer.with_notice(done))
}

fn edit_page_with(id: &str, status: u16, form: Option<FormState>) -> Result<Response> {
    let doc = space::load(id)?;
    let settings = Settings::load()?;
    let now = clock::now_ms();
    let lessons = LESSONS
        .query()
        .filter("space", Cmp::Eq, id)
        .filter("date", Cmp::Ge, local::today(now).to_string())
        .order_by("start_at")
        .limit(200)
        .fetch()?;
    let context = json!({
        "space": SpaceView::new(&doc),
        "lessons": staff_views(&lessons, true, &settings, now)?,
    });
    Response::render_with_status(status, "space_edit.html", &with_form(context, form))
}

/// `GET /spaces/{id}` (operators): the edit form and the lessons booked there.
pub fn edit_page(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    edit_page_with(params.get("id")?, 200, None)
}

/// `POST /spaces/{id}` and `POST /api/spaces/{id}` (operators): the same fields, plus `active`.
pub fn update(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = OPERATORS.require(lang)?;
    let id = params.get("id")?.to_owned();
    let sub = Submission::read(&request, "edit", space::JSON_FIELDS)?;
    let draft = match space::read(&sub.input) {
        Ok(draft) => draft,
        Err(problems) => {
            return sub.refused(problems, |status, form| {
                edit_page_with(&id, status, Some(form))
            });
        }
    };
    let doc = space::update(&id, draft, &user)?;
    if sub.json {
        Response::json(&SpaceView::new(&doc))
    } else {
        let done = t!("tutoring.done.space_saved", name = doc.data.name);
        Ok(to(&format!("/spaces/{id}")).with_notice(done))
    }
}
