//! The case file: the page (staff see everything, the person a summary without sensitive
//! notes), notes, the plan, reassignment by the team's supervisor and closure. Every page view
//! is an audited read.

use serde_json::{Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::identity::{self, User};
use trama_sdk::input::{FormState, Input, Problems, with_form};
use trama_sdk::router::Params;
use trama_sdk::store::Doc;
use trama_sdk::submit::Submission;
use trama_sdk::{Error, Result, audit, clock, local, t};

use super::desk::closed;
use crate::access::{self, Relation};
use crate::case::{CASES, Case, Outcome, Progress, State};
use crate::config::Settings;
use crate::note::{self, Note};
use crate::plan;

fn goals(case: &Case) -> Value {
    let goals: Vec<Value> = case
        .goals
        .iter()
        .map(|g| {
            let actions: Vec<Value> = g
                .actions
                .iter()
                .map(|a| json!({ "item": format!("{}.{}", g.n, a.n), "text": a.text, "status": a.status, "status_label": a.status.label() }))
                .collect();
            json!({ "item": g.n.to_string(), "n": g.n, "text": g.text, "status": g.status, "status_label": g.status.label(), "actions": actions })
        })
        .collect();
    Value::Array(goals)
}

fn note_view(doc: &Doc<Note>, text: String) -> Value {
    json!({
        "id": doc.id,
        "when": local::numeric(doc.data.at),
        "author": doc.data.author_name,
        "sensitive": doc.data.sensitive,
        "text": text,
    })
}

/// What a reader sees of the case: staff everything (sensitive notes opened), the person the
/// summary, without sensitive notes and without who wrote what.
fn view(doc: &Doc<Case>, relation: Relation) -> Result<Value> {
    let case = &doc.data;
    let mut notes = Vec::new();
    for n in note::of_case(&doc.id)? {
        if relation.is_staff() {
            let text = note::read(&n)?;
            notes.push(note_view(&n, text));
        } else if !n.data.sensitive {
            let text = n.data.text.clone().unwrap_or_default();
            notes.push(note_view(&n, text));
        }
    }
    Ok(json!({
        "id": doc.id,
        "relation": relation.key(),
        "person": case.person,
        "household": case.household,
        "needs": case.needs,
        "consent": { "version": case.consent.version, "when": local::numeric(case.consent.at) },
        "care_manager": case.care_manager_name,
        "team": case.team,
        "status": case.status,
        "status_label": case.status.label(),
        "opened": local::numeric(case.opened_at),
        "goals": goals(case),
        "outcome": case.outcome,
        "outcome_label": case.outcome.map(Outcome::label),
        "closed": case.closed_at.map(local::numeric),
        "closing_note": case.closing_note,
        "notes": notes,
        "attachments": super::attachments::list(&doc.id, relation)?,
    }))
}

/// The case page (shared with the forms of [`super::referrals`] and [`super::profile`], which
/// show it again with their problems).
pub(crate) fn render(
    id: &str,
    user: &User,
    status: u16,
    form: Option<FormState>,
) -> Result<Response> {
    let (doc, relation) = access::read(id, user, "page")?;
    let mut context = json!({ "case": view(&doc, relation)? });
    if relation.is_staff() {
        let progress: Vec<Value> = Progress::ALL
            .iter()
            .map(|p| json!({ "key": p.key(), "text": p.label() }))
            .collect();
        let outcomes: Vec<Value> = Outcome::ALL
            .iter()
            .map(|o| json!({ "key": o.key(), "text": o.label() }))
            .collect();
        context["progress"] = Value::Array(progress);
        context["review"] = super::reviews::context(&doc.id, clock::now_ms())?;
        context["attachment_form"] = super::attachments::form()?;
        context["outcomes"] = Value::Array(outcomes);
        context["referrals"] = super::referrals::of_case(id)?;
        context["referral_form"] = super::referrals::form_choices()?;
        context["profile"] = super::profile::view(id)?;
        // The team's supervisor may give the case to another care manager or team.
        if supervises(&doc.data, user)? {
            let managers: Vec<Value> = identity::holders("care_manager")?
                .iter()
                .map(|u| json!({ "key": u.username, "text": u.display_name }))
                .collect();
            context["assign"] = json!({
                "care_managers": managers,
                "teams": Settings::load()?.teams,
            });
        }
        Response::render_with_status(status, "case.html", &with_form(context, form))
    } else {
        Response::render_with_status(status, "summary.html", &context)
    }
}

/// `GET /cases/{id}`
pub fn page(_: Request, params: Params) -> Result<Response> {
    let user = identity::require_login()?;
    render(params.get("id")?, &user, 200, None)
}

/// `GET /api/cases/{id}`
pub fn api(_: Request, params: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let (doc, relation) = access::read(params.get("id")?, &user, "api")?;
    let mut file = view(&doc, relation)?;
    if relation.is_staff() {
        file["referrals"] = super::referrals::of_case(&doc.id)?;
        file["profile"] = super::profile::view(&doc.id)?;
    }
    Response::json(&file)
}

/// `POST /cases/{id}/notes` (+ `/api/`): `text`, `sensitive`.
pub fn add_note(request: Request, params: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let id = params.get("id")?.to_owned();
    let (doc, _) = access::for_staff(&id, &user)?;
    let sub = Submission::read(&request, "note", note::FIELDS)?;
    let show = |status, form| render(&id, &user, status, Some(form));
    let (text, sensitive) = match note::check(&sub.input) {
        Ok(checked) => checked,
        Err(problems) => return sub.refused(problems, show),
    };
    if doc.data.status == State::Closed {
        return sub.failed(closed(), show);
    }
    let added = note::add(&id, &text, sensitive, &user, clock::now_ms())?;
    // The audit says that a note was written, never what it says.
    audit::record(
        "case.note_added",
        &id,
        &json!({ "note": added.id, "sensitive": sensitive }),
    )?;
    let path = format!("/cases/{id}");
    sub.done(&json!({ "id": added.id }), &path)
        .map(|answer| answer.with_notice(t!("casework.done.note")))
}

/// A change of the case by its staff: `apply` edits the case or names the problems; the case
/// is written back with its version, and the change audited as `action`.
fn change(
    request: &Request,
    params: &Params,
    form: &str,
    fields: &[&str],
    action: &str,
    apply: impl FnOnce(&mut Case, &Input, i64) -> std::result::Result<String, Problems>,
) -> Result<Response> {
    let user = identity::require_login()?;
    let id = params.get("id")?.to_owned();
    let (doc, _) = access::for_staff(&id, &user)?;
    let sub = Submission::read(request, form, fields)?;
    let show = |status, form| render(&id, &user, status, Some(form));
    if doc.data.status == State::Closed {
        return sub.failed(closed(), show);
    }
    let mut case = doc.data;
    let item = match apply(&mut case, &sub.input, clock::now_ms()) {
        Ok(item) => item,
        Err(problems) => return sub.refused(problems, show),
    };
    let written = CASES.put_if_version(&id, &case, doc.version);
    if let Err(err) = written {
        return sub.failed(err, show);
    }
    audit::record(action, &id, &json!({ "item": item }))?;
    let path = format!("/cases/{id}");
    sub.done(&json!({ "id": id, "item": item }), &path)
        .map(|answer| answer.with_notice(t!("casework.done.saved")))
}

/// `POST /cases/{id}/goals` (+ `/api/`): `text`.
pub fn add_goal(request: Request, params: Params) -> Result<Response> {
    change(
        &request,
        &params,
        "goal",
        &["text"],
        "case.goal_added",
        |case, input, _| plan::add_goal(case, input).map(|n| n.to_string()),
    )
}

/// `POST /cases/{id}/actions` (+ `/api/`): `goal`, `text`.
pub fn add_action(request: Request, params: Params) -> Result<Response> {
    change(
        &request,
        &params,
        "action",
        &["goal", "text"],
        "case.action_added",
        |case, input, _| plan::add_action(case, input),
    )
}

/// `POST /cases/{id}/progress` (+ `/api/`): `item`, `status`.
pub fn progress(request: Request, params: Params) -> Result<Response> {
    change(
        &request,
        &params,
        "progress",
        &["item", "status"],
        "case.progress",
        |case, input, _| {
            plan::set_progress(case, input)?;
            Ok(input.one("item").unwrap_or_default().to_owned())
        },
    )
}

/// `POST /cases/{id}/close` (+ `/api/`): `outcome`, `note`.
pub fn close(request: Request, params: Params) -> Result<Response> {
    change(
        &request,
        &params,
        "close",
        &["outcome", "note"],
        "case.closed",
        |case, input, now| plan::close(case, input, now).map(|o| o.key().to_owned()),
    )
}

/// Whether `user` supervises the case's care team: who may give the case to someone else.
fn supervises(case: &Case, user: &User) -> Result<bool> {
    Ok(user.has_role("supervisor") && access::teams_of(&user.id)?.contains(&case.team))
}

/// `POST /cases/{id}/assign` (+ `/api/`), a supervisor of the case's team: `care_manager` (the
/// username of a care manager) and `team` (one of the instance's teams; unchanged when left
/// out). From then on the care manager before no longer sees the case, and a supervisor of the
/// old team neither, unless they supervise the new one; the change is audited with both names.
pub fn assign(request: Request, params: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let id = params.get("id")?.to_owned();
    let (doc, _) = access::for_staff(&id, &user)?;
    if !supervises(&doc.data, &user)? {
        return Err(Error::forbidden(t!("casework.errors.supervisors_only")));
    }
    let settings = Settings::load()?;
    let sub = Submission::read(&request, "assign", &["care_manager", "team"])?;
    let show = |status, form| render(&id, &user, status, Some(form));
    if doc.data.status == State::Closed {
        return sub.failed(closed(), show);
    }
    let mut problems = Problems::default();
    let username = sub.input.one("care_manager").unwrap_or_default().trim();
    let manager = identity::holders("care_manager")?
        .into_iter()
        .find(|u| u.username == username);
    if manager.is_none() {
        problems.push("care_manager", t!("casework.problems.care_manager"));
    }
    let team = match sub.input.one("team").map(str::trim) {
        Some(team) if !team.is_empty() => team.to_owned(),
        _ => doc.data.team.clone(),
    };
    if !settings.teams.contains(&team) {
        problems.push("team", t!("casework.problems.team"));
    }
    let Some(manager) = manager.filter(|_| problems.is_empty()) else {
        return sub.refused(problems, show);
    };
    let from = doc.data.care_manager.clone();
    let mut case = doc.data;
    case.care_manager = manager.id.clone();
    case.care_manager_name = manager.display_name.clone();
    case.team = team.clone();
    if let Err(err) = CASES.put_if_version(&id, &case, doc.version) {
        return sub.failed(err, show);
    }
    audit::record(
        "case.reassigned",
        &id,
        &json!({ "from": from, "to": manager.id, "team": team }),
    )?;
    // Back to the case while the supervisor still supervises its team, else to the desk.
    let path = if supervises(&case, &user)? {
        format!("/cases/{id}")
    } else {
        "/".to_owned()
    };
    sub.done(
        &json!({ "id": id, "care_manager": manager.username, "team": team }),
        &path,
    )
    .map(|answer| answer.with_notice(t!("casework.done.reassigned", name = manager.display_name)))
}
