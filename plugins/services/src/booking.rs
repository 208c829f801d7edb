//! Bookings: a seat in a slot, or a request for a service without slots. The provider confirms
//! or declines; the person may cancel until the deadline the instance sets; the provider marks
//! a confirmed booking done, after which the person may rate it ([`crate::rating`]).
//!
//! Every change of a seat rewrites the slot under the version read, in one batch with the
//! booking, so the last seat is never given twice (see [`crate::slot`]); a request holds no
//! seat. A booking's id is `{slot}.{person}` for a slot, so one person holds one seat of a slot.

use serde::{Deserialize, Serialize};
use trama_sdk::identity::User;
use trama_sdk::store::{self, Batch, Cmp, Collection, Doc};
use trama_sdk::{Error, Result, audit, code, local, t};

use crate::notice;
use crate::payment::{self, Charge};
use crate::provider::Provider;
use crate::rating::Rating;
use crate::service::Service;
use crate::slot::{self, SLOTS, Slot};

pub const BOOKINGS: Collection<Booking> = Collection::new("bookings");

trama_sdk::choices! {
    pub enum Status {
        Requested = "requested" => "services.booking.status_requested",
        Confirmed = "confirmed" => "services.booking.status_confirmed",
        Declined = "declined" => "services.booking.status_declined",
        Cancelled = "cancelled" => "services.booking.status_cancelled",
        Done = "done" => "services.booking.status_done",
    }
}

impl Status {
    /// Whether the booking holds its seat.
    pub fn holds_seat(self) -> bool {
        matches!(self, Self::Requested | Self::Confirmed | Self::Done)
    }
}

/// One person's booking of a service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Booking {
    pub service: String,
    pub provider: String,
    /// `None` for a request.
    pub slot: Option<String>,
    /// The person's account.
    pub person: String,
    pub person_name: String,
    /// What the person wrote to the provider.
    pub note: String,
    pub status: Status,
    /// When it starts (UTC milliseconds): the slot's start, or the time the provider gave a
    /// request when confirming it.
    pub start_at: Option<i64>,
    pub minutes: Option<u16>,
    /// What is paid and by whom, recorded at confirmation and at completion.
    #[serde(default)]
    pub charge: Charge,
    pub created_at: i64,
    pub decided_at: Option<i64>,
    /// `YYYY-MM` in Rome of the day it was marked done, for the provider's statement.
    pub done_month: Option<String>,
    #[serde(default)]
    pub reminded: bool,
    pub rating: Option<Rating>,
}

/// The booking `id`, or a 404.
pub fn load(id: &str) -> Result<Doc<Booking>> {
    BOOKINGS
        .get(id)?
        .ok_or_else(|| Error::not_found(t!("services.booking.unknown")))
}

/// The booking `id` if `user` made it; a 404 otherwise (others do not learn it exists).
pub fn own(user: &User, id: &str) -> Result<Doc<Booking>> {
    let doc = load(id)?;
    if doc.data.person != user.id {
        return Err(Error::not_found(t!("services.booking.unknown")));
    }
    Ok(doc)
}

/// The id of `person`'s booking of slot `slot`.
pub fn slot_booking_id(slot: &str, person: &str) -> String {
    format!("{slot}.{}", code::short_id(person))
}

/// `person` takes a seat of `slot` (as read, with its version) for `service`. Fails with a
/// conflict when the slot is full, when the person holds a seat already, or when the slot
/// changed since it was read; [`book_slot`] reads again and retries.
pub fn take_seat(
    person: &User,
    service: &Doc<Service>,
    slot: &Doc<Slot>,
    note: &str,
    now: i64,
) -> Result<Doc<Booking>> {
    if slot.data.service != service.id || slot.data.start_at <= now {
        return Err(Error::not_found(t!("services.slot.unknown")));
    }
    if slot.data.is_full() {
        return Err(Error::conflict(t!("services.slot.full")));
    }
    let id = slot_booking_id(&slot.id, &person.id);
    let previous = BOOKINGS.get(&id)?;
    if previous
        .as_ref()
        .is_some_and(|p| p.data.status.holds_seat())
    {
        return Err(Error::conflict(t!("services.slot.already")));
    }
    let shared = service.data.offer.group.is_some();
    let booking = Booking {
        service: service.id.clone(),
        provider: service.data.provider.clone(),
        slot: Some(slot.id.clone()),
        person: person.id.clone(),
        person_name: person.display_name.clone(),
        note: note.to_owned(),
        // Joining a group needs no confirmation: the group starts at its minimum.
        status: if shared {
            Status::Confirmed
        } else {
            Status::Requested
        },
        start_at: Some(slot.data.start_at),
        minutes: Some(slot.data.minutes),
        charge: Charge::default(),
        created_at: now,
        decided_at: shared.then_some(now),
        done_month: None,
        reminded: false,
        rating: None,
    };
    let mut seat = slot.data.clone();
    seat.taken += 1;
    let starts = service
        .data
        .offer
        .group
        .is_some_and(|g| !seat.started && seat.taken >= g.minimum);
    seat.started |= starts;
    let mut batch = Batch::new();
    batch.put_if_version(&SLOTS, &slot.id, &seat, slot.version);
    match &previous {
        Some(p) => batch.put_if_version(&BOOKINGS, &id, &booking, p.version),
        None => batch.create(&BOOKINGS, &id, &booking),
    };
    let versions = batch.commit()?;
    let doc = Doc {
        id,
        version: versions.get(1).copied().unwrap_or(1),
        data: booking,
    };
    audit::record(
        "booking.created",
        &doc.id,
        &serde_json::json!({ "service": service.id, "slot": slot.id }),
    )?;
    if starts {
        group_started(service, &slot.id, &seat)?;
    }
    Ok(doc)
}

/// Books a seat of slot `slot_id`, reading the slot again after a conflicting write.
pub fn book_slot(
    person: &User,
    service: &Doc<Service>,
    slot_id: &str,
    note: &str,
    now: i64,
) -> Result<Doc<Booking>> {
    store::retry(|| take_seat(person, service, &slot::load(slot_id)?, note, now))
}

/// Sends a request for a service without a slot.
pub fn request(
    person: &User,
    service: &Doc<Service>,
    note: &str,
    now: i64,
) -> Result<Doc<Booking>> {
    let doc = BOOKINGS.insert(Booking {
        service: service.id.clone(),
        provider: service.data.provider.clone(),
        slot: None,
        person: person.id.clone(),
        person_name: person.display_name.clone(),
        note: note.to_owned(),
        status: Status::Requested,
        start_at: None,
        minutes: None,
        charge: Charge::default(),
        created_at: now,
        decided_at: None,
        done_month: None,
        reminded: false,
        rating: None,
    })?;
    audit::record(
        "booking.requested",
        &doc.id,
        &serde_json::json!({ "service": service.id }),
    )?;
    Ok(doc)
}

/// What the person is asked at booking: the service's price for one (a request: one hour), or
/// a shared service's share if the group stays at its minimum (it only goes down as it grows).
pub fn estimate(service: &Service, doc: &Booking) -> Result<i64> {
    let members = match (&service.offer.group, &doc.slot) {
        (Some(group), Some(slot)) => slot::load(slot)?.data.taken.max(group.minimum),
        _ => 1,
    };
    Ok(payment::amount(service, doc.minutes, members, 0))
}

/// Pays the booking `doc` just made from the person's welfare wallet, as far as it covers it
/// (see [`payment::draw`]), in the same call: a booking is never kept without its charge.
pub fn pay(doc: Doc<Booking>, service: &Service, provider: &Provider) -> Result<Doc<Booking>> {
    let estimate = estimate(service, &doc.data)?;
    let when = doc
        .data
        .start_at
        .map(|at| format!(", {}", local::numeric(at)))
        .unwrap_or_default();
    let charge = payment::draw(
        &payment::Ask {
            booking: &doc.id,
            version: doc.version,
            person: &doc.data.person,
            service,
            estimate,
            memo: format!("{} · {}{when}", service.offer.title, provider.legal_name),
        },
        &crate::config::Settings::load()?.wallet_owners,
    )?;
    let mut next = doc.data.clone();
    next.charge = charge;
    let version = BOOKINGS.put_if_version(&doc.id, &next, doc.version)?;
    if next.charge.key.is_some() {
        audit::record(
            "booking.paid_by_wallet",
            &doc.id,
            &serde_json::json!({
                "sources": next.charge.sources,
                "paid_directly_cents": next.charge.paid_directly_cents,
            }),
        )?;
    }
    Ok(Doc {
        id: doc.id,
        version,
        data: next,
    })
}

/// Tells the provider's account about a new booking or request.
pub fn tell_provider(
    provider: &Doc<Provider>,
    service: &Service,
    booking: &Doc<Booking>,
    kind: &str,
) -> Result<()> {
    let Some(to) = provider.data.user_id.as_deref() else {
        return Ok(());
    };
    tell(to, service, booking, kind)
}

/// Tells the person about their booking (`kind`: `confirmed`, `declined`, `reminder`, `started`).
pub fn tell_person(service: &Service, booking: &Doc<Booking>, kind: &str) -> Result<()> {
    tell(&booking.data.person, service, booking, kind)
}

/// Sends `to` the `kind` message about `booking`, in `to`'s language: both sides' messages name
/// the service, the person and the time (or say there is none yet, for a request).
fn tell(to: &str, service: &Service, booking: &Doc<Booking>, kind: &str) -> Result<()> {
    let when = booking
        .data
        .start_at
        .map(local::numeric)
        .unwrap_or_else(|| notice::text_for(to, "services.notify.no_time", &[]));
    let args: [(&str, &dyn std::fmt::Display); 3] = [
        ("service", &service.offer.title),
        ("person", &booking.data.person_name),
        ("when", &when),
    ];
    notice::send(
        to,
        kind,
        &booking.id,
        notice::text_for(to, &format!("services.notify.{kind}_subject"), &args),
        notice::text_for(to, &format!("services.notify.{kind}_body"), &args),
    )
}

/// The members of a group, in the order they joined.
pub fn members(slot: &str) -> Result<Vec<Doc<Booking>>> {
    let mut members: Vec<_> = BOOKINGS
        .query()
        .filter("slot", Cmp::Eq, slot)
        .fetch_all()?
        .into_iter()
        .filter(|b| b.data.status.holds_seat())
        .collect();
    members.sort_by_key(|b| (b.data.created_at, b.id.clone()));
    Ok(members)
}

/// A group reached its minimum: everyone in it is told.
fn group_started(service: &Doc<Service>, slot: &str, _seat: &Slot) -> Result<()> {
    audit::record(
        "group.started",
        slot,
        &serde_json::json!({ "service": service.id }),
    )?;
    for member in members(slot)? {
        tell_person(&service.data, &member, "started")?;
    }
    Ok(())
}
