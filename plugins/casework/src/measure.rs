//! The open measures casework knows of, and which of its own people applied to them, learned
//! from the events of `vouchers` (`plugins/contracts`, [`trama_contracts::vouchers`]).
//!
//! - `measures` (id = the campaign id): the latest version of each notice
//!   ([`CampaignPublished`]): title, dates, the simple eligibility rules. A redelivered or late
//!   older version never replaces a newer one.
//! - `applications` (id = `{campaign}-{case}`): an application filed by a person who has a case
//!   here, with its decision when there is one. An application of someone casework does not
//!   follow is not kept: the event names them by a key that matches no case, and is dropped.
//!
//! Nothing goes the other way: vouchers learns nothing of who casework follows.

use serde::{Deserialize, Serialize};
use trama_contracts::vouchers::{ApplicationDecided, ApplicationSubmitted, CampaignPublished};
use trama_sdk::Result;
use trama_sdk::clock::Date;
use trama_sdk::store::{Cmp, Collection, Doc};

use crate::people;

/// An open (or once open) measure: a vouchers campaign's notice as last published.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Measure {
    pub notice_version: u32,
    pub title: String,
    pub measure: String,
    pub opens_on: String,
    pub closes_on: String,
    #[serde(default)]
    pub isee_max_cents: Option<i64>,
    #[serde(default)]
    pub household_min: Option<u32>,
    #[serde(default)]
    pub residence_required: bool,
    #[serde(default)]
    pub rulebook: bool,
    #[serde(default)]
    pub withdrawn: bool,
}

impl Measure {
    /// Takes applications on `today`.
    pub fn open_on(&self, today: Date) -> bool {
        let today = today.to_string();
        !self.withdrawn && self.opens_on <= today && today <= self.closes_on
    }
}

pub const MEASURES: Collection<Measure> = Collection::new("measures");

/// An application to a measure by the person of a case.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Applied {
    pub campaign: String,
    pub case: String,
    pub application: String,
    pub submitted_at: i64,
    /// `granted`, `refused`, `not_funded` once decided.
    #[serde(default)]
    pub decision: Option<String>,
}

pub const APPLIED: Collection<Applied> = Collection::new("applications");

/// Keeps the newest version of a notice.
pub fn published(event: &CampaignPublished) -> Result<()> {
    let measure = Measure {
        notice_version: event.notice_version,
        title: event.title.clone(),
        measure: event.measure.clone(),
        opens_on: event.opens_on.clone(),
        closes_on: event.closes_on.clone(),
        isee_max_cents: event.isee_max_cents,
        household_min: event.household_min,
        residence_required: event.residence_required,
        rulebook: event.rulebook,
        withdrawn: event.withdrawn,
    };
    trama_sdk::store::retry(|| match MEASURES.get(&event.campaign_id)? {
        Some(doc) if doc.data.notice_version >= measure.notice_version => Ok(()),
        Some(doc) => MEASURES
            .put_if_version(&event.campaign_id, &measure, doc.version)
            .map(|_| ()),
        // A conflict (another delivery wrote it first) reads again and compares versions.
        None => MEASURES
            .create(&event.campaign_id, measure.clone())
            .map(|_| ()),
    })
}

/// Records the application for each case of its person; the ids of those cases.
pub fn submitted(event: &ApplicationSubmitted) -> Result<Vec<String>> {
    let cases = people::cases_of(&event.person)?;
    for case in &cases {
        let id = format!("{}-{case}", event.campaign_id);
        if APPLIED.get(&id)?.is_none() {
            APPLIED.put(
                &id,
                &Applied {
                    campaign: event.campaign_id.clone(),
                    case: case.clone(),
                    application: event.application_id.clone(),
                    submitted_at: event.submitted_at,
                    decision: None,
                },
            )?;
        }
    }
    Ok(cases)
}

/// Records the decision for each case of its person (the application too, if its filing was
/// never seen); the ids of those cases.
pub fn decided(event: &ApplicationDecided, decision: &str) -> Result<Vec<String>> {
    let cases = people::cases_of(&event.person)?;
    for case in &cases {
        let id = format!("{}-{case}", event.campaign_id);
        let mut applied = APPLIED.get(&id)?.map_or_else(
            || Applied {
                campaign: event.campaign_id.clone(),
                case: case.clone(),
                application: event.application_id.clone(),
                submitted_at: event.decided_at,
                decision: None,
            },
            |d| d.data,
        );
        applied.decision = Some(decision.to_owned());
        APPLIED.put(&id, &applied)?;
    }
    Ok(cases)
}

/// The measures open on `today`, by closing date.
pub fn open(today: Date) -> Result<Vec<Doc<Measure>>> {
    let mut open: Vec<Doc<Measure>> = MEASURES
        .query()
        .fetch_all()?
        .into_iter()
        .filter(|m| m.data.open_on(today))
        .collect();
    open.sort_by(|a, b| a.data.closes_on.cmp(&b.data.closes_on));
    Ok(open)
}

/// Whether the person of `case` applied to `campaign`.
pub fn applied(campaign: &str, case: &str) -> Result<bool> {
    Ok(APPLIED
        .query()
        .filter("campaign", Cmp::Eq, campaign)
        .filter("case", Cmp::Eq, case)
        .count()?
        > 0)
}
