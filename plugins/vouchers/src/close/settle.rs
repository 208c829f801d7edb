//! What the closing writes on the applications it does not fund: the reason, the step in the
//! history, and the sweep of those that slipped in late.

use std::collections::HashMap;

use trama_sdk::store::{Batch, Cmp};
use trama_sdk::{Result, clock, store};

use crate::application::{APPLICATIONS, Application, Status, Step};
use crate::campaign::CAMPAIGNS;
use crate::rules::Reason;
use crate::tally::{self, Move};

use super::{Outcome, PAGE, PlanEntry};

/// Titles of excluded campaigns, read once per run.
#[derive(Default)]
pub(super) struct Titles(HashMap<String, String>);

impl Titles {
    pub(super) fn of(&mut self, id: &str) -> Result<String> {
        if let Some(title) = self.0.get(id) {
            return Ok(title.clone());
        }
        let title = CAMPAIGNS
            .get(id)?
            .map_or_else(|| id.to_owned(), |c| c.data.title);
        self.0.insert(id.to_owned(), title.clone());
        Ok(title)
    }
}

/// A step of an application's history taken by the closing, not by a person.
pub(super) fn system_step(at: i64, action: &str) -> Step {
    Step {
        at,
        actor: "system".to_owned(),
        action: action.to_owned(),
        note: None,
    }
}

/// The application as an unfunded plan entry leaves it, or `None` if it already is.
pub(super) fn settle(
    app: &Application,
    entry: &PlanEntry,
    titles: &mut Titles,
    now: i64,
) -> Result<Option<Application>> {
    let (status, reason, action) = match entry.outcome {
        Outcome::NotFunded => (Status::NotFunded, None, "not_funded"),
        Outcome::Excluded => {
            let campaign = entry.excluded_by.clone().unwrap_or_default();
            let title = titles.of(&campaign)?;
            (
                Status::Ineligible,
                Some(Reason::AlreadyBeneficiary { campaign, title }),
                "excluded",
            )
        }
        Outcome::Unresolved | Outcome::Funded => {
            (Status::NotFunded, Some(Reason::NotRanked), "not_funded")
        }
    };
    // Funded is final: a plan entry never takes back vouchers already paid.
    if app.status == status || app.status == Status::Beneficiary {
        return Ok(None);
    }
    let mut next = app.clone();
    next.status = status;
    next.rank = (entry.rank > 0).then_some(entry.rank);
    if let Some(reason) = reason {
        next.reasons.push(reason);
    }
    next.updated_at = now;
    next.history.push(system_step(now, action));
    Ok(Some(next))
}

/// Marks `not_funded` any application of the campaign still waiting (one that was submitted or
/// answered while the closing started). The counts say whether there is any, sparing three
/// scans of the campaign's applications in the usual case.
pub(super) fn sweep(campaign_id: &str, title: &str) -> Result<()> {
    let waiting = [Status::Eligible, Status::NeedsReview, Status::InfoRequested];
    let counts = tally::counts(campaign_id)?;
    if waiting
        .iter()
        .all(|s| counts.get(s).copied().unwrap_or(0) == 0)
    {
        return Ok(());
    }
    for status in waiting {
        loop {
            let page = APPLICATIONS
                .query()
                .filter("campaign", Cmp::Eq, campaign_id)
                .filter("status", Cmp::Eq, status.key())
                .limit(PAGE)
                .fetch()?;
            if page.is_empty() {
                break;
            }
            let now = clock::now_ms();
            for doc in page {
                let mut next = doc.data.clone();
                next.status = Status::NotFunded;
                next.reasons.push(Reason::NotRanked);
                next.updated_at = now;
                next.history.push(system_step(now, "not_funded"));
                let mut batch = Batch::new();
                batch.put_if_version(&APPLICATIONS, &doc.id, &next, doc.version);
                let moves = [Move {
                    tax_code: &next.tax_code,
                    from: Some(status),
                    to: Status::NotFunded,
                }];
                tally::push(&mut batch, campaign_id, &moves)?;
                batch.commit()?;
                crate::notice::outcome(&doc.id, &next, title, "");
            }
            store::checkpoint()?;
        }
    }
    Ok(())
}
