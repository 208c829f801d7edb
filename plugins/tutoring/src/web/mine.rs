//! `GET /api/mine`: the caller's lessons as the kernel's "my applications and bookings" page
//! (`/me`) lists them (`[plugin] mine` in `plugin.toml`): the bookings of their family's
//! children, upcoming and of the last weeks, and — for a tutor — the lessons they are about to
//! teach. Each item is `{title, status, href}` in the request's language.

use std::collections::HashMap;

use trama_sdk::clock::Date;
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::Lang;
use trama_sdk::identity::{self, User};
use trama_sdk::mine::{self, Item, MOST};
use trama_sdk::router::Params;
use trama_sdk::store::{Cmp, Doc};
use trama_sdk::{Result, clock, t};

use super::{BASE, lang};
use crate::family;
use crate::lesson::{BOOKINGS, Booking, BookingStatus, LESSONS, Lesson, LessonStatus};
use crate::schedule;
use crate::space::SPACES;
use crate::tutor;
use trama_sdk::local;

/// Bookings of lessons older than this are left out: `/me` is about what is going on, and the
/// family's page keeps the whole history.
const RECENT_DAYS: i64 = 30;
/// The longest lesson the settings allow, so that a lesson still under way is "upcoming".
const LONGEST_LESSON_MS: i64 = 120 * 60_000;

/// `martedì 3 giugno 2025, 10:00-11:00` — a lesson's day and hours as people say them.
pub fn when_in_words(date: &str, start: u16, minutes: u16, lang: Lang) -> String {
    let day = match Date::parse(date) {
        Ok(d) => format!(
            "{} {} {} {}",
            schedule::day_long_name(local::weekday(d)),
            d.day,
            local::month_name(d.month, lang),
            d.year
        ),
        // Dates are written by the plugin itself; should one be unreadable, show it as stored.
        Err(_) => date.to_owned(),
    };
    format!(
        "{day}, {}-{}",
        local::hhmm(start),
        local::hhmm(start.saturating_add(minutes))
    )
}

fn children_text(n: usize) -> String {
    if n == 1 {
        t!("tutoring.mine.children_one", count = n)
    } else {
        t!("tutoring.mine.children_other", count = n)
    }
}

/// A family's booking. A booking cancelled by the family no longer has a seat in the lesson,
/// whose page the family then cannot open: it links to the family's page, where the history is.
pub fn booking_item(doc: &Doc<Booking>, child_name: &str, lang: Lang) -> Item {
    let b = &doc.data;
    let href = match b.status {
        BookingStatus::Cancelled | BookingStatus::CancelledLate => format!("{BASE}/family"),
        _ => format!("{BASE}/lessons/{}", b.lesson),
    };
    Item {
        title: format!(
            "{child_name} — {}, {}",
            b.subject,
            when_in_words(&b.date, b.start, b.minutes, lang)
        ),
        status: b.status.label(),
        href,
        at: b.start_at,
    }
}

/// A lesson the caller teaches.
pub fn lesson_item(doc: &Doc<Lesson>, space: &str, lang: Lang) -> Item {
    let l = &doc.data;
    let when = when_in_words(&l.date, l.start, l.minutes, lang);
    let title = t!(
        "tutoring.mine.lesson_title",
        subject = l.subject,
        level = l.level,
        when = when
    );
    Item {
        title: if space.is_empty() {
            title
        } else {
            format!("{title}, {space}")
        },
        status: format!("{}, {}", l.status.label(), children_text(l.seats.len())),
        href: format!("{BASE}/lessons/{}", doc.id),
        at: l.start_at,
    }
}

/// The bookings of the caller's family from [`RECENT_DAYS`] ago on.
fn family_items(user: &User, now: i64, lang: Lang) -> Result<Vec<Item>> {
    let Some(family) = family::of_user(user)? else {
        return Ok(Vec::new());
    };
    let names: HashMap<String, String> = family::children_of(&family.id)?
        .iter()
        .map(|c| (c.id.clone(), c.data.full_name()))
        .collect();
    let since = now - RECENT_DAYS * 86_400_000;
    let bookings = BOOKINGS
        .query()
        .filter("family", Cmp::Eq, family.id.as_str())
        .filter("start_at", Cmp::Ge, since)
        .order_by_desc("start_at")
        .limit(MOST as u32)
        .fetch()?;
    Ok(bookings
        .iter()
        .map(|doc| {
            let name = names.get(&doc.data.child).map_or("", String::as_str);
            booking_item(doc, name, lang)
        })
        .collect())
}

/// The lessons the caller teaches that have not ended and are not called off.
fn tutor_items(user: &User, now: i64, lang: Lang) -> Result<Vec<Item>> {
    let Some(tutor) = tutor::of_user(user)? else {
        return Ok(Vec::new());
    };
    let lessons = LESSONS
        .query()
        .filter("tutor", Cmp::Eq, tutor.id.as_str())
        .filter("start_at", Cmp::Ge, now - LONGEST_LESSON_MS)
        .order_by("start_at")
        .limit(MOST as u32)
        .fetch()?;
    let mut spaces: HashMap<String, String> = HashMap::new();
    let mut items = Vec::new();
    for doc in lessons
        .iter()
        .filter(|l| l.data.end_at > now && l.data.status != LessonStatus::Cancelled)
    {
        if !spaces.contains_key(&doc.data.space) {
            let name = SPACES
                .get(&doc.data.space)?
                .map(|s| s.data.name)
                .unwrap_or_default();
            spaces.insert(doc.data.space.clone(), name);
        }
        let space = spaces.get(&doc.data.space).map_or("", String::as_str);
        items.push(lesson_item(doc, space, lang));
    }
    Ok(items)
}

/// Both lists, latest lesson first, at most [`MOST`].
pub fn mine(user: &User, now: i64, lang: Lang) -> Result<Vec<Item>> {
    let mut items = family_items(user, now, lang)?;
    items.extend(tutor_items(user, now, lang)?);
    Ok(mine::newest_first(items))
}

/// `GET /api/mine` (logged in): `[{title, status, href}]`.
pub fn api(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login()?;
    Response::json(&mine(&user, clock::now_ms(), lang)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use crate::lesson::Seat;

    fn booking(status: BookingStatus) -> Doc<Booking> {
        Doc {
            id: "l1-c1".into(),
            version: 1,
            data: Booking {
                lesson: "l1".into(),
                child: "c1".into(),
                family: "acct-u1".into(),
                tutor: "t1".into(),
                space: "s1".into(),
                date: "2025-06-03".into(),
                month: "2025-06".into(),
                period: "2025-06".into(),
                status,
                booked_by: "anna".into(),
                ..fixtures::booking()
            },
        }
    }

    #[test]
    fn days_and_hours_are_written_in_words() {
        assert_eq!(
            when_in_words("2025-06-03", 15 * 60, 90, Lang::It),
            "martedì 3 giugno 2025, 15:00-16:30"
        );
        trama_sdk::i18n::set_locale("en");
        assert_eq!(
            when_in_words("2025-06-03", 15 * 60, 90, Lang::En),
            "Tuesday 3 June 2025, 15:00-16:30"
        );
    }

    #[test]
    fn a_booking_names_the_child_and_links_where_the_family_can_look() {
        let item = booking_item(&booking(BookingStatus::Booked), "Luca Rossi", Lang::It);
        assert_eq!(
            item.title,
            "Luca Rossi — Matematica, martedì 3 giugno 2025, 15:00-16:00"
        );
        assert_eq!(item.status, "Prenotata");
        assert_eq!(item.href, "/p/tutoring/lessons/l1");
        trama_sdk::i18n::set_locale("en");
        let present = booking_item(&booking(BookingStatus::Present), "Luca Rossi", Lang::En);
        assert_eq!(present.status, "Present");
        trama_sdk::i18n::set_locale("it");
        // A cancelled booking has left the lesson: the family's page tells its story.
        let cancelled = booking_item(&booking(BookingStatus::Cancelled), "Luca Rossi", Lang::It);
        assert_eq!(cancelled.href, "/p/tutoring/family");
    }

    #[test]
    fn a_tutor_sees_the_lesson_the_room_and_how_many_children() {
        let booked = booking(BookingStatus::Booked).data;
        let seat = |child: &str| Seat {
            child: child.into(),
            family: "f".into(),
            booking: format!("l1-{child}"),
        };
        let lesson = Doc {
            id: "l1".into(),
            version: 3,
            data: Lesson {
                tutor: booked.tutor,
                space: booked.space,
                date: booked.date,
                month: booked.month,
                seats: vec![seat("a"), seat("b")],
                created_by: "anna".into(),
                ..fixtures::lesson()
            },
        };
        let item = lesson_item(&lesson, "Biblioteca", Lang::It);
        assert_eq!(
            item.title,
            "Lezione di Matematica (Primaria) — martedì 3 giugno 2025, 15:00-16:00, Biblioteca"
        );
        assert_eq!(item.status, "In programma, 2 bambini");
        assert_eq!(item.href, "/p/tutoring/lessons/l1");
        trama_sdk::i18n::set_locale("en");
        let english = lesson_item(&lesson, "", Lang::En);
        assert_eq!(
            english.title,
            "Matematica lesson (Primaria) — Tuesday 3 June 2025, 15:00-16:00"
        );
        assert_eq!(english.status, "Scheduled, 2 children");
    }
}
