//! The HTTP side: pages for people (forms that work without JavaScript) and a JSON API for
//! programs, both over the same domain functions.
//!
//! A `POST` under `/api/` or with a body (JSON) is answered in JSON; a form post is answered
//! with a redirect, or with its page again (status 422 or 409) saying what to fix next to the
//! fields, filled with what was typed.

pub mod applications;
pub mod apply;
pub mod committee;
pub mod exports;
pub mod home;
pub mod mine;
pub mod register;

use serde::Serialize;
use trama_sdk::http::{Request, Response};
use trama_sdk::{Error, Result};

/// Where the plugin is mounted, for redirects.
pub const BASE: &str = "/p/admissions";

pub use trama_sdk::i18n::lang;
pub use trama_sdk::input::{FormState, wants_json, with_form};

/// The last non-empty segment of the path: the verb of a `POST …/{id}/{verb}`.
pub fn verb(request: &Request) -> String {
    request
        .path()
        .rsplit('/')
        .find(|s| !s.is_empty())
        .unwrap_or_default()
        .to_owned()
}

/// `201` with the value, for API creations.
pub fn created<T: Serialize>(value: &T) -> Result<Response> {
    Response::json_with_status(201, value)
}

/// The errors a form page shows in place rather than on the kernel's error page: what the
/// person can act on from the same page.
pub fn shown_in_form(err: &Error) -> bool {
    matches!(
        err,
        Error::Conflict(_) | Error::Invalid(_) | Error::Forbidden(_)
    )
}
