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
use trama_sdk::http::Response;
use trama_sdk::i18n::Lang;
use trama_sdk::identity::{self, User};
use trama_sdk::{Error, Result};

/// Where the plugin is mounted, for redirects and links in messages.
pub const BASE: &str = "/p/tutoring";

pub use trama_sdk::i18n::lang;
pub use trama_sdk::input::{FormState, wants_json, with_form};

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
