//! The plugin's jobs.
//!
//! `close-campaigns` (every minute) starts closing the campaigns whose closing date has
//! passed and advances every closing under way, within the time the settings allow per run and
//! the events one call may publish (see [`crate::close`]).
//!
//! `recover-redemptions` (every 30 seconds) settles the redemptions a crash left `pending`
//! once the setting `recovery_grace_seconds` has passed (see [`crate::redeem`]).
//!
//! A campaign whose closing fails is logged and left for the next run; the run itself succeeds,
//! because the kernel keeps a call's events only when the call succeeds, and the work done for
//! the other campaigns (or earlier in the same one) must keep its events.

use trama_sdk::store::Cmp;
use trama_sdk::{Result, clock, log};

use crate::campaign::CAMPAIGNS;
use crate::close::{self, Progress};
use crate::config::Settings;
use crate::redeem;

/// Returns to the budget what is left on vouchers past their last day (see [`crate::lapse`]).
pub const LAPSE_VOUCHERS: &str = "lapse-vouchers";
pub const CLOSE_CAMPAIGNS: &str = "close-campaigns";
pub const RECOVER_REDEMPTIONS: &str = "recover-redemptions";
/// Deletes what is kept no longer once a campaign's retention ends (see [`crate::retention`]).
pub const RETAIN_APPLICATIONS: &str = "retain-applications";

/// How much longer than its work budget a run keeps other runs off a closing: the kernel's
/// job deadline is above the budget, and a run it stops must not overlap the next one.
const LEASE_MARGIN_MS: i64 = 90_000;

pub fn close_campaigns() -> Result<()> {
    let settings = Settings::load()?;
    let start = clock::now_ms();
    let budget_ms = i64::from(settings.close_job_seconds) * 1000;
    let deadline = start + budget_ms;
    let today = clock::today().to_string();
    let due = CAMPAIGNS
        .query()
        .filter("state", Cmp::Eq, "active")
        .filter("closes_on", Cmp::Lt, today.as_str())
        .limit(1000)
        .fetch()?;
    for doc in due {
        log::info(format!(
            "campaign {} closed for applications on {}; closing it",
            doc.id, doc.data.closes_on
        ));
        close::start(&doc.id, "job", start)?;
    }
    let closing = CAMPAIGNS
        .query()
        .filter("state", Cmp::Eq, "closing")
        .limit(1000)
        .fetch()?;
    // The events of the whole run count against the kernel's cap on one call.
    let mut events = close::MAX_EVENTS;
    for doc in closing {
        if clock::now_ms() > deadline || events < close::MAX_EVENTS / 10 {
            break;
        }
        // One campaign that cannot close must not hold back the others, nor fail the run:
        // the kernel would then drop the events of the work the run did complete.
        match close::advance(&doc.id, deadline, budget_ms + LEASE_MARGIN_MS, &mut events) {
            Ok(Progress::Done(_)) => log::info(format!("campaign {} is closed", doc.id)),
            Ok(Progress::Partial(state)) => log::info(format!(
                "campaign {}: {} of {} plan chunks issued; continuing next run",
                doc.id, state.next_chunk, state.chunks
            )),
            Ok(Progress::Busy) => log::debug(format!(
                "campaign {} is being closed by another run",
                doc.id
            )),
            Err(err) => log::error(format!(
                "closing campaign {} failed; the next run tries again: {err}",
                doc.id
            )),
        }
    }
    Ok(())
}

/// Tells the applicants of changed notices, within the same seconds as a closing run (see
/// [`crate::revise::announce`]).
pub fn announce_changes() -> Result<()> {
    let settings = Settings::load()?;
    crate::revise::announce::run(i64::from(settings.close_job_seconds))
}

pub fn recover_redemptions() -> Result<()> {
    let settings = Settings::load()?;
    let grace_ms = i64::from(settings.recovery_grace_seconds) * 1000;
    let outcome = redeem::recover(clock::now_ms(), grace_ms)?;
    if outcome.done + outcome.voided > 0 {
        log::info(format!(
            "pending redemptions: {} completed, {} voided, {} left for later",
            outcome.done, outcome.voided, outcome.left
        ));
    }
    Ok(())
}

pub fn retain_applications() -> Result<()> {
    let settings = Settings::load()?;
    let done = crate::retention::run(clock::now_ms(), settings.retention_days)?;
    if done != crate::retention::Retired::default() {
        log::info(format!(
            "retention: {} applications and {} documents deleted, {} campaigns retired",
            done.applications_deleted, done.documents_deleted, done.campaigns
        ));
    }
    Ok(())
}
