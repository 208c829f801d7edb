//! Lessons (one group, one tutor, one space, one date and time), the bookings that seat
//! children in them, and the claims that keep tutors, spaces and children in one place at a time.
//!
//! A lesson's document lists its seats; its version is what guards the number of children:
//! every booking and cancellation rewrites it with "only if still at version n". A lesson takes
//! its tutor's, its space's and each child's quarter hours as *claims*, documents with ids like
//! `tutor/{id}/{date}/{HHMM}` created with "must not exist" in the same batch as the lesson, so
//! two lessons that would overlap for a tutor, a room or a child cannot both be written,
//! whichever page the people booking them were looking at.

use serde::{Deserialize, Serialize};
use trama_sdk::store::{Batch, Collection, Doc};
use trama_sdk::{Error, Result, clock, t};

use crate::schedule;
use trama_sdk::local;

pub const LESSONS: Collection<Lesson> = Collection::new("lessons");
pub const BOOKINGS: Collection<Booking> = Collection::new("bookings");
pub const CLAIMS: Collection<Claim> = Collection::new("claims");

trama_sdk::choices! {
    pub enum LessonStatus {
        /// Planned; children may join while there is room and it has not started.
        Scheduled = "scheduled" => "tutoring.lesson.status_scheduled",
        /// The tutor took the register.
        Held = "held" => "tutoring.lesson.status_held",
        /// Called off by an operator, or left without children.
        Cancelled = "cancelled" => "tutoring.lesson.status_cancelled",
    }
}

/// A child in a lesson.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seat {
    pub child: String,
    pub family: String,
    pub booking: String,
}

/// The register of a lesson.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendance {
    pub present: Vec<String>,
    pub absent: Vec<String>,
    pub recorded_at: i64,
    pub recorded_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lesson {
    pub tutor: String,
    pub space: String,
    pub subject: String,
    pub level: String,
    /// Local date in Rome, `YYYY-MM-DD`.
    pub date: String,
    /// `YYYY-MM`, for the monthly reports.
    pub month: String,
    /// Local start, minutes after midnight.
    pub start: u16,
    pub minutes: u16,
    /// The start as an instant (UTC milliseconds): deadlines, reminders, calendars.
    pub start_at: i64,
    pub end_at: i64,
    pub status: LessonStatus,
    pub seats: Vec<Seat>,
    #[serde(default)]
    pub attendance: Option<Attendance>,
    #[serde(default)]
    pub cancel_reason: Option<String>,
    pub created_at: i64,
    pub created_by: String,
}

/// When, what and where a lesson meets, as pages show it: flattened into the groups a child
/// can join and into a family's bookings, so that both read alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sitting {
    pub date: String,
    pub weekday: String,
    /// `HH:MM`, local time.
    pub start: String,
    pub end: String,
    pub subject: String,
    pub level: String,
    pub tutor: String,
    pub space: String,
    pub address: String,
}

impl Sitting {
    /// `subject` at `level` on `date` (`YYYY-MM-DD`), from `start` (minutes after midnight)
    /// for `minutes`; the tutor and the place are named with [`Sitting::with_place`].
    pub fn new(date: &str, start: u16, minutes: u16, subject: &str, level: &str) -> Self {
        let weekday = clock::Date::parse(date).map(local::weekday).unwrap_or(1);
        Self {
            date: date.to_owned(),
            weekday: schedule::day_long_name(weekday),
            start: local::hhmm(start),
            end: local::hhmm(start + minutes),
            subject: subject.to_owned(),
            level: level.to_owned(),
            tutor: String::new(),
            space: String::new(),
            address: String::new(),
        }
    }

    /// The tutor's name, and the space's name and address (empty when not found).
    pub fn with_place(self, tutor: String, (space, address): (String, String)) -> Self {
        Self {
            tutor,
            space,
            address,
            ..self
        }
    }
}

impl Lesson {
    pub fn end(&self) -> u16 {
        self.start + self.minutes
    }

    /// `2025-03-31 15:00-16:00`
    pub fn when(&self) -> String {
        format!(
            "{} {}-{}",
            self.date,
            local::hhmm(self.start),
            local::hhmm(self.end())
        )
    }

    pub fn has_child(&self, child: &str) -> bool {
        self.seats.iter().any(|s| s.child == child)
    }

    /// The claim ids of the tutor's and the space's quarter hours.
    pub fn resource_claims(&self) -> Vec<String> {
        let mut ids = claim_ids("tutor", &self.tutor, &self.date, self.start, self.minutes);
        ids.extend(claim_ids(
            "space",
            &self.space,
            &self.date,
            self.start,
            self.minutes,
        ));
        ids
    }

    /// The claim ids of one child's quarter hours in this lesson.
    pub fn child_claims(&self, child: &str) -> Vec<String> {
        claim_ids("child", child, &self.date, self.start, self.minutes)
    }
}

trama_sdk::choices! {
    pub enum BookingStatus {
        Booked = "booked" => "tutoring.booking_status.booked",
        /// Cancelled in time: the hour went back to the family.
        Cancelled = "cancelled" => "tutoring.booking_status.cancelled",
        /// Cancelled after the deadline: the hour is used.
        CancelledLate = "cancelled_late" => "tutoring.booking_status.cancelled_late",
        Present = "present" => "tutoring.booking_status.present",
        Absent = "absent" => "tutoring.booking_status.absent",
        /// The lesson was called off: the hour went back.
        LessonCancelled = "lesson_cancelled" => "tutoring.booking_status.lesson_cancelled",
    }
}

impl BookingStatus {
    /// Whether the booking uses the family's hours.
    pub fn charged(self) -> bool {
        matches!(
            self,
            Self::Booked | Self::CancelledLate | Self::Present | Self::Absent
        )
    }
}

/// One child in one lesson; id `{lesson}-{child}`. The lesson's details are copied in so that
/// a family's list, the calendars and the reports read bookings alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    pub lesson: String,
    pub child: String,
    pub family: String,
    pub tutor: String,
    pub space: String,
    pub subject: String,
    pub level: String,
    pub date: String,
    pub month: String,
    pub start: u16,
    pub minutes: u16,
    pub start_at: i64,
    /// The allowance period the minutes were taken from.
    pub period: String,
    pub status: BookingStatus,
    pub booked_at: i64,
    pub booked_by: String,
    #[serde(default)]
    pub cancelled_at: Option<i64>,
    #[serde(default)]
    pub cancelled_by: Option<String>,
}

impl Booking {
    /// A new booking of `child` (of `family`) into lesson `lesson_id`, the lesson's details
    /// copied in, its minutes taken from the allowance `period`.
    pub fn new(
        lesson_id: &str,
        lesson: &Lesson,
        child: &str,
        family: &str,
        period: String,
        booked_at: i64,
        booked_by: &str,
    ) -> Self {
        Self {
            lesson: lesson_id.to_owned(),
            child: child.to_owned(),
            family: family.to_owned(),
            tutor: lesson.tutor.clone(),
            space: lesson.space.clone(),
            subject: lesson.subject.clone(),
            level: lesson.level.clone(),
            date: lesson.date.clone(),
            month: lesson.month.clone(),
            start: lesson.start,
            minutes: lesson.minutes,
            start_at: lesson.start_at,
            period,
            status: BookingStatus::Booked,
            booked_at,
            booked_by: booked_by.to_owned(),
            cancelled_at: None,
            cancelled_by: None,
        }
    }

    pub fn charged_minutes(&self) -> u32 {
        if self.status.charged() {
            u32::from(self.minutes)
        } else {
            0
        }
    }
}

pub fn booking_id(lesson: &str, child: &str) -> String {
    format!("{lesson}-{child}")
}

/// A quarter hour taken: by which lesson (and, for a child, which booking).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub lesson: String,
    #[serde(default)]
    pub booking: Option<String>,
}

/// `{kind}/{id}/{date}/{HHMM}` for each quarter hour of `start..start+minutes`.
pub fn claim_ids(kind: &str, id: &str, date: &str, start: u16, minutes: u16) -> Vec<String> {
    schedule::cells(start, minutes)
        .into_iter()
        .map(|cell| format!("{kind}/{id}/{date}/{}", local::hhmm_compact(cell)))
        .collect()
}

/// Whether any of `ids` is claimed already; the first one found.
pub fn first_taken(ids: &[String]) -> Result<Option<Doc<Claim>>> {
    for id in ids {
        if let Some(doc) = CLAIMS.get(id)? {
            return Ok(Some(doc));
        }
    }
    Ok(None)
}

/// Adds "must not exist" writes for `ids` to `batch`.
pub fn claim_all(batch: &mut Batch, ids: &[String], claim: &Claim) {
    for id in ids {
        batch.create(&CLAIMS, id, claim);
    }
}

/// Adds deletions of `ids` to `batch` (a claim already gone is fine).
pub fn release_all(batch: &mut Batch, ids: &[String]) {
    for id in ids {
        batch.delete(&CLAIMS, id);
    }
}

pub fn not_found(id: &str) -> Error {
    Error::not_found(t!("tutoring.lesson.not_found", id = id))
}

pub fn load(id: &str) -> Result<Doc<Lesson>> {
    LESSONS.get(id)?.ok_or_else(|| not_found(id))
}

pub fn booking_not_found(id: &str) -> Error {
    Error::not_found(t!("tutoring.lesson.booking_not_found", id = id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_cover_every_quarter_hour() {
        assert_eq!(
            claim_ids("tutor", "t1", "2025-03-31", 15 * 60, 60),
            vec![
                "tutor/t1/2025-03-31/1500",
                "tutor/t1/2025-03-31/1515",
                "tutor/t1/2025-03-31/1530",
                "tutor/t1/2025-03-31/1545",
            ]
        );
        // A lesson from 15:30 shares 15:30 and 15:45 with one from 15:00: they collide.
        let a = claim_ids("space", "s", "d", 900, 60);
        let b = claim_ids("space", "s", "d", 930, 60);
        assert_eq!(a.iter().filter(|id| b.contains(id)).count(), 2);
        // Back-to-back lessons do not.
        let c = claim_ids("space", "s", "d", 960, 60);
        assert!(a.iter().all(|id| !c.contains(id)));
    }

    #[test]
    fn only_some_bookings_use_hours() {
        let charged: Vec<&str> = [
            BookingStatus::Booked,
            BookingStatus::Cancelled,
            BookingStatus::CancelledLate,
            BookingStatus::Present,
            BookingStatus::Absent,
            BookingStatus::LessonCancelled,
        ]
        .into_iter()
        .filter(|s| s.charged())
        .map(BookingStatus::key)
        .collect();
        assert_eq!(
            charged,
            vec!["booked", "cancelled_late", "present", "absent"]
        );
    }
}
