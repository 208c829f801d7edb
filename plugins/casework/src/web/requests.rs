//! Requests for help sent online: the person's form and the state of their requests, the
//! staff's queue, the team a supervisor gives a request, and taking it, which opens the case.

use serde_json::{Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::{self, lang};
use trama_sdk::identity::{self, User};
use trama_sdk::input::{FormState, Problems, with_form};
use trama_sdk::notify::{self, Notification};
use trama_sdk::router::Params;
use trama_sdk::store::{Cmp, Doc};
use trama_sdk::submit::Submission;
use trama_sdk::{Error, Result, audit, clock, local, store, t};

use super::BASE;
use super::desk::{assignee, no_manager};
use crate::access;
use crate::case::Consent;
use crate::config::Settings;
use crate::opening::{self, Opening};
use crate::request::{self as req, HelpRequest, REQUESTS, Reader, Stage};

/// The person's own requests, newest first.
pub fn own_requests(user: &User) -> Result<Vec<Doc<HelpRequest>>> {
    REQUESTS
        .query()
        .filter("account", Cmp::Eq, user.id.as_str())
        .order_by_desc("sent_at")
        .fetch_all()
}

fn line(doc: &Doc<HelpRequest>) -> Value {
    json!({
        "id": doc.id,
        "name": doc.data.person.name,
        "needs": doc.data.needs.join(", "),
        "team": doc.data.team,
        "stage": doc.data.stage,
        "stage_label": doc.data.stage.label(),
        "sent": local::numeric(doc.data.sent_at),
        "case": doc.data.case,
    })
}

/// The waiting requests `user` sees as staff, oldest first (the first to answer).
pub fn queue(user: &User) -> Result<Vec<Doc<HelpRequest>>> {
    let waiting = REQUESTS
        .query()
        .filter("stage", Cmp::Eq, Stage::Waiting.key())
        .order_by("sent_at")
        .fetch_all()?;
    let mut seen = Vec::new();
    for doc in waiting {
        if req::staff_sees(&doc.data, user)? {
            seen.push(doc);
        }
    }
    Ok(seen)
}

fn form_page(user: &User, status: u16, form: Option<FormState>) -> Result<Response> {
    let settings = Settings::load()?;
    let own: Vec<Value> = own_requests(user)?.iter().map(line).collect();
    let context = json!({
        "own": own,
        "asserted": identity::fiscal_number(),
        "display_name": user.display_name,
        "needs": settings.needs,
        "consent_version": settings.consent_version,
        "consent_text": settings.consent_text,
    });
    Response::render_with_status(status, "ask.html", &with_form(context, form))
}

/// `GET /ask`: the person's form and the state of what they sent.
pub fn ask(request: Request, _: Params) -> Result<Response> {
    let user = identity::require_login_in(lang(&request))?;
    form_page(&user, 200, None)
}

/// `POST /requests` and `POST /api/requests` (any signed-in person): a request for help. One
/// waiting request at a time: a second is refused (`409`) until the first is taken.
pub fn send(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    let settings = Settings::load()?;
    let sub = Submission::read(&request, "ask", req::FIELDS)?.with_lists(&["needs"]);
    let show = |status, form| form_page(&user, status, Some(form));
    let asserted = identity::fiscal_number();
    let (person, household, needs, text) =
        match req::check(&sub.input, &settings, lang, asserted.as_deref()) {
            Ok(checked) => checked,
            Err(problems) => return sub.refused(problems, show),
        };
    if own_requests(&user)?
        .iter()
        .any(|doc| doc.data.stage == Stage::Waiting)
    {
        return sub.failed(Error::conflict(t!("casework.request.errors.waiting")), show);
    }
    let now = clock::now_ms();
    let doc = REQUESTS.insert(HelpRequest {
        account: user.id.clone(),
        person,
        tax_code_asserted: asserted.is_some(),
        household,
        needs,
        text,
        consent: Consent {
            version: settings.consent_version.clone(),
            at: now,
        },
        team: String::new(),
        stage: Stage::Waiting,
        sent_at: now,
        taken_at: None,
        taken_by: None,
        case: None,
    })?;
    audit::record(
        "request.sent",
        &doc.id,
        &json!({ "consent_version": settings.consent_version }),
    )?;
    sub.done(&json!({ "id": doc.id }), &format!("/requests/{}", doc.id))
        .map(|answer| answer.with_notice(t!("casework.request.done.sent")))
}

/// `GET /requests` (care managers and supervisors): the queue of waiting requests they see.
pub fn queue_page(request: Request, _: Params) -> Result<Response> {
    let user = super::DESK.require(lang(&request))?;
    let rows: Vec<Value> = queue(&user)?.iter().map(line).collect();
    Response::render("requests.html", &json!({ "requests": rows }))
}

/// `GET /api/requests`: staff get their queue, anyone else their own requests.
pub fn list_api(_: Request, _: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let docs = if super::DESK.admits() {
        queue(&user)?
    } else {
        own_requests(&user)?
    };
    let rows: Vec<Value> = docs.iter().map(line).collect();
    Response::json(&rows)
}

fn view(doc: &Doc<HelpRequest>, reader: Reader) -> Value {
    let r = &doc.data;
    json!({
        "id": doc.id,
        "relation": reader.key(),
        "person": r.person,
        "tax_code_asserted": r.tax_code_asserted,
        "household": r.household,
        "needs": r.needs,
        "text": r.text,
        "consent": { "version": r.consent.version, "when": local::numeric(r.consent.at) },
        "team": r.team,
        "stage": r.stage,
        "stage_label": r.stage.label(),
        "sent": local::numeric(r.sent_at),
        "taken": r.taken_at.map(local::numeric),
        "case": r.case,
    })
}

fn render(id: &str, user: &User, status: u16, form: Option<FormState>) -> Result<Response> {
    let (doc, reader) = req::read(id, user, "page")?;
    let mut context = json!({ "request": view(&doc, reader) });
    if reader == Reader::Staff && doc.data.stage == Stage::Waiting {
        let settings = Settings::load()?;
        let managers: Vec<Value> = identity::holders("care_manager")?
            .iter()
            .map(|u| json!({ "key": u.username, "text": u.display_name }))
            .collect();
        context["take"] = json!({
            "teams": settings.teams,
            "care_managers": managers,
            "self": user.has_role("care_manager"),
            "supervisor": user.has_role("supervisor"),
        });
    }
    Response::render_with_status(status, "request.html", &with_form(context, form))
}

/// `GET /requests/{id}`: staff who see it, and the person; audited.
pub fn page(_: Request, params: Params) -> Result<Response> {
    let user = identity::require_login()?;
    render(params.get("id")?, &user, 200, None)
}

/// `GET /api/requests/{id}`
pub fn api(_: Request, params: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let (doc, reader) = req::read(params.get("id")?, &user, "api")?;
    Response::json(&view(&doc, reader))
}

/// The request for staff who see it; the person and anyone else `404`.
fn for_staff(id: &str, user: &User) -> Result<Doc<HelpRequest>> {
    match req::load(id, user)? {
        (doc, Reader::Staff) => Ok(doc),
        _ => Err(req::no_request()),
    }
}

fn taken() -> Error {
    Error::conflict(t!("casework.request.errors.taken"))
}

/// `POST /requests/{id}/team` (+ `/api/`), a supervisor who sees it: `team`. From then on only
/// that team's care managers and supervisors see it in their queue.
pub fn set_team(request: Request, params: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let id = params.get("id")?.to_owned();
    let doc = for_staff(&id, &user)?;
    if !user.has_role("supervisor") {
        return Err(Error::forbidden(t!(
            "casework.request.errors.supervisors_only"
        )));
    }
    let sub = Submission::read(&request, "team", &["team"])?;
    let show = |status, form| render(&id, &user, status, Some(form));
    if doc.data.stage != Stage::Waiting {
        return sub.failed(taken(), show);
    }
    let team = sub.input.one("team").unwrap_or_default().trim().to_owned();
    if !Settings::load()?.teams.contains(&team) {
        let mut problems = Problems::default();
        problems.push("team", t!("casework.problems.team"));
        return sub.refused(problems, show);
    }
    let mut data = doc.data;
    data.team = team.clone();
    if let Err(err) = REQUESTS.put_if_version(&id, &data, doc.version) {
        return sub.failed(err, show);
    }
    audit::record("request.team_set", &id, &json!({ "team": team }))?;
    // Back to the request while the supervisor still sees it, else to the queue.
    let path = if req::staff_sees(&data, &user)? {
        format!("/requests/{id}")
    } else {
        "/requests".to_owned()
    };
    sub.done(&json!({ "id": id, "team": team }), &path)
        .map(|answer| answer.with_notice(t!("casework.request.done.team", team = team)))
}

/// `POST /requests/{id}/take` (+ `/api/`), a care manager or supervisor who sees it:
/// `care_manager` (a username; a care manager taking it may leave it empty to follow it
/// themselves), `team` (when the request has none), `confirm_duplicate` (a supervisor, when
/// the person has an open case already). Opens the case with the request's data and the
/// person's account linked, marks the request taken and tells the person.
pub fn take(request: Request, params: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let id = params.get("id")?.to_owned();
    let doc = for_staff(&id, &user)?;
    let sub = Submission::read(
        &request,
        "take",
        &["care_manager", "team", "confirm_duplicate"],
    )?;
    let show = |status, form| render(&id, &user, status, Some(form));
    if doc.data.stage != Stage::Waiting {
        return sub.failed(taken(), show);
    }
    let mut problems = Problems::default();
    let team = match sub.input.one("team").map(str::trim) {
        Some(team) if !team.is_empty() => team.to_owned(),
        _ => doc.data.team.clone(),
    };
    if !Settings::load()?.teams.contains(&team) {
        problems.push("team", t!("casework.problems.team"));
    }
    let manager = assignee(sub.input.one("care_manager"), &user)?;
    if manager.is_none() {
        problems.push("care_manager", no_manager(sub.input.one("care_manager")));
    }
    let existing = opening::duplicate(&doc.data.person.tax_code, &sub.input, &user, &mut problems)?;
    let Some(manager) = manager.filter(|_| problems.is_empty()) else {
        return sub.refused(problems, show);
    };
    let now = clock::now_ms();
    let case_id = store::new_id();
    // The request first, with its version: of two people taking it at once, one opens a case.
    let mut data = doc.data.clone();
    data.stage = Stage::Taken;
    data.team = team.clone();
    data.taken_at = Some(now);
    data.taken_by = Some(user.id.clone());
    data.case = Some(case_id.clone());
    if let Err(err) = REQUESTS.put_if_version(&id, &data, doc.version) {
        return sub.failed(err, show);
    }
    let request = doc.data;
    let opened = Opening {
        person: request.person,
        household: request.household,
        needs: request.needs,
        consent: request.consent,
        team: team.clone(),
        account: Some(request.account.clone()),
        request: Some(id.clone()),
    };
    let case = opening::open(&case_id, opened, &manager, &user, now)?;
    if let Some(existing) = existing {
        opening::confirmed(&case.id, &existing)?;
    }
    audit::record(
        "request.taken",
        &id,
        &json!({ "case": case.id, "care_manager": manager.id, "team": team }),
    )?;
    tell_taken(&id, &request.account, &case.id, &team)?;
    let path = match access::relation(&case.data, &user)? {
        Some(relation) if relation.is_staff() => format!("/cases/{}", case.id),
        _ => "/requests".to_owned(),
    };
    sub.done(&json!({ "id": case.id, "request": id }), &path)
        .map(|answer| {
            answer.with_notice(t!(
                "casework.request.done.taken",
                name = manager.display_name
            ))
        })
}

/// Tells the person, in their own language, that their request was taken (once per request).
fn tell_taken(request: &str, account: &str, case: &str, team: &str) -> Result<()> {
    let locale = identity::locale_of(account);
    let subject = i18n::text_in(&locale, "casework.request.notice.subject", &[]);
    let body = i18n::text_in(&locale, "casework.request.notice.body", &[("team", &team)]);
    notify::send(&Notification {
        recipient: account.to_owned(),
        subject: notify::cut(&subject, notify::MAX_SUBJECT),
        body: notify::cut(&body, notify::MAX_BODY),
        key: format!("request/{request}/taken"),
        link: Some(format!("{BASE}/cases/{case}")),
    })?;
    Ok(())
}
