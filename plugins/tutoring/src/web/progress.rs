//! Tutoring paths on the child's page: start one in a subject with the child's mark, end it
//! with the mark at the end (see [`crate::progress`]); and the operators' count of the paths
//! ended, month by month, which the territory's `improved` indicator matches.

use serde_json::{Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::identity::{self, User};
use trama_sdk::input::Problems;
use trama_sdk::router::Params;
use trama_sdk::scale::{Refusal, Scale};
use trama_sdk::stats::{cell, enough, percent};
use trama_sdk::store::Doc;
use trama_sdk::submit::Submission;
use trama_sdk::{Result, clock, i18n, local, t};

use super::families::render_child;
use super::{OPERATORS, lang};
use crate::config::Settings;
use crate::family::{self, Child};
use crate::progress;

/// What the child's page shows of the paths.
pub fn context(child: &str) -> Result<Value> {
    let scale = Scale::new(&Settings::load()?.grade_scale);
    let paths: Vec<Value> = progress::of_child(child)?
        .iter()
        .map(|doc| {
            let p = &doc.data;
            json!({
                "subject": p.subject,
                "open": p.open,
                "start": scale.label(p.grade_start),
                "started": local::numeric(p.started_at),
                "end": p.grade_end.map(|g| scale.label(g)),
                "ended": p.ended_at.map(local::numeric),
            })
        })
        .collect();
    Ok(json!({ "on": scale.on(), "grades": scale.choices(), "paths": paths }))
}

/// The subject and mark of a path form, each mistake beside its field.
fn read(
    sub: &Submission,
    child: &Doc<Child>,
    scale: &Scale,
) -> std::result::Result<(String, u8), Problems> {
    let mut problems = Problems::default();
    let subject = sub
        .input
        .one("subject")
        .unwrap_or_default()
        .trim()
        .to_owned();
    if subject.is_empty() {
        problems.push("subject", t!("tutoring.progress.problems.subject"));
    } else if !child.data.subjects.contains(&subject) {
        problems.push(
            "subject",
            t!("tutoring.progress.problems.not_followed", subject = subject),
        );
    }
    let grade = match scale.read(&sub.input, "grade", true) {
        Ok(grade) => grade,
        Err(refusal) => {
            let key = match refusal {
                Refusal::Missing => "tutoring.progress.problems.grade",
                Refusal::OutOfRange => "tutoring.progress.problems.grade_range",
            };
            let levels = scale.levels();
            problems.push("grade", i18n::text(key, &[("levels", &levels)]));
            None
        }
    };
    if !scale.on() {
        problems.push("grade", t!("tutoring.progress.problems.off"));
    }
    match grade {
        Some(grade) if problems.is_empty() => Ok((subject, grade)),
        _ => Err(problems),
    }
}

fn act(request: Request, params: Params, starting: bool) -> Result<Response> {
    let user: User = identity::require_login()?;
    let id = params.get("id")?.to_owned();
    let (child, _) = family::child_for(&id, &user, OPERATORS.admits())?;
    let form = if starting { "path_start" } else { "path_end" };
    let sub = Submission::read(&request, form, &["subject", "grade"])?;
    let show = |status, form| render_child(&id, &user, status, Some(form));
    let scale = Scale::new(&Settings::load()?.grade_scale);
    let (subject, grade) = match read(&sub, &child, &scale) {
        Ok(read) => read,
        Err(problems) => return sub.refused(problems, show),
    };
    let now = clock::now_ms();
    let outcome = if starting {
        progress::start(&child, &subject, grade, &scale, &user, now)
    } else {
        progress::end(&child, &subject, grade, &scale, now)
    };
    let path = format!("/children/{id}");
    sub.answer(
        outcome,
        |doc| {
            let notice = if starting {
                t!("tutoring.progress.started", subject = subject)
            } else {
                t!("tutoring.progress.ended", subject = subject)
            };
            sub.done(
                &json!({
                    "id": doc.id,
                    "subject": doc.data.subject,
                    "open": doc.data.open,
                    "grade_start": doc.data.grade_start,
                    "grade_end": doc.data.grade_end,
                    "attended_minutes": doc.data.attended_minutes,
                }),
                &path,
            )
            .map(|answer| answer.with_notice(notice))
        },
        show,
    )
}

/// `POST /children/{id}/paths` (+ `/api/`), the family or an operator: `subject` (one the child
/// needs help in), `grade` (1 to the scale's levels). `409` when one is open in the subject.
pub fn start(request: Request, params: Params) -> Result<Response> {
    act(request, params, true)
}

/// `POST /children/{id}/paths/end` (+ `/api/`), the family or an operator: `subject`, `grade`;
/// publishes `tutoring.path_completed`. `404` when none is open in the subject.
pub fn end(request: Request, params: Params) -> Result<Response> {
    act(request, params, false)
}

/// `GET /api/outcomes` (operators): the paths ended, by month, newest first — `ended`,
/// `improved`, `unchanged`, `worse` as published (`"< 5"` from 1 to 4) and the share improved
/// from five paths on.
pub fn outcomes(request: Request, _: Params) -> Result<Response> {
    OPERATORS.require(lang(&request))?;
    let paths = progress::ended()?;
    let mut months: Vec<Value> = progress::monthly(paths.iter().map(|doc| &doc.data))
        .into_iter()
        .map(|m| {
            json!({
                "month": m.month,
                "ended": cell(m.ended),
                "improved": cell(m.improved),
                "unchanged": cell(m.unchanged),
                "worse": cell(m.worse),
                "improved_share": enough(m.ended).then(|| percent(m.improved, m.ended)).flatten(),
            })
        })
        .collect();
    months.reverse();
    Response::json(&json!({ "months": months }))
}
