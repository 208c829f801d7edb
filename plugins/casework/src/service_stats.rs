//! The statistics of referrals and of proactive outreach, beside those of [`crate::stats`] and
//! with the same small-cell suppression (a count from 1 to 4 is shown as `< 5`, no totals).

use serde::Serialize;
use std::collections::HashMap;

use trama_sdk::Result;

use crate::case::CASES;
use crate::period::Scope;

use crate::outreach::{CONTACTS, Reply};
use crate::referral::{REFERRALS, Service, State};
use crate::stats::{Row, cell};

/// Referrals by service and state, and outreach contacts by result.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Services {
    /// One row a state, one count a service (in [`Service::ALL`]'s order).
    pub referrals: Vec<ServiceRow>,
    pub services: Vec<String>,
    pub contacts: Vec<Row>,
    /// How many households were contacted at least once (by case and measure).
    pub households_contacted: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ServiceRow {
    pub label: String,
    pub counts: Vec<String>,
}

/// Counts `(service, state)` pairs and `(case, campaign, result)` triples into the tables.
pub fn tables(
    referrals: impl Iterator<Item = (Service, State)>,
    contacts: impl Iterator<Item = (String, String, Reply)>,
) -> Services {
    let mut grid = vec![vec![0u64; Service::ALL.len()]; State::ALL.len()];
    for (service, state) in referrals {
        let s = State::ALL.iter().position(|x| *x == state);
        let v = Service::ALL.iter().position(|x| *x == service);
        if let (Some(s), Some(v)) = (s, v) {
            grid[s][v] += 1;
        }
    }
    let mut replies = vec![0u64; Reply::ALL.len()];
    let mut households = std::collections::BTreeSet::new();
    for (case, campaign, reply) in contacts {
        if let Some(i) = Reply::ALL.iter().position(|x| *x == reply) {
            replies[i] += 1;
        }
        households.insert((case, campaign));
    }
    Services {
        referrals: State::ALL
            .iter()
            .zip(grid)
            .map(|(state, counts)| ServiceRow {
                label: state.label(),
                counts: counts.into_iter().map(cell).collect(),
            })
            .collect(),
        services: Service::ALL.iter().map(|s| s.label()).collect(),
        contacts: Reply::ALL
            .iter()
            .zip(replies)
            .map(|(reply, count)| Row {
                label: reply.label(),
                count: cell(count),
            })
            .collect(),
        households_contacted: cell(households.len() as u64),
    }
}

/// The tables over the referrals made and the contacts recorded in `scope`'s months, for cases
/// of its team (a referral's team is its case's).
pub fn load(scope: &Scope) -> Result<Services> {
    let teams: HashMap<String, String> = CASES
        .query()
        .fetch_all()?
        .into_iter()
        .map(|d| (d.id, d.data.team))
        .collect();
    let team_of = |case: &str| teams.get(case).map_or("", String::as_str);
    let referrals = REFERRALS.query().fetch_all()?;
    let contacts = CONTACTS.query().fetch_all()?;
    Ok(tables(
        referrals
            .iter()
            .filter(|d| scope.covers_at(d.data.referred_at, team_of(&d.data.case)))
            .map(|d| (d.data.service, d.data.state)),
        contacts
            .into_iter()
            .filter(|d| scope.covers(&d.data.date, &d.data.team))
            .map(|d| (d.data.case, d.data.campaign, d.data.result)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_of_referrals_and_contacts_are_suppressed() {
        let referrals = std::iter::repeat_n((Service::Vouchers, State::Granted), 6)
            .chain(std::iter::repeat_n((Service::Outside, State::Started), 2));
        let contacts = (0..3).map(|n| (format!("c{n}"), "m".to_owned(), Reply::Helped));
        let t = tables(referrals, contacts);
        let granted = t
            .referrals
            .iter()
            .position(|r| r.label == State::Granted.label());
        let started = t
            .referrals
            .iter()
            .position(|r| r.label == State::Started.label());
        assert_eq!(
            t.referrals[granted.unwrap_or(0)].counts,
            ["6", "0", "0", "0"]
        );
        assert_eq!(
            t.referrals[started.unwrap_or(0)].counts,
            ["0", "0", "0", "< 5"]
        );
        assert_eq!(t.contacts[0].count, "< 5");
        assert_eq!(t.households_contacted, "< 5");
    }
}
