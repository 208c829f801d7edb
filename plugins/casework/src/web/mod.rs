//! The HTTP side: pages that work without JavaScript and their JSON twins.

pub mod admin;
pub mod attachments;
pub mod desk;
pub mod file;
pub mod outcomes;
pub mod outreach;
pub mod profile;
pub mod referrals;
pub mod requests;
pub mod reviews;

use trama_sdk::web::Audience;

/// Where the plugin is mounted, for links on the kernel's `/me` page.
pub const BASE: &str = "/p/casework";

/// Care managers open cases at the desk.
pub const CARE_MANAGERS: Audience = Audience {
    roles: &["care_manager"],
    refusal: "casework.refusal.care_managers",
};

/// Who opens a case at the desk: care managers, and supervisors (naming the care manager), who
/// alone confirm a second open case for the same person.
pub const DESK: Audience = Audience {
    roles: &["care_manager", "supervisor"],
    refusal: "casework.refusal.care_managers",
};

/// Supervisors (and administrators) see the statistics.
pub const SUPERVISORS: Audience = Audience {
    roles: &["supervisor", "admin"],
    refusal: "casework.refusal.supervisors",
};

/// Administrators put staff in care teams.
pub const ADMINS: Audience = Audience {
    roles: &["admin"],
    refusal: "casework.refusal.admins",
};
