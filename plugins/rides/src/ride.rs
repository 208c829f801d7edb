//! A ride: who asked, where to and when, and the monthly limit per person.

use serde::{Deserialize, Serialize};
use trama_sdk::clock::Date;
use trama_sdk::i18n::Lang;
use trama_sdk::identity::User;
use trama_sdk::input::{Input, Problems};
use trama_sdk::quota::{Period, Quota};
use trama_sdk::store::{self, Batch, Cmp, Collection, Doc};
use trama_sdk::{Result, audit, local, t};

// ANCHOR: model
/// A ride somebody asked for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ride {
    /// The account id of the person riding (indexed: "my rides").
    pub person: String,
    pub name: String,
    pub destination: String,
    /// When, in UTC milliseconds (indexed: rides are listed by time).
    pub at: i64,
    pub asked_at: i64,
}

pub const RIDES: Collection<Ride> = Collection::new("rides");

/// Members of a ride request in JSON (a form sends the same names).
pub const FIELDS: &[&str] = &["destination", "date", "time"];
// ANCHOR_END: model

/// The rides `person` asked for, the latest first: their page and the kernel's `/me`.
pub fn of_person(person: &str, limit: u32) -> Result<Vec<Doc<Ride>>> {
    RIDES
        .query()
        .filter("person", Cmp::Eq, person)
        .order_by_desc("at")
        .limit(limit)
        .fetch()
}

// ANCHOR: check
/// What a person asked for, once every field has been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub destination: String,
    pub at: i64,
}

/// Reads a ride request; every problem is reported at once, each next to its field, in the
/// person's language (`t!` reads it from `locales/`). `now` (UTC ms) rules out rides in the past.
pub fn check(input: &Input, now: i64) -> std::result::Result<Request, Problems> {
    let mut problems = Problems::default();
    let destination = input.one("destination").unwrap_or_default().to_owned();
    if destination.is_empty() {
        problems.push("destination", t!("rides.problems.destination_missing"));
    } else if destination.chars().count() > 200 {
        problems.push(
            "destination",
            t!("rides.problems.destination_long", max = 200),
        );
    }
    let date = input.one("date").and_then(|text| Date::parse(text).ok());
    if date.is_none() {
        problems.push("date", t!("rides.problems.date_missing"));
    }
    let minute = input.one("time").and_then(parse_hhmm);
    if minute.is_none() {
        problems.push("time", t!("rides.problems.time_malformed"));
    }
    let (Some(date), Some(minute)) = (date, minute) else {
        return Err(problems);
    };
    // The time a person types is Rome's, summer time included.
    let at = local::to_utc_ms(date, minute);
    if at <= now {
        problems.push("date", t!("rides.problems.in_the_past"));
    }
    if problems.is_empty() {
        Ok(Request { destination, at })
    } else {
        Err(problems)
    }
}

/// `HH:MM` (or `H:MM`) as minutes after midnight.
fn parse_hhmm(text: &str) -> Option<u16> {
    let (hours, minutes) = text.trim().split_once(':')?;
    let (hours, minutes): (u16, u16) = (hours.parse().ok()?, minutes.parse().ok()?);
    (hours < 24 && minutes < 60 && minutes.to_string().len() <= 2).then_some(hours * 60 + minutes)
}
// ANCHOR_END: check

// ANCHOR: book
/// The monthly limit: counted in the month of the ride, in Rome's calendar.
pub fn quota(limit: u32) -> Quota {
    Quota {
        counters: Collection::new("ride_counts"),
        name: "rides",
        limit,
        period: Period::Month,
    }
}

/// Books the ride, counting it against the person's monthly limit in the same batch: two
/// requests racing for the last ride of the month cannot both pass, and a refused ride counts
/// nothing. A lost race is run again on the new count by `store::retry`.
pub fn book(user: &User, request: &Request, limit: u32, now: i64, lang: Lang) -> Result<Doc<Ride>> {
    let ride = Ride {
        person: user.id.clone(),
        name: user.display_name.clone(),
        destination: request.destination.clone(),
        at: request.at,
        asked_at: now,
    };
    let id = store::new_id();
    store::retry(|| {
        let mut batch = Batch::new();
        quota(limit).take(&mut batch, &user.id, 1, request.at, lang)?;
        batch.create(&RIDES, &id, &ride);
        batch.commit()?;
        Ok(())
    })?;
    audit::record("ride.asked", &id, &serde_json::json!({ "at": ride.at }))?;
    Ok(Doc {
        id,
        version: 1,
        data: ride,
    })
}
// ANCHOR_END: book

#[cfg(test)]
mod tests {
    use super::*;
    use trama_sdk::i18n;

    // ANCHOR: test
    #[test]
    fn a_ride_is_read_in_rome_time_and_every_mistake_is_named() {
        // 1 December 2026, 12:00 in Rome.
        let now = local::to_utc_ms(Date::new(2026, 12, 1).unwrap(), 12 * 60);
        let ok = check(
            &Input::from_strs(&[
                ("destination", "Ospedale"),
                ("date", "2026-12-03"),
                ("time", "09:30"),
            ]),
            now,
        )
        .unwrap();
        // 09:30 in Rome is 08:30 UTC in winter.
        assert_eq!(
            ok.at,
            Date::new(2026, 12, 3).unwrap().to_unix_ms() + (8 * 60 + 30) * 60_000
        );

        // The messages come from locales/en.toml, as they would for an English page.
        i18n::set_locale("en");
        let refused = check(
            &Input::from_strs(&[("date", "2026-11-30"), ("time", "25:00")]),
            now,
        )
        .unwrap_err();
        assert_eq!(
            refused.for_field("destination"),
            Some("write where you need to go")
        );
        assert_eq!(refused.for_field("time"), Some("write the time as 09:30"));
        i18n::set_locale("it");
        let past = check(
            &Input::from_strs(&[
                ("destination", "Comune"),
                ("date", "2026-11-30"),
                ("time", "10:00"),
            ]),
            now,
        )
        .unwrap_err();
        assert_eq!(
            past.for_field("date"),
            Some("la corsa deve essere nel futuro")
        );
    }
    // ANCHOR_END: test
}
