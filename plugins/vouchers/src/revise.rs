//! Changing a published campaign: every change makes a new version of the notice.
//!
//! Publishing a notice ("bando") freezes its rules: applicants are judged by what it said when
//! they applied. A municipality still needs to fix a typo, extend the deadline, or withdraw the
//! notice altogether, so a change before the closing is allowed, but never silently:
//!
//! - it makes a new **version** (`notice_version` 2, 3, …), with who made it, when, what changed
//!   in plain words and the reason the operator gave (required), kept in the campaign's
//!   `revisions` and on its public page;
//! - the campaign as it stood in each version is kept in `campaign_versions/{campaign}-{n}`,
//!   so the rules an application was decided under can always be shown (each application
//!   records the version it was filed under);
//! - it is audited (`campaign.edited`, `campaign.extended`, `campaign.cancelled`, with the
//!   changes) and every applicant with an account is told, once per version
//!   ([`announce`]).
//!
//! What may change, and when:
//!
//! | change | when |
//! |---|---|
//! | title, the notice's words, the closing date ([`edit`]) | any time before the closing starts |
//! | a later closing date ([`extend`]) | before the closing starts; never before today |
//! | rules: questions, eligibility, amounts, ranking, review, payment, opening date | only while no application has been submitted |
//! | withdrawing the notice ([`cancel`]) | before the closing starts |
//!
//! Rules are frozen by the first application, whatever its outcome: an applicant must be judged
//! by the rules they read, and re-judging the ones already in under new rules would change
//! outcomes people were told. A municipality that must change the rules afterwards withdraws
//! the notice and publishes a new one, which is also what the law on administrative acts
//! expects (a revocation with its reasons, then a new notice).
//!
//! Withdrawing (`cancel`) stops applications, marks the pending ones (`eligible`,
//! `needs_review`, `info_requested`) `cancelled`, and returns what is left in the campaign's
//! budget to `funding` with the key `cancel/{campaign}`; the closing job never ranks it (it
//! looks for `active` campaigns only). It is idempotent: a second call finds it cancelled and
//! changes nothing.

use serde::{Deserialize, Serialize};
use trama_sdk::ledger::{self, TransferRequest};
use trama_sdk::store::{Collection, Doc};
use trama_sdk::{Error, Result, audit, t};

use crate::campaign::{self, CAMPAIGNS, Campaign, State};

pub mod announce;
pub mod edit;
#[cfg(test)]
mod tests;
pub mod words;

pub use edit::{EditRequest, edit};

/// The campaign as it stood in each version, id `{campaign}-{n}`.
pub const VERSIONS: Collection<NoticeVersion> = Collection::new("campaign_versions");

/// Longest reason an operator gives for a change, in characters.
pub const REASON_CHARS: std::ops::RangeInclusive<usize> = 3..=1000;

/// The version every campaign starts at (and every application from before versions).
pub fn first_version() -> u32 {
    1
}

trama_sdk::choices! {
    /// What kind of change made a version.
    pub enum Kind {
        Edited = "edited" => "vouchers.revision.kind_edited",
        Extended = "extended" => "vouchers.revision.kind_extended",
        Cancelled = "cancelled" => "vouchers.revision.kind_cancelled",
    }
}

impl Kind {
    /// The audit action.
    pub fn action(self) -> &'static str {
        match self {
            Kind::Edited => "campaign.edited",
            Kind::Extended => "campaign.extended",
            Kind::Cancelled => "campaign.cancelled",
        }
    }
}

/// One thing a change changed: a field with its value before and after (texts and dates as
/// stored; empty for the rules, which are described by the part that changed, see
/// [`words::change`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub field: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub before: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub after: String,
}

impl Change {
    pub fn new(field: &str, before: impl Into<String>, after: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            before: before.into(),
            after: after.into(),
        }
    }
}

/// The change that made version `number`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    pub number: u32,
    pub kind: Kind,
    pub at: i64,
    /// The operator's username.
    pub by: String,
    pub reason: String,
    pub changes: Vec<Change>,
}

/// How a notice was withdrawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cancellation {
    pub at: i64,
    pub by: String,
    pub reason: String,
    /// What went back from the campaign's budget to `funding`.
    pub refunded_cents: i64,
}

/// A version of a notice as kept: the campaign as it stood, and the telling of its applicants.
/// `campaign` and `pending` are indexed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeVersion {
    pub campaign: String,
    pub number: u32,
    /// The campaign as this version published it.
    pub terms: Campaign,
    /// Applicants are still being told of this version ([`announce`]).
    #[serde(default)]
    pub pending: bool,
    /// Applications gone through so far, in order of submission.
    #[serde(default)]
    pub told: u32,
    /// Applications submitted up to this time are told; later ones read this version anyway.
    #[serde(default)]
    pub made_at: i64,
}

/// The id of version `number` of `campaign`.
pub fn version_id(campaign: &str, number: u32) -> String {
    format!("{campaign}-{number}")
}

/// Keeps the campaign as it stands as its current version, unless it is kept already: at
/// creation, and for a campaign from before 1.4 the first time it changes.
pub fn keep_version(id: &str, campaign: &Campaign, now: i64) -> Result<()> {
    let key = version_id(id, campaign.notice_version);
    if VERSIONS.get(&key)?.is_none() {
        VERSIONS.create(
            &key,
            NoticeVersion {
                campaign: id.to_owned(),
                number: campaign.notice_version,
                terms: campaign.clone(),
                pending: false,
                told: 0,
                made_at: now,
            },
        )?;
    }
    Ok(())
}

/// The campaign as version `number` published it: the kept version, or the campaign itself
/// when `number` is its current one.
pub fn terms_of(id: &str, campaign: &Campaign, number: u32) -> Result<Option<Campaign>> {
    if number == campaign.notice_version {
        return Ok(Some(campaign.clone()));
    }
    Ok(VERSIONS.get(&version_id(id, number))?.map(|v| v.data.terms))
}

/// How many applications the campaign has, whatever their status (from its counts, see
/// [`crate::tally`]).
pub fn applications(id: &str) -> Result<u64> {
    let counts = crate::tally::counts(id)?;
    Ok(counts.values().sum())
}

/// The reason an operator gave, checked: required, 3 to 1000 characters.
pub fn read_reason(text: Option<&str>, problems: &mut trama_sdk::input::Problems) -> String {
    let reason = text.unwrap_or_default().trim().to_owned();
    let chars = reason.chars().count();
    if !REASON_CHARS.contains(&chars) {
        problems.push(
            "reason",
            t!(
                "vouchers.revision.reason_length",
                min = REASON_CHARS.start(),
                max = REASON_CHARS.end()
            ),
        );
    }
    reason
}

/// Why a campaign in `state` can no longer change.
fn too_late(campaign: &Campaign) -> Error {
    match campaign.state {
        State::Cancelled => Error::conflict(t!(
            "vouchers.revision.already_cancelled",
            title = campaign.title
        )),
        _ => Error::conflict(t!(
            "vouchers.revision.closing_started",
            title = campaign.title
        )),
    }
}

/// Makes a new version of campaign `id`: `change` edits the campaign (locked, still active)
/// given how many applications it has, and says what it changed; nothing changed is a `422`.
/// The new version is kept, audited, and its applicants are told ([`announce`]). One call:
/// a failure leaves nothing written.
pub fn revise(
    id: &str,
    kind: Kind,
    reason: &str,
    actor: &str,
    now: i64,
    change: impl FnOnce(&mut Campaign, u64) -> Result<Vec<Change>>,
) -> Result<Doc<Campaign>> {
    let mut doc = CAMPAIGNS
        .lock(id)?
        .ok_or_else(|| Error::not_found(t!("vouchers.campaign.not_found", id = id)))?;
    if doc.data.state != State::Active {
        return Err(too_late(&doc.data));
    }
    let before = doc.data.clone();
    let applications = applications(id)?;
    let changes = change(&mut doc.data, applications)?;
    if changes.is_empty() {
        return Err(Error::invalid(t!("vouchers.revision.nothing_changed")));
    }
    let number = before.notice_version + 1;
    doc.data.notice_version = number;
    doc.data.revisions.push(Revision {
        number,
        kind,
        at: now,
        by: actor.to_owned(),
        reason: reason.to_owned(),
        changes: changes.clone(),
    });
    doc.version = CAMPAIGNS.put_if_version(id, &doc.data, doc.version)?;
    keep_version(id, &before, now)?;
    VERSIONS.create(
        &version_id(id, number),
        NoticeVersion {
            campaign: id.to_owned(),
            number,
            terms: doc.data.clone(),
            pending: applications > 0,
            told: 0,
            made_at: now,
        },
    )?;
    audit::record(
        kind.action(),
        id,
        &serde_json::json!({
            "version": number,
            "reason": reason,
            "changes": changes,
        }),
    )?;
    if applications > 0 {
        announce::within_request(&version_id(id, number));
    }
    crate::publish::campaign(&doc)?;
    Ok(doc)
}

/// `extend`: moves the closing date of campaign `id` later, to `closes_on` (`YYYY-MM-DD`),
/// never before `today`.
pub fn extend(
    id: &str,
    closes_on: trama_sdk::clock::Date,
    reason: &str,
    actor: &str,
    today: trama_sdk::clock::Date,
    now: i64,
) -> Result<Doc<Campaign>> {
    revise(id, Kind::Extended, reason, actor, now, |campaign, _| {
        let new = closes_on.to_string();
        if new <= campaign.closes_on {
            return Err(Error::invalid(t!(
                "vouchers.revision.extend_not_later",
                closes_on = words::date(&campaign.closes_on)
            )));
        }
        if closes_on < today {
            return Err(Error::invalid(t!(
                "vouchers.revision.date_past",
                today = words::date(&today.to_string())
            )));
        }
        let mut problems = trama_sdk::input::Problems::default();
        campaign.payment.check(closes_on, &mut problems);
        if let Some(problem) = problems.0.first() {
            return Err(Error::invalid(problem.message.clone()));
        }
        let change = Change::new("closes_on", campaign.closes_on.clone(), new.clone());
        campaign.closes_on = new;
        Ok(vec![change])
    })
}

/// `cancel`: withdraws campaign `id` before its closing (see the module documentation).
/// Idempotent: a cancelled campaign is returned as it is.
pub fn cancel(id: &str, reason: &str, actor: &str, now: i64) -> Result<Doc<Campaign>> {
    let current = campaign::load(id)?;
    if current.data.state == State::Cancelled {
        return Ok(current);
    }
    let outcome = revise(id, Kind::Cancelled, reason, actor, now, |campaign, _| {
        let account = campaign::budget_account(id);
        let left = ledger::balance(&account)?;
        if left > 0 {
            ledger::transfer(
                &TransferRequest::new(&account, campaign::FUNDING, left, format!("cancel/{id}"))
                    .memo(format!("notice withdrawn: {}", campaign.title)),
            )?;
        }
        campaign.state = State::Cancelled;
        campaign.cancellation = Some(Cancellation {
            at: now,
            by: actor.to_owned(),
            reason: reason.to_owned(),
            refunded_cents: left,
        });
        Ok(vec![Change::new("state", "active", "cancelled")])
    });
    match outcome {
        // Another request withdrew it while this one waited for the campaign: the same answer.
        Err(Error::Conflict(_)) if campaign::load(id)?.data.state == State::Cancelled => {
            campaign::load(id)
        }
        other => other,
    }
}
