//! Calendar feeds: `GET /feeds/tutor/{token}.ics` and `GET /feeds/family/{token}.ics`.
//!
//! Calendar apps fetch these without a session, so the secret token in the address is the
//! credential (see [`trama_sdk::code::token`]); anything but a known token is a 404 that says nothing more.
//! A feed holds the last 60 days and everything ahead.

use std::collections::HashMap;

use trama_sdk::clock::Date;
use trama_sdk::http::{Request, Response};
use trama_sdk::router::Params;
use trama_sdk::store::{Cmp, Collection, Doc};
use trama_sdk::{Error, Result, clock, t};

use super::lessons::Lookup;
use crate::config::Settings;
use crate::family::{CHILDREN, FAMILIES, Family};
use crate::ics::{self, Event};
use crate::lesson::{BOOKINGS, BookingStatus, LESSONS, LessonStatus};
use crate::tutor::{TUTORS, Tutor};
use trama_sdk::code;
use trama_sdk::local;

/// How far back a feed goes.
const PAST_DAYS: i64 = 60;
/// Events in one feed at most.
const MAX_EVENTS: u32 = 1000;

fn unknown() -> Error {
    Error::not_found(t!("tutoring.feeds.unknown"))
}

/// The token of `{token}.ics`, if it has the right shape.
fn token(params: &Params) -> Result<String> {
    let file = params.get("file")?;
    file.strip_suffix(".ics")
        .filter(|t| code::is_token(t))
        .map(str::to_owned)
        .ok_or_else(unknown)
}

fn by_token<T: serde::Serialize + serde::de::DeserializeOwned>(
    collection: &Collection<T>,
    token: &str,
) -> Result<Doc<T>> {
    collection
        .query()
        .filter("feed_token", Cmp::Eq, token)
        .limit(1)
        .fetch()?
        .into_iter()
        .next()
        .ok_or_else(unknown)
}

fn download(name: &str, body: String) -> Response {
    Response::download(name, "text/calendar; charset=utf-8", body)
}

/// `GET /feeds/tutor/{token}.ics`: the tutor's lessons.
pub fn tutor(_: Request, params: Params) -> Result<Response> {
    let token = token(&params)?;
    let tutor: Doc<Tutor> = by_token(&TUTORS, &token)?;
    let settings = Settings::load()?;
    let now = clock::now_ms();
    let since = local::today(now).add_days(-PAST_DAYS).to_string();
    let lessons = LESSONS
        .query()
        .filter("tutor", Cmp::Eq, tutor.id.as_str())
        .filter("date", Cmp::Ge, since)
        .order_by("start_at")
        .limit(MAX_EVENTS)
        .fetch()?;
    let mut lookup = Lookup::default();
    let mut events = Vec::with_capacity(lessons.len());
    for doc in &lessons {
        let l = &doc.data;
        let mut names = Vec::new();
        for seat in &l.seats {
            if let Some(child) = CHILDREN.get(&seat.child)? {
                names.push(child.data.short_name());
            }
        }
        let children = names.join(", ");
        let description = match &l.cancel_reason {
            Some(reason) if l.status == LessonStatus::Cancelled => t!(
                "tutoring.feeds.tutor_cancelled",
                reason = reason,
                children = children
            ),
            _ => t!("tutoring.feeds.tutor_children", children = children),
        };
        events.push(Event {
            uid: format!("lesson-{}@tutoring.trama", doc.id),
            sequence: doc.version,
            date: Date::parse(&l.date)?,
            start: l.start,
            minutes: l.minutes,
            summary: format!("{} · {} ({})", settings.service_name, l.subject, l.level),
            location: lookup.place(&l.space)?,
            description,
            cancelled: l.status == LessonStatus::Cancelled,
        });
    }
    let name = format!("{}: {}", settings.service_name, tutor.data.name);
    Ok(download("lezioni.ics", ics::calendar(&name, &events, now)))
}

/// `GET /feeds/family/{token}.ics`: the lessons the family's children are booked into.
pub fn family(_: Request, params: Params) -> Result<Response> {
    let token = token(&params)?;
    let family: Doc<Family> = by_token(&FAMILIES, &token)?;
    let settings = Settings::load()?;
    let now = clock::now_ms();
    let since = now - PAST_DAYS * 86_400_000;
    let bookings = BOOKINGS
        .query()
        .filter("family", Cmp::Eq, family.id.as_str())
        .filter("start_at", Cmp::Ge, since)
        .order_by("start_at")
        .limit(MAX_EVENTS)
        .fetch()?;
    let mut lookup = Lookup::default();
    let mut children: HashMap<String, String> = HashMap::new();
    let mut events = Vec::with_capacity(bookings.len());
    for doc in &bookings {
        let b = &doc.data;
        if !children.contains_key(&b.child) {
            let name = CHILDREN
                .get(&b.child)?
                .map(|c| c.data.first_name)
                .unwrap_or_default();
            children.insert(b.child.clone(), name);
        }
        let child = children.get(&b.child).cloned().unwrap_or_default();
        let tutor = lookup.tutor(&b.tutor)?;
        let cancelled = matches!(
            b.status,
            BookingStatus::Cancelled
                | BookingStatus::CancelledLate
                | BookingStatus::LessonCancelled
        );
        events.push(Event {
            uid: format!("booking-{}@tutoring.trama", doc.id),
            sequence: doc.version,
            date: Date::parse(&b.date)?,
            start: b.start,
            minutes: b.minutes,
            summary: format!("{child}: {} ({})", b.subject, settings.service_name),
            location: lookup.place(&b.space)?,
            description: t!(
                "tutoring.feeds.family_description",
                tutor = tutor,
                status = b.status.label()
            ),
            cancelled,
        });
    }
    let name = format!("{}: {}", settings.service_name, family.data.name);
    Ok(download(
        "doposcuola.ics",
        ics::calendar(&name, &events, now),
    ))
}
