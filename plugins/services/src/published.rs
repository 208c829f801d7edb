//! What services tells other plugins (`trama_contracts::services`): each service as it enters
//! the catalogue or is hidden, and each change of a booking's status — so that casework can
//! refer a person to a service and follow the referral to its outcome.
//!
//! A booking event names the person by the key of the fiscal number their login certified when
//! they booked ([`trama_contracts::person::key`], never the number). Only the person's own call
//! knows that number (`identity::fiscal_number` is the caller's), while the provider confirms,
//! declines and marks done: so the key is kept at booking time in `booking_keys` (id = the
//! booking id, with the account for erasure) and read back for every later event. Nothing is
//! kept when the login certified no number, and the person's erasure deletes their keys.

use serde::{Deserialize, Serialize};
use trama_contracts::services::{
    BookingCancelled, BookingConfirmed, BookingDeclined, BookingDone, BookingRequested,
    ServicePublished,
};
use trama_sdk::store::{Cmp, Collection, Doc};
use trama_sdk::{Result, clock, events, identity};

use crate::booking::{Booking, Status};
use crate::provider;
use crate::service::Service;

/// The person key of a booking's person, id = the booking id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingKey {
    /// The account that booked (indexed, for erasure).
    pub account: String,
    /// `trama_contracts::person::key` of their certified fiscal number.
    pub person: String,
}

pub const BOOKING_KEYS: Collection<BookingKey> = Collection::new("booking_keys");

/// Tells other plugins that `service` is in the catalogue as it is now (published, hidden or
/// shown again); returns it, so a caller can chain it.
pub fn service(doc: Doc<Service>) -> Result<Doc<Service>> {
    let provider_name = provider::PROVIDERS
        .get(&doc.data.provider)?
        .map(|p| p.data.legal_name)
        .unwrap_or_default();
    events::publish_typed(&ServicePublished {
        service_id: doc.id.clone(),
        provider_id: doc.data.provider.clone(),
        provider_name,
        title: doc.data.offer.title.clone(),
        category: doc.data.offer.category.clone(),
        hidden: doc.data.hidden,
        at: clock::now_ms(),
    })?;
    Ok(doc)
}

/// The person booked (the caller is them): keeps the key of their certified fiscal number, if
/// any, and tells that the booking was requested (and confirmed, for a seat of a group).
pub fn booked(doc: &Doc<Booking>, service: &Doc<Service>) -> Result<()> {
    let key = identity::fiscal_number().map(|code| trama_contracts::person::key(&code));
    match &key {
        Some(person) => {
            BOOKING_KEYS.put(
                &doc.id,
                &BookingKey {
                    account: doc.data.person.clone(),
                    person: person.clone(),
                },
            )?;
        }
        // A seat booked again after a cancellation, now by a login that certified no number.
        None => {
            BOOKING_KEYS.delete(&doc.id)?;
        }
    }
    let event = Fields::of(doc, service, key);
    events::publish_typed(&event.requested())?;
    if doc.data.status == Status::Confirmed {
        events::publish_typed(&event.confirmed())?;
    }
    Ok(())
}

/// The booking's status changed (confirmed, declined, cancelled or done): tells it, with the
/// person key kept at booking time. Returns the booking, so a caller can chain it.
pub fn changed(doc: Doc<Booking>, service: &Doc<Service>) -> Result<Doc<Booking>> {
    let key = BOOKING_KEYS.get(&doc.id)?.map(|k| k.data.person);
    let event = Fields::of(&doc, service, key);
    match doc.data.status {
        Status::Requested => events::publish_typed(&event.requested())?,
        Status::Confirmed => events::publish_typed(&event.confirmed())?,
        Status::Declined => events::publish_typed(&event.declined())?,
        Status::Cancelled => events::publish_typed(&event.cancelled())?,
        Status::Done => events::publish_typed(&event.done())?,
    }
    Ok(doc)
}

/// Forgets the person keys of account `account`'s bookings (their erasure).
pub fn forget(account: &str) -> Result<()> {
    for doc in BOOKING_KEYS
        .query()
        .filter("account", Cmp::Eq, account)
        .fetch_all()?
    {
        BOOKING_KEYS.delete(&doc.id)?;
    }
    Ok(())
}

/// The fields every booking event carries.
struct Fields {
    booking_id: String,
    service_id: String,
    service_title: String,
    provider_id: String,
    person: Option<String>,
    start_at: Option<i64>,
    at: i64,
}

/// Builds each booking event from the same fields.
macro_rules! events_of {
    ($($method:ident => $event:ident),*) => {
        impl Fields {
            $(fn $method(&self) -> $event {
                $event {
                    booking_id: self.booking_id.clone(),
                    service_id: self.service_id.clone(),
                    service_title: self.service_title.clone(),
                    provider_id: self.provider_id.clone(),
                    person: self.person.clone(),
                    start_at: self.start_at,
                    at: self.at,
                }
            })*
        }
    };
}

events_of!(
    requested => BookingRequested,
    confirmed => BookingConfirmed,
    declined => BookingDeclined,
    cancelled => BookingCancelled,
    done => BookingDone
);

impl Fields {
    fn of(doc: &Doc<Booking>, service: &Doc<Service>, person: Option<String>) -> Self {
        Self {
            booking_id: doc.id.clone(),
            service_id: service.id.clone(),
            service_title: service.data.offer.title.clone(),
            provider_id: doc.data.provider.clone(),
            person,
            start_at: doc.data.start_at,
            at: clock::now_ms(),
        }
    }
}
