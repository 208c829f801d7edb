//! Cancelling: a family's booking (in time, the hour goes back; late, it stays used) or, by
//! an operator, a whole lesson. Like booking, each is one atomic batch tried again from fresh
//! reads when it loses a race.

use serde::Serialize;
use trama_contracts::tutoring::{BookingCancelled, LessonCancelled};
use trama_sdk::i18n::Lang;
use trama_sdk::identity::User;
use trama_sdk::store::{Batch, Doc};
use trama_sdk::{Error, Result, audit, events, log, notify};

use crate::allowance::{self, ALLOWANCES};
use crate::booking::{ATTEMPTS, Attempt, busy};
use crate::config::Settings;
use crate::family::{self, FAMILIES};
use crate::lesson::{self, BOOKINGS, BookingStatus, LESSONS, Lesson, LessonStatus};
use crate::reminders::clip;
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
    lang: Lang,
) -> Result<Cancelled> {
    for _ in 0..ATTEMPTS {
        if let Attempt::Done((cancelled, lesson)) =
            attempt_cancel(id, actor, operator, settings, now, lang)?
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
    Err(busy(lang))
}

fn attempt_cancel(
    id: &str,
    actor: &User,
    operator: bool,
    settings: &Settings,
    now: i64,
    lang: Lang,
) -> Result<Attempt<(Cancelled, Doc<Lesson>)>> {
    let Some(booking) = BOOKINGS.get(id)? else {
        return Err(lesson::booking_not_found(id, lang));
    };
    let family = FAMILIES.get(&booking.data.family)?;
    let allowed = operator
        || family
            .as_ref()
            .is_some_and(|f| family::is_member(&f.data, actor));
    if !allowed {
        return Err(lesson::booking_not_found(id, lang));
    }
    if booking.data.status != BookingStatus::Booked {
        return Err(Error::conflict(match lang {
            Lang::It => format!(
                "questa prenotazione non si può più disdire: è «{}»",
                booking.data.status.label(lang)
            ),
            Lang::En => format!(
                "this booking can no longer be cancelled: it is “{}”",
                booking.data.status.label(lang)
            ),
        }));
    }
    let mut lesson = lesson::load(&booking.data.lesson, lang)?;
    if now >= lesson.data.start_at {
        return Err(Error::conflict(lang.pick(
            "la lezione è già iniziata: non si può più disdire, il tutor registrerà l'assenza",
            "the lesson has already started: it can no longer be cancelled, the tutor will record the absence",
        )));
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
        lesson.data.cancel_reason = Some(
            lang.pick("nessun bambino prenotato", "no children booked")
                .to_owned(),
        );
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
    lang: Lang,
) -> Result<Doc<Lesson>> {
    for _ in 0..ATTEMPTS {
        if let Attempt::Done(lesson) = attempt_cancel_lesson(id, reason, actor, now, lang)? {
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
    Err(busy(lang))
}

fn attempt_cancel_lesson(
    id: &str,
    reason: &str,
    actor: &User,
    now: i64,
    lang: Lang,
) -> Result<Attempt<Doc<Lesson>>> {
    let mut lesson = lesson::load(id, lang)?;
    if lesson.data.status != LessonStatus::Scheduled {
        return Err(Error::conflict(match lang {
            Lang::It => format!(
                "la lezione non si può annullare: è «{}»",
                lesson.data.status.label(lang)
            ),
            Lang::En => format!(
                "the lesson cannot be cancelled: it is “{}”",
                lesson.data.status.label(lang)
            ),
        }));
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
        send(notify::Notification {
            recipient: user,
            subject: clip(format!(
                "{}: lezione annullata / lesson cancelled",
                settings.service_name
            )),
            body: format!(
                "La lezione del {line} è stata annullata: {reason}. L'ora è stata restituita al vostro monte ore.\n\n\
                 The lesson on {line} was cancelled: {reason}. The hour was given back to your allowance."
            ),
            key: format!("lesson-cancelled/{}/{}", lesson.id, seat.child),
            link: link.clone(),
        });
    }
    tell_tutor(
        lesson,
        &format!("lesson-cancelled/{}/tutor", lesson.id),
        clip(format!(
            "{}: lezione annullata / lesson cancelled",
            settings.service_name
        )),
        format!(
            "La lezione del {line} è stata annullata: {reason}.\n\nThe lesson on {line} was cancelled: {reason}."
        ),
    );
}

fn tell_tutor_dissolved(lesson: &Doc<Lesson>, settings: &Settings) {
    let line = lesson_line(&lesson.data);
    tell_tutor(
        lesson,
        &format!("lesson-emptied/{}", lesson.id),
        clip(format!(
            "{}: lezione senza iscritti / lesson without children",
            settings.service_name
        )),
        format!(
            "Tutte le prenotazioni della lezione del {line} sono state disdette: la lezione non si terrà.\n\n\
             Every booking of the lesson on {line} was cancelled: the lesson will not take place."
        ),
    );
}

fn tell_tutor(lesson: &Doc<Lesson>, key: &str, subject: String, body: String) {
    let Ok(Some(tutor)) = TUTORS.get(&lesson.data.tutor) else {
        return;
    };
    let Some(user) = tutor.data.user_id else {
        return;
    };
    send(notify::Notification {
        recipient: user,
        subject,
        body,
        key: key.to_owned(),
        link: Some(format!("{}/tutor", crate::web::BASE)),
    });
}
