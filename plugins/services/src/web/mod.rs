//! The HTTP side: pages that work without JavaScript and their JSON twins.

pub mod bookings;
pub mod catalogue;
pub mod desk;
pub mod operator;
pub mod photos;
pub mod statements;

use trama_sdk::web::Audience;

/// Where the plugin is mounted, for links in messages.
pub const BASE: &str = "/p/services";

/// Operators hide services and rating comments.
pub const OPERATORS: Audience = Audience {
    roles: &["operator"],
    refusal: "services.refusal.operators",
};
