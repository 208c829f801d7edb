//! Welfare di iniziativa (see [`crate::outreach`]): the open measures, the households of the
//! reader's own cases (a supervisor's: their teams') a measure would likely admit and that
//! have not applied, and the contacts made with them. Every list shown is an audited read.

use serde_json::{Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::{self, lang};
use trama_sdk::identity::User;
use trama_sdk::input::{FormState, with_form};
use trama_sdk::money::format_cents;
use trama_sdk::router::Params;
use trama_sdk::store::{Cmp, Doc};
use trama_sdk::submit::Submission;
use trama_sdk::web::Audience;
use trama_sdk::{Error, Result, audit, clock, t};

use crate::access::{self, teams_of};
use crate::case::{CASES, Case, State};
use crate::measure::{self, MEASURES, Measure};
use crate::outreach::{self, CONTACTS, Channel, Contact, Reply};
use crate::profile;

/// Care managers (their own cases) and supervisors (their teams').
pub const OUTREACH: Audience = Audience {
    roles: &["care_manager", "supervisor"],
    refusal: "casework.refusal.outreach",
};

/// The open cases the reader works on: assigned to them, or of the teams they supervise.
fn cases_in_scope(user: &User) -> Result<Vec<Doc<Case>>> {
    let mut cases = Vec::new();
    if user.has_role("care_manager") {
        cases = CASES
            .query()
            .filter("care_manager", Cmp::Eq, user.id.as_str())
            .filter("status", Cmp::Eq, State::Open.key())
            .fetch_all()?;
    }
    if user.has_role("supervisor") {
        for team in teams_of(&user.id)? {
            for doc in CASES
                .query()
                .filter("team", Cmp::Eq, team.as_str())
                .filter("status", Cmp::Eq, State::Open.key())
                .fetch_all()?
            {
                if !cases.iter().any(|c| c.id == doc.id) {
                    cases.push(doc);
                }
            }
        }
    }
    cases.sort_by(|a, b| a.data.person.name.cmp(&b.data.person.name));
    Ok(cases)
}

/// `YYYY-MM-DD` as Italian dates are written, `05/12/2026`.
fn day(date: &str) -> String {
    match trama_sdk::clock::Date::parse(date) {
        Ok(d) => format!("{:02}/{:02}/{}", d.day, d.month, d.year),
        Err(_) => date.to_owned(),
    }
}

fn measure_view(doc: &Doc<Measure>) -> Value {
    let m = &doc.data;
    let lang = i18n::current();
    json!({
        "id": doc.id,
        "title": m.title,
        "closes": day(&m.closes_on),
        "open": m.open_on(clock::today()),
        "isee_max": m.isee_max_cents.map(|c| format_cents(c, lang)),
        "household_min": m.household_min,
        "residence_required": m.residence_required,
        "rulebook": m.rulebook,
    })
}

/// The households `campaign` would likely admit among the reader's cases that have not
/// applied, each with what the case cannot tell and the contacts so far; the read is audited.
fn list(campaign: &str, user: &User, purpose: &str) -> Result<(Doc<Measure>, Vec<Value>)> {
    let measure = MEASURES
        .get(campaign)?
        .ok_or_else(|| Error::not_found(t!("casework.errors.no_measure")))?;
    let lang = i18n::current();
    let mut rows = Vec::new();
    let mut listed = Vec::new();
    for case in cases_in_scope(user)? {
        if measure::applied(campaign, &case.id)? {
            continue;
        }
        let profile = profile::of(&case.id)?;
        let Some(unknown) = outreach::likely(&measure.data, &case.data, &profile) else {
            continue;
        };
        let contacts: Vec<Value> = outreach::contacts_of(&case.id, campaign)?
            .iter()
            .map(|c| json!({ "date": day(&c.data.date), "channel": c.data.channel.label(), "result": c.data.result.label() }))
            .collect();
        listed.push(case.id.clone());
        rows.push(json!({
            "case": case.id,
            "name": case.data.person.name,
            "team": case.data.team,
            "household_size": outreach::household_size(&case.data),
            "isee": profile.isee_cents.map(|c| format_cents(c, lang)),
            "unknown": unknown.iter().map(|u| u.label()).collect::<Vec<_>>(),
            "contacts": contacts,
        }));
    }
    audit::record(
        "outreach.read",
        campaign,
        &json!({ "reader": user.id, "purpose": purpose, "cases": listed }),
    )?;
    Ok((measure, rows))
}

/// `GET /outreach`: the measures open today.
pub fn measures(request: Request, _: Params) -> Result<Response> {
    OUTREACH.require(lang(&request))?;
    let open: Vec<Value> = measure::open(clock::today())?
        .iter()
        .map(measure_view)
        .collect();
    Response::render("outreach.html", &json!({ "measures": open }))
}

fn page(campaign: &str, user: &User, status: u16, form: Option<FormState>) -> Result<Response> {
    let (measure, rows) = list(campaign, user, "page")?;
    let choices = |all: Vec<(&str, String)>| -> Vec<Value> {
        all.into_iter()
            .map(|(key, text)| json!({ "key": key, "text": text }))
            .collect()
    };
    let context = json!({
        "measure": measure_view(&measure),
        "households": rows,
        "today": clock::today().to_string(),
        "channels": choices(Channel::ALL.iter().map(|c| (c.key(), c.label())).collect()),
        "replies": choices(Reply::ALL.iter().map(|r| (r.key(), r.label())).collect()),
    });
    Response::render_with_status(status, "outreach_list.html", &with_form(context, form))
}

/// `GET /outreach/{campaign}`
pub fn households_page(request: Request, params: Params) -> Result<Response> {
    let user = OUTREACH.require(lang(&request))?;
    page(params.get("campaign")?, &user, 200, None)
}

/// `GET /api/outreach/{campaign}`
pub fn households_api(request: Request, params: Params) -> Result<Response> {
    let user = OUTREACH.require(lang(&request))?;
    let (measure, rows) = list(params.get("campaign")?, &user, "api")?;
    Response::json(&json!({ "measure": measure_view(&measure), "households": rows }))
}

/// `POST /outreach/{campaign}/contacts` (+ `/api/`): `case` (one the reader works on, else
/// `404`), `date` (`YYYY-MM-DD`, not in the future), `channel`, `result`.
pub fn record_contact(request: Request, params: Params) -> Result<Response> {
    let user = OUTREACH.require(lang(&request))?;
    let campaign = params.get("campaign")?.to_owned();
    if MEASURES.get(&campaign)?.is_none() {
        return Err(Error::not_found(t!("casework.errors.no_measure")));
    }
    let sub = Submission::read(&request, "contact", outreach::FIELDS)?;
    let case_id = sub.input.one("case").unwrap_or_default().to_owned();
    let (case, _) = access::for_staff(&case_id, &user)?;
    let show = |status, form| page(&campaign, &user, status, Some(form));
    let (date, channel, result) = match outreach::check(&sub.input, clock::today()) {
        Ok(checked) => checked,
        Err(problems) => return sub.refused(problems, show),
    };
    let contact = Contact {
        case: case_id.clone(),
        campaign: campaign.clone(),
        team: case.data.team.clone(),
        date,
        channel,
        result,
        recorded_by: user.id.clone(),
        recorded_at: clock::now_ms(),
    };
    let added = CONTACTS.insert(contact)?;
    audit::record(
        "case.outreach_contact",
        &case_id,
        &json!({ "contact": added.id, "campaign": campaign, "channel": channel, "result": result }),
    )?;
    let path = format!("/outreach/{campaign}");
    sub.done(&json!({ "id": added.id }), &path)
        .map(|answer| answer.with_notice(t!("casework.done.contact")))
}
