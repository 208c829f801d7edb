//! Cancelling: a family's booking (in time, the hour goes back; late, it stays used) or, by
//! an operator, a whole lesson. Like booking, each is one atomic batch tried again from fresh
//! reads when it loses a race.

use serde::Serialize;
use trama_contracts::tutoring::{BookingCancelled, LessonCancelled};
use trama_sdk::i18n;
use trama_sdk::identity::{self, User};
use trama_sdk::store::{Batch, Doc};
use trama_sdk::{Error, Result, audit, events, log, notify, t};

use crate::allowance::{self, ALLOWANCES};
use crate::booking::{ATTEMPTS, Attempt, busy};
use crate::config::Settings;
use crate::family::{self, FAMILIES};
use crate::lesson::{self, BOOKINGS, BookingStatus, LESSONS, Lesson, LessonStatus};
use crate::reminders::{INSTANCE, clip};
use crate::tutor::TUTORS;
use trama_sdk::local;

/// Members of a lesson's cancellation in JSON.
pub const CANCEL_FIELDS: &[&str] = &["reason"];

/// A cancellation made.
#[derive(Debug, Clone, Serialize)]
pub struct Cancelled {
    pub booking_id: String,
    pub status: BookingStatus,
    /// After the deadline: the hour is used.
    pub late: bool,
    /// The group was left empty and called off, freeing its tutor and space.
    pub lesson_dissolved: bool,
}

/// A family (or an operator for them) cancels a booking before the lesson starts. Before the
/// deadline of the settings the hour goes back to the family; after it, it stays used.
pub fn cancel(
    id: &str,
    actor: &User,
    operator: bool,
    settings: &Settings,
    now: i64,
) -> Result<Cancelled> {
    for _ in 0..ATTEMPTS {
        if let Attempt::Done((cancelled, lesson)) =
            attempt_cancel(id, actor, operator, settings, now)?
        {
            audit::record(
                "booking.cancelled",
                id,
                &serde_json::json!({
                    "late": cancelled.late, "lesson_dissolved": cancelled.lesson_dissolved,
                    "by": actor.username,
                }),
            )?;
            events::publish_typed(&BookingCancelled {
                booking_id: id.to_owned(),
                lesson_id: lesson.id.clone(),
                late: cancelled.late,
                hour_used: cancelled.late,
                lesson_dissolved: cancelled.lesson_dissolved,
            })?;
            if cancelled.lesson_dissolved {
                tell_tutor_dissolved(&lesson, settings);
            }
            return Ok(cancelled);
        }
    }
    Err(busy())
}

fn attempt_cancel(
    id: &str,
    actor: &User,
    operator: bool,
    settings: &Settings,
    now: i64,
) -> Result<Attempt<(Cancelled, Doc<Lesson>)>> {
    let Some(booking) = BOOKINGS.get(id)? else {
        return Err(lesson::booking_not_found(id));
    };
    let family = FAMILIES.get(&booking.data.family)?;
    let allowed = operator
        || family
            .as_ref()
            .is_some_and(|f| family::is_member(&f.data, actor));
    if !allowed {
        return Err(lesson::booking_not_found(id));
    }
    if booking.data.status != BookingStatus::Booked {
        return Err(Error::conflict(t!(
            "tutoring.cancel.booking_not_cancellable",
            status = booking.data.status.label()
        )));
    }
    let mut lesson = lesson::load(&booking.data.lesson)?;
    if now >= lesson.data.start_at {
        return Err(Error::conflict(t!("tutoring.cancel.already_started")));
    }
    let deadline =
        lesson.data.start_at - i64::from(settings.cancellation_deadline_hours) * 3_600_000;
    let late = now > deadline;
    let mut updated = booking.data.clone();
    updated.status = if late {
        BookingStatus::CancelledLate
    } else {
        BookingStatus::Cancelled
    };
    updated.cancelled_at = Some(now);
    updated.cancelled_by = Some(actor.username.clone());

    let mut batch = Batch::new();
    let child = booking.data.child.clone();
    lesson.data.seats.retain(|s| s.child != child);
    let dissolved = lesson.data.seats.is_empty();
    if dissolved {
        lesson.data.status = LessonStatus::Cancelled;
        // Kept in the lesson and read later by anyone: in the instance's language.
        lesson.data.cancel_reason = Some(i18n::text_in(
            INSTANCE,
            "tutoring.cancel.no_children_reason",
            &[],
        ));
        lesson::release_all(&mut batch, &lesson.data.resource_claims());
    }
    batch.put_if_version(&LESSONS, &lesson.id, &lesson.data, lesson.version);
    lesson::release_all(&mut batch, &lesson.data.child_claims(&child));
    batch.put_if_version(&BOOKINGS, id, &updated, booking.version);
    if !late {
        refund(
            &mut batch,
            &booking.data.family,
            &booking.data.period,
            u32::from(booking.data.minutes),
            now,
        )?;
    }
    match batch.commit() {
        Ok(_) => Ok(Attempt::Done((
            Cancelled {
                booking_id: id.to_owned(),
                status: updated.status,
                late,
                lesson_dissolved: dissolved,
            },
            lesson,
        ))),
        Err(Error::Conflict(_)) => Ok(Attempt::Raced),
        Err(err) => Err(err),
    }
}

/// Adds to `batch` the return of `minutes` to a family's allowance for `period`.
fn refund(batch: &mut Batch, family: &str, period: &str, minutes: u32, now: i64) -> Result<()> {
    let id = allowance::allowance_id(family, period);
    if let Some(doc) = ALLOWANCES.get(&id)? {
        let mut data = doc.data;
        data.used_minutes = data.used_minutes.saturating_sub(minutes);
        data.updated_at = now;
        batch.put_if_version(&ALLOWANCES, &id, &data, doc.version);
    }
    Ok(())
}

/// An operator calls off a lesson (the tutor is ill, the room is unavailable): every booking
/// gets its hour back, the tutor, the space and the children are free again, and families and
/// tutor are told.
pub fn cancel_lesson(
    id: &str,
    reason: &str,
    actor: &User,
    settings: &Settings,
    now: i64,
) -> Result<Doc<Lesson>> {
    for _ in 0..ATTEMPTS {
        if let Attempt::Done(lesson) = attempt_cancel_lesson(id, reason, actor, now)? {
            audit::record(
                "lesson.cancelled",
                id,
                &serde_json::json!({ "reason": reason, "children": lesson.data.seats.len(), "by": actor.username }),
            )?;
            events::publish_typed(&LessonCancelled {
                lesson_id: id.to_owned(),
                reason: reason.to_owned(),
                date: lesson.data.date.clone(),
                start: local::hhmm(lesson.data.start),
                bookings: lesson
                    .data
                    .seats
                    .iter()
                    .map(|s| s.booking.clone())
                    .collect(),
            })?;
            tell_lesson_cancelled(&lesson, reason, settings);
            return Ok(lesson);
        }
    }
    Err(busy())
}

fn attempt_cancel_lesson(
    id: &str,
    reason: &str,
    actor: &User,
    now: i64,
) -> Result<Attempt<Doc<Lesson>>> {
    let mut lesson = lesson::load(id)?;
    if lesson.data.status != LessonStatus::Scheduled {
        return Err(Error::conflict(t!(
            "tutoring.cancel.lesson_not_cancellable",
            status = lesson.data.status.label()
        )));
    }
    let mut batch = Batch::new();
    // Minutes to give back, by allowance document.
    let mut refunds: Vec<(String, String, u32)> = Vec::new();
    for seat in &lesson.data.seats {
        let Some(booking) = BOOKINGS.get(&seat.booking)? else {
            continue;
        };
        let mut updated = booking.data.clone();
        if updated.status == BookingStatus::Booked {
            updated.status = BookingStatus::LessonCancelled;
            updated.cancelled_at = Some(now);
            updated.cancelled_by = Some(actor.username.clone());
            batch.put_if_version(&BOOKINGS, &booking.id, &updated, booking.version);
            match refunds
                .iter_mut()
                .find(|(f, p, _)| *f == updated.family && *p == updated.period)
            {
                Some(entry) => entry.2 += u32::from(updated.minutes),
                None => refunds.push((
                    updated.family.clone(),
                    updated.period.clone(),
                    u32::from(updated.minutes),
                )),
            }
        }
        lesson::release_all(&mut batch, &lesson.data.child_claims(&seat.child));
    }
    for (family, period, minutes) in &refunds {
        refund(&mut batch, family, period, *minutes, now)?;
    }
    lesson::release_all(&mut batch, &lesson.data.resource_claims());
    lesson.data.status = LessonStatus::Cancelled;
    lesson.data.cancel_reason = Some(reason.to_owned());
    batch.put_if_version(&LESSONS, &lesson.id, &lesson.data, lesson.version);
    match batch.commit() {
        Ok(_) => {
            lesson.version += 1;
            Ok(Attempt::Done(lesson))
        }
        Err(Error::Conflict(_)) => Ok(Attempt::Raced),
        Err(err) => Err(err),
    }
}

/// Sends a message, logging rather than failing: the change it reports is already made.
fn send(message: notify::Notification) {
    if let Err(err) = notify::send(&message) {
        log::warn(format!(
            "could not queue the notification `{}`: {err}",
            message.key
        ));
    }
}

fn lesson_line(lesson: &Lesson) -> String {
    format!(
        "{} {}-{}, {}",
        lesson.date,
        local::hhmm(lesson.start),
        local::hhmm(lesson.end()),
        lesson.subject
    )
}

fn tell_lesson_cancelled(lesson: &Doc<Lesson>, reason: &str, settings: &Settings) {
    let line = lesson_line(&lesson.data);
    let link = Some(format!("{}/", crate::web::BASE));
    for seat in &lesson.data.seats {
        let Ok(Some(family)) = FAMILIES.get(&seat.family) else {
            continue;
        };
        let Some(user) = family.data.user_id else {
            continue;
        };
        // In the language the parent chose on the site, else the instance's.
        let locale = identity::locale_of(&user);
        send(notify::Notification {
            recipient: user,
            subject: clip(i18n::text_in(
                &locale,
                "tutoring.notices.lesson_cancelled_subject",
                &[("service", &settings.service_name)],
            )),
            body: i18n::text_in(
                &locale,
                "tutoring.notices.lesson_cancelled_family",
                &[("lesson", &line), ("reason", &reason)],
            ),
            key: format!("lesson-cancelled/{}/{}", lesson.id, seat.child),
            link: link.clone(),
        });
    }
    tell_tutor(
        lesson,
        &format!("lesson-cancelled/{}/tutor", lesson.id),
        |locale| {
            (
                clip(i18n::text_in(
                    locale,
                    "tutoring.notices.lesson_cancelled_subject",
                    &[("service", &settings.service_name)],
                )),
                i18n::text_in(
                    locale,
                    "tutoring.notices.lesson_cancelled_tutor",
                    &[("lesson", &line), ("reason", &reason)],
                ),
            )
        },
    );
}

fn tell_tutor_dissolved(lesson: &Doc<Lesson>, settings: &Settings) {
    let line = lesson_line(&lesson.data);
    tell_tutor(lesson, &format!("lesson-emptied/{}", lesson.id), |locale| {
        (
            clip(i18n::text_in(
                locale,
                "tutoring.notices.lesson_emptied_subject",
                &[("service", &settings.service_name)],
            )),
            i18n::text_in(
                locale,
                "tutoring.notices.lesson_emptied_tutor",
                &[("lesson", &line)],
            ),
        )
    });
}

/// Tells the lesson's tutor, in the language they chose on the site (else the instance's):
/// `compose` writes subject and body in the locale it is given.
fn tell_tutor(lesson: &Doc<Lesson>, key: &str, compose: impl Fn(&str) -> (String, String)) {
    let Ok(Some(tutor)) = TUTORS.get(&lesson.data.tutor) else {
        return;
    };
    let Some(user) = tutor.data.link.user_id else {
        return;
    };
    let (subject, body) = compose(&identity::locale_of(&user));
    send(notify::Notification {
        recipient: user,
        subject,
        body,
        key: key.to_owned(),
        link: Some(format!("{}/tutor", crate::web::BASE)),
    });
}
