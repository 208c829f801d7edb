//! Statistics for the social services, and the care teams of staff.

use serde_json::{Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::lang;
use trama_sdk::input::{FormState, Problems, with_form};
use trama_sdk::router::Params;
use trama_sdk::submit::Submission;
use trama_sdk::{Result, audit, identity, t};

use super::{ADMINS, SUPERVISORS};
use crate::access::{STAFF, Staff};
use crate::case::CASES;
use crate::config::Settings;
use crate::period::Scope;
use crate::service_stats::{self, Services};
use crate::stats;

/// The cases' tables and the referrals' and outreach's, over what `scope` covers.
fn tables(scope: &Scope) -> Result<(stats::Tables, Services)> {
    let settings = Settings::load()?;
    let cases = CASES.query().fetch_all()?;
    // The first note of each case: notes come oldest first, so the first seen is kept.
    let mut first_notes = std::collections::HashMap::new();
    for note in crate::note::NOTES.query().order_by("at").fetch_all()? {
        first_notes.entry(note.data.case).or_insert(note.data.at);
    }
    let cases = stats::tables(
        cases
            .iter()
            .filter(|d| scope.covers_at(d.data.opened_at, &d.data.team))
            .map(|d| (d.id.as_str(), &d.data)),
        &settings.needs,
        &first_notes,
    );
    Ok((cases, service_stats::load(scope)?))
}

/// The scope asked by the query, checked against the instance's care teams.
fn scope(request: &Request) -> Result<Scope> {
    Scope::read(request, &Settings::load()?.teams)
}

/// `GET /stats?from=&to=&team=` (supervisors, admins)
pub fn stats_page(request: Request, _: Params) -> Result<Response> {
    SUPERVISORS.require(lang(&request))?;
    let scope = scope(&request)?;
    let (cases, services) = tables(&scope)?;
    Response::render(
        "stats.html",
        &json!({
            "stats": cases,
            "services": services,
            // What the filter form shows again: empty for "any".
            "filter": {
                "from": scope.from.unwrap_or_default(),
                "to": scope.to.unwrap_or_default(),
                "team": scope.team.unwrap_or_default(),
            },
            "teams": Settings::load()?.teams,
        }),
    )
}

/// `GET /api/stats?from=&to=&team=` (supervisors, admins)
pub fn stats_api(request: Request, _: Params) -> Result<Response> {
    SUPERVISORS.require(lang(&request))?;
    let scope = scope(&request)?;
    let (cases, services) = tables(&scope)?;
    // The referrals and outreach tables beside the cases' (see `service_stats`).
    let mut answer =
        serde_json::to_value(cases).map_err(|e| trama_sdk::Error::internal(e.to_string()))?;
    answer["services"] =
        serde_json::to_value(services).map_err(|e| trama_sdk::Error::internal(e.to_string()))?;
    answer["scope"] =
        serde_json::to_value(scope).map_err(|e| trama_sdk::Error::internal(e.to_string()))?;
    Response::json(&answer)
}

fn staff_page_with(status: u16, form: Option<FormState>) -> Result<Response> {
    let settings = Settings::load()?;
    let staff: Vec<Value> = STAFF
        .query()
        .order_by("username")
        .fetch_all()?
        .into_iter()
        .map(|d| json!({ "username": d.data.username, "name": d.data.name, "teams": d.data.teams }))
        .collect();
    let context = json!({ "staff": staff, "teams": settings.teams });
    Response::render_with_status(status, "staff.html", &with_form(context, form))
}

/// `GET /staff` (admins)
pub fn staff_page(request: Request, _: Params) -> Result<Response> {
    ADMINS.require(lang(&request))?;
    staff_page_with(200, None)
}

/// `POST /staff` and `POST /api/staff` (admins): `username` (a care manager or supervisor) and
/// `teams` (none takes them out of every team).
pub fn set_staff(request: Request, _: Params) -> Result<Response> {
    ADMINS.require(lang(&request))?;
    let settings = Settings::load()?;
    let sub = Submission::read(&request, "staff", &["username", "teams"])?.with_lists(&["teams"]);
    let show = |status, form| staff_page_with(status, Some(form));
    let mut problems = Problems::default();
    let username = sub.input.one("username").unwrap_or_default();
    let mut member = None;
    for role in ["care_manager", "supervisor"] {
        if let Some(user) = identity::holders(role)?
            .into_iter()
            .find(|u| u.username == username)
        {
            member = Some(user);
            break;
        }
    }
    if member.is_none() {
        problems.push("username", t!("casework.problems.staff"));
    }
    let teams: Vec<String> = sub
        .input
        .many("teams")
        .into_iter()
        .map(str::to_owned)
        .collect();
    if teams.iter().any(|team| !settings.teams.contains(team)) {
        problems.push("teams", t!("casework.problems.team"));
    }
    let Some(member) = member.filter(|_| problems.is_empty()) else {
        return sub.refused(problems, show);
    };
    let staff = Staff {
        username: member.username.clone(),
        name: member.display_name.clone(),
        teams,
    };
    STAFF.put(&member.id, &staff)?;
    audit::record("staff.teams", &member.id, &json!({ "teams": staff.teams }))?;
    sub.done(
        &json!({ "username": staff.username, "teams": staff.teams }),
        "/staff",
    )
    .map(|answer| answer.with_notice(t!("casework.done.saved")))
}
