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

use trama_sdk::http::Request;

pub use trama_sdk::i18n::lang;
pub use trama_sdk::input::{FormState, with_form};

/// The last non-empty segment of the path: the verb of a `POST …/{id}/{verb}`.
pub fn verb(request: &Request) -> String {
    request
        .path()
        .rsplit('/')
        .find(|s| !s.is_empty())
        .unwrap_or_default()
        .to_owned()
}
