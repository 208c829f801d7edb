//! `GET /`: one page for everyone, by role — the family's children and next lessons, the
//! tutor's shortcut, the operators' menu; and whether groups can meet, for the instance's
//! home page.

use serde_json::json;
use trama_sdk::availability::Availability;
use trama_sdk::http::{Request, Response};
use trama_sdk::router::Params;
use trama_sdk::{Result, clock, identity, t};

use super::families::current_balance;
use super::{OPERATORS, lang};
use crate::config::Settings;
use crate::family::{self, ChildView};

pub fn page(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let settings = Settings::load()?;
    let user = identity::caller();
    let (children, balance) = match &user {
        Some(user) => match family::of_user(user)? {
            Some(doc) => (
                family::children_of(&doc.id)?
                    .iter()
                    .map(ChildView::new)
                    .collect::<Vec<_>>(),
                Some(current_balance(&doc.id, &settings, clock::now_ms(), lang)?),
            ),
            None => (Vec::new(), None),
        },
        None => (Vec::new(), None),
    };
    Response::render(
        "index.html",
        &json!({
            "service": settings.service_name,
            "logged_in": user.is_some(),
            "is_operator": OPERATORS.admits(),
            "is_tutor": identity::has_role("tutor"),
            "children": children,
            "balance": balance,
            "max_group_size": settings.max_group_size,
            "lesson_minutes": settings.lesson_minutes,
            "cancellation_deadline_hours": settings.cancellation_deadline_hours,
        }),
    )
}

/// `GET /api/status` (anyone; the kernel, for the home page's card): open while an active tutor
/// and an active space let a group meet, saying in which subjects.
pub fn status(_: Request, _: Params) -> Result<Response> {
    let settings = Settings::load()?;
    let tutors: Vec<_> = crate::tutor::all()?
        .into_iter()
        .filter(|t| t.data.active)
        .collect();
    let spaces = crate::space::all()?
        .iter()
        .filter(|s| s.data.active)
        .count();
    let answer = if tutors.is_empty() || spaces == 0 {
        Availability::closed(t!("tutoring.status.none"))
    } else {
        // The subjects someone teaches, in the order the instance lists them.
        let taught: Vec<&str> = settings
            .subjects
            .iter()
            .filter(|subject| tutors.iter().any(|t| t.data.subjects.contains(subject)))
            .map(String::as_str)
            .collect();
        Availability::open(t!(
            "tutoring.status.open",
            n = tutors.len(),
            subjects = taught.join(", ")
        ))
    };
    answer.respond()
}
