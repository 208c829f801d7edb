//! `GET /`: one page for everyone, by role — the family's children and next lessons, the
//! tutor's shortcut, the operators' menu.

use serde_json::json;
use trama_sdk::http::{Request, Response};
use trama_sdk::router::Params;
use trama_sdk::{Result, clock, identity};

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
