//! Referrals on the case page: the form that refers the person to a service, the list with
//! each referral's state and dates (Rome's time), and an outcome recorded by hand (see
//! [`crate::referral`]).

use serde_json::{Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::identity;
use trama_sdk::input::Problems;
use trama_sdk::router::Params;
use trama_sdk::store::Doc;
use trama_sdk::submit::Submission;
use trama_sdk::{Result, audit, clock, local, t};

use super::desk::closed;
use super::file::render;
use crate::access;
use crate::case::State as CaseState;
use crate::catalogue;
use crate::measure;
use crate::people;
use crate::referral::{self, REFERRALS, Referral, Service, State};

fn choice<T: Copy>(
    all: &[T],
    key: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> String,
) -> Vec<Value> {
    all.iter()
        .map(|c| json!({ "key": key(*c), "text": label(*c) }))
        .collect()
}

/// One referral as the case page and its JSON show it.
pub fn view(doc: &Doc<Referral>) -> Value {
    let r = &doc.data;
    let target = match r.service {
        Service::Vouchers => r.campaign_title.clone().unwrap_or_default(),
        Service::Tutoring => String::new(),
        Service::Catalogue => r.offer_title.clone().unwrap_or_default(),
        Service::Outside if r.contact.is_empty() => r.body.clone(),
        Service::Outside => format!("{} ({})", r.body, r.contact),
    };
    let steps: Vec<Value> = r
        .steps
        .iter()
        .map(|s| json!({ "when": local::numeric(s.at), "state": s.state, "state_label": s.state.label() }))
        .collect();
    json!({
        "id": doc.id,
        "service": r.service,
        "service_label": r.service.label(),
        "campaign": r.campaign,
        "offer": r.offer,
        "target": target,
        "reason": r.reason,
        "state": r.state,
        "state_label": r.state.label(),
        "referred": local::numeric(r.referred_at),
        "steps": steps,
        "outcomes": choice(r.outcomes_by_hand(), State::key, State::label),
    })
}

/// The referrals of case `id`, for the page and the JSON.
pub fn of_case(id: &str) -> Result<Value> {
    Ok(Value::Array(
        referral::of_case(id)?.iter().map(view).collect(),
    ))
}

/// What the referral form offers: the services, the measures open today and the services of
/// the catalogue (with their provider, when known).
pub fn form_choices() -> Result<Value> {
    let offers: Vec<Value> = catalogue::offered()?
        .iter()
        .map(|o| {
            let text = if o.data.provider.is_empty() {
                o.data.title.clone()
            } else {
                format!("{} ({})", o.data.title, o.data.provider)
            };
            json!({ "key": o.id, "text": text })
        })
        .collect();
    let campaigns: Vec<Value> = measure::open(clock::today())?
        .iter()
        .map(|m| json!({ "key": m.id, "text": m.data.title }))
        .collect();
    Ok(json!({
        "services": choice(&Service::ALL, Service::key, Service::label),
        "campaigns": campaigns,
        "offers": offers,
    }))
}

/// `POST /cases/{id}/referrals` (+ `/api/`), staff of the case: `service`, `campaign` (for
/// vouchers, a measure open today), `offer` (for the catalogue, one of its services), `name`
/// and `contact` (an outside body), `reason`.
pub fn refer(request: Request, params: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let id = params.get("id")?.to_owned();
    let (doc, _) = access::for_staff(&id, &user)?;
    let sub = Submission::read(&request, "referral", referral::FIELDS)?;
    let show = |status, form| render(&id, &user, status, Some(form));
    let open = measure::open(clock::today())?;
    let offers = catalogue::offered()?;
    let draft = match referral::check(&sub.input, &open, &offers) {
        Ok(draft) => draft,
        Err(problems) => return sub.refused(problems, show),
    };
    if doc.data.status == CaseState::Closed {
        return sub.failed(closed(), show);
    }
    let referral = Referral::new(
        &id,
        people::key(&doc.data.tax_code),
        draft,
        &user.id,
        clock::now_ms(),
    );
    let added = REFERRALS.insert(referral)?;
    // Where to, never why: the reason stays in the case.
    audit::record(
        "case.referred",
        &id,
        &json!({ "referral": added.id, "service": added.data.service, "campaign": added.data.campaign, "offer": added.data.offer }),
    )?;
    let path = format!("/cases/{id}#referrals");
    sub.done(&json!({ "id": added.id, "state": added.data.state }), &path)
        .map(|answer| answer.with_notice(t!("casework.done.referred")))
}

/// `POST /cases/{id}/referrals/{referral}/outcome` (+ `/api/`), staff of the case: `outcome`,
/// one the referral takes by hand now (see [`Referral::outcomes_by_hand`]).
pub fn outcome(request: Request, params: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let id = params.get("id")?.to_owned();
    let (doc, _) = access::for_staff(&id, &user)?;
    let referral_id = params.get("referral")?.to_owned();
    let found = REFERRALS
        .get(&referral_id)?
        .filter(|r| r.data.case == id)
        .ok_or_else(|| trama_sdk::Error::not_found(t!("casework.errors.no_referral")))?;
    let sub = Submission::read(&request, "outcome", &["outcome", "referral"])?;
    let show = |status, form| render(&id, &user, status, Some(form));
    if doc.data.status == CaseState::Closed {
        return sub.failed(closed(), show);
    }
    let to = sub.input.one("outcome").and_then(State::parse);
    let mut referral = found.data;
    let recorded = to.is_some_and(|to| referral.record(to, &user.id, clock::now_ms()));
    let Some(to) = to.filter(|_| recorded) else {
        let mut problems = Problems::default();
        problems.push("outcome", t!("casework.problems.outcome_by_hand"));
        return sub.refused(problems, show);
    };
    if let Err(err) = REFERRALS.put_if_version(&referral_id, &referral, found.version) {
        return sub.failed(err, show);
    }
    audit::record(
        "case.referral_outcome",
        &id,
        &json!({ "referral": referral_id, "state": to.key() }),
    )?;
    let path = format!("/cases/{id}#referrals");
    sub.done(&json!({ "id": referral_id, "state": to }), &path)
        .map(|answer| answer.with_notice(t!("casework.done.saved")))
}
