//! The HTTP side: pages for people (forms that work without JavaScript) and a JSON API for
//! programs, both over the same domain functions.
//!
//! A `POST` under `/api/` or with a body (JSON, or CSV for uploads) is answered in JSON; a form
//! post is answered with a redirect, or with its page again (status 422 or 409) showing what
//! to fix next to the fields, filled with what was typed — one flow, `trama_sdk::submit`.

pub mod companies;
pub mod home;
pub mod mine;
pub mod plans;
pub mod providers;
pub mod requests;
pub mod wallet;

use trama_sdk::Result;
use trama_sdk::http::Request;
use trama_sdk::i18n::Lang;
use trama_sdk::identity::User;
use trama_sdk::web::Audience;

/// Where the plugin is mounted, for the links it hands to the kernel (the `/me` page, inbox
/// notices), which are shown outside the plugin's pages.
pub const BASE: &str = "/p/corporate-plans";

pub use trama_sdk::i18n::lang;
pub use trama_sdk::input::{FormState, with_form};

/// The cooperative's operators (and the instance's administrators) run companies and
/// providers.
pub const OPERATORS: Audience = Audience {
    roles: &["operator", "admin"],
    refusal: "corporate_plans.refusal.operators",
};

/// The language of `request` and the operator who sent it: how every operators' page and API
/// call begins. Anyone else is refused, in that language, as [`OPERATORS`] says.
pub fn operator(request: &Request) -> Result<(Lang, User)> {
    let lang = lang(request);
    let user = OPERATORS.require(lang)?;
    Ok((lang, user))
}
