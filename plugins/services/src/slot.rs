//! Slots: times a provider publishes for a service, each with a capacity. A booking takes a
//! seat by rewriting the slot's `taken` count under the version it read, in the same batch as
//! the booking (see [`crate::booking`]): of two people racing for the last seat, one write
//! conflicts and, read again, finds the slot full — the last seat is never given twice.
//!
//! For a shared service a slot is a group: its capacity is the group's size, and it starts
//! once `minimum` people have joined.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use trama_sdk::checked::IntoResult;
use trama_sdk::clock::Date;
use trama_sdk::i18n::Lang;
use trama_sdk::input::{Input, Problems};
use trama_sdk::store::{Cmp, Collection, Doc};
use trama_sdk::{Error, Result, audit, local, t};

use crate::service::Service;

pub const SLOTS: Collection<Slot> = Collection::new("slots");

/// The fields of the slot form.
pub const FIELDS: &[&str] = &["date", "start", "minutes", "capacity"];

/// A time a service can be booked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub service: String,
    pub provider: String,
    /// `YYYY-MM-DD` in Rome.
    pub date: String,
    /// Minutes after midnight in Rome.
    pub start: u16,
    pub minutes: u16,
    /// The instant it starts (UTC milliseconds), for reminders and the cancellation deadline.
    pub start_at: i64,
    pub capacity: u32,
    /// Seats held by bookings that are requested, confirmed or done.
    pub taken: u32,
    /// A shared service's group reached its minimum.
    #[serde(default)]
    pub started: bool,
}

impl Slot {
    pub fn is_full(&self) -> bool {
        self.taken >= self.capacity
    }
}

/// A checked slot form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub date: Date,
    pub start: u16,
    pub minutes: u16,
    pub capacity: u32,
}

/// `HH:MM` as minutes after midnight.
pub fn parse_time(text: &str) -> Option<u16> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m) = (h.parse::<u16>().ok()?, m.parse::<u16>().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// Reads the slot form for `service`: a date not in the past, a time, a length, a capacity
/// (a shared service's group size, whatever was typed).
pub fn check(
    input: &Input,
    service: &Service,
    today: Date,
) -> std::result::Result<Draft, Problems> {
    let mut problems = Problems::default();
    let date = match Date::parse(input.one("date").unwrap_or("").trim()) {
        Ok(date) if date >= today => Some(date),
        Ok(_) => {
            problems.push("date", t!("services.problems.date_past"));
            None
        }
        Err(_) => {
            problems.push("date", t!("services.problems.date"));
            None
        }
    };
    let start = parse_time(input.one("start").unwrap_or(""));
    if start.is_none() {
        problems.push("start", t!("services.problems.time"));
    }
    let minutes = match input.one("minutes").unwrap_or("").trim().parse::<u16>() {
        Ok(m) if (5..=720).contains(&m) => m,
        _ => {
            problems.push("minutes", t!("services.problems.minutes"));
            0
        }
    };
    let capacity = match service.offer.group {
        Some(group) => group.size,
        None => match input.one("capacity").unwrap_or("").trim().parse::<u32>() {
            Ok(c) if (1..=500).contains(&c) => c,
            _ => {
                problems.push("capacity", t!("services.problems.capacity"));
                0
            }
        },
    };
    problems.into_result(Draft {
        date: date.unwrap_or(today),
        start: start.unwrap_or(0),
        minutes,
        capacity,
    })
}

/// Publishes a slot of service `service_id`.
pub fn publish(service_id: &str, service: &Service, draft: Draft) -> Result<Doc<Slot>> {
    let doc = SLOTS.insert(Slot {
        service: service_id.to_owned(),
        provider: service.provider.clone(),
        date: draft.date.to_string(),
        start: draft.start,
        minutes: draft.minutes,
        start_at: local::to_utc_ms(draft.date, draft.start),
        capacity: draft.capacity,
        taken: 0,
        started: false,
    })?;
    audit::record("slot.published", &doc.id, &json!({ "service": service_id }))?;
    Ok(doc)
}

/// The slot `id`, or a 404.
pub fn load(id: &str) -> Result<Doc<Slot>> {
    SLOTS
        .get(id)?
        .ok_or_else(|| Error::not_found(t!("services.slot.unknown")))
}

/// The slots of a service from `now` on, soonest first.
pub fn upcoming(service: &str, now: i64) -> Result<Vec<Doc<Slot>>> {
    SLOTS
        .query()
        .filter("service", Cmp::Eq, service)
        .filter("start_at", Cmp::Gt, now)
        .order_by("start_at")
        .limit(200)
        .fetch()
}

/// The ids of the services with a seat free on `date`.
pub fn services_free_on(date: Date, now: i64) -> Result<Vec<String>> {
    Ok(SLOTS
        .query()
        .filter("date", Cmp::Eq, date.to_string())
        .fetch_all()?
        .into_iter()
        .filter(|s| !s.data.is_full() && s.data.start_at > now)
        .map(|s| s.data.service)
        .collect())
}

/// A slot as pages show it.
pub fn view(doc: &Doc<Slot>, lang: Lang) -> Value {
    let s = &doc.data;
    json!({
        "id": doc.id,
        "date": s.date,
        "when": local::long_date_time(s.start_at, lang),
        "start": local::hhmm(s.start),
        "end": local::hhmm(s.start.saturating_add(s.minutes) % (24 * 60)),
        "minutes": s.minutes,
        "capacity": s.capacity,
        "taken": s.taken,
        "free": s.capacity.saturating_sub(s.taken),
        "full": s.is_full(),
        "started": s.started,
    })
}
