//! The rules a booking must keep besides the group's size, the claims and the hours (which
//! the batch itself guards, see [`crate::booking`]): who teaches what and when, when spaces are
//! open, which children may sit together.

use trama_sdk::clock::Date;
use trama_sdk::store::Doc;
use trama_sdk::{Error, Result, t};

use crate::config::Settings;
use crate::family::Child;
use crate::lesson::{Lesson, LessonStatus};
use crate::schedule;
use crate::space::{SPACES, Space};
use crate::tutor::Tutor;
use trama_sdk::local;

/// The most children `lesson`'s group may hold now: the instance's maximum, or the space's
/// capacity if smaller.
pub fn capacity(settings: &Settings, space: Option<&Space>) -> u32 {
    let room = space.map_or(settings.max_group_size, |s| s.capacity);
    settings.max_group_size.min(room)
}

/// The refusal of a child booked twice into one lesson.
pub fn already_booked(child: &Child) -> Error {
    Error::conflict(t!(
        "tutoring.rules.already_booked",
        child = child.first_name
    ))
}

/// The rules about the child that hold whichever group they go into.
pub fn check_child_fits(lesson: &Lesson, child: &Child) -> Result<()> {
    if lesson.level != child.level {
        return Err(Error::invalid(t!(
            "tutoring.rules.wrong_level",
            group_level = lesson.level,
            child = child.first_name,
            child_level = child.level
        )));
    }
    if !child.subjects.contains(&lesson.subject) {
        return Err(Error::invalid(t!(
            "tutoring.rules.wrong_subject",
            child = child.first_name,
            subject = lesson.subject,
            subjects = child.subjects.join(", ")
        )));
    }
    Ok(())
}

pub fn check_joinable(
    doc: &Doc<Lesson>,
    child: &Doc<Child>,
    subject: Option<&str>,
    settings: &Settings,
    now: i64,
) -> Result<()> {
    let lesson = &doc.data;
    match lesson.status {
        LessonStatus::Scheduled => {}
        LessonStatus::Held => {
            return Err(Error::conflict(t!("tutoring.rules.already_held")));
        }
        LessonStatus::Cancelled => {
            return Err(Error::conflict(t!("tutoring.rules.lesson_cancelled")));
        }
    }
    if lesson.start_at <= now {
        return Err(Error::conflict(t!("tutoring.rules.already_started")));
    }
    if let Some(subject) = subject
        && !subject.eq_ignore_ascii_case(&lesson.subject)
    {
        return Err(Error::invalid(t!(
            "tutoring.rules.other_subject",
            group_subject = lesson.subject,
            subject = subject
        )));
    }
    if lesson.has_child(&child.id) {
        return Err(already_booked(&child.data));
    }
    let space = SPACES.get(&lesson.space)?;
    let capacity = capacity(settings, space.as_ref().map(|s| &s.data));
    let taken = u32::try_from(lesson.seats.len()).unwrap_or(u32::MAX);
    if taken >= capacity {
        return Err(Error::conflict(t!(
            "tutoring.rules.group_full",
            taken = taken,
            capacity = capacity
        )));
    }
    Ok(())
}

/// Whether `tutor` can teach `subject` at `level` on `date` from `start` to `end`.
pub fn check_tutor(
    tutor: &Tutor,
    subject: &str,
    level: &str,
    date: Date,
    start: u16,
    end: u16,
) -> Result<()> {
    if !tutor.active {
        return Err(Error::invalid(t!(
            "tutoring.rules.tutor_inactive",
            tutor = tutor.name
        )));
    }
    if !tutor.teaches(subject, level) {
        return Err(Error::invalid(t!(
            "tutoring.rules.tutor_does_not_teach",
            tutor = tutor.name,
            subject = subject,
            level = level,
            subjects = tutor.subjects.join(", "),
            levels = tutor.levels.join(", ")
        )));
    }
    let weekday = local::weekday(date);
    if tutor.away_on(&date.to_string())
        || !schedule::covers(&tutor.availability, weekday, start, end)
    {
        return Err(Error::invalid(t!(
            "tutoring.rules.tutor_unavailable",
            tutor = tutor.name,
            weekday = schedule::day_long_name(weekday),
            date = date,
            start = local::hhmm(start),
            end = local::hhmm(end),
            availability = schedule::describe(&tutor.availability)
        )));
    }
    Ok(())
}

/// Whether `space` is open on `date` from `start` to `end`.
pub fn check_space(space: &Space, date: Date, start: u16, end: u16) -> Result<()> {
    let weekday = local::weekday(date);
    if !space.active
        || space.closed_on(&date.to_string())
        || !schedule::covers(&space.opening, weekday, start, end)
    {
        return Err(Error::invalid(t!(
            "tutoring.rules.space_closed",
            space = space.name,
            weekday = schedule::day_long_name(weekday),
            date = date,
            start = local::hhmm(start),
            end = local::hhmm(end),
            opening = schedule::describe(&space.opening)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use crate::schedule::Window;

    fn tutor() -> Tutor {
        Tutor {
            name: "Giulia".into(),
            subjects: vec!["Matematica".into()],
            levels: vec!["Primaria".into()],
            availability: vec![Window {
                weekday: 1,
                from: 900,
                to: 1080,
            }],
            unavailable_dates: vec!["2025-04-07".into()],
            link: trama_sdk::claim::Link::default(),
            active: true,
            feed_token: String::new(),
            created_at: 0,
        }
    }

    #[test]
    fn a_tutor_teaches_only_their_subjects_levels_and_hours() {
        trama_sdk::i18n::set_locale("en");
        let monday = Date::parse("2025-03-31").unwrap();
        let t = tutor();
        assert!(check_tutor(&t, "Matematica", "Primaria", monday, 900, 960).is_ok());
        let wrong_subject = check_tutor(&t, "Inglese", "Primaria", monday, 900, 960);
        assert!(
            wrong_subject
                .unwrap_err()
                .message()
                .contains("does not teach")
        );
        let late = check_tutor(&t, "Matematica", "Primaria", monday, 1050, 1110);
        assert!(
            late.unwrap_err()
                .message()
                .contains("not available on Monday")
        );
        let away = Date::parse("2025-04-07").unwrap();
        assert!(check_tutor(&t, "Matematica", "Primaria", away, 900, 960).is_err());
        let mut off = t;
        off.active = false;
        assert!(check_tutor(&off, "Matematica", "Primaria", monday, 900, 960).is_err());
    }

    #[test]
    fn a_group_is_no_larger_than_its_room() {
        let settings = Settings::for_tests();
        let room = Space {
            name: "Sala".into(),
            address: "Via Roma 1".into(),
            capacity: 2,
            opening: vec![],
            closed_dates: vec![],
            active: true,
            created_at: 0,
        };
        assert_eq!(capacity(&settings, Some(&room)), 2);
        let hall = Space {
            capacity: 30,
            ..room
        };
        assert_eq!(capacity(&settings, Some(&hall)), 3);
    }

    #[test]
    fn a_child_joins_only_groups_of_their_level_and_subjects() {
        trama_sdk::i18n::set_locale("en");
        let child = fixtures::child();
        let mut lesson = Lesson {
            level: "Secondaria di primo grado".into(),
            ..fixtures::lesson()
        };
        let err = check_child_fits(&lesson, &child).unwrap_err();
        assert_eq!(err.status(), 422);
        assert!(
            err.message().contains("level “Secondaria di primo grado”"),
            "{err}"
        );
        lesson.level = "Primaria".into();
        assert!(check_child_fits(&lesson, &child).is_ok());
        lesson.subject = "Inglese".into();
        assert!(check_child_fits(&lesson, &child).is_err());
    }
}
