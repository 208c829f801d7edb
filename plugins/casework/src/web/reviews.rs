//! The reviews of the personal plan on the case page: the next date (overdue ones marked), the
//! reviews recorded, and the two forms — set the next date, record a review.

use serde_json::{Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n;
use trama_sdk::identity;
use trama_sdk::input::Problems;
use trama_sdk::router::Params;
use trama_sdk::submit::Submission;
use trama_sdk::{Result, audit, clock, local, t};

use super::desk::closed;
use super::file::render;
use crate::access;
use crate::case::State;
use crate::config::Settings;
use crate::review::{self, PlanState};

/// What the case page shows of the reviews (staff only).
pub fn context(case: &str, now_ms: i64) -> Result<Value> {
    let lang = i18n::current();
    let history: Vec<Value> = review::of_case(case)?
        .iter()
        .map(|doc| {
            json!({
                "when": local::numeric(doc.data.at),
                "author": doc.data.author_name,
                "note": doc.data.note,
                "plan": doc.data.plan.label(),
            })
        })
        .collect();
    let plans: Vec<Value> = PlanState::ALL
        .iter()
        .map(|p| json!({ "key": p.key(), "text": p.label() }))
        .collect();
    Ok(json!({
        "next": review::shown(review::next_of(case)?, now_ms, lang),
        "history": history,
        "plans": plans,
        "default_days": Settings::load()?.review_days,
    }))
}

/// `POST /cases/{id}/review-date` (+ `/api/`), the case's staff: `date` (`YYYY-MM-DD`, from
/// today to two years ahead). Audited as `case.review_scheduled`.
pub fn set_date(request: Request, params: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let id = params.get("id")?.to_owned();
    let (doc, _) = access::for_staff(&id, &user)?;
    let sub = Submission::read(&request, "review_date", &["date"])?;
    let show = |status, form| render(&id, &user, status, Some(form));
    if doc.data.status == State::Closed {
        return sub.failed(closed(), show);
    }
    let mut problems = Problems::default();
    let Some(date) = review::check_date(&sub.input, "date", clock::now_ms(), &mut problems) else {
        return sub.refused(problems, show);
    };
    review::schedule(&id, date)?;
    audit::record(
        "case.review_scheduled",
        &id,
        &json!({ "next": date.to_string() }),
    )?;
    sub.done(
        &json!({ "id": id, "next": date.to_string() }),
        &format!("/cases/{id}"),
    )
    .map(|answer| {
        answer.with_notice(t!(
            "casework.review.done.scheduled",
            when = local::long_date(date, sub.lang)
        ))
    })
}

/// `POST /cases/{id}/reviews` (+ `/api/`), the case's staff: `note`, `plan` (`on_track`,
/// `adjusted`, `stalled`), `next` (optional: `review_days` ahead when empty).
pub fn add(request: Request, params: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let id = params.get("id")?.to_owned();
    let (doc, _) = access::for_staff(&id, &user)?;
    let sub = Submission::read(&request, "review", &["note", "plan", "next"])?;
    let show = |status, form| render(&id, &user, status, Some(form));
    if doc.data.status == State::Closed {
        return sub.failed(closed(), show);
    }
    let now = clock::now_ms();
    let checked = match review::check(&sub.input, now, Settings::load()?.review_days) {
        Ok(checked) => checked,
        Err(problems) => return sub.refused(problems, show),
    };
    let next = checked.2;
    let added = review::record(&id, checked, &user, now)?;
    sub.done(
        &json!({ "id": added.id, "next": next.to_string() }),
        &format!("/cases/{id}"),
    )
    .map(|answer| {
        answer.with_notice(t!(
            "casework.review.done.recorded",
            when = local::long_date(next, sub.lang)
        ))
    })
}
