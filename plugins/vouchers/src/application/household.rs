//! One application per tax code and per household: every application claims its applicant's
//! tax code and, when a rulebook asks them, its household members' — in the same batch as the
//! application, so a second application of one tax code, or a spouse's for the same household
//! (listing the first applicant, or listed by them), collides however the two submissions race,
//! on one node or several (see [`super`] for what the collision does).
//!
//! A claim is `{campaign}-{tax code}` → the application; it is deleted with the application
//! (an erasure), so the person can apply again.

use serde::{Deserialize, Serialize};
use trama_sdk::Result;
use trama_sdk::store::{Batch, Cmp, Collection};

use crate::rulebook::{Answer, Answers};

pub const HOUSEHOLDS: Collection<Claim> = Collection::new("households");

/// A member's place in a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub campaign: String,
    pub application: String,
}

/// The claim id of `tax_code` in `campaign`.
pub fn claim_id(campaign: &str, tax_code: &str) -> String {
    format!("{campaign}-{tax_code}")
}

/// The tax codes of the household's members in `answers`, the applicant's included, when the
/// rulebook asks them.
pub fn member_tax_codes(answers: &Answers) -> Vec<String> {
    let mut codes: Vec<String> = answers
        .values()
        .filter_map(|answer| match answer {
            Answer::Members(members) => Some(members),
            _ => None,
        })
        .flatten()
        .filter(|m| !m.tax_code.is_empty())
        .map(|m| m.tax_code.clone())
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

/// Adds a claim for each code to `batch`; the batch fails if any member already has one.
pub fn claim(batch: &mut Batch, campaign: &str, application: &str, codes: &[String]) {
    for code in codes {
        batch.create(
            &HOUSEHOLDS,
            &claim_id(campaign, code),
            &Claim {
                campaign: campaign.to_owned(),
                application: application.to_owned(),
            },
        );
    }
}

/// The other application of `campaign` that claimed one of `codes`, if any.
pub fn claimant(campaign: &str, application: &str, codes: &[String]) -> Result<Option<String>> {
    for code in codes {
        if let Some(claim) = HOUSEHOLDS.get(&claim_id(campaign, code))?
            && claim.data.application != application
        {
            return Ok(Some(claim.data.application));
        }
    }
    Ok(None)
}

/// Makes `application` hold the claims of `codes` before an operator approves it (an
/// application held after a collision was stored without them): a code nobody claims is
/// claimed, a claim of an application the office has settled (rejected, ineligible, not
/// funded, or gone) is taken over — each in `batch`, with the approval, so a race is a
/// conflict. Otherwise the application still open that holds a code is returned, and nothing
/// is added: two applications of one household never both reach the ranking.
pub fn take_over(
    batch: &mut Batch,
    campaign: &str,
    application: &str,
    codes: &[String],
) -> Result<Option<String>> {
    let mut writes = Vec::new();
    for code in codes {
        let id = claim_id(campaign, code);
        let Some(claim) = HOUSEHOLDS.get(&id)? else {
            writes.push((id, None));
            continue;
        };
        if claim.data.application == application {
            continue;
        }
        let open = super::APPLICATIONS
            .get(&claim.data.application)?
            .is_some_and(|other| {
                !matches!(
                    other.data.status,
                    super::Status::Rejected | super::Status::Ineligible | super::Status::NotFunded
                )
            });
        if open {
            return Ok(Some(claim.data.application));
        }
        writes.push((id, Some(claim.version)));
    }
    let mine = Claim {
        campaign: campaign.to_owned(),
        application: application.to_owned(),
    };
    for (id, version) in writes {
        match version {
            None => batch.create(&HOUSEHOLDS, &id, &mine),
            Some(version) => batch.put_if_version(&HOUSEHOLDS, &id, &mine, version),
        };
    }
    Ok(None)
}

/// Deletes the claims of `application` (with the application, at an erasure).
pub fn release(batch: &mut Batch, application: &str) -> Result<()> {
    for doc in HOUSEHOLDS
        .query()
        .filter("application", Cmp::Eq, application)
        .fetch_all()?
    {
        batch.delete_if_version(&HOUSEHOLDS, &doc.id, doc.version);
    }
    Ok(())
}
