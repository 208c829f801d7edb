//! Welfare di iniziativa: for an open measure, the care manager looks among the households of
//! their own cases (a supervisor: of their teams' cases) for those the measure's rules would
//! likely admit and who have not applied, and records each contact made to tell them (date,
//! channel, result).
//!
//! Everything is computed here, from what the case knows (the household's size, the ISEE and
//! residence of [`crate::profile`]) and what vouchers published about the measure
//! ([`crate::measure`]): no list and no name goes to vouchers or anywhere else. A rule the
//! case cannot answer (no ISEE recorded) does not exclude the household: it is listed with
//! what is missing, for the care manager to check with the person. A rulebook campaign may
//! have further rules: the list is then a first sift, and says so.

use serde::{Deserialize, Serialize};
use trama_sdk::clock::Date;
use trama_sdk::input::{Input, Problems};
use trama_sdk::store::{Cmp, Collection, Doc};
use trama_sdk::{Result, choices, t};

use crate::case::Case;
use crate::measure::Measure;
use crate::profile::Profile;

choices! {
    /// How the household was reached.
    pub enum Channel {
        Phone = "phone" => "casework.outreach.channel.phone",
        Meeting = "meeting" => "casework.outreach.channel.meeting",
        Visit = "visit" => "casework.outreach.channel.visit",
        Letter = "letter" => "casework.outreach.channel.letter",
        Email = "email" => "casework.outreach.channel.email",
    }
}

choices! {
    /// What came of the contact.
    pub enum Reply {
        Helped = "helped" => "casework.outreach.result.helped",
        Interested = "interested" => "casework.outreach.result.interested",
        NotInterested = "not_interested" => "casework.outreach.result.not_interested",
        NotEligible = "not_eligible" => "casework.outreach.result.not_eligible",
        NotReached = "not_reached" => "casework.outreach.result.not_reached",
    }
}

/// A contact made to tell a household of a measure.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Contact {
    pub case: String,
    pub campaign: String,
    /// The case's team when the contact was made (for the statistics).
    pub team: String,
    /// The day of the contact, Rome's (`YYYY-MM-DD`).
    pub date: String,
    pub channel: Channel,
    pub result: Reply,
    pub recorded_by: String,
    pub recorded_at: i64,
}

pub const CONTACTS: Collection<Contact> = Collection::new("contacts");

/// The form's members.
pub const FIELDS: &[&str] = &["case", "date", "channel", "result"];

/// A rule of the measure the case cannot answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unknown {
    Isee,
    Residence,
}

impl Unknown {
    pub fn label(self) -> String {
        match self {
            Self::Isee => t!("casework.outreach.unknown_isee"),
            Self::Residence => t!("casework.outreach.unknown_residence"),
        }
    }
}

/// The people in the household: the person and those living with them.
pub fn household_size(case: &Case) -> u32 {
    u32::try_from(case.household.len())
        .unwrap_or(u32::MAX)
        .saturating_add(1)
}

/// Whether the measure's rules would likely admit the household: `None` when a rule the case
/// answers refuses it, else the rules it cannot answer.
pub fn likely(measure: &Measure, case: &Case, profile: &Profile) -> Option<Vec<Unknown>> {
    let mut unknown = Vec::new();
    if let Some(max) = measure.isee_max_cents {
        match profile.isee_cents {
            Some(isee) if isee > max => return None,
            Some(_) => {}
            None => unknown.push(Unknown::Isee),
        }
    }
    if measure
        .household_min
        .is_some_and(|min| household_size(case) < min)
    {
        return None;
    }
    if measure.residence_required {
        match profile.resident {
            Some(false) => return None,
            Some(true) => {}
            None => unknown.push(Unknown::Residence),
        }
    }
    Some(unknown)
}

/// A contact as the form asks it: `case` (checked by the caller), `date` (`YYYY-MM-DD`, not
/// after `today`), `channel`, `result`.
pub fn check(
    input: &Input,
    today: Date,
) -> std::result::Result<(String, Channel, Reply), Problems> {
    let mut problems = Problems::default();
    let date = input.one("date").map(str::trim).unwrap_or_default();
    let date = match Date::parse(date) {
        Ok(day) if day > today => {
            problems.push("date", t!("casework.problems.date_future"));
            String::new()
        }
        Ok(day) => day.to_string(),
        Err(_) => {
            problems.push("date", t!("casework.problems.date"));
            String::new()
        }
    };
    let channel = input.one("channel").and_then(Channel::parse);
    if channel.is_none() {
        problems.push("channel", t!("casework.problems.channel"));
    }
    let result = input.one("result").and_then(Reply::parse);
    if result.is_none() {
        problems.push("result", t!("casework.problems.result"));
    }
    match (channel, result) {
        (Some(channel), Some(result)) if problems.is_empty() => Ok((date, channel, result)),
        _ => Err(problems),
    }
}

/// The contacts about `campaign` with the household of `case`, newest first.
pub fn contacts_of(case: &str, campaign: &str) -> Result<Vec<Doc<Contact>>> {
    let mut found = CONTACTS
        .query()
        .filter("case", Cmp::Eq, case)
        .filter("campaign", Cmp::Eq, campaign)
        .fetch_all()?;
    found.sort_by(|a, b| {
        (&b.data.date, b.data.recorded_at).cmp(&(&a.data.date, a.data.recorded_at))
    });
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measure(isee: Option<i64>, min: Option<u32>, residence: bool) -> Measure {
        Measure {
            notice_version: 1,
            title: "Buoni spesa".into(),
            measure: "food".into(),
            opens_on: "2026-11-01".into(),
            closes_on: "2026-12-31".into(),
            isee_max_cents: isee,
            household_min: min,
            residence_required: residence,
            rulebook: false,
            withdrawn: false,
        }
    }

    fn profile(isee: Option<i64>, resident: Option<bool>) -> Profile {
        Profile {
            isee_cents: isee,
            resident,
            updated_at: 0,
        }
    }

    fn case(members: usize) -> Case {
        serde_json::from_value(serde_json::json!({
            "person": { "name": "A", "tax_code": "X", "phone": "", "email": "", "address": "" },
            "tax_code": "X",
            "household": vec![serde_json::json!({ "name": "B", "relation": "" }); members],
            "needs": [], "consent": { "version": "1", "at": 0 },
            "care_manager": "c", "care_manager_name": "C", "team": "T", "status": "open",
            "opened_at": 0, "opened_by": "c",
        }))
        .expect("a case")
    }

    #[test]
    fn what_the_case_knows_decides_and_what_it_does_not_is_listed() {
        let m = measure(Some(1_500_000), Some(2), true);
        assert_eq!(
            likely(&m, &case(1), &profile(Some(900_000), Some(true))),
            Some(vec![])
        );
        assert_eq!(
            likely(&m, &case(1), &profile(Some(2_000_000), Some(true))),
            None
        );
        assert_eq!(
            likely(&m, &case(0), &profile(Some(900_000), Some(true))),
            None
        );
        assert_eq!(likely(&m, &case(3), &profile(None, Some(false))), None);
        assert_eq!(
            likely(&m, &case(3), &profile(None, None)),
            Some(vec![Unknown::Isee, Unknown::Residence])
        );
        assert_eq!(
            likely(&measure(None, None, false), &case(0), &Profile::default()),
            Some(vec![])
        );
    }
}
