//! What applications and proceedings share as cases the committee votes on: a change retried
//! when another one wins the race to write, and what the deadlines job finds due on a ballot.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use trama_sdk::store::{Cmp, Collection, Doc};
use trama_sdk::{Error, Result, audit, store};

use crate::ballot::{Ballot, Choice, Outcome};
use crate::config::Settings;
use crate::decision::ClosedBy;
use crate::roster::{Electorate, Member};

/// Runs a read-check-write `attempt` again while its write loses a race
/// ([`store::retry`]), and names the case in the person's words (`busy`) if it still loses.
///
/// `attempt` answers `Ok(Err(refusal))` for its own refusals (a closed vote, a duplicate
/// declaration): they are the answer, not a race, and are returned at once as they are.
pub fn retried<T>(busy: &str, attempt: impl FnMut() -> Result<Result<T>>) -> Result<T> {
    store::retry(attempt).map_err(|err| match err {
        Error::Conflict(_) => Error::conflict(busy),
        other => other,
    })?
}

/// A change [`change`] wrote: the case as stored, what the step returned, whether the change
/// closed the case, and what closing it did (`effect`: a register entry written, say).
pub struct Written<C, T, W> {
    pub doc: Doc<C>,
    pub value: T,
    pub closed: bool,
    pub effect: W,
}

/// One step on a case: `load` it, let `apply` change it (`None`: nothing to write; an error:
/// the step is refused, and nothing is written), and `commit` it — told whether the step
/// closed the case (`is_open` before and not after), because closing writes more in the same
/// batch. Retried when the write loses a race ([`retried`]); `busy` names the case if it
/// keeps losing.
pub fn change<C, T, W>(
    busy: &str,
    load: impl Fn() -> Result<Doc<C>>,
    is_open: impl Fn(&C) -> bool,
    mut apply: impl FnMut(&mut C) -> Result<Option<T>>,
    mut commit: impl FnMut(&mut Doc<C>, bool) -> Result<W>,
) -> Result<Option<Written<C, T, W>>> {
    retried(busy, || {
        let mut doc = load()?;
        let was_open = is_open(&doc.data);
        let value = match apply(&mut doc.data) {
            Ok(Some(value)) => value,
            Ok(None) => return Ok(Ok(None)),
            Err(refused) => return Ok(Err(refused)),
        };
        let closed = was_open && !is_open(&doc.data);
        let effect = commit(&mut doc, closed)?;
        Ok(Ok(Some(Written {
            doc,
            value,
            closed,
            effect,
        })))
    })
}

/// What is due on an open ballot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Nothing yet: the window is open and the rule not met.
    Nothing,
    /// The window closed without quorum and rounds remain: open another one.
    NewRound,
    /// The rule is met, by the votes or by the window closing.
    Decide(Outcome, ClosedBy),
}

/// What the deadlines job does with `ballot` at `now`, counting the votes of `electorate`.
pub fn due(ballot: &Ballot, electorate: &Electorate, settings: &Settings, now: i64) -> Due {
    let closed = now >= ballot.closes_at;
    let count = ballot.count(&electorate.ids());
    match settings.rule.verdict(count, closed) {
        None => Due::Nothing,
        Some(Outcome::NoQuorum) if ballot.round < settings.voting_rounds => Due::NewRound,
        Some(outcome) if closed => Due::Decide(outcome, ClosedBy::Window),
        Some(outcome) => Due::Decide(outcome, ClosedBy::Votes),
    }
}

/// Opens the next voting window on `ballot`.
pub fn next_round(ballot: &mut Ballot, settings: &Settings, now: i64) {
    ballot.round += 1;
    ballot.closes_at = now.saturating_add(settings.voting_window.as_ms());
}

/// The outcome the votes already make certain while the window is open (after a vote, or after
/// a declared conflict shrank the electorate).
pub fn certain(ballot: &Ballot, electorate: &Electorate, settings: &Settings) -> Option<Outcome> {
    settings
        .rule
        .verdict(ballot.count(&electorate.ids()), false)
}

/// Audits a vote that `member` tries to cast despite a conflict of interest in `electorate`:
/// the refusal itself comes from the change, which a refused vote never writes.
pub fn audit_refused(id: &str, member: &Doc<Member>, electorate: &Electorate) -> Result<()> {
    match electorate.conflict_of(&member.id) {
        Some(conflict) => audit::record(
            "vote.refused",
            id,
            &json!({ "member": member.data.username, "conflict": conflict }),
        ),
        None => Ok(()),
    }
}

/// Audits a vote cast on case `id`, or changed from `previous`.
pub fn audit_vote(
    id: &str,
    member: &Doc<Member>,
    choice: Choice,
    previous: Option<Choice>,
) -> Result<()> {
    audit::record(
        if previous.is_some() {
            "vote.changed"
        } else {
            "vote.cast"
        },
        id,
        &json!({ "member": member.data.username, "choice": choice, "previous": previous }),
    )
}

/// Audits a conflict of interest declared on case `id`; `withdrawn`: the member's vote was
/// taken back.
pub fn audit_conflict(id: &str, member: &Doc<Member>, note: &str, withdrawn: bool) -> Result<()> {
    audit::record(
        "conflict.declared",
        id,
        &json!({ "member": member.data.username, "note": note, "vote_withdrawn": withdrawn }),
    )
}

/// The ids of the cases in `cases` whose vote is open (`status` = `voting`), the nearest
/// deadline first: what the deadlines job looks at.
pub fn voting<T: Serialize + DeserializeOwned>(
    cases: &Collection<T>,
    limit: u32,
) -> Result<Vec<String>> {
    Ok(cases
        .query()
        .filter("status", Cmp::Eq, "voting")
        .order_by("ballot.closes_at")
        .limit(limit)
        .fetch()?
        .into_iter()
        .map(|d| d.id)
        .collect())
}
