//! The events casework listens to (`[events] subscribes` in plugin.toml): what vouchers
//! publishes about its campaigns and applications, tutoring about bookings, and services about
//! its catalogue and the bookings of its services. Each is
//! delivered at least once; a referral remembers the events that moved it, and the measures
//! and applications are kept by id, so a redelivery changes nothing.

use serde_json::json;
use trama_contracts::services::{
    BookingCancelled, BookingConfirmed, BookingDeclined, BookingDone, BookingRequested,
    ServicePublished,
};
use trama_contracts::tutoring::LessonBooked;
use trama_contracts::vouchers::{
    ApplicationDecided, ApplicationSubmitted, CampaignPublished, Decision,
};
use trama_sdk::events::Event;
use trama_sdk::{Result, audit, log};

use crate::catalogue;
use crate::measure;
use crate::referral::{self, REFERRALS, Service, State};

/// Handles one delivered event; others are logged and ignored.
pub fn on_event(event: &Event) -> Result<()> {
    if let Some(notice) = event.decode::<CampaignPublished>()? {
        return measure::published(&notice);
    }
    if let Some(filed) = event.decode::<ApplicationSubmitted>()? {
        measure::submitted(&filed)?;
        return advance(
            &filed.person,
            Service::Vouchers,
            Some(&filed.campaign_id),
            State::Applied,
            event,
            filed.submitted_at,
        );
    }
    if let Some(decided) = event.decode::<ApplicationDecided>()? {
        let state = match decided.decision {
            Decision::Granted => State::Granted,
            Decision::Refused => State::Refused,
            Decision::NotFunded => State::NotFunded,
        };
        measure::decided(&decided, state.key())?;
        return advance(
            &decided.person,
            Service::Vouchers,
            Some(&decided.campaign_id),
            state,
            event,
            decided.decided_at,
        );
    }
    if let Some(booked) = event.decode::<LessonBooked>()? {
        let Some(person) = booked.person else {
            return Ok(());
        };
        return advance(
            &person,
            Service::Tutoring,
            None,
            State::Started,
            event,
            event.published_at,
        );
    }
    if let Some(service) = event.decode::<ServicePublished>()? {
        return catalogue::published(&service);
    }
    if let Some(booking) = booking_change(event)? {
        return booked(&booking, event);
    }
    log::debug(format!("casework ignores event {}", event.name));
    Ok(())
}

/// What a booking event of the catalogue says: the service, the person and where the booking
/// now stands.
struct Booking {
    service_id: String,
    service_title: String,
    person: Option<String>,
    at: i64,
    to: State,
}

/// Reads any of the five booking events of `services`.
fn booking_change(event: &Event) -> Result<Option<Booking>> {
    macro_rules! read {
        ($($event:ty => $state:expr),*) => {
            $(if let Some(e) = event.decode::<$event>()? {
                return Ok(Some(Booking {
                    service_id: e.service_id,
                    service_title: e.service_title,
                    person: e.person,
                    at: e.at,
                    to: $state,
                }));
            })*
        };
    }
    read!(
        BookingRequested => State::Requested,
        BookingConfirmed => State::Confirmed,
        BookingDeclined => State::Refused,
        BookingCancelled => State::Cancelled,
        BookingDone => State::Done
    );
    Ok(None)
}

/// A booking of a service of the catalogue changed: the person's referrals to that service
/// follow it (a booking by a login that certified no fiscal number names nobody).
fn booked(booking: &Booking, event: &Event) -> Result<()> {
    catalogue::named(&booking.service_id, &booking.service_title)?;
    let Some(person) = &booking.person else {
        return Ok(());
    };
    advance(
        person,
        Service::Catalogue,
        Some(&booking.service_id),
        booking.to,
        event,
        booking.at,
    )
}

/// Moves the person's referrals to `service` (and `campaign`) to `to`, each once per event,
/// and audits each move on its case.
fn advance(
    person: &str,
    service: Service,
    campaign: Option<&str>,
    to: State,
    event: &Event,
    at: i64,
) -> Result<()> {
    for doc in referral::of_person(person, service, campaign)? {
        let mut moved = false;
        REFERRALS.update(&doc.id, |r| {
            moved = r.advance(to, &event.id, at);
            Ok(())
        })?;
        if moved {
            audit::record(
                "case.referral_moved",
                &doc.data.case,
                &json!({ "referral": doc.id, "state": to.key(), "event": event.name }),
            )?;
        }
    }
    Ok(())
}
