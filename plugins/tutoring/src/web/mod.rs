//! The HTTP side: pages for people (forms that work without JavaScript) and a JSON API for
//! programs, both over the same domain functions.
//!
//! A request under `/api/` or with a body (JSON) is answered in JSON; a form post is answered
//! with a redirect, or with its page again (status 422 or 409) saying what to fix next to the
//! fields, filled with what was typed.

pub mod bookings;
pub mod families;
pub mod feeds;
pub mod home;
pub mod lessons;
pub mod mine;
pub mod reports;
pub mod spaces;
pub mod tutors;

use serde::Serialize;
use serde_json::{Map, Value};
use trama_sdk::http::{Request, Response};
use trama_sdk::identity::{self, User};
use trama_sdk::{Error, Result};

use crate::i18n::Lang;
use crate::input::Problems;

/// Where the plugin is mounted, for redirects and links in messages.
pub const BASE: &str = "/p/tutoring";

pub fn lang(request: &Request) -> Lang {
    Lang::from_locale(request.locale())
}

/// Whether the answer should be JSON.
pub fn wants_json(request: &Request) -> bool {
    request.path().starts_with("/api/") || !request.body().is_empty()
}

/// The cooperative's staff (and the instance's administrators).
pub fn is_operator() -> bool {
    identity::has_role("operator") || identity::has_role("admin")
}

pub fn require_operator(lang: Lang) -> Result<User> {
    let user = identity::require_login()?;
    if is_operator() {
        Ok(user)
    } else {
        Err(Error::forbidden(lang.pick(
            "questa pagina è riservata agli operatori della cooperativa (ruolo `operator`)",
            "this page is for the cooperative's operators (role `operator`)",
        )))
    }
}

pub fn require_tutor(lang: Lang) -> Result<User> {
    let user = identity::require_login()?;
    if identity::has_role("tutor") {
        Ok(user)
    } else {
        Err(Error::forbidden(lang.pick(
            "questa pagina è riservata ai tutor (ruolo `tutor`)",
            "this page is for tutors (role `tutor`)",
        )))
    }
}

/// A form that was refused: what to show next to each field, and what was typed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FormState {
    /// Which form on the page (a page may hold several).
    pub form: String,
    /// The summary shown on top.
    pub error: Option<String>,
    /// Field name → message.
    pub problems: Map<String, Value>,
    /// Field name → typed value(s).
    pub values: Map<String, Value>,
}

impl FormState {
    pub fn new(form: &str, problems: &Problems, values: Map<String, Value>, lang: Lang) -> Self {
        Self {
            form: form.to_owned(),
            error: Some(problems.summary(lang)),
            problems: problems
                .0
                .iter()
                .map(|p| (p.field.clone(), Value::String(p.message.clone())))
                .collect(),
            values,
        }
    }

    /// A refusal that is not about one field (a full group, no hours left).
    pub fn message(form: &str, message: &str, values: Map<String, Value>) -> Self {
        Self {
            form: form.to_owned(),
            error: Some(message.to_owned()),
            problems: Map::new(),
            values,
        }
    }
}

/// Adds `form` (empty when none) to a page context.
pub fn with_form(mut context: Value, form: Option<FormState>) -> Value {
    if let Value::Object(map) = &mut context {
        map.insert(
            "form".into(),
            serde_json::to_value(form.unwrap_or_default()).unwrap_or(Value::Null),
        );
    }
    context
}

/// `201` with the value, for API creations.
pub fn created<T: Serialize>(value: &T) -> Result<Response> {
    Response::json_with_status(201, value)
}

/// The errors a form page shows in place rather than on the kernel's error page: input the
/// person can fix by changing what they chose.
pub fn shown_in_form(err: &Error) -> bool {
    matches!(
        err,
        Error::Conflict(_) | Error::Invalid(_) | Error::NotFound(_)
    )
}

/// A redirect inside the plugin.
pub fn to(path: &str) -> Response {
    Response::redirect(format!("{BASE}{path}"))
}
