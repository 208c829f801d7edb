//! Closing a campaign: rank the eligible applications, fund them in order within the budget,
//! issue the vouchers and record every euro in the ledger — resumably, so that a campaign of
//! 100,000 applications closes across several job runs and a run cut short (a deadline, a
//! crash) never issues anything twice.
//!
//! The campaign document carries the progress (`close`), and each step is safe to repeat:
//!
//! 1. **Start**: `active` → `closing`. Applications and reviews are refused from now on, so
//!    the set being ranked cannot change under the ranking.
//! 2. **Rank** (one call): the budget is funded if it is not yet (idempotent); the beneficiary
//!    tax codes of the excluded campaigns and the campaign's eligible applications are read
//!    page by page (at most 1000 documents per query) into 72-byte tuples; [`rank`] orders and
//!    assigns them; the result, the *plan*, is written in chunks of 5000 entries to
//!    `close_plans/{campaign}-{chunk}` and the phase becomes `issue`. A repeated rank phase
//!    writes the same plan.
//! 3. **Issue** (many calls): the plan is walked in groups of 25 applications from the saved
//!    cursor. For each group, one atomic store batch marks each application (`beneficiary`
//!    with its voucher codes, or `not_funded`/`ineligible` with the reason) and creates the
//!    voucher documents; then the voucher accounts are opened and one ledger `transfer_all`
//!    moves `campaign/{id}/budget` → `voucher/{code}` for every voucher, under the idempotency
//!    key `issue/{campaign}/{tax code}/{n}`; then `vouchers.voucher_issued` is published once
//!    per funded application, listing its vouchers; then the cursor is saved. A group replayed
//!    after a crash finds its applications already marked, reuses their codes, and the ledger
//!    replays the transfers instead of paying twice (its events are published again: delivery
//!    is at least once, and subscribers key on the application id). A campaign paying by
//!    transfer makes payment orders instead of vouchers, the same way: created with the
//!    application's batch under deterministic ids, their money moved `campaign/{id}/budget` →
//!    `campaign/{id}/transfers` under `order/{order id}` (see [`crate::transfer`]).
//! 4. **Done**: leftovers (an application that slipped in while the closing started) are
//!    marked `not_funded`, the campaign becomes `closed`, and `campaign.closed` is audited.
//!
//! Each saved step is committed at once (`store::checkpoint`; a plugin call is otherwise one
//! transaction), so a run cut short keeps every step it saved. A run stops early, with its
//! place saved, when the clock passes its deadline or when one more group could exceed the
//! events a call may publish (the kernel allows 1000; a run keeps to [`MAX_EVENTS`]), so about
//! 900 beneficiaries are issued per run. A group that fails also ends the run *successfully*,
//! with the error logged, so that what the group wrote before failing is kept for the next run
//! to replay (idempotently) rather than half rolled back.
//!
//! Two runs never work on one campaign at once: a run takes a lease (`lease_until`) with an
//! optimistic write of the campaign, and every later write of the campaign expects the version
//! it wrote last, so a run that lost its lease stops at its next save.
//!
//! [`rank`]: crate::rank

use serde::{Deserialize, Serialize};
use trama_sdk::ledger::{self, AccountKind, TransferRequest};
use trama_sdk::store::{Batch, Collection, Doc};
use trama_sdk::{Error, Result, audit, clock, log, store};

use crate::application::{APPLICATIONS, IssuedVoucher, Status, application_id};
use crate::campaign::{CAMPAIGNS, Campaign, State};
use crate::payment::Method;
use crate::tally::{self, Move};
use crate::{transfer, voucher};

mod plan;
mod settle;
#[cfg(test)]
mod tests;

use plan::rank_phase;
use settle::{Titles, settle, sweep, system_step};

/// Entries per plan document (about 300 KB of JSON, under the 1 MiB document limit); also the
/// rows of one part of the beneficiaries' export, which reads one plan document.
pub const CHUNK: usize = 5000;
/// Applications per store batch and ledger `transfer_all` while issuing.
const GROUP: usize = 25;
/// Documents per store query (the kernel's maximum).
const PAGE: u32 = 1000;
/// Attempts at a group whose batch conflicts (a voucher code drawn twice, a concurrent run).
const GROUP_ATTEMPTS: usize = 3;
/// Published once per funded application, listing its vouchers.
/// Events one call publishes at most while issuing (the kernel refuses the 1001st).
pub const MAX_EVENTS: usize = 900;

pub const PLANS: Collection<Plan> = Collection::new("close_plans");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosePhase {
    Rank,
    Issue,
    Done,
}

/// The progress of a closing, kept in the campaign document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseState {
    pub phase: ClosePhase,
    pub requested_at: i64,
    /// Username, or `job`.
    pub requested_by: String,
    /// Unix ms until which a run owns the closing.
    #[serde(default)]
    pub lease_until: i64,
    /// Plan documents written by the rank phase.
    #[serde(default)]
    pub chunks: u32,
    /// The issue phase's cursor: the plan document and the entry in it.
    #[serde(default)]
    pub next_chunk: u32,
    #[serde(default)]
    pub next_entry: u32,
    /// Eligible applications ranked.
    #[serde(default)]
    pub ranked: u32,
    #[serde(default)]
    pub funded: u32,
    #[serde(default)]
    pub not_funded: u32,
    /// Eligible applications excluded as beneficiaries of an excluded campaign, plus
    /// applications whose review was not finished.
    #[serde(default)]
    pub excluded: u32,
    /// What the funded applications receive in total, in cents.
    #[serde(default)]
    pub committed_cents: i64,
    /// Moved to vouchers so far, in cents.
    #[serde(default)]
    pub issued_cents: i64,
    #[serde(default)]
    pub vouchers_issued: u32,
    #[serde(default)]
    pub finished_at: Option<i64>,
}

/// One chunk of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub entries: Vec<PlanEntry>,
}

/// What the closing does to one application; short names keep 5000 of them small.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanEntry {
    #[serde(rename = "t")]
    pub tax_code: String,
    #[serde(rename = "o")]
    pub outcome: Outcome,
    /// Position in the ranking from 1; 0 for applications not ranked.
    #[serde(rename = "r", default)]
    pub rank: u32,
    #[serde(rename = "a", default)]
    pub amount_cents: i64,
    /// The excluded campaign the applicant already benefits from.
    #[serde(rename = "x", default, skip_serializing_if = "Option::is_none")]
    pub excluded_by: Option<String>,
    /// The application's id; empty for an application from before 1.3, whose id is
    /// `{campaign}-{tax code}`.
    #[serde(rename = "i", default, skip_serializing_if = "String::is_empty")]
    pub application: String,
}

impl PlanEntry {
    /// The id of the application this entry settles.
    pub fn application_id(&self, campaign: &str) -> String {
        if self.application.is_empty() {
            application_id(campaign, &self.tax_code)
        } else {
            self.application.clone()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    #[serde(rename = "f")]
    Funded,
    #[serde(rename = "n")]
    NotFunded,
    /// Already a beneficiary of an excluded campaign.
    #[serde(rename = "x")]
    Excluded,
    /// Still under review at the closing.
    #[serde(rename = "u")]
    Unresolved,
}

/// What a run achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// The campaign is closed.
    Done(CloseState),
    /// Time or the call's events ran out, or a group failed (logged); the next run continues
    /// from the saved cursor.
    Partial(CloseState),
    /// Another run holds the lease.
    Busy,
}

/// The id of plan chunk `chunk` of `campaign`.
pub fn plan_id(campaign: &str, chunk: u32) -> String {
    format!("{campaign}-{chunk:05}")
}

fn state_of(doc: &Doc<Campaign>) -> Result<&CloseState> {
    doc.data.close.as_ref().ok_or_else(|| {
        Error::internal(format!(
            "campaign {} is {:?} without a closing state",
            doc.id, doc.data.state
        ))
    })
}

fn state_mut(doc: &mut Doc<Campaign>) -> Result<&mut CloseState> {
    let id = doc.id.clone();
    doc.data
        .close
        .as_mut()
        .ok_or_else(|| Error::internal(format!("campaign {id} has no closing state")))
}

/// Writes the campaign expecting the version this run wrote last, and commits everything the
/// run did up to here (`store::checkpoint`): a call is one transaction, and a closing is many
/// steps, each of which must stay done even if a later one fails or the run is stopped, and
/// none of which may hold the database (other people's writes wait) for the whole run.
fn save(doc: &mut Doc<Campaign>) -> Result<()> {
    doc.version = CAMPAIGNS
        .put_if_version(&doc.id, &doc.data, doc.version)
        .map_err(|err| match err {
            Error::Conflict(_) => Error::conflict(format!(
                "campaign {} changed during its closing (another run took over); stopping here",
                doc.id
            )),
            other => other,
        })?;
    store::checkpoint()
}

/// Starts closing campaign `id` (idempotent: a campaign already closing or closed is
/// returned as it is). Audited as `campaign.close_started`.
pub fn start(id: &str, requested_by: &str, now: i64) -> Result<Doc<Campaign>> {
    let mut doc = CAMPAIGNS
        .get(id)?
        .ok_or_else(|| Error::not_found(format!("there is no campaign with id `{id}`")))?;
    if doc.data.state != State::Active {
        return Ok(doc);
    }
    doc.data.state = State::Closing;
    doc.data.close = Some(CloseState {
        phase: ClosePhase::Rank,
        requested_at: now,
        requested_by: requested_by.to_owned(),
        lease_until: 0,
        chunks: 0,
        next_chunk: 0,
        next_entry: 0,
        ranked: 0,
        funded: 0,
        not_funded: 0,
        excluded: 0,
        committed_cents: 0,
        issued_cents: 0,
        vouchers_issued: 0,
        finished_at: None,
    });
    save(&mut doc)?;
    audit::record(
        "campaign.close_started",
        id,
        &serde_json::json!({ "requested_by": requested_by }),
    )?;
    Ok(doc)
}

/// Works on the closing of campaign `id` until it is done, the clock passes `deadline` (Unix
/// ms) or `events_budget` events are published. `lease_ms` is how long other runs keep off: at
/// least the kernel's deadline for this call, so a run stopped by the kernel cannot overlap the
/// next one. The events this run published are subtracted from `events_budget`.
pub fn advance(
    id: &str,
    deadline: i64,
    lease_ms: i64,
    events_budget: &mut usize,
) -> Result<Progress> {
    let mut doc = CAMPAIGNS
        .get(id)?
        .ok_or_else(|| Error::not_found(format!("there is no campaign with id `{id}`")))?;
    match doc.data.state {
        State::Active => {
            return Err(Error::internal(format!(
                "campaign {id} must be started before it is advanced"
            )));
        }
        State::Closed => return Ok(Progress::Done(state_of(&doc)?.clone())),
        State::Cancelled => {
            return Err(Error::conflict(format!(
                "campaign {id} was withdrawn: it is never ranked nor paid"
            )));
        }
        State::Closing => {}
    }
    let now = clock::now_ms();
    if state_of(&doc)?.lease_until > now {
        return Ok(Progress::Busy);
    }
    state_mut(&mut doc)?.lease_until = now + lease_ms;
    match save(&mut doc) {
        Ok(()) => {}
        Err(Error::Conflict(_)) => return Ok(Progress::Busy),
        Err(err) => return Err(err),
    }

    let done = loop {
        match state_of(&doc)?.phase {
            ClosePhase::Rank => rank_phase(&mut doc)?,
            ClosePhase::Issue => {
                if !issue_phase(&mut doc, deadline, events_budget)? {
                    break false;
                }
            }
            ClosePhase::Done => break true,
        }
        if clock::now_ms() > deadline && state_of(&doc)?.phase != ClosePhase::Done {
            break false;
        }
    };
    state_mut(&mut doc)?.lease_until = 0;
    save(&mut doc)?;
    let state = state_of(&doc)?.clone();
    Ok(if done {
        Progress::Done(state)
    } else {
        Progress::Partial(state)
    })
}

/// The few fields of an application that ranking reads; the rest of the JSON is skipped.
/// Walks the plan from the cursor until it ends (`true`), the clock passes `deadline`, one more
/// group could overrun `events_budget`, or a group fails (logged, so the run still succeeds).
fn issue_phase(doc: &mut Doc<Campaign>, deadline: i64, events_budget: &mut usize) -> Result<bool> {
    let mut titles = Titles::default();
    // Printed before the voucher codes in the messages to beneficiaries.
    let prefix = crate::config::Settings::load()?.voucher_code_prefix;
    loop {
        let state = state_of(doc)?;
        if state.next_chunk >= state.chunks {
            break;
        }
        let chunk = state.next_chunk;
        let plan = PLANS.get(&plan_id(&doc.id, chunk))?.ok_or_else(|| {
            Error::internal(format!(
                "plan chunk {chunk} of campaign {} is missing",
                doc.id
            ))
        })?;
        loop {
            let start = usize::try_from(state_of(doc)?.next_entry).unwrap_or(usize::MAX);
            if start >= plan.data.entries.len() {
                break;
            }
            // A funded application publishes two events (its vouchers, its decision).
            if *events_budget < 2 * GROUP {
                return Ok(false);
            }
            let end = (start + GROUP).min(plan.data.entries.len());
            let entries = &plan.data.entries[start..end];
            let done = match issue_group(&doc.id, &doc.data, entries, &mut titles, &prefix) {
                Ok(done) => done,
                Err(err) => {
                    log::error(format!(
                        "closing {}: entries {start}..{end} of plan chunk {chunk} failed; \
                         the next run retries them: {err}",
                        doc.id
                    ));
                    return Ok(false);
                }
            };
            *events_budget = events_budget.saturating_sub(done.events);
            let state = state_mut(doc)?;
            state.next_entry = u32::try_from(end).unwrap_or(u32::MAX);
            state.issued_cents += done.issued_cents;
            state.vouchers_issued += done.vouchers;
            save(doc)?;
            if clock::now_ms() > deadline {
                return Ok(false);
            }
        }
        let state = state_mut(doc)?;
        state.next_chunk += 1;
        state.next_entry = 0;
        save(doc)?;
    }
    sweep(&doc.id, &doc.data.title)?;
    let now = clock::now_ms();
    doc.data.state = State::Closed;
    let state = state_mut(doc)?;
    state.phase = ClosePhase::Done;
    state.finished_at = Some(now);
    let summary = serde_json::json!({
        "ranked": state.ranked,
        "funded": state.funded,
        "not_funded": state.not_funded,
        "excluded": state.excluded,
        "committed_cents": state.committed_cents,
        "issued_cents": state.issued_cents,
        "vouchers_issued": state.vouchers_issued,
    });
    save(doc)?;
    audit::record("campaign.closed", &doc.id, &summary)?;
    log::info(format!("campaign {} closed: {summary}", doc.id));
    Ok(true)
}

/// What one group moved.
struct GroupDone {
    issued_cents: i64,
    vouchers: u32,
    events: usize,
}

/// Marks one group of applications and issues their vouchers (see the module documentation).
fn issue_group(
    campaign_id: &str,
    campaign: &Campaign,
    entries: &[PlanEntry],
    titles: &mut Titles,
    prefix: &str,
) -> Result<GroupDone> {
    for attempt in 1..=GROUP_ATTEMPTS {
        let now = clock::now_ms();
        let mut batch = Batch::new();
        // Status changes, counted in the same batch (see `tally`).
        let mut moves: Vec<(String, Status, Status)> = Vec::new();
        let mut transfers: Vec<TransferRequest> = Vec::new();
        // The funded applications (id, citizen's account, vouchers), for the events.
        // (application, account, ISEE in cents, vouchers)
        type Funded = (String, Option<String>, Option<i64>, Vec<IssuedVoucher>);
        let mut funded: Vec<Funded> = Vec::new();
        // Each application's outcome as written, to tell its applicant (see `notice`).
        let mut outcomes: Vec<(String, crate::application::Application)> = Vec::new();
        // Transfer orders among `transfers` (the rest put money on vouchers).
        let mut orders = 0;
        for entry in entries {
            let app_id = entry.application_id(campaign_id);
            let Some(app) = APPLICATIONS.get(&app_id)? else {
                log::warn(format!(
                    "closing {campaign_id}: application {app_id} vanished; skipped"
                ));
                continue;
            };
            match entry.outcome {
                Outcome::Funded if campaign.payment.method == Method::Transfer => {
                    // Payment orders instead of vouchers (see `transfer`); no voucher event.
                    let lines = if app.data.status == Status::Beneficiary {
                        outcomes.push((app_id.clone(), app.data.clone()));
                        app.data.transfers.clone()
                    } else {
                        let orders = transfer::draw(
                            campaign_id,
                            campaign,
                            &app_id,
                            &app.data,
                            entry.amount_cents,
                            now,
                        )?;
                        let mut next = app.data.clone();
                        next.status = Status::Beneficiary;
                        next.rank = Some(entry.rank);
                        next.transfers = transfer::lines(&orders);
                        next.updated_at = now;
                        next.history.push(system_step(now, "funded"));
                        batch.put_if_version(&APPLICATIONS, &app_id, &next, app.version);
                        moves.push((entry.tax_code.clone(), app.data.status, Status::Beneficiary));
                        transfer::store_new(&mut batch, &orders);
                        outcomes.push((app_id.clone(), next.clone()));
                        next.transfers
                    };
                    orders += lines.len();
                    transfers.extend(transfer::funding(campaign_id, &lines, ""));
                }
                Outcome::Funded => {
                    let vouchers = if app.data.status == Status::Beneficiary {
                        outcomes.push((app_id.clone(), app.data.clone()));
                        app.data.vouchers.clone()
                    } else {
                        let vouchers = voucher::draw(campaign, entry.amount_cents, now);
                        let mut next = app.data.clone();
                        next.status = Status::Beneficiary;
                        next.rank = Some(entry.rank);
                        next.vouchers = vouchers.clone();
                        next.updated_at = now;
                        next.history.push(system_step(now, "funded"));
                        batch.put_if_version(&APPLICATIONS, &app_id, &next, app.version);
                        outcomes.push((app_id.clone(), next.clone()));
                        moves.push((entry.tax_code.clone(), app.data.status, Status::Beneficiary));
                        voucher::store_new(
                            &mut batch,
                            campaign_id,
                            &app_id,
                            app.data.user_id.as_ref(),
                            &vouchers,
                            now,
                        );
                        vouchers
                    };
                    transfers.extend(voucher::funding(
                        campaign_id,
                        &entry.tax_code,
                        &app_id,
                        &vouchers,
                        "",
                    ));
                    funded.push((
                        app_id.clone(),
                        app.data.user_id.clone(),
                        app.data.answers.isee_cents,
                        vouchers,
                    ));
                }
                Outcome::NotFunded | Outcome::Excluded | Outcome::Unresolved => {
                    if let Some(next) = settle(&app.data, entry, titles, now)? {
                        batch.put_if_version(&APPLICATIONS, &app_id, &next, app.version);
                        moves.push((entry.tax_code.clone(), app.data.status, next.status));
                        outcomes.push((app_id.clone(), next));
                    }
                }
            }
        }
        let moves: Vec<Move<'_>> = moves
            .iter()
            .map(|(tax_code, from, to)| Move {
                tax_code,
                from: Some(*from),
                to: *to,
            })
            .collect();
        tally::push(&mut batch, campaign_id, &moves)?;
        if !batch.is_empty() {
            match batch.commit() {
                Ok(_) => {}
                Err(Error::Conflict(message)) if attempt < GROUP_ATTEMPTS => {
                    log::warn(format!(
                        "closing {campaign_id}: a group conflicted ({message}); trying again"
                    ));
                    continue;
                }
                Err(err) => return Err(err),
            }
        }
        for transfer in &transfers {
            ledger::open(&transfer.to, AccountKind::Funded)?;
        }
        if !transfers.is_empty() {
            ledger::transfer_all(&transfers).map_err(|err| {
                Error::internal(format!(
                    "closing {campaign_id}: the vouchers could not be paid from the budget: {err}"
                ))
            })?;
        }
        for (application, user_id, isee, vouchers) in &funded {
            voucher::announce(campaign_id, application, user_id.as_ref(), *isee, vouchers)?;
        }
        for (id, app) in &outcomes {
            crate::notice::outcome(id, app, &campaign.title, prefix);
            crate::publish::decided(id, app)?;
        }
        return Ok(GroupDone {
            issued_cents: transfers.iter().map(|t| t.amount_cents).sum(),
            vouchers: u32::try_from(transfers.len() - orders).unwrap_or(u32::MAX),
            events: funded.len() + outcomes.len(),
        });
    }
    Err(Error::conflict(format!(
        "closing {campaign_id}: a group kept conflicting; the next run will try again"
    )))
}

/// What the closing looks like for pages and the API.
pub fn summary(state: &CloseState, lang: trama_sdk::i18n::Lang) -> serde_json::Value {
    use trama_sdk::money::format_cents;
    serde_json::json!({
        "phase": state.phase,
        "ranked": state.ranked,
        "funded": state.funded,
        "not_funded": state.not_funded,
        "excluded": state.excluded,
        "committed_cents": state.committed_cents,
        "committed_text": format_cents(state.committed_cents, lang),
        "issued_cents": state.issued_cents,
        "issued_text": format_cents(state.issued_cents, lang),
        "vouchers_issued": state.vouchers_issued,
        "finished_at": state.finished_at,
    })
}
