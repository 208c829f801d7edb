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
use crate::situation::{self, Scale};

/// What the case page shows of the reviews (staff only).
pub fn context(case: &str, now_ms: i64) -> Result<Value> {
    let lang = i18n::current();
    let settings = Settings::load()?;
    let scale = Scale::new(&settings.situation_scale);
    let history: Vec<Value> = review::of_case(case)?
        .iter()
        .map(|doc| {
            json!({
                "when": local::numeric(doc.data.at),
                "author": doc.data.author_name,
                "note": doc.data.note,
                "plan": doc.data.plan.label(),
                "situation": doc.data.situation.map(|level| scale.label(level)),
            })
        })
        .collect();
    // The first assessment, which every later one is compared with.
    let baseline = situation::baseline_of(case)?
        .map(|b| json!({ "level": scale.label(b.level), "when": local::numeric(b.at) }));
    let plans: Vec<Value> = PlanState::ALL
        .iter()
        .map(|p| json!({ "key": p.key(), "text": p.label() }))
        .collect();
    Ok(json!({
        "next": review::shown(review::next_of(case)?, now_ms, lang),
        "history": history,
        "plans": plans,
        "default_days": settings.review_days,
        "situation": {
            "on": scale.on(),
            "choices": scale.choices(),
            "baseline": baseline,
        },
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
/// `adjusted`, `stalled`), `next` (optional: `review_days` ahead when empty), `situation`
/// (the household's situation on the scale, `1` the gravest; required while the scale is on).
pub fn add(request: Request, params: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let id = params.get("id")?.to_owned();
    let (doc, _) = access::for_staff(&id, &user)?;
    let sub = Submission::read(&request, "review", &["note", "plan", "next", "situation"])?;
    let show = |status, form| render(&id, &user, status, Some(form));
    if doc.data.status == State::Closed {
        return sub.failed(closed(), show);
    }
    let now = clock::now_ms();
    let settings = Settings::load()?;
    let scale = Scale::new(&settings.situation_scale);
    let checked = match review::check(&sub.input, now, settings.review_days, &scale) {
        Ok(checked) => checked,
        Err(problems) => return sub.refused(problems, show),
    };
    let next = checked.next;
    let added = review::record(&doc, checked, &scale, &user, now)?;
    sub.done(
        &json!({
            "id": added.id,
            "next": next.to_string(),
            "situation": added.data.situation,
            "before": added.data.before,
        }),
        &format!("/cases/{id}"),
    )
    .map(|answer| {
        answer.with_notice(t!(
            "casework.review.done.recorded",
            when = local::long_date(next, sub.lang)
        ))
    })
}
