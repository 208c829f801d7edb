//! What vouchers tells other plugins about campaigns and applications (`plugins/contracts`,
//! [`trama_contracts::vouchers`]), beside the vouchers issued and redeemed ([`crate::voucher`],
//! [`crate::redeem`]).
//!
//! - every version of a notice ([`campaign`]): its title, dates and simple eligibility rules,
//!   so casework can sift its own cases for households that might qualify;
//! - an application filed ([`submitted`]) and decided ([`decided`]), naming the applicant by
//!   their person key, never the tax code (see [`trama_contracts::person`]), so casework can
//!   follow a referral to its outcome.
//!
//! The closing publishes one decision per application it settles, counted in its events
//! budget; applications the closing's final sweep finds still waiting (filed while it ran) are
//! marked `not_funded` without an event.

use trama_contracts::person;
use trama_contracts::vouchers::{
    ApplicationDecided, ApplicationSubmitted, CampaignPublished, Decision,
};
use trama_sdk::store::Doc;
use trama_sdk::{Result, events};

use crate::application::{Application, Status};
use crate::campaign::{Campaign, State};

/// Publishes the campaign's notice as it now stands.
pub fn campaign(doc: &Doc<Campaign>) -> Result<()> {
    let c = &doc.data;
    events::publish_typed(&CampaignPublished {
        campaign_id: doc.id.clone(),
        notice_version: c.notice_version,
        title: c.title.clone(),
        measure: c.measure.key().to_owned(),
        opens_on: c.opens_on.clone(),
        closes_on: c.closes_on.clone(),
        isee_max_cents: c.eligibility.isee_max_cents,
        household_min: c.eligibility.household_min,
        residence_required: c.eligibility.residence_required,
        rulebook: c.rulebook.is_some(),
        withdrawn: c.state == State::Cancelled,
    })
}

/// Publishes that application `id` was filed; and, when the automatic checks refused it, that
/// it was decided.
pub fn submitted(id: &str, app: &Application) -> Result<()> {
    events::publish_typed(&ApplicationSubmitted {
        campaign_id: app.campaign.clone(),
        application_id: id.to_owned(),
        person: person::key(&app.tax_code),
        submitted_at: app.submitted_at,
    })?;
    if app.status == Status::Ineligible {
        decided(id, app)?;
    }
    Ok(())
}

/// The decision an application's status is, if it is one.
pub fn decision(status: Status) -> Option<Decision> {
    match status {
        Status::Beneficiary => Some(Decision::Granted),
        Status::Ineligible | Status::Rejected => Some(Decision::Refused),
        Status::NotFunded => Some(Decision::NotFunded),
        Status::Eligible | Status::NeedsReview | Status::InfoRequested | Status::Cancelled => None,
    }
}

/// Publishes application `id`'s decision, when its status is one (else nothing): one event.
pub fn decided(id: &str, app: &Application) -> Result<()> {
    let Some(decision) = decision(app.status) else {
        return Ok(());
    };
    events::publish_typed(&ApplicationDecided {
        campaign_id: app.campaign.clone(),
        application_id: id.to_owned(),
        person: person::key(&app.tax_code),
        decision,
        decided_at: app.updated_at,
    })
}
