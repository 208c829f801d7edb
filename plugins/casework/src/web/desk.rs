//! The desk: the intake form, the care manager's and the supervisor's lists, the person's link
//! to their own case.

use serde_json::{Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::lang;
use trama_sdk::identity::{self, User};
use trama_sdk::input::{FormState, with_form};
use trama_sdk::router::Params;
use trama_sdk::store::{Cmp, Doc};
use trama_sdk::submit::Submission;
use trama_sdk::{Error, Result, audit, clock, local, t};

use super::{CARE_MANAGERS, SUPERVISORS};
use crate::access::teams_of;
use crate::case::{self, CASES, Case, Consent, State};
use crate::config::Settings;

fn line(doc: &Doc<Case>) -> Value {
    json!({
        "id": doc.id,
        "name": doc.data.person.name,
        "team": doc.data.team,
        "status": doc.data.status.label(),
        "opened": local::numeric(doc.data.opened_at),
    })
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
            .collect();
    }
    let mut supervised = Vec::new();
    if identity::has_role("supervisor") {
        for team in teams_of(&user.id)? {
            let docs = CASES
                .query()
                .filter("team", Cmp::Eq, team.as_str())
                .order_by_desc("opened_at")
                .fetch_all()?;
            supervised.extend(docs.iter().map(line));
        }
    }
    let own: Vec<Value> = own_cases(&user)?.iter().map(line).collect();
    let context = json!({
        "care_manager": CARE_MANAGERS.admits(),
        "supervisor": SUPERVISORS.admits(),
        "admin": identity::has_role("admin"),
        "assigned": assigned,
        "supervised": supervised,
        "own": own,
        "needs": settings.needs,
        "teams": settings.teams,
        "consent_version": settings.consent_version,
        "consent_text": settings.consent_text,
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
/// at the desk.
fn assignee(named: Option<&str>, desk: &User) -> Result<Option<User>> {
    match named {
        None => Ok(Some(desk.clone())),
        Some(username) => Ok(identity::holders("care_manager")?
            .into_iter()
            .find(|u| u.username == username)),
    }
}

/// `POST /cases` and `POST /api/cases` (care managers): the intake at the desk.
pub fn intake(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let desk = CARE_MANAGERS.require(lang)?;
    let settings = Settings::load()?;
    let sub = Submission::read(&request, "intake", case::FIELDS)?.with_lists(&["needs"]);
    let show = |status, form| page(status, Some(form));
    let mut extra = trama_sdk::input::Problems::default();
    let profile = super::profile::read_at_intake(&sub.input, &mut extra, clock::now_ms());
    let intake = match case::check(&sub.input, &settings, lang) {
        Ok(intake) if extra.is_empty() => intake,
        Ok(_) => return sub.refused(extra, show),
        Err(mut problems) => {
            problems.0.extend(extra.0);
            return sub.refused(problems, show);
        }
    };
    let Some(manager) = assignee(intake.care_manager.as_deref(), &desk)? else {
        let mut problems = trama_sdk::input::Problems::default();
        problems.push("care_manager", t!("casework.problems.care_manager"));
        return sub.refused(problems, show);
    };
    let now = clock::now_ms();
    let case = Case {
        tax_code: intake.person.tax_code.clone(),
        person: intake.person,
        account: None,
        household: intake.household,
        needs: intake.needs,
        consent: Consent {
            version: settings.consent_version.clone(),
            at: now,
        },
        care_manager: manager.id.clone(),
        care_manager_name: manager.display_name.clone(),
        team: intake.team,
        status: State::Open,
        opened_at: now,
        opened_by: desk.id.clone(),
        goals: Vec::new(),
        outcome: None,
        closed_at: None,
        closing_note: String::new(),
    };
    let doc = CASES.insert(case)?;
    super::profile::save_at_intake(&doc.id, &profile)?;
    // Who, which team and which notice: never the person's data, which stays in the case.
    audit::record(
        "case.opened",
        &doc.id,
        &json!({ "care_manager": manager.id, "team": doc.data.team, "consent_version": settings.consent_version }),
    )?;
    let done = t!("casework.done.opened", name = doc.data.person.name);
    let path = format!("/cases/{}", doc.id);
    sub.done(&json!({ "id": doc.id }), &path)
        .map(|answer| answer.with_notice(done))
}

/// A refusal for a case-closed change, shown in the form.
pub fn closed() -> Error {
    Error::conflict(t!("casework.errors.closed"))
}
