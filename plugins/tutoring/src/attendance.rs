//! The register: after (or at the start of) each lesson its tutor records who came.
//!
//! Every child booked is either present or absent; an absence uses the hour like a late
//! cancellation (the place was kept for the child). The register can be taken again to
//! correct it; the lesson and its bookings change together in one batch, so a report never
//! sees a lesson marked held with bookings still open.

use trama_contracts::tutoring::AttendanceRecorded;
use trama_sdk::i18n::Lang;
use trama_sdk::identity::User;
use trama_sdk::input::Input;
use trama_sdk::store::{Batch, Doc};
use trama_sdk::{Error, Result, audit, events};

use crate::config::Settings;
use crate::lesson::{self, Attendance, BOOKINGS, BookingStatus, LESSONS, Lesson, LessonStatus};
use crate::tutor::TUTORS;
use trama_sdk::local;

pub const JSON_FIELDS: &[&str] = &["present"];

const ATTEMPTS: usize = 10;

/// Whether `user` is the tutor of `lesson`.
pub fn is_tutor_of(lesson: &Lesson, user: &User) -> Result<bool> {
    Ok(TUTORS
        .get(&lesson.tutor)?
        .is_some_and(|t| t.data.user_id.as_deref() == Some(user.id.as_str())))
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

/// Records the register of lesson `id`: its tutor or an operator.
pub fn record(
    id: &str,
    present: &[String],
    actor: &User,
    operator: bool,
    settings: &Settings,
    now: i64,
    lang: Lang,
) -> Result<Doc<Lesson>> {
    for _ in 0..ATTEMPTS {
        let mut doc = lesson::load(id, lang)?;
        if !operator && !is_tutor_of(&doc.data, actor)? {
            return Err(lesson::not_found(id, lang));
        }
        check_open(&doc.data, settings, now, lang)?;
        if let Some(unknown) = present.iter().find(|c| !doc.data.has_child(c)) {
            return Err(Error::invalid(match lang {
                Lang::It => format!("il bambino «{unknown}» non è prenotato in questa lezione"),
                Lang::En => format!("the child `{unknown}` is not booked into this lesson"),
            }));
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
                })?;
                return Ok(doc);
            }
            Err(Error::Conflict(_)) => continue,
            Err(err) => return Err(err),
        }
    }
    Err(Error::conflict(lang.pick(
        "la lezione è cambiata più volte mentre registravi le presenze: ricarica e riprova",
        "the lesson changed several times while the register was being saved: reload and try again",
    )))
}

/// Whether the register of `lesson` may be taken now.
pub fn check_open(lesson: &Lesson, settings: &Settings, now: i64, lang: Lang) -> Result<()> {
    if lesson.status == LessonStatus::Cancelled {
        return Err(Error::conflict(lang.pick(
            "la lezione è stata annullata: non c'è un registro da compilare",
            "the lesson was cancelled: there is no register to take",
        )));
    }
    if lesson.seats.is_empty() {
        return Err(Error::conflict(lang.pick(
            "nessun bambino è prenotato in questa lezione",
            "no child is booked into this lesson",
        )));
    }
    let opens = opens_at(lesson, settings);
    if now < opens {
        let local = local::local(opens);
        return Err(Error::conflict(match lang {
            Lang::It => format!(
                "il registro si apre il {} alle {:02}:{:02}",
                local.date, local.hour, local.minute
            ),
            Lang::En => format!(
                "the register opens on {} at {:02}:{:02}",
                local.date, local.hour, local.minute
            ),
        }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::Seat;

    fn lesson(start_at: i64) -> Lesson {
        Lesson {
            tutor: "t".into(),
            space: "s".into(),
            subject: "Matematica".into(),
            level: "Primaria".into(),
            date: "2025-03-31".into(),
            month: "2025-03".into(),
            start: 900,
            minutes: 60,
            start_at,
            end_at: start_at + 3_600_000,
            status: LessonStatus::Scheduled,
            seats: vec![Seat {
                child: "c".into(),
                family: "f".into(),
                booking: "l-c".into(),
            }],
            attendance: None,
            cancel_reason: None,
            created_at: 0,
            created_by: String::new(),
        }
    }

    #[test]
    fn the_register_opens_shortly_before_the_start() {
        let settings = Settings::for_tests(); // 15 minutes before
        let start = 1_743_426_000_000; // 2025-03-31 15:00 in Rome
        let l = lesson(start);
        let early = check_open(&l, &settings, start - 16 * 60_000, Lang::En).unwrap_err();
        assert_eq!(early.message(), "the register opens on 2025-03-31 at 14:45");
        assert!(check_open(&l, &settings, start - 15 * 60_000, Lang::En).is_ok());
        let mut cancelled = l.clone();
        cancelled.status = LessonStatus::Cancelled;
        assert!(check_open(&cancelled, &settings, start, Lang::En).is_err());
        let mut empty = l;
        empty.seats.clear();
        assert!(check_open(&empty, &settings, start, Lang::En).is_err());
    }
}
