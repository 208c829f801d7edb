//! The register: after (or at the start of) each lesson its tutor records who came.
//!
//! Every child booked is either present or absent; an absence uses the hour like a late
//! cancellation (the place was kept for the child). The register can be taken again to
//! correct it; the lesson and its bookings change together in one batch, so a report never
//! sees a lesson marked held with bookings still open.

use trama_contracts::tutoring::AttendanceRecorded;
use trama_sdk::identity::User;
use trama_sdk::input::Input;
use trama_sdk::store::{Batch, Doc};
use trama_sdk::{Error, Result, audit, events, t};

use crate::config::Settings;
use crate::family::{CHILDREN, FAMILIES};
use crate::lesson::{self, Attendance, BOOKINGS, BookingStatus, LESSONS, Lesson, LessonStatus};
use crate::tutor::TUTORS;
use trama_sdk::local;

pub const JSON_FIELDS: &[&str] = &["present"];

const ATTEMPTS: usize = 10;

/// Whether `user` is the tutor of `lesson`.
pub fn is_tutor_of(lesson: &Lesson, user: &User) -> Result<bool> {
    Ok(TUTORS
        .get(&lesson.tutor)?
        .is_some_and(|t| t.data.link.is(user)))
}

/// When the register of `lesson` opens (UTC milliseconds).
pub fn opens_at(lesson: &Lesson, settings: &Settings) -> i64 {
    lesson.start_at - i64::from(settings.attendance_opens_minutes_before) * 60_000
}

/// The children marked present (every other child booked is absent).
pub fn read(input: &Input) -> Vec<String> {
    input
        .many("present")
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// The accounts of the families of `children` that manage their family online, each once and
/// sorted: who received the lesson, for follow-ups such as a satisfaction survey.
fn accounts_of(children: &[String]) -> Result<Vec<String>> {
    let mut accounts = std::collections::BTreeSet::new();
    for child in children {
        let Some(child) = CHILDREN.get(child)? else {
            continue;
        };
        if let Some(family) = FAMILIES.get(&child.data.family)?
            && let Some(account) = family.data.user_id
        {
            accounts.insert(account);
        }
    }
    Ok(accounts.into_iter().collect())
}

/// Records the register of lesson `id`: its tutor or an operator.
pub fn record(
    id: &str,
    present: &[String],
    actor: &User,
    operator: bool,
    settings: &Settings,
    now: i64,
) -> Result<Doc<Lesson>> {
    for _ in 0..ATTEMPTS {
        let mut doc = lesson::load(id)?;
        if !operator && !is_tutor_of(&doc.data, actor)? {
            return Err(lesson::not_found(id));
        }
        check_open(&doc.data, settings, now)?;
        if let Some(unknown) = present.iter().find(|c| !doc.data.has_child(c)) {
            return Err(Error::invalid(t!(
                "tutoring.attendance.not_booked",
                child = unknown
            )));
        }
        let mut batch = Batch::new();
        let mut absent = Vec::new();
        for seat in &doc.data.seats {
            let here = present.contains(&seat.child);
            if !here {
                absent.push(seat.child.clone());
            }
            let Some(booking) = BOOKINGS.get(&seat.booking)? else {
                continue;
            };
            let status = if here {
                BookingStatus::Present
            } else {
                BookingStatus::Absent
            };
            if booking.data.status != status {
                let mut updated = booking.data;
                updated.status = status;
                batch.put_if_version(&BOOKINGS, &booking.id, &updated, booking.version);
            }
        }
        doc.data.status = LessonStatus::Held;
        doc.data.attendance = Some(Attendance {
            present: present.to_vec(),
            absent: absent.clone(),
            recorded_at: now,
            recorded_by: actor.username.clone(),
        });
        batch.put_if_version(&LESSONS, &doc.id, &doc.data, doc.version);
        match batch.commit() {
            Ok(_) => {
                doc.version += 1;
                audit::record(
                    "lesson.attendance",
                    id,
                    &serde_json::json!({ "present": present, "absent": absent, "by": actor.username }),
                )?;
                events::publish_typed(&AttendanceRecorded {
                    lesson_id: id.to_owned(),
                    tutor_id: doc.data.tutor.clone(),
                    space_id: doc.data.space.clone(),
                    date: doc.data.date.clone(),
                    minutes: doc.data.minutes,
                    present: present.to_vec(),
                    absent,
                    accounts: accounts_of(present)?,
                    attended_minutes: u32::from(doc.data.minutes)
                        .saturating_mul(u32::try_from(present.len()).unwrap_or(u32::MAX)),
                })?;
                return Ok(doc);
            }
            Err(Error::Conflict(_)) => continue,
            Err(err) => return Err(err),
        }
    }
    Err(Error::conflict(t!("tutoring.attendance.kept_changing")))
}

/// Whether the register of `lesson` may be taken now.
pub fn check_open(lesson: &Lesson, settings: &Settings, now: i64) -> Result<()> {
    if lesson.status == LessonStatus::Cancelled {
        return Err(Error::conflict(t!("tutoring.attendance.cancelled")));
    }
    if lesson.seats.is_empty() {
        return Err(Error::conflict(t!("tutoring.attendance.nobody_booked")));
    }
    let opens = opens_at(lesson, settings);
    if now < opens {
        let local = local::local(opens);
        return Err(Error::conflict(t!(
            "tutoring.attendance.opens_at",
            date = local.date,
            time = format!("{:02}:{:02}", local.hour, local.minute)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::Seat;

    fn lesson(start_at: i64) -> Lesson {
        Lesson {
            start_at,
            end_at: start_at + 3_600_000,
            seats: vec![Seat {
                child: "c".into(),
                family: "f".into(),
                booking: "l-c".into(),
            }],
            ..crate::fixtures::lesson()
        }
    }

    #[test]
    fn the_register_opens_shortly_before_the_start() {
        trama_sdk::i18n::set_locale("en");
        let settings = Settings::for_tests(); // 15 minutes before
        let start = 1_743_426_000_000; // 2025-03-31 15:00 in Rome
        let l = lesson(start);
        let early = check_open(&l, &settings, start - 16 * 60_000).unwrap_err();
        assert_eq!(early.message(), "the register opens on 2025-03-31 at 14:45");
        assert!(check_open(&l, &settings, start - 15 * 60_000).is_ok());
        let mut cancelled = l.clone();
        cancelled.status = LessonStatus::Cancelled;
        assert!(check_open(&cancelled, &settings, start).is_err());
        let mut empty = l;
        empty.seats.clear();
        assert!(check_open(&empty, &settings, start).is_err());
    }
}
