//! What the plugin holds about one person, for "download my data" and for an erasure (the
//! `personal_data` route, see [`trama_sdk::personal_data`]), called by the kernel as that
//! person.
//!
//! **Whose records.** The family the person manages online (`user_id`), its children, their
//! bookings and the family's hours per period; the tutor's record linked to their account
//! and the lessons they teach.
//!
//! **What an erasure does**, as the municipality's data protection officer would have it:
//!
//! | record | erasure |
//! |---|---|
//! | booking of a lesson not started yet | cancelled as the family would cancel it (seat, tutor and room freed, the hour back unless past the deadline), then deleted if it took no hour |
//! | booking cancelled in time | deleted: it took no hour and no report counts it |
//! | booking held, missed, cancelled late or called off | kept for the report of funded hours: its usernames become `cancellato` (it names nobody else) |
//! | child | with kept bookings: names `cancellato`, subjects cleared, inactive; otherwise deleted |
//! | family | with kept bookings: name `cancellato`, phone cleared, unlinked, a new calendar secret (the old address stops working), notes on its hours `cancellato`; otherwise deleted with its hours |
//! | tutoring path of a child (marks at start and end) | kept for the outcome counts, unlinked: child and author `cancellato` (the marks then name nobody) |
//! | tutor | with lessons taught: name `cancellato`, availability cleared, unlinked, inactive, a new calendar secret; otherwise deleted |
//!
//! A tutor with lessons still to teach is refused (`409`): the cooperative reassigns or calls
//! them off first, as the kernel asks an administrator's role to be revoked first. Everything
//! is one call, one transaction: a refusal changes nothing, and a second erasure finds nothing
//! linked to the person (`erased: 0`).

use trama_sdk::code;
use trama_sdk::http::{Request, Response};
use trama_sdk::identity::User;
use trama_sdk::personal_data::{ERASED, Erased, Export, erase_opt, erase_text, owned_by};
use trama_sdk::router::Params;
use trama_sdk::store::Doc;
use trama_sdk::{Error, Result, clock, identity, t};

use crate::allowance::ALLOWANCES;
use crate::config::Settings;
use crate::family::{CHILDREN, Child, FAMILIES, Family};
use crate::lesson::{BOOKINGS, Booking, BookingStatus, LESSONS, Lesson, LessonStatus};
use crate::progress::PATHS;
use crate::tutor::{TUTORS, Tutor};

/// The lessons tutor `id` teaches or taught.
fn lessons_of(tutor: &str) -> Result<Vec<Doc<Lesson>>> {
    owned_by(&LESSONS, "tutor", tutor)
}

/// `GET /api/personal-data` (the kernel, as the person): their family with its children,
/// bookings and hours; their tutor's record and the lessons it teaches.
pub fn export(_: Request, _: Params) -> Result<Response> {
    let me = identity::require_login()?;
    let families = owned_by(&FAMILIES, "user_id", &me.id)?;
    let mut children = Vec::new();
    let mut bookings = Vec::new();
    let mut hours = Vec::new();
    let mut paths = Vec::new();
    for family in &families {
        for child in owned_by(&CHILDREN, "family", &family.id)? {
            paths.extend(owned_by(&PATHS, "child", &child.id)?);
            children.push(child);
        }
        bookings.extend(owned_by(&BOOKINGS, "family", &family.id)?);
        hours.extend(owned_by(&ALLOWANCES, "family", &family.id)?);
    }
    let tutors = owned_by(&TUTORS, "user_id", &me.id)?;
    let mut lessons = Vec::new();
    for tutor in &tutors {
        lessons.extend(lessons_of(&tutor.id)?);
    }
    Export::new()
        .with("families", &families)?
        .with("children", &children)?
        .with("bookings", &bookings)?
        .with("hours", &hours)?
        .with("paths", &paths)?
        .with("tutors", &tutors)?
        .with("lessons_taught", &lessons)?
        .response()
}

/// `DELETE /api/personal-data` (the kernel, as the person, carrying out an erasure): see the
/// module documentation.
pub fn erase(_: Request, _: Params) -> Result<Response> {
    let me = identity::require_login()?;
    let now = clock::now_ms();
    let tutors = owned_by(&TUTORS, "user_id", &me.id)?;
    // Lessons still to teach must be reassigned first: refused before anything changes.
    for tutor in &tutors {
        let upcoming = lessons_of(&tutor.id)?
            .into_iter()
            .find(|l| l.data.status == LessonStatus::Scheduled && l.data.start_at > now);
        if let Some(lesson) = upcoming {
            return Err(Error::conflict(t!(
                "tutoring.personal_data.lessons_ahead",
                when = lesson.data.when()
            )));
        }
    }
    let mut erased = Erased::default();
    for family in owned_by(&FAMILIES, "user_id", &me.id)? {
        erase_family(family, &me, now, &mut erased)?;
    }
    for tutor in tutors {
        erase_tutor(tutor, &me, &mut erased)?;
    }
    erased.finish(&me)
}

/// The family's bookings not held go, the rest is kept without names (see the module docs).
fn erase_family(family: Doc<Family>, me: &User, now: i64, erased: &mut Erased) -> Result<()> {
    // Lessons not started yet: cancelled as the family would, while it is still theirs.
    let settings = Settings::load()?;
    for booking in owned_by(&BOOKINGS, "family", &family.id)? {
        if booking.data.status == BookingStatus::Booked && booking.data.start_at > now {
            crate::cancel::cancel(&booking.id, me, false, &settings, now)?;
        }
    }
    let mut kept_children = std::collections::BTreeSet::new();
    for booking in owned_by(&BOOKINGS, "family", &family.id)? {
        if booking.data.status == BookingStatus::Cancelled {
            BOOKINGS.delete(&booking.id)?;
            erased.count(1);
            continue;
        }
        kept_children.insert(booking.data.child.clone());
        if scrub_booking(&booking, me)? {
            erased.count(1);
        }
        erased.keep(
            t!("tutoring.personal_data.kept_bookings"),
            t!("tutoring.personal_data.kept_bookings_why"),
        );
    }
    for child in owned_by(&CHILDREN, "family", &family.id)? {
        // The marks stay for the outcome counts, linked to nobody.
        for mut path in owned_by(&PATHS, "child", &child.id)? {
            path.data.child = ERASED.to_owned();
            path.data.started_by = ERASED.to_owned();
            PATHS.put_if_version(&path.id, &path.data, path.version)?;
            erased.count(1);
            erased.keep(
                t!("tutoring.personal_data.kept_paths"),
                t!("tutoring.personal_data.kept_paths_why"),
            );
        }
        if kept_children.contains(&child.id) {
            let mut data: Child = child.data.clone();
            erase_text(&mut data.first_name);
            erase_text(&mut data.last_name);
            data.subjects.clear();
            data.active = false;
            if data != child.data {
                CHILDREN.put_if_version(&child.id, &data, child.version)?;
                erased.count(1);
            }
        } else if CHILDREN.delete(&child.id)? {
            erased.count(1);
        }
    }
    let hours = owned_by(&ALLOWANCES, "family", &family.id)?;
    if kept_children.is_empty() {
        for doc in hours {
            ALLOWANCES.delete(&doc.id)?;
        }
        FAMILIES.delete(&family.id)?;
        erased.count(1);
        return Ok(());
    }
    for mut doc in hours {
        if erase_text(&mut doc.data.note) {
            ALLOWANCES.put_if_version(&doc.id, &doc.data, doc.version)?;
        }
    }
    let mut data = family.data;
    erase_text(&mut data.name);
    data.phone.clear();
    data.user_id = None;
    // The old calendar address stops working; nobody knows the new one.
    data.feed_token = code::token();
    if data.created_by == me.username {
        erase_text(&mut data.created_by);
    }
    FAMILIES.put_if_version(&family.id, &data, family.version)?;
    erased.count(1);
    erased.keep(
        t!("tutoring.personal_data.kept_family"),
        t!("tutoring.personal_data.kept_family_why"),
    );
    Ok(())
}

/// Takes the person's username off a kept booking: whether it changed.
fn scrub_booking(booking: &Doc<Booking>, me: &User) -> Result<bool> {
    let mut data = booking.data.clone();
    let mut changed = false;
    if data.booked_by == me.username {
        changed |= erase_text(&mut data.booked_by);
    }
    if data.cancelled_by.as_deref() == Some(me.username.as_str()) {
        changed |= erase_opt(&mut data.cancelled_by);
    }
    if changed {
        BOOKINGS.put_if_version(&booking.id, &data, booking.version)?;
    }
    Ok(changed)
}

/// A tutor's record: deleted if it taught nothing, otherwise kept without the person.
fn erase_tutor(tutor: Doc<Tutor>, me: &User, erased: &mut Erased) -> Result<()> {
    let lessons = lessons_of(&tutor.id)?;
    if lessons.is_empty() {
        TUTORS.delete(&tutor.id)?;
        erased.count(1);
        return Ok(());
    }
    for mut lesson in lessons {
        let recorded_by_me = lesson
            .data
            .attendance
            .as_mut()
            .filter(|a| a.recorded_by == me.username);
        if let Some(attendance) = recorded_by_me {
            ERASED.clone_into(&mut attendance.recorded_by);
            LESSONS.put_if_version(&lesson.id, &lesson.data, lesson.version)?;
            erased.count(1);
        }
    }
    let mut data = tutor.data;
    erase_text(&mut data.name);
    data.availability.clear();
    data.unavailable_dates.clear();
    data.link = trama_sdk::claim::Link::default();
    data.active = false;
    data.feed_token = code::token();
    TUTORS.put_if_version(&tutor.id, &data, tutor.version)?;
    erased.count(1);
    erased.keep(
        t!("tutoring.personal_data.kept_tutor"),
        t!("tutoring.personal_data.kept_tutor_why"),
    );
    Ok(())
}
