//! Tutors: operators register and edit them; a tutor links their account with the claim code,
//! sees their lessons and takes the registers.

use serde::Deserialize;
use serde_json::{Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::identity::{self, User};
use trama_sdk::router::Params;
use trama_sdk::store::{Cmp, Doc};
use trama_sdk::submit::Submission;
use trama_sdk::{Result, clock, t};

use super::lessons::{LessonView, staff_views};
use super::{FormState, OPERATORS, TUTORS, lang, to, wants_json, with_form};
use crate::config::Settings;
use crate::lesson::{LESSONS, Lesson, LessonStatus};
use crate::tutor::{self, Tutor, TutorView};
use trama_sdk::local;

fn settings_lists(settings: &Settings) -> Value {
    json!({ "subjects": settings.subjects, "levels": settings.levels })
}

/// A registration or an edit of a tutor, as form `form` on its page: both send the same
/// fields, and the subjects and levels come back as lists to tick the boxes again.
fn submission(request: &Request, form: &str) -> Result<Submission> {
    Ok(Submission::read(request, form, tutor::JSON_FIELDS)?.with_lists(&["subjects", "levels"]))
}

/// Every tutor as operators see them, with their claim codes and calendar addresses.
fn views() -> Result<Vec<TutorView>> {
    Ok(tutor::all()?
        .iter()
        .map(|t| TutorView::new(t, true))
        .collect())
}

fn list_page_with(status: u16, form: Option<FormState>) -> Result<Response> {
    let settings = Settings::load()?;
    let context = json!({ "tutors": views()?, "choices": settings_lists(&settings) });
    Response::render_with_status(status, "tutors.html", &with_form(context, form))
}

/// `GET /tutors` (operators): the tutors and the registration form.
pub fn list_page(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    list_page_with(200, None)
}

/// `GET /api/tutors` (operators)
pub fn api_list(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    Response::json(&views()?)
}

/// `POST /tutors` and `POST /api/tutors` (operators): `{name, subjects, levels, availability,
/// unavailable_dates}`; `201` with the tutor and its one-time `claim_code`.
pub fn register(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = OPERATORS.require(lang)?;
    let sub = submission(&request, "register")?;
    let draft = match tutor::read(&sub.input, &Settings::load()?) {
        Ok(draft) => draft,
        Err(problems) => {
            return sub.refused(problems, |status, form| list_page_with(status, Some(form)));
        }
    };
    let doc = tutor::register(draft, clock::now_ms(), &user)?;
    let done = t!("tutoring.done.tutor_registered", name = doc.data.name);
    sub.done(&TutorView::new(&doc, true), &format!("/tutors/{}", doc.id))
        .map(|answer| answer.with_notice(done))
}

/// Lessons of tutor `id` from a week ago on.
fn lessons_of(id: &str, now: i64) -> Result<Vec<Doc<Lesson>>> {
    let since = local::today(now).add_days(-7).to_string();
    LESSONS
        .query()
        .filter("tutor", Cmp::Eq, id)
        .filter("date", Cmp::Ge, since)
        .order_by("start_at")
        .limit(300)
        .fetch()
}

fn edit_page_with(id: &str, status: u16, form: Option<FormState>) -> Result<Response> {
    let settings = Settings::load()?;
    let doc = tutor::load(id)?;
    let now = clock::now_ms();
    let context = json!({
        "tutor": TutorView::new(&doc, true),
        "choices": settings_lists(&settings),
        "lessons": staff_views(&lessons_of(id, now)?, true, &settings, now)?,
    });
    Response::render_with_status(status, "tutor_edit.html", &with_form(context, form))
}

/// `GET /tutors/{id}` (operators): details, edit form, claim code, calendar, lessons.
pub fn edit_page(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    edit_page_with(params.get("id")?, 200, None)
}

/// `GET /api/tutors/{id}` (operators)
pub fn api_get(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    let doc = tutor::load(params.get("id")?)?;
    Response::json(&TutorView::new(&doc, true))
}

/// `POST /tutors/{id}` and `POST /api/tutors/{id}` (operators): the same fields as the
/// registration, plus `active`.
pub fn update(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = OPERATORS.require(lang)?;
    let id = params.get("id")?.to_owned();
    let sub = submission(&request, "edit")?;
    let draft = match tutor::read(&sub.input, &Settings::load()?) {
        Ok(draft) => draft,
        Err(problems) => {
            return sub.refused(problems, |status, form| {
                edit_page_with(&id, status, Some(form))
            });
        }
    };
    let doc = tutor::update(&id, draft, &user)?;
    if sub.json {
        Response::json(&TutorView::new(&doc, true))
    } else {
        let done = t!("tutoring.done.tutor_saved", name = doc.data.name);
        Ok(to(&format!("/tutors/{id}")).with_notice(done))
    }
}

/// `POST /tutors/{id}/feed` (operators, or the tutor): a new calendar address.
pub fn renew_feed(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login()?;
    let id = params.get("id")?;
    let doc = tutor::load(id)?;
    let own = doc.data.link.is(&user);
    if !own {
        OPERATORS.require(lang)?;
    }
    let doc = tutor::renew_feed(id)?;
    if wants_json(&request) {
        return Response::json(&TutorView::new(&doc, true));
    }
    let back = if own {
        "/tutor".to_owned()
    } else {
        format!("/tutors/{id}")
    };
    Ok(to(&back).with_notice(t!("tutoring.done.feed_renewed")))
}

/// What a tutor sees of themself.
fn own_context(doc: Option<&Doc<Tutor>>) -> Result<Value> {
    let Some(doc) = doc else {
        return Ok(json!({ "tutor": null, "upcoming": [], "to_register": [], "past": [] }));
    };
    let settings = Settings::load()?;
    let now = clock::now_ms();
    let lessons = lessons_of(&doc.id, now)?;
    let views: Vec<LessonView> = staff_views(&lessons, false, &settings, now)?;
    let (mut upcoming, mut to_register, mut past) = (Vec::new(), Vec::new(), Vec::new());
    for view in views {
        match view.status {
            LessonStatus::Scheduled if view.register_open => to_register.push(view),
            LessonStatus::Scheduled => upcoming.push(view),
            LessonStatus::Held | LessonStatus::Cancelled => past.push(view),
        }
    }
    Ok(json!({
        "tutor": TutorView::new(doc, true),
        "upcoming": upcoming,
        "to_register": to_register,
        "past": past,
    }))
}

fn own_page_with(user: &User, status: u16, form: Option<FormState>) -> Result<Response> {
    let doc = tutor::of_user(user)?;
    let context = own_context(doc.as_ref())?;
    Response::render_with_status(status, "tutor_home.html", &with_form(context, form))
}

/// `GET /tutor` (role `tutor`): the claim form, or the tutor's lessons.
pub fn own_page(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = TUTORS.require(lang)?;
    own_page_with(&user, 200, None)
}

/// `GET /api/tutor` (role `tutor`)
pub fn api_me(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = TUTORS.require(lang)?;
    let doc = tutor::of_user(&user)?;
    Response::json(&own_context(doc.as_ref())?)
}

#[derive(Deserialize)]
struct ClaimJson {
    code: String,
}

/// `POST /tutor/claim` and `POST /api/tutor/claim` (role `tutor`): `code`.
pub fn claim(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = TUTORS.require(lang)?;
    let json = wants_json(&request);
    let code = if request.body().is_empty() {
        request.form_value("code").unwrap_or_default().to_owned()
    } else {
        request.json::<ClaimJson>()?.code
    };
    match tutor::claim(&user, &code, lang) {
        Ok(doc) if json => Response::json(&TutorView::new(&doc, true)),
        Ok(_) => Ok(to("/tutor").with_notice(t!("tutoring.done.tutor_claimed"))),
        Err(err) if !json && err.belongs_in_form() => own_page_with(
            &user,
            err.status(),
            Some(FormState::message(
                "claim",
                err.message(),
                serde_json::Map::from_iter([("code".to_owned(), Value::String(code))]),
            )),
        ),
        Err(err) => Err(err),
    }
}
