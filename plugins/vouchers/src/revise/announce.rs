//! Telling the applicants of a campaign about a new version of its notice, and — when the
//! version withdrew it — marking their pending applications `cancelled`.
//!
//! A campaign may have tens of thousands of applicants, and the kernel lets one call send at
//! most 1000 notifications, so the work is resumable, like the closing: the version document
//! (`campaign_versions/{campaign}-{n}`) is `pending` while applicants are left and counts
//! how many applications it went through (`told`), in order of submission, among those
//! submitted up to the change (later applicants read the new version anyway). The request
//! that makes the change does the first pages itself, in its own transaction; the job
//! `announce-changes` (every minute) does the rest, committing after each page.
//!
//! Each applicant with an account hears once per version: the key is
//! `revision/{campaign}/{version}/{account}`, so a page replayed after a failure, or the job
//! and a request on the same page, never send twice. Applications filed at the desk for
//! someone without an account have nobody to write to: the office tells them.

use trama_sdk::notify::{self, MAX_KEY, Notification, cut};
use trama_sdk::store::{Batch, Cmp, Doc};
use trama_sdk::{Error, Result, clock, log, store};

use super::{Kind, NoticeVersion, Revision, VERSIONS, words};
use crate::application::{APPLICATIONS, Status, Step};
use crate::campaign::{CAMPAIGNS, Campaign};
use crate::tally::{self, Move};
use crate::web::BASE;

pub const JOB: &str = "announce-changes";
/// Applications read per page.
const PAGE: u32 = 100;
/// Notifications the request making a change sends before leaving the rest to the job.
const REQUEST_NOTICES: usize = 300;
/// Notifications one run of the job sends (the kernel refuses the 1001st of a call).
const JOB_NOTICES: usize = 900;
/// Work a request does on the telling before answering (the kernel stops requests at 5 s).
const REQUEST_MS: i64 = 1500;

/// The first pages of version `id`'s telling, within the request that made it. A failure is
/// logged and left to the job: the change itself is made, and what a failed page wrote was
/// not (each page's writes are one batch).
pub fn within_request(id: &str) {
    let mut notices = REQUEST_NOTICES;
    let deadline = clock::now_ms() + REQUEST_MS;
    if let Err(err) = work(id, &mut notices, deadline, false) {
        log::warn(format!(
            "telling the applicants of {id}: {err}; the job `{JOB}` goes on"
        ));
    }
}

/// The job: every pending version, page by page, until the notifications or the time of the
/// run are spent. A version that fails is logged and left for the next run.
pub fn run(seconds: i64) -> Result<()> {
    let deadline = clock::now_ms() + seconds * 1000;
    let pending = VERSIONS
        .query()
        .filter("pending", Cmp::Eq, true)
        .limit(100)
        .fetch()?;
    let mut notices = JOB_NOTICES;
    for version in pending {
        if notices < PAGE as usize || clock::now_ms() > deadline {
            break;
        }
        if let Err(err) = work(&version.id, &mut notices, deadline, true) {
            log::error(format!(
                "telling the applicants of {}: {err}; the next run tries again",
                version.id
            ));
        }
    }
    Ok(())
}

/// Pages of version `id` until it is done (`true`), `notices` run out or `deadline` passes.
/// `commit`: save each page for good (the job), rather than with the whole call (a request).
fn work(id: &str, notices: &mut usize, deadline: i64, commit: bool) -> Result<bool> {
    loop {
        let Some(mut version) = VERSIONS.get(id)? else {
            return Ok(true);
        };
        if !version.data.pending {
            return Ok(true);
        }
        let take = PAGE.min(u32::try_from(*notices).unwrap_or(u32::MAX));
        if take == 0 || clock::now_ms() > deadline {
            return Ok(false);
        }
        page(&mut version, take, notices)?;
        if commit {
            store::checkpoint()?;
        }
    }
}

/// One page: the next `take` applications of the version's campaign, marked when it was
/// withdrawn, and their applicants told.
fn page(version: &mut Doc<NoticeVersion>, take: u32, notices: &mut usize) -> Result<()> {
    let v = &version.data;
    let campaign = CAMPAIGNS.get(&v.campaign)?;
    let revision = campaign
        .as_ref()
        .and_then(|c| c.data.revisions.iter().find(|r| r.number == v.number))
        .cloned();
    let (Some(campaign), Some(revision)) = (campaign, revision) else {
        // Nothing to tell: the campaign or its change is gone (an erasure, say).
        version.data.pending = false;
        VERSIONS.put_if_version(&version.id, &version.data, version.version)?;
        return Ok(());
    };
    let apps = APPLICATIONS
        .query()
        .filter("campaign", Cmp::Eq, v.campaign.as_str())
        .filter("submitted_at", Cmp::Le, v.made_at)
        .order_by("submitted_at")
        .offset(v.told)
        .limit(take)
        .fetch()?;
    if revision.kind == Kind::Cancelled {
        mark_cancelled(&campaign.id, &revision, &apps)?;
    }
    for app in &apps {
        if let Some(recipient) = app.data.user_id.as_deref() {
            tell(&campaign, &revision, recipient, &app.id);
            *notices = notices.saturating_sub(1);
        }
    }
    let count = u32::try_from(apps.len()).unwrap_or(u32::MAX);
    version.data.told = version.data.told.saturating_add(count);
    if count < take {
        version.data.pending = false;
    }
    version.version = VERSIONS.put_if_version(&version.id, &version.data, version.version)?;
    Ok(())
}

/// The statuses a withdrawal ends: applications still waiting for the closing or a review.
pub fn pending_status(status: Status) -> bool {
    matches!(
        status,
        Status::Eligible | Status::NeedsReview | Status::InfoRequested
    )
}

/// Marks the pending applications among `apps` `cancelled`, with their counts, in one batch.
fn mark_cancelled(
    campaign: &str,
    revision: &Revision,
    apps: &[Doc<crate::application::Application>],
) -> Result<()> {
    let now = clock::now_ms();
    let mut batch = Batch::new();
    let mut moves = Vec::new();
    for app in apps.iter().filter(|a| pending_status(a.data.status)) {
        let mut next = app.data.clone();
        next.status = Status::Cancelled;
        next.updated_at = now;
        next.history.push(Step {
            at: now,
            actor: revision.by.clone(),
            action: "cancelled".to_owned(),
            note: Some(revision.reason.clone()),
        });
        batch.put_if_version(&APPLICATIONS, &app.id, &next, app.version);
        moves.push(Move {
            tax_code: &app.data.tax_code,
            from: Some(app.data.status),
            to: Status::Cancelled,
        });
    }
    if batch.is_empty() {
        return Ok(());
    }
    tally::push(&mut batch, campaign, &moves)?;
    batch.commit().map(|_| ()).map_err(|err| match err {
        Error::Conflict(message) => Error::conflict(format!(
            "an application of {campaign} changed while it was being cancelled: {message}"
        )),
        other => other,
    })
}

/// Tells `recipient` about `revision` of `campaign`, in their language, once. Best effort, as
/// for outcomes ([`crate::notice`]): the change is on the campaign's page anyway.
fn tell(campaign: &Doc<Campaign>, revision: &Revision, recipient: &str, application: &str) {
    let (subject, body) =
        crate::notice::in_language_of(recipient, || words::message(&campaign.data.title, revision));
    let key = cut(
        &format!("revision/{}/{}/{recipient}", campaign.id, revision.number),
        MAX_KEY,
    );
    let link = match revision.kind {
        Kind::Cancelled => format!("{BASE}/applications/{application}"),
        Kind::Edited | Kind::Extended => format!("{BASE}/campaigns/{}", campaign.id),
    };
    let message = Notification {
        recipient: recipient.to_owned(),
        subject,
        body,
        key: key.clone(),
        link: Some(link),
    };
    match notify::send(&message) {
        Ok(true) => {}
        Ok(false) => log::debug(format!("notification {key} was already sent")),
        Err(err) => log::warn(format!(
            "could not tell {recipient} about version {} of {}: {err}",
            revision.number, campaign.id
        )),
    }
}
