//! The rules a booking must keep besides the group's size, the claims and the hours (which
//! the batch itself guards, see [`crate::booking`]): who teaches what and when, when spaces are
//! open, which children may sit together.

use trama_sdk::clock::Date;
use trama_sdk::i18n::Lang;
use trama_sdk::store::Doc;
use trama_sdk::{Error, Result};

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
pub fn already_booked(child: &Child, lang: Lang) -> Error {
    Error::conflict(match lang {
        Lang::It => format!("{} è già prenotato in questa lezione", child.first_name),
        Lang::En => format!("{} is already booked into this lesson", child.first_name),
    })
}

/// The rules about the child that hold whichever group they go into.
pub fn check_child_fits(lesson: &Lesson, child: &Child, lang: Lang) -> Result<()> {
    if lesson.level != child.level {
        return Err(Error::invalid(match lang {
            Lang::It => format!(
                "il gruppo è per il livello «{}», mentre {} è iscritto al livello «{}»",
                lesson.level, child.first_name, child.level
            ),
            Lang::En => format!(
                "the group is for level “{}”, but {} is registered at level “{}”",
                lesson.level, child.first_name, child.level
            ),
        }));
    }
    if !child.subjects.contains(&lesson.subject) {
        return Err(Error::invalid(match lang {
            Lang::It => format!(
                "{} non è iscritto per «{}» (materie: {}): aggiorna prima la sua scheda",
                child.first_name,
                lesson.subject,
                child.subjects.join(", ")
            ),
            Lang::En => format!(
                "{} is not registered for “{}” (subjects: {}): update their details first",
                child.first_name,
                lesson.subject,
                child.subjects.join(", ")
            ),
        }));
    }
    Ok(())
}

pub fn check_joinable(
    doc: &Doc<Lesson>,
    child: &Doc<Child>,
    subject: Option<&str>,
    settings: &Settings,
    now: i64,
    lang: Lang,
) -> Result<()> {
    let lesson = &doc.data;
    match lesson.status {
        LessonStatus::Scheduled => {}
        LessonStatus::Held => {
            return Err(Error::conflict(lang.pick(
                "questa lezione si è già svolta",
                "this lesson has already been held",
            )));
        }
        LessonStatus::Cancelled => {
            return Err(Error::conflict(lang.pick(
                "questa lezione è stata annullata: scegli un altro gruppo o aprine uno nuovo",
                "this lesson was cancelled: choose another group or open a new one",
            )));
        }
    }
    if lesson.start_at <= now {
        return Err(Error::conflict(lang.pick(
            "questa lezione è già iniziata: non si possono più aggiungere bambini",
            "this lesson has already started: no more children can join",
        )));
    }
    if let Some(subject) = subject
        && !subject.eq_ignore_ascii_case(&lesson.subject)
    {
        return Err(Error::invalid(match lang {
            Lang::It => format!(
                "questo gruppo è di «{}», non di «{subject}»",
                lesson.subject
            ),
            Lang::En => format!("this group is for “{}”, not “{subject}”", lesson.subject),
        }));
    }
    if lesson.has_child(&child.id) {
        return Err(already_booked(&child.data, lang));
    }
    let space = SPACES.get(&lesson.space)?;
    let capacity = capacity(settings, space.as_ref().map(|s| &s.data));
    let taken = u32::try_from(lesson.seats.len()).unwrap_or(u32::MAX);
    if taken >= capacity {
        return Err(Error::conflict(match lang {
            Lang::It => format!(
                "il gruppo è al completo: {taken} posti su {capacity} già occupati; scegli un altro gruppo o aprine uno nuovo"
            ),
            Lang::En => format!(
                "the group is full: {taken} of {capacity} places are taken; choose another group or open a new one"
            ),
        }));
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
    lang: Lang,
) -> Result<()> {
    if !tutor.active {
        return Err(Error::invalid(match lang {
            Lang::It => format!("{} al momento non tiene lezioni", tutor.name),
            Lang::En => format!("{} is not teaching at the moment", tutor.name),
        }));
    }
    if !tutor.teaches(subject, level) {
        return Err(Error::invalid(match lang {
            Lang::It => format!(
                "{} non insegna «{subject}» al livello «{level}» (materie: {}; livelli: {})",
                tutor.name,
                tutor.subjects.join(", "),
                tutor.levels.join(", ")
            ),
            Lang::En => format!(
                "{} does not teach “{subject}” at level “{level}” (subjects: {}; levels: {})",
                tutor.name,
                tutor.subjects.join(", "),
                tutor.levels.join(", ")
            ),
        }));
    }
    let weekday = local::weekday(date);
    if tutor.away_on(&date.to_string())
        || !schedule::covers(&tutor.availability, weekday, start, end)
    {
        return Err(Error::invalid(match lang {
            Lang::It => format!(
                "{} non è disponibile {} {date} {}-{} (disponibilità: {})",
                tutor.name,
                schedule::day_long_name(weekday, lang),
                local::hhmm(start),
                local::hhmm(end),
                schedule::describe(&tutor.availability, lang)
            ),
            Lang::En => format!(
                "{} is not available on {} {date} {}-{} (availability: {})",
                tutor.name,
                schedule::day_long_name(weekday, lang),
                local::hhmm(start),
                local::hhmm(end),
                schedule::describe(&tutor.availability, lang)
            ),
        }));
    }
    Ok(())
}

/// Whether `space` is open on `date` from `start` to `end`.
pub fn check_space(space: &Space, date: Date, start: u16, end: u16, lang: Lang) -> Result<()> {
    let weekday = local::weekday(date);
    if !space.active
        || space.closed_on(&date.to_string())
        || !schedule::covers(&space.opening, weekday, start, end)
    {
        return Err(Error::invalid(match lang {
            Lang::It => format!(
                "lo spazio «{}» non è aperto {} {date} {}-{} (orari: {})",
                space.name,
                schedule::day_long_name(weekday, lang),
                local::hhmm(start),
                local::hhmm(end),
                schedule::describe(&space.opening, lang)
            ),
            Lang::En => format!(
                "the space “{}” is not open on {} {date} {}-{} (hours: {})",
                space.name,
                schedule::day_long_name(weekday, lang),
                local::hhmm(start),
                local::hhmm(end),
                schedule::describe(&space.opening, lang)
            ),
        }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
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
            user_id: None,
            claim_code: None,
            active: true,
            feed_token: String::new(),
            created_at: 0,
        }
    }

    #[test]
    fn a_tutor_teaches_only_their_subjects_levels_and_hours() {
        let monday = Date::parse("2025-03-31").unwrap();
        let t = tutor();
        assert!(check_tutor(&t, "Matematica", "Primaria", monday, 900, 960, Lang::En).is_ok());
        let wrong_subject = check_tutor(&t, "Inglese", "Primaria", monday, 900, 960, Lang::En);
        assert!(
            wrong_subject
                .unwrap_err()
                .message()
                .contains("does not teach")
        );
        let late = check_tutor(&t, "Matematica", "Primaria", monday, 1050, 1110, Lang::En);
        assert!(
            late.unwrap_err()
                .message()
                .contains("not available on Monday")
        );
        let away = Date::parse("2025-04-07").unwrap();
        assert!(check_tutor(&t, "Matematica", "Primaria", away, 900, 960, Lang::En).is_err());
        let mut off = t;
        off.active = false;
        assert!(check_tutor(&off, "Matematica", "Primaria", monday, 900, 960, Lang::En).is_err());
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
        let child = Child {
            family: "f".into(),
            first_name: "Luca".into(),
            last_name: "Rossi".into(),
            level: "Primaria".into(),
            subjects: vec!["Matematica".into()],
            active: true,
            created_at: 0,
        };
        let mut lesson = Lesson {
            tutor: "t".into(),
            space: "s".into(),
            subject: "Matematica".into(),
            level: "Secondaria di primo grado".into(),
            date: "2025-03-31".into(),
            month: "2025-03".into(),
            start: 900,
            minutes: 60,
            start_at: 0,
            end_at: 0,
            status: LessonStatus::Scheduled,
            seats: vec![],
            attendance: None,
            cancel_reason: None,
            created_at: 0,
            created_by: String::new(),
        };
        let err = check_child_fits(&lesson, &child, Lang::En).unwrap_err();
        assert_eq!(err.status(), 422);
        assert!(
            err.message().contains("level “Secondaria di primo grado”"),
            "{err}"
        );
        lesson.level = "Primaria".into();
        assert!(check_child_fits(&lesson, &child, Lang::En).is_ok());
        lesson.subject = "Inglese".into();
        assert!(check_child_fits(&lesson, &child, Lang::En).is_err());
    }
}
