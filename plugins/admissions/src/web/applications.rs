//! An application's page and API: what the applicant sees (status, requests to answer, the
//! decision and its reasons) and what the committee sees and does (comments, requests for
//! information, conflicts, votes).

use serde::Deserialize;
use serde_json::json;
use trama_sdk::http::{Request, Response};
use trama_sdk::identity::{self, User};
use trama_sdk::input::{Input, Problems};
use trama_sdk::router::Params;
use trama_sdk::store::{Cmp, Doc};
use trama_sdk::submit::Submission;
use trama_sdk::{Error, Result, clock, t, web};

use super::{FormState, answer_step, verb, with_form};
use crate::application::{self, APPLICATIONS, Application, Status, check_text};
use crate::ballot::Choice;
use crate::config::Settings;
use crate::roster::{self, Member};

mod view;

pub use view::{
    ApplicationView, DecisionView, StepView, VoteView, decision_view, steps, vote_views,
};

/// Who is looking at an application.
struct Viewer {
    user: User,
    member: Option<Doc<Member>>,
}

fn viewer() -> Result<Viewer> {
    let user = identity::require_login()?;
    let member = if identity::has_role(roster::ROLE) {
        Some(roster::require_member(clock::now_ms())?.1)
    } else {
        None
    };
    Ok(Viewer { user, member })
}

/// The committee's members, if the viewer may follow the committee's work on `app`: not the
/// applicant, and not a member with a conflict of interest while the case is open — such a
/// member takes no part in the discussion, so does not follow it either (the minutes are there
/// once it is decided).
fn committee_access(viewer: &Viewer, app: &Application) -> Result<Option<Vec<Doc<Member>>>> {
    let Some(member) = &viewer.member else {
        return Ok(None);
    };
    let members = roster::current()?;
    let conflicted = roster::electorate_of(&members, &app.subject(), &app.conflicts)
        .conflict_of(&member.id)
        .is_some();
    Ok((!conflicted || !app.status.is_open()).then_some(members))
}

/// The application, if the viewer may see it: its applicant or a committee member. Anyone
/// else gets the same 404 as for an id that does not exist.
fn visible(id: &str, viewer: &Viewer) -> Result<Doc<Application>> {
    let doc = application::load(id)?;
    if viewer.member.is_some() || doc.data.user_id == viewer.user.id {
        Ok(doc)
    } else {
        Err(application::not_found(id))
    }
}

fn render(id: &str, viewer: &Viewer, status: u16, form: Option<FormState>) -> Result<Response> {
    let settings = Settings::load()?;
    let doc = visible(id, viewer)?;
    let committee = viewer.member.is_some();
    let access = committee_access(viewer, &doc.data)?;
    let view = ApplicationView::new(&doc, access.as_deref(), &settings)?;
    let owner = doc.data.user_id == viewer.user.id;
    let app = &doc.data;
    let mut standing = json!({});
    if let Some(member) = &viewer.member {
        let fetched;
        let members: &[Doc<Member>] = match &access {
            Some(members) => members,
            None => {
                fetched = roster::current()?;
                &fetched
            }
        };
        let electorate = roster::electorate_of(members, &app.subject(), &app.conflicts);
        let conflict = electorate.conflict_of(&member.id).map(|c| c.describe());
        let my_vote = app.ballot.vote_of(&member.id).map(|v| v.choice.key());
        let open_window = app.status == Status::Voting && clock::now_ms() < app.ballot.closes_at;
        standing = json!({
            "conflict": conflict,
            "my_vote": my_vote,
            "can_vote": conflict.is_none() && open_window,
            "can_comment": conflict.is_none() && app.status.is_open(),
            "can_ask": conflict.is_none() && app.status == Status::Voting,
            "can_declare": app.status.is_open() && !app.conflicts.iter().any(|d| d.member == member.id),
        });
    }
    let context = json!({
        "application": view,
        "network": settings.network_name,
        "is_member": committee,
        "is_owner": owner,
        "can_answer": owner && app.status == Status::InfoRequested,
        "can_withdraw": owner && app.status.is_open(),
        "can_withdraw_service": owner && app.status.is_open() && app.services.iter().filter(|s| !s.withdrawn).count() > 1,
        "me": standing,
        "csv": format!("{}/applications/{id}/minutes.csv", crate::BASE),
    });
    Response::render_with_status(status, "application.html", &with_form(context, form))
}

/// `GET /applications/{id}`
pub fn page(_: Request, params: Params) -> Result<Response> {
    let viewer = viewer()?;
    render(params.get("id")?, &viewer, 200, None)
}

/// `GET /api/applications/{id}`
pub fn api_get(_: Request, params: Params) -> Result<Response> {
    let viewer = viewer()?;
    let settings = Settings::load()?;
    let doc = visible(params.get("id")?, &viewer)?;
    let access = committee_access(&viewer, &doc.data)?;
    Response::json(&ApplicationView::new(&doc, access.as_deref(), &settings)?)
}

/// The caller's own applications, newest first.
pub fn mine(user: &User, settings: &Settings) -> Result<Vec<ApplicationView>> {
    APPLICATIONS
        .query()
        .filter("user_id", Cmp::Eq, user.id.as_str())
        .order_by_desc("submitted_at")
        .limit(100)
        .fetch()?
        .iter()
        .map(|doc| ApplicationView::new(doc, None, settings))
        .collect()
}

/// `GET /api/my-applications`
pub fn api_mine(_: Request, _: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let settings = Settings::load()?;
    Response::json(&mine(&user, &settings)?)
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

/// `GET /api/applications?status=&limit=&offset=` (committee): newest first; what a member
/// with a conflict of interest may not follow is left out, as on the page.
pub fn api_list(request: Request, _: Params) -> Result<Response> {
    let (_, member) = roster::require_member(clock::now_ms())?;
    let members = roster::current()?;
    let settings = Settings::load()?;
    let query: ListQuery = request.parse_query()?;
    let mut q = APPLICATIONS.query();
    if let Some(status) = query.status.as_deref().filter(|s| !s.is_empty()) {
        let Some(status) = Status::parse(status) else {
            return Err(Error::bad_request(format!(
                "query parameter `status`: `{status}` is not one of {}",
                Status::ALL.map(|s| format!("`{}`", s.key())).join(", ")
            )));
        };
        q = q.filter("status", Cmp::Eq, status.key());
    }
    let docs = q
        .order_by_desc("submitted_at")
        .limit(query.limit.unwrap_or(100).min(500))
        .offset(query.offset.unwrap_or(0))
        .fetch()?;
    let views: Vec<ApplicationView> = docs
        .iter()
        .map(|doc| {
            let conflicted =
                roster::electorate_of(&members, &doc.data.subject(), &doc.data.conflicts)
                    .conflict_of(&member.id)
                    .is_some();
            let access = (!conflicted || !doc.data.status.is_open()).then_some(members.as_slice());
            ApplicationView::new(doc, access, &settings)
        })
        .collect::<Result<_>>()?;
    Response::json(&views)
}

/// Fields the steps accept in JSON.
const STEP_FIELDS: &[&str] = &["text", "question", "answer", "choice", "reason", "note"];

/// The steps on an application: `POST /applications/{id}/comments` (`text`), `…/request-info`
/// (`question`), `…/vote` (`choice`: approve, reject, abstain; `reason`, required against),
/// `…/conflict` (`note`) for committee members; `…/answer` (`answer`), `…/withdraw` and
/// `…/services/{service}/withdraw` for the applicant; the same under `/api/`. JSON gets the
/// application; a form goes back to its page.
pub fn step(request: Request, params: Params) -> Result<Response> {
    let viewer = viewer()?;
    let id = params.get("id")?.to_owned();
    let verb = verb(&request);
    let settings = Settings::load()?;
    let now = clock::now_ms();
    let form_name = if request.path().contains("/services/") {
        "service"
    } else {
        verb.as_str()
    };
    let sub = Submission::read(&request, form_name, STEP_FIELDS)?;
    let input = &sub.input;
    let result: std::result::Result<Result<Doc<Application>>, Problems> = match verb.as_str() {
        "comments" | "request-info" | "vote" | "conflict" => {
            let Some(member) = &viewer.member else {
                return Err(Error::forbidden(t!("admissions.application.members_only")));
            };
            match verb.as_str() {
                "comments" => check_text("text", input.one("text"))
                    .map(|text| application::comment(&id, member, text, &settings, now)),
                "request-info" => check_text("question", input.one("question"))
                    .map(|q| application::request_info(&id, member, q, &settings, now)),
                "conflict" => check_text("note", input.one("note"))
                    .map(|note| application::declare_conflict(&id, member, note, &settings, now)),
                _ => read_vote(input).map(|(choice, reason)| {
                    application::vote(&id, member, choice, reason, &settings, now)
                }),
            }
        }
        "answer" | "withdraw" => {
            let doc = visible(&id, &viewer)?;
            if doc.data.user_id != viewer.user.id {
                return Err(Error::forbidden(t!(
                    "admissions.application.applicant_only"
                )));
            }
            if request.path().contains("/services/") {
                let service = params.get("service")?.to_owned();
                Ok(application::withdraw_service(
                    &id,
                    &viewer.user,
                    &service,
                    &settings,
                    now,
                ))
            } else if verb == "answer" {
                check_text("answer", input.one("answer"))
                    .map(|answer| application::answer(&id, &viewer.user, answer, &settings, now))
            } else {
                Ok(application::withdraw(&id, &viewer.user, &settings, now))
            }
        }
        other => {
            return Err(Error::not_found(format!(
                "there is no step `{other}` on an application"
            )));
        }
    };
    answer_step(
        &sub,
        result,
        |status, form| render(&id, &viewer, status, Some(form)),
        |doc| {
            if !sub.json {
                let done = match verb.as_str() {
                    "comments" => t!("admissions.done.commented"),
                    "request-info" => t!("admissions.done.info_requested"),
                    "vote" => t!("admissions.done.voted"),
                    "conflict" => t!("admissions.done.conflict_declared"),
                    "answer" => t!("admissions.done.answered"),
                    _ if form_name == "service" => t!("admissions.done.service_withdrawn"),
                    _ => t!("admissions.done.withdrawn"),
                };
                return Ok(web::to(&format!("/applications/{id}")).with_notice(done));
            }
            let access = committee_access(&viewer, &doc.data)?;
            Response::json(&ApplicationView::new(&doc, access.as_deref(), &settings)?)
        },
    )
}

/// A vote as sent: its choice, and the motivation required against.
pub fn read_vote(input: &Input) -> std::result::Result<(Choice, Option<String>), Problems> {
    let mut problems = Problems::default();
    let choice = match input.one("choice").map(|c| (c, Choice::read(c))) {
        Some((_, Some(choice))) => Some(choice),
        Some((text, None)) => {
            problems.push(
                "choice",
                t!("admissions.problems.choice_unknown", text = text),
            );
            None
        }
        None => {
            problems.push("choice", t!("admissions.problems.choice_missing"));
            None
        }
    };
    let reason = input.one("reason").map(str::to_owned);
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > application::MAX_TEXT)
    {
        problems.push(
            "reason",
            t!(
                "admissions.problems.text_too_long",
                max = application::MAX_TEXT
            ),
        );
    }
    if choice == Some(Choice::Reject) && reason.is_none() {
        problems.push("reason", t!("admissions.problems.reason_missing"));
    }
    match choice {
        Some(choice) if problems.is_empty() => Ok((choice, reason)),
        _ => Err(problems),
    }
}
