//! What applications and proceedings share as cases the committee votes on: a change retried
//! when another one wins the race to write, the votes and declared conflicts, the decision, and
//! what the deadlines job finds due on a ballot.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use trama_sdk::store::{Cmp, Collection, Doc};
use trama_sdk::{Error, Result, audit, store};

use crate::application::{Settled, Step};
use crate::ballot::{Ballot, Choice, Outcome, Vote};
use crate::config::Settings;
use crate::conflict::Declared;
use crate::decision::{ClosedBy, Decision};
use crate::notice::{self, Message};
use crate::roster::{Electorate, Member, MemberRef};

/// A case as the steps below see it. Applications and proceedings vote, declare conflicts and
/// decide by the same rules; only how each stores its outcome differs, so the rules are
/// written once here and each kind of case says where its parts are.
pub trait Case {
    /// The case's ballot, its declared conflicts and its history, to change together.
    fn parts(&mut self) -> (&mut Ballot, &mut Vec<Declared>, &mut Vec<Step>);
    /// Stores the decision taken at `now`: the status that `outcome` gives this kind of case,
    /// and the `decision` itself.
    fn close(&mut self, outcome: Outcome, decision: Decision, now: i64);
}

/// Casts `member`'s vote on `case` and writes it in the history (`voted`, or `vote_changed`
/// when it replaces an earlier vote); answers the choice it replaced, if any.
pub fn cast(
    case: &mut impl Case,
    member: &Doc<Member>,
    choice: Choice,
    reason: Option<String>,
    now: i64,
) -> Option<Choice> {
    let (ballot, _, history) = case.parts();
    let previous = ballot.cast(Vote {
        member: member.id.clone(),
        name: member.data.display_name.clone(),
        choice,
        reason,
        at: now,
    });
    let action = if previous.is_some() {
        "vote_changed"
    } else {
        "voted"
    };
    history.push(Step::new(now, &member.data.display_name, action, None));
    previous
}

/// Records `member`'s declared conflict of interest on `case` and takes back their vote:
/// answers whether there was a vote to take back, or `None` when the member had declared a
/// conflict already (each kind of case words that refusal itself).
pub fn declare(case: &mut impl Case, member: &Doc<Member>, note: &str, now: i64) -> Option<bool> {
    let (ballot, conflicts, _) = case.parts();
    if conflicts.iter().any(|d| d.member == member.id) {
        return None;
    }
    conflicts.push(Declared {
        member: member.id.clone(),
        name: member.data.display_name.clone(),
        note: note.to_owned(),
        at: now,
    });
    Some(ballot.withdraw(&member.id))
}

/// Decides `case` with `outcome`, as `electorate` voted: the decision, with its count, is
/// written in the case and in its history, taken by the committee's votes or, when the window
/// closed, by the deadlines job (`sistema`).
pub fn decide(
    case: &mut impl Case,
    outcome: Outcome,
    electorate: Electorate,
    closed_by: ClosedBy,
    settings: &Settings,
    now: i64,
) {
    let (ballot, _, history) = case.parts();
    let decision = Decision::new(outcome, ballot, electorate, settings.rule, closed_by, now);
    let actor = match closed_by {
        ClosedBy::Votes => "comitato",
        ClosedBy::Window => "sistema",
    };
    history.push(Step::new(
        now,
        actor,
        "decided",
        Some(outcome.key().to_owned()),
    ));
    case.close(outcome, decision, now);
}

/// Decides `case` at once when the votes of `electorate` already make the outcome certain
/// (after a vote, or after a declared conflict shrank the electorate).
pub fn decide_if_certain(
    case: &mut impl Case,
    electorate: Electorate,
    settings: &Settings,
    now: i64,
) {
    if let Some(outcome) = certain(case.parts().0, &electorate, settings) {
        decide(case, outcome, electorate, ClosedBy::Votes, settings, now);
    }
}

/// The deadlines job's step on a case whose vote is open (see [`due`]): nothing to write
/// (`None`), another voting window opened and noted in the history, or the case decided.
pub fn settle(
    case: &mut impl Case,
    electorate: Electorate,
    settings: &Settings,
    now: i64,
) -> Option<Settled> {
    let (ballot, _, history) = case.parts();
    match due(ballot, &electorate, settings, now) {
        Due::Nothing => None,
        Due::NewRound => {
            next_round(ballot, settings, now);
            let round = ballot.round.to_string();
            history.push(Step::new(now, "sistema", "new_round", Some(round)));
            Some(Settled::NewRound)
        }
        Due::Decide(outcome, by) => {
            decide(case, outcome, electorate, by, settings, now);
            Some(Settled::Decided(outcome))
        }
    }
}

/// Audits the voting window [`settle`] opened on case `id` and tells `voters` of it with
/// `message`; `kind` (`application`, `motion`) names the kind of case in the audit and in the
/// notices' keys, one key a round so that each round is told once.
pub fn announce_round(
    kind: &str,
    id: &str,
    ballot: &Ballot,
    voters: &[MemberRef],
    message: impl Fn() -> Message,
) -> Result<()> {
    audit::record(
        &format!("{kind}.round_opened"),
        id,
        &json!({ "round": ballot.round, "closes_at": ballot.closes_at }),
    )?;
    notice::send_to_members(
        voters,
        &format!("{kind}/{id}/round/{}", ballot.round),
        &message,
    );
    Ok(())
}

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

/// What a vote on case `id` wrote (see [`cast`]): the case as stored, once the vote is
/// audited. A vote always changes the case, so a change that wrote nothing is a fault.
pub fn voted<C>(
    id: &str,
    member: &Doc<Member>,
    choice: Choice,
    written: Option<(Doc<C>, Option<Choice>)>,
) -> Result<Doc<C>> {
    let (doc, previous) = written.ok_or_else(|| Error::internal("a vote changed nothing"))?;
    audit_vote(id, member, choice, previous)?;
    Ok(doc)
}

/// Audits a vote cast on case `id`, or changed from `previous`.
fn audit_vote(
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

/// The cases in `cases` whose status is `status`, the nearest deadline first: what the
/// deadlines job and the committee's page list.
pub fn with_status<T: Serialize + DeserializeOwned>(
    cases: &Collection<T>,
    status: &str,
    limit: u32,
) -> Result<Vec<Doc<T>>> {
    cases
        .query()
        .filter("status", Cmp::Eq, status)
        .order_by("ballot.closes_at")
        .limit(limit)
        .fetch()
}

/// The ids of the cases in `cases` whose vote is open (`status` = `voting`), the nearest
/// deadline first: what the deadlines job looks at.
pub fn voting<T: Serialize + DeserializeOwned>(
    cases: &Collection<T>,
    limit: u32,
) -> Result<Vec<String>> {
    Ok(with_status(cases, "voting", limit)?
        .into_iter()
        .map(|d| d.id)
        .collect())
}
