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
pub mod progress;
pub mod reports;
pub mod spaces;
pub mod tutors;

use trama_sdk::web::Audience;

/// Where the plugin is mounted, for links in messages and calendars.
pub const BASE: &str = "/p/tutoring";

pub use trama_sdk::i18n::lang;
pub use trama_sdk::input::{FormState, wants_json, with_form};
pub use trama_sdk::web::{created, to};

/// The cooperative's staff (and the instance's administrators).
pub const OPERATORS: Audience = Audience {
    roles: &["operator", "admin"],
    refusal: "tutoring.refusal.operators",
};

/// Tutors, who see their lessons and take the register.
pub const TUTORS: Audience = Audience {
    roles: &["tutor"],
    refusal: "tutoring.refusal.tutors",
};
