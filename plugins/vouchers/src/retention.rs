//! How long applications are kept: when a campaign has been closed (or withdrawn, see
//! [`crate::revise`]) for longer than the setting `retention_days`, the `retain-applications` job deletes its applications that were
//! not funded (with their claims, their counts and their documents) and the documents attached
//! to the funded ones. A funded application stays: it is the record of public money paid out
//! (its calculation, amount and vouchers), which the accounts must keep.
//!
//! The work is done in steps of [`STEP`] applications, each run a call of its own, so a campaign
//! of 100,000 applications is retired over several runs; the campaign records when it was done
//! (`retired_at`) and the job then leaves it alone.

use trama_sdk::store::Cmp;
use trama_sdk::{Result, audit};

use crate::application::{APPLICATIONS, Status};
use crate::campaign::{CAMPAIGNS, State};

/// Most applications one run goes through.
const STEP: usize = 500;
const DAY_MS: i64 = 86_400_000;

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Retired {
    pub applications_deleted: usize,
    pub documents_deleted: usize,
    /// Campaigns finished by this run.
    pub campaigns: usize,
}

/// Retires, within one step, the campaigns closed more than `retention_days` before `now`.
///
/// Each query asks for at most what the step has left: the applications not funded are
/// deleted, so the next page is always new; the funded ones stay, so they are paged by an
/// offset the campaign keeps (`retire_offset`) — their set no longer changes once the
/// retention period has run.
pub fn run(now: i64, retention_days: u32) -> Result<Retired> {
    let cutoff = now.saturating_sub(i64::from(retention_days).saturating_mul(DAY_MS));
    let mut retired = Retired::default();
    let mut left = STEP;
    // A withdrawn notice's applications are kept as long, from the day it was withdrawn.
    let mut closed = CAMPAIGNS
        .query()
        .filter("state", Cmp::Eq, "closed")
        .fetch_all()?;
    closed.extend(
        CAMPAIGNS
            .query()
            .filter("state", Cmp::Eq, "cancelled")
            .fetch_all()?,
    );
    for mut campaign in closed {
        let finished = match campaign.data.state {
            State::Closed => campaign.data.close.as_ref().and_then(|c| c.finished_at),
            State::Cancelled => campaign.data.cancellation.as_ref().map(|c| c.at),
            State::Active | State::Closing => None,
        };
        if campaign.data.retired_at.is_some() || finished.is_none_or(|at| at > cutoff) {
            continue;
        }
        let id = campaign.id.clone();
        let not_funded = APPLICATIONS
            .query()
            .filter("campaign", Cmp::Eq, id.as_str())
            .filter("status", Cmp::Ne, Status::Beneficiary.key())
            .limit(page(left))
            .fetch()?;
        for app in not_funded {
            retired.documents_deleted += app.data.attachments.len();
            crate::personal::delete_application(&app)?;
            retired.applications_deleted += 1;
            left -= 1;
        }
        if left == 0 {
            break;
        }
        let funded = APPLICATIONS
            .query()
            .filter("campaign", Cmp::Eq, id.as_str())
            .filter("status", Cmp::Eq, Status::Beneficiary.key())
            .order_by("submitted_at")
            .offset(campaign.data.retire_offset)
            .limit(page(left))
            .fetch()?;
        let seen = funded.len();
        for mut app in funded {
            if !app.data.attachments.is_empty() {
                retired.documents_deleted += app.data.drop_attachments()?;
                APPLICATIONS.put_if_version(&app.id, &app.data, app.version)?;
            }
        }
        left -= seen;
        campaign.data.retire_offset = campaign
            .data
            .retire_offset
            .saturating_add(u32::try_from(seen).unwrap_or(u32::MAX));
        if left == 0 {
            // Perhaps more to do: the next run goes on from here.
            CAMPAIGNS.put_if_version(&id, &campaign.data, campaign.version)?;
            break;
        }
        campaign.data.retired_at = Some(now);
        CAMPAIGNS.put_if_version(&id, &campaign.data, campaign.version)?;
        audit::record(
            "campaign.retired",
            &id,
            &serde_json::json!({ "retention_days": retention_days }),
        )?;
        retired.campaigns += 1;
    }
    Ok(retired)
}

fn page(left: usize) -> u32 {
    u32::try_from(left).unwrap_or(u32::MAX)
}
