//! The HTTP side: pages for people (forms that work without JavaScript) and a JSON API for
//! programs, both over the same domain functions.
//!
//! A `POST` under `/api/` or with a body (JSON, or CSV for uploads) is answered in JSON; a form
//! post is answered with a redirect, or with its page again (status 422 or 409) showing what
//! to fix next to the fields, filled with what was typed.

pub mod companies;
pub mod home;
pub mod mine;
pub mod plans;
pub mod providers;
pub mod wallet;

use serde::Serialize;
use trama_sdk::http::Response;
use trama_sdk::i18n::Lang;
use trama_sdk::identity::{self, User};
use trama_sdk::{Error, Result};

/// Where the plugin is mounted, for redirects.
pub const BASE: &str = "/p/corporate-plans";

pub use trama_sdk::i18n::lang;
pub use trama_sdk::input::{FormState, wants_json, with_form};

/// The cooperative's operators (and the instance's administrators) run companies and
/// providers.
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

/// `201` with the value, for API creations.
pub fn created<T: Serialize>(value: &T) -> Result<Response> {
    Response::json_with_status(201, value)
}

/// The errors a form page shows in place rather than on the kernel's error page: input the
/// person can fix by changing what they typed.
pub fn shown_in_form(err: &Error) -> bool {
    matches!(
        err,
        Error::Conflict(_) | Error::Invalid(_) | Error::NotFound(_)
    )
}

/// A redirect to a page of the plugin.
pub fn redirect(path: &str) -> Response {
    Response::redirect(format!("{BASE}{path}"))
}
