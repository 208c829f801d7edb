//! The HTTP side: pages for people (forms that work without JavaScript) and a JSON API for
//! programs, both over the same domain functions.
//!
//! A `POST` under `/api/` or with a body (JSON) is answered in JSON; a form post is answered
//! with a redirect, or with its page again (status 422) listing what to fix next to the fields,
//! filled with what was typed.

pub mod applications;
pub mod budget;
pub mod campaigns;
pub mod dashboard;
pub mod exports;
pub mod home;
pub mod merchants;
pub mod revisions;
pub mod rulebooks;
pub mod shops;
pub mod transfers;

use trama_sdk::web::Audience;

/// Where the plugin is mounted, for links in messages.
pub const BASE: &str = "/p/vouchers";

pub use trama_sdk::i18n::lang;
pub use trama_sdk::input::{FormState, wants_json, with_form};
pub use trama_sdk::web::{created, to};

/// Operators and administrators run campaigns.
pub const OPERATORS: Audience = Audience {
    roles: &["operator", "admin"],
    refusal: "vouchers.refusal.operators",
};

/// Affiliated shops redeem vouchers.
pub const SHOPS: Audience = Audience {
    roles: &["merchant"],
    refusal: "vouchers.refusal.shops",
};
