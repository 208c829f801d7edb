//! `tutoring`: homework tutoring tells other plugins about bookings, cancellations and
//! attendance. Dates are Rome's (`YYYY-MM-DD`), times `HH:MM` in Rome.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use trama_sdk::events::Payload;

/// A child was booked into a lesson (a group opened, or a seat in one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LessonBooked {
    pub booking_id: String,
    pub lesson_id: String,
    pub child_id: String,
    pub family_id: String,
    pub tutor_id: String,
    pub space_id: String,
    pub subject: String,
    pub level: String,
    pub date: String,
    pub start: String,
    pub minutes: u16,
    /// The start as UTC milliseconds.
    pub start_at: i64,
    /// This booking opened the group.
    pub opened_group: bool,
    /// The key ([`crate::person::key`]) of the parent who booked online with a fiscal number
    /// certified by SPID or CIE, so that a referral to tutoring can follow them; `null` when an
    /// operator booked or the login certified none.
    #[serde(default)]
    pub person: Option<String>,
}

impl Payload for LessonBooked {
    const NAME: &'static str = "tutoring.lesson_booked";
}

/// A family or an operator cancelled one booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BookingCancelled {
    pub booking_id: String,
    pub lesson_id: String,
    /// After the deadline.
    pub late: bool,
    /// The family's hour was used (a late cancellation).
    pub hour_used: bool,
    /// The group was left empty and called off.
    pub lesson_dissolved: bool,
}

impl Payload for BookingCancelled {
    const NAME: &'static str = "tutoring.booking_cancelled";
}

/// An operator called off a whole lesson.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LessonCancelled {
    pub lesson_id: String,
    pub reason: String,
    pub date: String,
    pub start: String,
    /// The bookings it cancelled.
    pub bookings: Vec<String>,
}

impl Payload for LessonCancelled {
    const NAME: &'static str = "tutoring.lesson_cancelled";
}

/// The register of a lesson was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AttendanceRecorded {
    pub lesson_id: String,
    pub tutor_id: String,
    pub space_id: String,
    pub date: String,
    pub minutes: u16,
    /// Children present.
    pub present: Vec<String>,
    /// Children booked but absent (their hour is used).
    pub absent: Vec<String>,
    /// The accounts of the families of the children present, where the family has one: who
    /// received the service, for follow-ups such as a satisfaction survey. Empty when every
    /// family present was registered at the desk without an account.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// `minutes` times the children present: the tutoring the children received, which a
    /// territory's indicators add up (absent from events published before it existed).
    #[serde(default)]
    pub attended_minutes: u32,
}

impl Payload for AttendanceRecorded {
    const NAME: &'static str = "tutoring.attendance_recorded";
}

/// A child's tutoring path in one subject ended, with their mark at its start and at its end
/// on the instance's scale (setting `grade_scale`, 1 the lowest, `levels` the highest): a
/// before/after outcome. No child, family or tutor: only what an indicator counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PathCompleted {
    pub subject: String,
    /// The child's school level.
    pub level: String,
    /// The mark when the path started, 1 to `levels`.
    pub grade_before: u8,
    /// The mark when it ended, 1 to `levels`.
    pub grade_after: u8,
    /// How many levels the scale had.
    pub levels: u8,
    /// Minutes of lessons in the subject the child attended during the path.
    pub attended_minutes: u32,
}

impl Payload for PathCompleted {
    const NAME: &'static str = "tutoring.path_completed";
}
