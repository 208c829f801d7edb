//! The events casework listens to (`[events] subscribes` in plugin.toml): what vouchers
//! publishes about its campaigns and applications, and tutoring about bookings. Each is
//! delivered at least once; a referral remembers the events that moved it, and the measures
//! and applications are kept by id, so a redelivery changes nothing.

use serde_json::json;
use trama_contracts::tutoring::LessonBooked;
use trama_contracts::vouchers::{
    ApplicationDecided, ApplicationSubmitted, CampaignPublished, Decision,
};
use trama_sdk::events::Event;
use trama_sdk::{Result, audit, log};

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
    log::debug(format!("casework ignores event {}", event.name));
    Ok(())
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
