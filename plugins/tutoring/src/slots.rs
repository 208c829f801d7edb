//! What a family can book for a child in a subject: groups with room to join, and the times a
//! new group could start (a tutor who teaches the subject at the child's level is available,
//! and a space is open, and neither is taken).
//!
//! The search reads the lessons of the period once and works out the rest in memory. What it
//! offers is a picture of the moment: the booking itself checks everything again inside its
//! transaction (see [`crate::booking`]).

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use trama_sdk::Result;
use trama_sdk::clock::Date;
use trama_sdk::store::{Cmp, Doc};

use crate::config::Settings;
use crate::family::Child;
use crate::lesson::{self, BOOKINGS, BookingStatus, LESSONS, Lesson, LessonStatus, Sitting};
use crate::rules;
use crate::schedule;
use crate::space::{self, Space};
use crate::tutor::{self, Tutor};
use trama_sdk::local;

/// Most new-group times one search returns.
pub const MAX_OPENINGS: usize = 300;
/// Lessons read per page.
const PAGE: u32 = 1000;

/// An existing group the child can join.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub lesson: String,
    #[serde(flatten)]
    pub sitting: Sitting,
    pub taken: u32,
    pub capacity: u32,
}

/// A space where a new group could meet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpaceChoice {
    pub id: String,
    pub name: String,
    pub capacity: u32,
}

/// A time a new group could start with a tutor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Opening {
    pub date: String,
    pub weekday: String,
    pub start: String,
    pub end: String,
    pub tutor_id: String,
    pub tutor: String,
    pub spaces: Vec<SpaceChoice>,
}

/// What is taken already: claim ids of scheduled and held lessons, and of the child.
#[derive(Debug, Default)]
pub struct Taken {
    pub resources: HashSet<String>,
    pub child: HashSet<String>,
}

impl Taken {
    pub fn from_lessons(lessons: &[Doc<Lesson>], child: &str) -> Self {
        let mut taken = Self::default();
        for doc in lessons {
            if doc.data.status == LessonStatus::Cancelled {
                continue;
            }
            taken.resources.extend(doc.data.resource_claims());
            if doc.data.has_child(child) {
                taken.child.extend(doc.data.child_claims(child));
            }
        }
        taken
    }
}

/// What a search is for.
#[derive(Debug, Clone, Copy)]
pub struct Wanted<'a> {
    pub subject: &'a str,
    pub child: &'a Child,
    pub child_id: &'a str,
    /// Nothing that starts at or before this instant is offered.
    pub now: i64,
}

/// The times new groups could start, in order of date, time and tutor's name.
pub fn openings(
    tutors: &[Doc<Tutor>],
    spaces: &[Doc<Space>],
    taken: &Taken,
    wanted: &Wanted<'_>,
    dates: &[Date],
    minutes: u16,
) -> Vec<Opening> {
    let Wanted {
        subject,
        child,
        child_id,
        now,
    } = *wanted;
    let mut found = Vec::new();
    let free = |kind: &str, id: &str, date: &str, start: u16| {
        lesson::claim_ids(kind, id, date, start, minutes)
            .iter()
            .all(|c| !taken.resources.contains(c) && !taken.child.contains(c))
    };
    for &date in dates {
        let day = date.to_string();
        let weekday = local::weekday(date);
        let weekday_name = schedule::day_long_name(weekday);
        for tutor in tutors {
            let t = &tutor.data;
            if !t.active || !t.teaches(subject, &child.level) || t.away_on(&day) {
                continue;
            }
            for window in t.availability.iter().filter(|w| w.weekday == weekday) {
                let mut start = window.from;
                while start + minutes <= window.to {
                    let end = start + minutes;
                    let open = local::to_utc_ms(date, start) > now
                        && free("tutor", &tutor.id, &day, start)
                        && free("child", child_id, &day, start);
                    if open {
                        let rooms: Vec<SpaceChoice> = spaces
                            .iter()
                            .filter(|s| {
                                s.data.active
                                    && !s.data.closed_on(&day)
                                    && schedule::covers(&s.data.opening, weekday, start, end)
                                    && free("space", &s.id, &day, start)
                            })
                            .map(|s| SpaceChoice {
                                id: s.id.clone(),
                                name: s.data.name.clone(),
                                capacity: s.data.capacity,
                            })
                            .collect();
                        if !rooms.is_empty() {
                            found.push(Opening {
                                date: day.clone(),
                                weekday: weekday_name.clone(),
                                start: local::hhmm(start),
                                end: local::hhmm(end),
                                tutor_id: tutor.id.clone(),
                                tutor: t.name.clone(),
                                spaces: rooms,
                            });
                        }
                    }
                    start = end;
                }
            }
        }
    }
    found.sort_by(|a, b| (&a.date, &a.start, &a.tutor).cmp(&(&b.date, &b.start, &b.tutor)));
    found.truncate(MAX_OPENINGS);
    found
}

/// Existing groups in `subject` at the child's level with room, not yet started, that the
/// child is not in and that do not clash with the child's other lessons.
pub fn groups(
    lessons: &[Doc<Lesson>],
    tutors: &HashMap<String, String>,
    spaces: &HashMap<String, Doc<Space>>,
    taken: &Taken,
    wanted: &Wanted<'_>,
    settings: &Settings,
) -> Vec<Group> {
    let mut found: Vec<Group> = lessons
        .iter()
        .filter(|doc| {
            let l = &doc.data;
            l.status == LessonStatus::Scheduled
                && l.subject == wanted.subject
                && l.level == wanted.child.level
                && l.start_at > wanted.now
                && !l.has_child(wanted.child_id)
                && l.child_claims(wanted.child_id)
                    .iter()
                    .all(|c| !taken.child.contains(c))
        })
        .filter_map(|doc| {
            let l = &doc.data;
            let space = spaces.get(&l.space);
            let capacity = rules::capacity(settings, space.map(|s| &s.data));
            let taken = u32::try_from(l.seats.len()).unwrap_or(u32::MAX);
            (taken < capacity).then(|| {
                let place = space
                    .map(|s| (s.data.name.clone(), s.data.address.clone()))
                    .unwrap_or_default();
                Group {
                    lesson: doc.id.clone(),
                    sitting: Sitting::new(&l.date, l.start, l.minutes, &l.subject, &l.level)
                        .with_place(tutors.get(&l.tutor).cloned().unwrap_or_default(), place),
                    taken,
                    capacity,
                }
            })
        })
        .collect();
    found.sort_by(|a, b| {
        let (a, b) = (&a.sitting, &b.sitting);
        (&a.date, &a.start).cmp(&(&b.date, &b.start))
    });
    found
}

/// Lessons (not cancelled) from `from` to `to`, both included.
pub fn lessons_between(from: Date, to: Date) -> Result<Vec<Doc<Lesson>>> {
    LESSONS
        .query()
        .filter("date", Cmp::Ge, from.to_string())
        .filter("date", Cmp::Le, to.to_string())
        .filter("status", Cmp::Ne, "cancelled")
        .order_by("start_at")
        .fetch_all()
}

/// The result of a search.
#[derive(Debug, Clone, Serialize)]
pub struct Search {
    pub from: String,
    pub to: String,
    pub groups: Vec<Group>,
    pub openings: Vec<Opening>,
}

/// Searches what `child` can book in `subject` from `from` for `days` days (within the booking
/// window of the settings).
pub fn search(
    child: &Doc<Child>,
    subject: &str,
    from: Date,
    days: u32,
    settings: &Settings,
    now: i64,
) -> Result<Search> {
    let today = local::today(now);
    let last = today.add_days(i64::from(settings.booking_horizon_days));
    let from = from.max(today);
    let to = from.add_days(i64::from(days.max(1)) - 1).min(last);
    let lessons = if from <= to {
        lessons_between(from, to)?
    } else {
        Vec::new()
    };
    let mut taken = Taken::from_lessons(&lessons, &child.id);
    // The child's bookings of the period, in case a lesson of theirs is not in the page read.
    for booking in BOOKINGS
        .query()
        .filter("child", Cmp::Eq, child.id.as_str())
        .filter("status", Cmp::Eq, BookingStatus::Booked.key())
        .limit(PAGE)
        .fetch()?
    {
        let b = &booking.data;
        taken.child.extend(lesson::claim_ids(
            "child", &child.id, &b.date, b.start, b.minutes,
        ));
    }
    let tutors = tutor::all()?;
    let spaces = space::all()?;
    let dates: Vec<Date> = (0..=from.days_until(to))
        .map(|d| from.add_days(d))
        .collect();
    let tutor_names: HashMap<String, String> = tutors
        .iter()
        .map(|t| (t.id.clone(), t.data.name.clone()))
        .collect();
    let space_map: HashMap<String, Doc<Space>> =
        spaces.iter().map(|s| (s.id.clone(), s.clone())).collect();
    let wanted = Wanted {
        subject,
        child: &child.data,
        child_id: &child.id,
        now,
    };
    Ok(Search {
        from: from.to_string(),
        to: to.to_string(),
        groups: groups(
            &lessons,
            &tutor_names,
            &space_map,
            &taken,
            &wanted,
            settings,
        ),
        openings: openings(
            &tutors,
            &spaces,
            &taken,
            &wanted,
            &dates,
            settings.lesson_minutes,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::Seat;
    use crate::schedule::Window;

    fn doc<T>(id: &str, data: T) -> Doc<T> {
        Doc {
            id: id.into(),
            version: 1,
            data,
        }
    }

    fn tutor(name: &str, availability: Vec<Window>) -> Tutor {
        Tutor {
            name: name.into(),
            subjects: vec!["Matematica".into()],
            levels: vec!["Primaria".into()],
            availability,
            unavailable_dates: vec![],
            link: trama_sdk::claim::Link::default(),
            active: true,
            feed_token: String::new(),
            created_at: 0,
        }
    }

    fn space(name: &str, capacity: u32) -> Space {
        Space {
            name: name.into(),
            address: "Via Roma 1".into(),
            capacity,
            opening: vec![Window {
                weekday: 1,
                from: 14 * 60,
                to: 18 * 60,
            }],
            closed_dates: vec![],
            active: true,
            created_at: 0,
        }
    }

    /// A search for Matematica for `child`, known as `c1`, from the beginning of time.
    fn wanted(child: &Child) -> Wanted<'_> {
        Wanted {
            subject: "Matematica",
            child,
            child_id: "c1",
            now: 0,
        }
    }

    fn lesson(tutor: &str, space: &str, start: u16, seats: usize) -> Lesson {
        let date = Date::parse("2025-03-31").unwrap();
        Lesson {
            tutor: tutor.into(),
            space: space.into(),
            start,
            start_at: local::to_utc_ms(date, start),
            end_at: local::to_utc_ms(date, start + 60),
            seats: (0..seats)
                .map(|i| Seat {
                    child: format!("other{i}"),
                    family: format!("f{i}"),
                    booking: format!("b{i}"),
                })
                .collect(),
            // The fixture's date, 2025-03-31.
            ..crate::fixtures::lesson()
        }
    }

    #[test]
    fn new_groups_start_where_a_tutor_and_a_room_are_both_free() {
        let monday = Date::parse("2025-03-31").unwrap();
        let tutors = vec![doc(
            "t1",
            tutor(
                "Giulia",
                vec![Window {
                    weekday: 1,
                    from: 15 * 60,
                    to: 18 * 60,
                }],
            ),
        )];
        // The room closes at 18:00 but the library's other room only at 17:00.
        let mut small = space("Sala piccola", 2);
        small.opening[0].to = 17 * 60;
        let spaces = vec![doc("s1", space("Sala grande", 6)), doc("s2", small)];
        // Giulia teaches at 16:00 already; the big room is taken at 15:00 by someone else.
        let lessons = vec![
            doc("l1", lesson("t1", "s2", 16 * 60, 1)),
            doc("l2", lesson("t9", "s1", 15 * 60, 1)),
        ];
        let taken = Taken::from_lessons(&lessons, "c1");
        let luca = crate::fixtures::child();
        let wanted = wanted(&luca);
        let found = openings(&tutors, &spaces, &taken, &wanted, &[monday], 60);
        let summary: Vec<(String, Vec<String>)> = found
            .iter()
            .map(|o| {
                (
                    o.start.clone(),
                    o.spaces.iter().map(|s| s.id.clone()).collect(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("15:00".to_owned(), vec!["s2".to_owned()]),
                ("17:00".to_owned(), vec!["s1".to_owned()]),
            ]
        );
        assert_eq!(found[0].weekday, "lunedì");
        // Nothing in another subject, and nothing once the times have passed.
        let english = Wanted {
            subject: "Inglese",
            ..wanted
        };
        assert!(openings(&tutors, &spaces, &taken, &english, &[monday], 60).is_empty());
        let evening = Wanted {
            now: local::to_utc_ms(monday, 17 * 60),
            ..wanted
        };
        assert!(openings(&tutors, &spaces, &taken, &evening, &[monday], 60).is_empty());
    }

    #[test]
    fn groups_with_room_are_offered_and_full_ones_are_not() {
        trama_sdk::i18n::set_locale("en");
        let settings = Settings::for_tests();
        let spaces: HashMap<String, Doc<Space>> = [
            ("s1".to_owned(), doc("s1", space("Sala grande", 6))),
            ("s2".to_owned(), doc("s2", space("Sala piccola", 2))),
        ]
        .into_iter()
        .collect();
        let tutors: HashMap<String, String> = [("t1".to_owned(), "Giulia".to_owned())].into();
        let lessons = vec![
            doc("open", lesson("t1", "s1", 15 * 60, 2)),
            doc("full", lesson("t1", "s1", 16 * 60, 3)),
            doc("small", lesson("t2", "s2", 15 * 60, 2)),
        ];
        let luca = crate::fixtures::child();
        let wanted = wanted(&luca);
        let found = groups(
            &lessons,
            &tutors,
            &spaces,
            &Taken::default(),
            &wanted,
            &settings,
        );
        let ids: Vec<&str> = found.iter().map(|g| g.lesson.as_str()).collect();
        assert_eq!(ids, vec!["open"]);
        assert_eq!((found[0].taken, found[0].capacity), (2, 3));
        assert_eq!(found[0].sitting.tutor, "Giulia");
        assert_eq!(found[0].sitting.weekday, "Monday");
    }
}
