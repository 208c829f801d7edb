//! Referrals: the care manager sends the person of a case to a service — a vouchers campaign,
//! homework tutoring, a service of the catalogue (`services`), or an outside body (its name and
//! how to reach it) — with a reason, and follows it to its outcome.
//!
//! A referral to vouchers, tutoring or the catalogue moves by itself, through the events those plugins
//! publish ([`crate::inbox`]), matched by the person key of the case's tax code (never the
//! code, see [`trama_contracts::person`]): `referred` → `applied` when the person applies to
//! the campaign, → `granted`, `refused` or `not_funded` when it is decided (`not_funded` →
//! `granted` when budget comes back); a tutoring referral → `started` when the parent books a
//! lesson; a catalogue referral → `requested` when the person books the service, → `confirmed`
//! or `refused` when the provider answers, → `done` when the service was given, `cancelled`
//! when the person cancels (a new booking after a cancellation or a refusal moves it on again).
//! The services a care manager may choose are those [`crate::catalogue`] learned from the
//! catalogue's events. Each event moves a referral once, however often it is delivered (its id is kept).
//! An outside body tells nobody: its outcome (`started`, `refused`, `declined`) is recorded by
//! hand; the person's own refusal (`declined`) may be recorded for any referral still open.

use serde::{Deserialize, Serialize};
use trama_sdk::input::{Input, Problems};
use trama_sdk::store::{Cmp, Collection, Doc};
use trama_sdk::{Result, choices, t};

use crate::catalogue::Offer;
use crate::measure::Measure;

choices! {
    /// Where a person is sent.
    pub enum Service {
        Vouchers = "vouchers" => "casework.service.vouchers",
        Tutoring = "tutoring" => "casework.service.tutoring",
        Catalogue = "catalogue" => "casework.service.catalogue",
        Outside = "outside" => "casework.service.outside",
    }
}

choices! {
    /// Where a referral stands.
    pub enum State {
        Referred = "referred" => "casework.referral.state.referred",
        Applied = "applied" => "casework.referral.state.applied",
        Granted = "granted" => "casework.referral.state.granted",
        Refused = "refused" => "casework.referral.state.refused",
        NotFunded = "not_funded" => "casework.referral.state.not_funded",
        Started = "started" => "casework.referral.state.started",
        Declined = "declined" => "casework.referral.state.declined",
        Requested = "requested" => "casework.referral.state.requested",
        Confirmed = "confirmed" => "casework.referral.state.confirmed",
        Cancelled = "cancelled" => "casework.referral.state.cancelled",
        Done = "done" => "casework.referral.state.done",
    }
}

/// One change of state, with when and what caused it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Step {
    pub at: i64,
    pub state: State,
    /// The account that recorded it by hand; `None` for an event.
    #[serde(default)]
    pub by: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Referral {
    pub case: String,
    /// The person key of the case's tax code: how events find the referral (indexed).
    pub person: String,
    pub service: Service,
    /// The vouchers campaign (indexed) and its title when referred.
    #[serde(default)]
    pub campaign: Option<String>,
    #[serde(default)]
    pub campaign_title: Option<String>,
    /// The service of the catalogue (indexed) and its title when referred.
    #[serde(default)]
    pub offer: Option<String>,
    #[serde(default)]
    pub offer_title: Option<String>,
    /// The outside body: its name and how to reach it.
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub contact: String,
    pub reason: String,
    pub state: State,
    pub referred_at: i64,
    pub referred_by: String,
    pub steps: Vec<Step>,
    /// The ids of the events that moved it: a redelivered event moves it no further.
    #[serde(default)]
    pub events: Vec<String>,
}

pub const REFERRALS: Collection<Referral> = Collection::new("referrals");

/// The form's members.
pub const FIELDS: &[&str] = &["service", "campaign", "offer", "name", "contact", "reason"];

/// A referral as the form asks it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub service: Service,
    pub campaign: Option<(String, String)>,
    /// The service of the catalogue: its id and title.
    pub offer: Option<(String, String)>,
    pub body: String,
    pub contact: String,
    pub reason: String,
}

fn bounded(input: &Input, field: &str, max: usize, problems: &mut Problems) -> String {
    let value = input.one(field).unwrap_or_default().trim().to_owned();
    if value.chars().count() > max {
        problems.push(field, t!("casework.problems.too_long", max = max));
    }
    value
}

/// Reads a referral: the service; for vouchers a campaign among `measures` (id and its
/// measure); for the catalogue a service among `offers`; for an outside body its name (and,
/// optionally, how to reach it); the reason.
pub fn check(
    input: &Input,
    measures: &[Doc<Measure>],
    offers: &[Doc<Offer>],
) -> std::result::Result<Draft, Problems> {
    let mut problems = Problems::default();
    let service = input.one("service").and_then(Service::parse);
    if service.is_none() {
        problems.push("service", t!("casework.problems.service"));
    }
    let mut campaign = None;
    if service == Some(Service::Vouchers) {
        let id = input.one("campaign").unwrap_or_default();
        match measures.iter().find(|m| m.id == id) {
            Some(m) => campaign = Some((m.id.clone(), m.data.title.clone())),
            None => problems.push("campaign", t!("casework.problems.campaign")),
        }
    }
    let mut offer = None;
    if service == Some(Service::Catalogue) {
        let id = input.one("offer").unwrap_or_default();
        match offers.iter().find(|o| o.id == id) {
            Some(o) => offer = Some((o.id.clone(), o.data.title.clone())),
            None => problems.push("offer", t!("casework.problems.offer")),
        }
    }
    let (mut body, mut contact) = (String::new(), String::new());
    if service == Some(Service::Outside) {
        body = bounded(input, "name", 120, &mut problems);
        if body.is_empty() {
            problems.push("name", t!("casework.problems.body_missing"));
        }
        contact = bounded(input, "contact", 200, &mut problems);
    }
    let reason = bounded(input, "reason", 1000, &mut problems);
    if reason.is_empty() {
        problems.push("reason", t!("casework.problems.reason_missing"));
    }
    match service {
        Some(service) if problems.is_empty() => Ok(Draft {
            service,
            campaign,
            offer,
            body,
            contact,
            reason,
        }),
        _ => Err(problems),
    }
}

impl Referral {
    /// A new referral of case `case` (whose person has key `person`), made by `by` at `now`.
    pub fn new(case: &str, person: String, draft: Draft, by: &str, now: i64) -> Self {
        let (campaign, campaign_title) = draft
            .campaign
            .map_or((None, None), |(id, title)| (Some(id), Some(title)));
        let (offer, offer_title) = draft
            .offer
            .map_or((None, None), |(id, title)| (Some(id), Some(title)));
        Self {
            case: case.to_owned(),
            person,
            service: draft.service,
            campaign,
            campaign_title,
            offer,
            offer_title,
            body: draft.body,
            contact: draft.contact,
            reason: draft.reason,
            state: State::Referred,
            referred_at: now,
            referred_by: by.to_owned(),
            steps: vec![Step {
                at: now,
                state: State::Referred,
                by: Some(by.to_owned()),
            }],
            events: Vec::new(),
        }
    }

    /// Whether an event may move it from where it stands to `to`.
    fn may_move(&self, to: State) -> bool {
        use State::{
            Applied, Cancelled, Confirmed, Done, Granted, NotFunded, Referred, Refused, Requested,
            Started,
        };
        if self.service == Service::Catalogue {
            // A booking of the service: answered, given or cancelled; after a cancellation or
            // a refusal the person may book again. Done is the end.
            return matches!(
                (self.state, to),
                (Referred, Requested | Confirmed | Refused | Cancelled | Done)
                    | (Requested, Confirmed | Refused | Cancelled | Done)
                    | (Confirmed, Done | Cancelled)
                    | (Cancelled | Refused, Requested | Confirmed)
            );
        }
        matches!(
            (self.state, to),
            (Referred, Applied | Granted | Refused | NotFunded)
                | (Applied, Granted | Refused | NotFunded)
                | (NotFunded, Granted)
                | (Referred, Started)
        )
    }

    /// Moves it to `to` because of event `event` at `at`; `false` when the event was seen
    /// before or does not move it from where it stands.
    pub fn advance(&mut self, to: State, event: &str, at: i64) -> bool {
        if self.events.iter().any(|e| e == event) || !self.may_move(to) {
            return false;
        }
        self.events.push(event.to_owned());
        self.state = to;
        self.steps.push(Step {
            at,
            state: to,
            by: None,
        });
        true
    }

    /// The outcomes that may be recorded by hand now: for an outside body, while it stands
    /// `referred`, `started`, `refused` or `declined`; for the others, `declined` while the
    /// person has not applied or booked.
    pub fn outcomes_by_hand(&self) -> &'static [State] {
        match (self.service, self.state) {
            (Service::Outside, State::Referred) => {
                &[State::Started, State::Refused, State::Declined]
            }
            (_, State::Referred) => &[State::Declined],
            _ => &[],
        }
    }

    /// Records an outcome by hand (checked against [`Self::outcomes_by_hand`]).
    pub fn record(&mut self, to: State, by: &str, at: i64) -> bool {
        if !self.outcomes_by_hand().contains(&to) {
            return false;
        }
        self.state = to;
        self.steps.push(Step {
            at,
            state: to,
            by: Some(by.to_owned()),
        });
        true
    }
}

/// The referrals of case `case`, oldest first.
pub fn of_case(case: &str) -> Result<Vec<Doc<Referral>>> {
    REFERRALS
        .query()
        .filter("case", Cmp::Eq, case)
        .order_by("referred_at")
        .fetch_all()
}

/// The referrals of the person with key `person` to `service` and, when given, `target`: the
/// campaign of a vouchers referral, the service of a catalogue referral.
pub fn of_person(
    person: &str,
    service: Service,
    target: Option<&str>,
) -> Result<Vec<Doc<Referral>>> {
    let mut query = REFERRALS.query().filter("person", Cmp::Eq, person).filter(
        "service",
        Cmp::Eq,
        service.key(),
    );
    if let Some(target) = target {
        let field = match service {
            Service::Catalogue => "offer",
            _ => "campaign",
        };
        query = query.filter(field, Cmp::Eq, target);
    }
    query.fetch_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn referral(service: Service) -> Referral {
        let draft = Draft {
            service,
            campaign: None,
            offer: None,
            body: String::new(),
            contact: String::new(),
            reason: "r".into(),
        };
        Referral::new("c", "k".into(), draft, "u", 0)
    }

    #[test]
    fn an_event_moves_a_referral_once_and_only_forward() {
        let mut r = referral(Service::Vouchers);
        assert!(r.advance(State::Applied, "e1", 1));
        assert!(!r.advance(State::Applied, "e1", 2));
        assert!(!r.advance(State::Referred, "e2", 2));
        assert!(r.advance(State::NotFunded, "e3", 3));
        assert!(r.advance(State::Granted, "e4", 4));
        assert!(!r.advance(State::Refused, "e5", 5));
        assert_eq!(r.steps.len(), 4);
    }

    #[test]
    fn only_an_outside_referral_takes_its_outcome_by_hand() {
        let mut outside = referral(Service::Outside);
        assert!(outside.record(State::Started, "u", 1));
        assert!(!outside.record(State::Refused, "u", 2));
        let mut tutoring = referral(Service::Tutoring);
        assert!(!tutoring.record(State::Started, "u", 1));
        assert!(tutoring.record(State::Declined, "u", 1));
    }

    #[test]
    fn a_catalogue_referral_follows_bookings_again_after_a_cancellation_until_done() {
        let mut r = referral(Service::Catalogue);
        assert!(!r.advance(State::Applied, "e0", 1), "not a vouchers state");
        assert!(r.advance(State::Requested, "e1", 1));
        assert!(r.advance(State::Cancelled, "e2", 2));
        assert!(r.advance(State::Requested, "e3", 3));
        assert!(r.advance(State::Refused, "e4", 4));
        assert!(r.advance(State::Confirmed, "e5", 5));
        assert!(!r.advance(State::Requested, "e6", 6), "confirmed already");
        assert!(r.advance(State::Done, "e7", 7));
        assert!(!r.advance(State::Cancelled, "e8", 8), "done is the end");
        assert_eq!(r.state, State::Done);
        // A vouchers referral takes none of the catalogue's states.
        let mut v = referral(Service::Vouchers);
        assert!(!v.advance(State::Confirmed, "e1", 1));
    }
}
