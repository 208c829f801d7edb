//! The desk: the intake form, the care manager's and the supervisor's lists, the person's link
//! to their own case.

use serde_json::{Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::{self, lang};
use trama_sdk::identity::{self, User};
use trama_sdk::input::{FormState, Problems, with_form};
use trama_sdk::router::Params;
use trama_sdk::store::{Cmp, Doc};
use trama_sdk::submit::Submission;
use trama_sdk::{Error, Result, clock, local, store, t};

use super::{CARE_MANAGERS, DESK, SUPERVISORS};
use crate::access::teams_of;
use crate::case::{self, CASES, Case, Consent, State};
use crate::config::Settings;
use crate::opening::{self, Opening};
use crate::review;
use crate::situation::{self, Scale};

fn line(doc: &Doc<Case>) -> Result<Value> {
    // The next review of an open case, marked when it is past.
    let review = match doc.data.status {
        State::Open => review::shown(review::next_of(&doc.id)?, clock::now_ms(), i18n::current()),
        State::Closed => Value::Null,
    };
    Ok(json!({
        "id": doc.id,
        "name": doc.data.person.name,
        "team": doc.data.team,
        "status": doc.data.status.label(),
        "opened": local::numeric(doc.data.opened_at),
        "review": review,
    }))
}

/// The cases of the person calling: linked to their account, or under their tax code.
pub fn own_cases(user: &User) -> Result<Vec<Doc<Case>>> {
    let mut cases = CASES
        .query()
        .filter("account", Cmp::Eq, user.id.as_str())
        .fetch_all()?;
    if let Some(code) = identity::fiscal_number() {
        for doc in CASES
            .query()
            .filter("tax_code", Cmp::Eq, code)
            .fetch_all()?
        {
            if !cases.iter().any(|c| c.id == doc.id) {
                cases.push(doc);
            }
        }
    }
    Ok(cases)
}

fn page(status: u16, form: Option<FormState>) -> Result<Response> {
    let user = identity::require_login()?;
    let settings = Settings::load()?;
    let mut assigned = Vec::new();
    if CARE_MANAGERS.admits() {
        assigned = CASES
            .query()
            .filter("care_manager", Cmp::Eq, user.id.as_str())
            .order_by_desc("opened_at")
            .fetch_all()?
            .iter()
            .map(line)
            .collect::<Result<_>>()?;
    }
    let mut supervised = Vec::new();
    if identity::has_role("supervisor") {
        for team in teams_of(&user.id)? {
            let docs = CASES
                .query()
                .filter("team", Cmp::Eq, team.as_str())
                .order_by_desc("opened_at")
                .fetch_all()?;
            for doc in &docs {
                supervised.push(line(doc)?);
            }
        }
    }
    let own: Vec<Value> = own_cases(&user)?.iter().map(line).collect::<Result<_>>()?;
    let context = json!({
        "care_manager": CARE_MANAGERS.admits(),
        "desk": DESK.admits(),
        "can_confirm": identity::has_role("supervisor"),
        "supervisor": SUPERVISORS.admits(),
        "admin": identity::has_role("admin"),
        "assigned": assigned,
        "supervised": supervised,
        "own": own,
        "needs": settings.needs,
        "teams": settings.teams,
        "consent_version": settings.consent_version,
        "consent_text": settings.consent_text,
        "situations": Scale::new(&settings.situation_scale).choices(),
        "resident_choices": [
            { "key": "yes", "text": t!("casework.profile.resident_yes") },
            { "key": "no", "text": t!("casework.profile.resident_no") },
        ],
    });
    Response::render_with_status(status, "index.html", &with_form(context, form))
}

/// `GET /`
pub fn home(_: Request, _: Params) -> Result<Response> {
    page(200, None)
}

/// The care manager the case goes to: the one named (a holder of `care_manager`), or the one
/// at the desk when they are a care manager themselves.
pub(crate) fn assignee(named: Option<&str>, desk: &User) -> Result<Option<User>> {
    match named.map(str::trim).filter(|name| !name.is_empty()) {
        None if desk.has_role("care_manager") => Ok(Some(desk.clone())),
        None => Ok(None),
        Some(username) => Ok(identity::holders("care_manager")?
            .into_iter()
            .find(|u| u.username == username)),
    }
}

/// Why no care manager was found: none named by a supervisor who is no care manager, or a name
/// that is no care manager's.
pub(crate) fn no_manager(named: Option<&str>) -> String {
    if named.map(str::trim).unwrap_or_default().is_empty() {
        t!("casework.request.problems.name_manager")
    } else {
        t!("casework.problems.care_manager")
    }
}

/// `POST /cases` and `POST /api/cases` (care managers; a supervisor too, naming the care
/// manager): the intake at the desk. A person with an open case already gets no second one
/// unless a supervisor confirms it (see [`opening::duplicate`]).
pub fn intake(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let desk = DESK.require(lang)?;
    let settings = Settings::load()?;
    let fields = [case::FIELDS, &["confirm_duplicate", "situation"]].concat();
    let sub = Submission::read(&request, "intake", &fields)?.with_lists(&["needs"]);
    let show = |status, form| page(status, Some(form));
    let mut extra = trama_sdk::input::Problems::default();
    let profile = super::profile::read_at_intake(&sub.input, &mut extra, clock::now_ms());
    // The household's situation, if the desk assessed it already (see `situation`).
    let scale = Scale::new(&settings.situation_scale);
    let level = situation::read(&scale, &sub.input, "situation", false, &mut extra);
    let intake = match case::check(&sub.input, &settings, lang) {
        Ok(intake) if extra.is_empty() => intake,
        Ok(_) => return sub.refused(extra, show),
        Err(mut problems) => {
            problems.0.extend(extra.0);
            return sub.refused(problems, show);
        }
    };
    let mut problems = Problems::default();
    let manager = assignee(intake.care_manager.as_deref(), &desk)?;
    if manager.is_none() {
        problems.push("care_manager", no_manager(intake.care_manager.as_deref()));
    }
    let existing = opening::duplicate(&intake.person.tax_code, &sub.input, &desk, &mut problems)?;
    let Some(manager) = manager.filter(|_| problems.is_empty()) else {
        return sub.refused(problems, show);
    };
    let now = clock::now_ms();
    let opened = Opening {
        person: intake.person,
        household: intake.household,
        needs: intake.needs,
        consent: Consent {
            version: settings.consent_version.clone(),
            at: now,
        },
        team: intake.team,
        account: None,
        request: None,
    };
    let doc = opening::open(&store::new_id(), opened, &manager, &desk, now)?;
    if let Some(existing) = existing {
        opening::confirmed(&doc.id, &existing)?;
    }
    super::profile::save_at_intake(&doc.id, &profile)?;
    if let Some(level) = level {
        situation::at_intake(&doc.id, level, &scale, now)?;
    }
    let done = t!("casework.done.opened", name = doc.data.person.name);
    let path = format!("/cases/{}", doc.id);
    sub.done(&json!({ "id": doc.id }), &path)
        .map(|answer| answer.with_notice(done))
}

/// A refusal for a case-closed change, shown in the form.
pub fn closed() -> Error {
    Error::conflict(t!("casework.errors.closed"))
}
