//! The HTTP side: pages for people (forms that work without JavaScript) and a JSON API for
//! programs, both over the same domain functions.
//!
//! A `POST` under `/api/` or with a body (JSON) is answered in JSON; a form post is answered
//! with a redirect, or with its page again (status 422) listing what to fix next to the fields,
//! filled with what was typed.

pub mod applications;
pub mod campaigns;
pub mod dashboard;
pub mod home;
pub mod merchants;

use serde::Serialize;
use trama_sdk::http::Response;
use trama_sdk::i18n::Lang;
use trama_sdk::identity::{self, User};
use trama_sdk::{Error, Result};

/// Where the plugin is mounted, for redirects.
pub const BASE: &str = "/p/vouchers";

pub use trama_sdk::i18n::lang;
pub use trama_sdk::input::{FormState, wants_json, with_form};

/// Operators and administrators run campaigns.
pub fn is_operator() -> bool {
    identity::has_role("operator") || identity::has_role("admin")
}

pub fn require_operator(lang: Lang) -> Result<User> {
    let user = identity::require_login()?;
    if is_operator() {
        Ok(user)
    } else {
        Err(Error::forbidden(lang.pick(
            "questa pagina è riservata agli operatori del Comune (ruolo `operator`)",
            "this page is for the municipality's operators (role `operator`)",
        )))
    }
}

pub fn require_merchant(lang: Lang) -> Result<User> {
    let user = identity::require_login()?;
    if identity::has_role("merchant") {
        Ok(user)
    } else {
        Err(Error::forbidden(lang.pick(
            "questa pagina è riservata agli esercenti convenzionati (ruolo `merchant`)",
            "this page is for affiliated merchants (role `merchant`)",
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
