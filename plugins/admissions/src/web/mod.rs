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

use trama_sdk::Result;
use trama_sdk::http::{Request, Response};
use trama_sdk::input::Problems;
use trama_sdk::submit::Submission;

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

/// Answers a step posted on a case (an application, a proceeding). `read` is the step's input
/// checked and, once it passed, the step's outcome: problems with the input, or a step refused,
/// `show` the case's page again with the form; a step taken goes to `done`. Both kinds of case
/// answer their steps the same way, so they share this.
pub fn answer_step<T>(
    sub: &Submission,
    read: std::result::Result<Result<T>, Problems>,
    show: impl FnOnce(u16, FormState) -> Result<Response>,
    done: impl FnOnce(T) -> Result<Response>,
) -> Result<Response> {
    match read {
        Ok(outcome) => sub.answer(outcome, done, show),
        Err(problems) => sub.refused(problems, show),
    }
}
