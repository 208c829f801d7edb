//! The coordination table ("tavolo di coordinamento") of an instance: members propose to
//! enable, disable or upgrade a plugin, change its settings or change the theme; the kernel
//! checks each proposal before the vote and shows the exact difference it would make; the
//! members vote under the instance's `[governance]` rules; an approved proposal is applied live
//! as an overlay on `instance.toml`.
//!
//! A decision is taken exactly once, even with several nodes and concurrent votes: each move of
//! a proposal (open → approved → applied) is a conditional update that only one request wins,
//! and a vote is stored and counted in the same transaction as the decision it may take.
//! Every step is in the audit log.

mod allocate;
mod draft;
mod value;
mod words;

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::sync::watch;

pub use crate::board::{Board, Choice, Member, Proposal, Status, count as count_votes};
pub use allocate::{KIND as ALLOCATE, Measures, Terms as Allocation, measures};
pub use draft::{Draft, KINDS, in_effect, parse_value, settings_package};
pub use value::{Fault, from_widget};
pub use words::{Words, plugin_title, setting_label};

use crate::board::{Cast, Claim, Decision, Finish, Verdict};

use crate::instance::{FailedUpgrade, Instance, InstanceError};
use crate::live::LiveInstance;

#[derive(Debug, thiserror::Error)]
pub enum GovernanceError {
    /// 422: the proposal or the vote breaks a rule; the refusal says which, in the member's
    /// words, and names the form field to fix.
    #[error("{0}")]
    Invalid(Refusal),
    /// 403
    #[error("only members of the coordination table can do this")]
    NotMember,
    /// 404
    #[error("there is no proposal #{0}")]
    NotFound(i64),
    /// 409
    #[error("{0}")]
    Conflict(String),
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("{0}")]
    Manifest(#[from] trama_manifest::Diagnostics),
}

/// Why the table cannot take a proposal or a vote: a sentence in the member's language and the
/// field of the form that must change, so the page puts the reason beside it (none when the
/// proposal as a whole is at fault: it would change nothing, or leave the instance broken).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub field: Option<&'static str>,
    pub message: String,
}

impl Refusal {
    /// A refusal of the form's `field`.
    pub fn at(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field),
            message: message.into(),
        }
    }

    /// A refusal of the whole proposal.
    pub fn whole(message: impl Into<String>) -> Self {
        Self {
            field: None,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<Refusal> for GovernanceError {
    fn from(refusal: Refusal) -> Self {
        Self::Invalid(refusal)
    }
}

/// The sender of the table's notifications: not a valid plugin name, so no plugin shares its
/// deduplication keys.
const SENDER: &str = "@governance";

/// The audit actor of kernel steps taken on nobody's behalf (the window closing).
const SYSTEM: Option<String> = None;

async fn audit(
    instance: &Instance,
    actor: Option<String>,
    action: &str,
    number: i64,
    detail: serde_json::Value,
) -> Result<(), sea_orm::DbErr> {
    crate::audit::append(
        &instance.db,
        crate::audit::Entry {
            instance: instance.id().to_owned(),
            actor,
            plugin: None,
            action: action.to_owned(),
            subject: format!("proposal/{number}"),
            detail: detail.to_string(),
        },
    )
    .await
}

/// `text` on one line of at most `max` bytes, cut on a character boundary.
fn one_line(text: &str, max: usize) -> String {
    let mut line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if line.len() > max {
        let mut end = max.saturating_sub('…'.len_utf8());
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        line.truncate(end);
        line.push('…');
    }
    line
}

/// Tells every member about a proposal, once per `key`.
/// A notice to the table: the catalogue keys of its subject and body (under
/// `governance_notice` in the theme's catalogues) and the values of their placeholders.
struct Notice<'a> {
    subject: &'a str,
    body: &'a str,
    args: &'a [(&'a str, String)],
}

impl Notice<'_> {
    /// Subject and body in `locale` (the member's choice, else the instance's language).
    fn words(&self, catalogues: &crate::theme::Catalogues, locale: &str) -> (String, String) {
        let words = Words { catalogues, locale };
        (
            words.say(self.subject, self.args),
            words.say(self.body, self.args),
        )
    }
}

/// Tells every member of the table, each in the language they chose on the site.
async fn tell_members(instance: &Instance, key: &str, notice: &Notice<'_>, number: i64) {
    let outbox = crate::notify::Outbox::new(instance.db.clone(), instance.id(), SENDER);
    let catalogues = instance.theme.catalogues();
    let board = Board::new(instance.db.clone(), instance.id());
    let members = match board.members().await {
        Ok(members) => members,
        Err(err) => {
            tracing::error!(%err, "could not list the table's members");
            return;
        }
    };
    for member in members {
        let chosen = crate::auth::users::locale(&instance.db, instance.id(), &member.user_id)
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        let (subject, body) = notice.words(&catalogues, &chosen);
        let message = crate::notify::Notification {
            recipient: member.user_id.clone(),
            subject: one_line(&subject, 200),
            body,
            key: format!("{key}/{}", member.user_id),
            link: Some(format!("/governance/proposals/{number}")),
        };
        if let Err(err) = outbox.send(message).await {
            tracing::warn!(%err, "could not notify a member");
        }
    }
}

/// Checks `draft` and opens it for votes; returns the stored proposal. A refusal is worded in
/// `locale`, the member's language.
pub async fn propose(
    live: &LiveInstance,
    member: &Member,
    draft: &Draft,
    locale: &str,
) -> Result<Proposal, GovernanceError> {
    let instance = live.current();
    let board = Board::new(instance.db.clone(), instance.id());
    let catalogues = instance.theme.catalogues();
    let words = Words {
        catalogues: &catalogues,
        locale,
    };
    // An allocation moves money: checked against the fund and the measures, not the manifest.
    let (changes, diff) = if draft.kind == allocate::KIND {
        allocate::check(&instance, draft, &words).await?
    } else {
        let changes = draft::changes(&instance, draft, &words)?;
        let before = board.overlay().await?;
        let after = draft::with_changes(&before, &changes, "this proposal")?;
        let diff = draft::check(&instance, &before, &after, &words)?;
        (changes, diff)
    };
    let now = crate::clock::now_ms();
    let window =
        i64::try_from(instance.manifest.governance.voting_window.as_millis()).unwrap_or(i64::MAX);
    let mut proposal = Proposal {
        number: 0,
        title: String::new(),
        kind: draft.kind.clone(),
        changes,
        diff,
        status: Status::Open,
        proposed_by: member.user_id.clone(),
        created_at: now,
        closes_at: now.saturating_add(window),
        decided_at: None,
        outcome: None,
    };
    // The title every member reads in lists and notices: what the proposal does, in the
    // instance's language, then why.
    let registry = trama_manifest::Registry::scan(&instance.manifest.registry.plugins)?;
    let shared = Words {
        catalogues: &catalogues,
        locale: &instance.manifest.instance.locale,
    };
    let title = shared.explain(&proposal, &registry);
    proposal.title = match draft.rationale.trim() {
        "" => title,
        rationale => format!("{title} — {rationale}"),
    };
    proposal.number = board.insert(&proposal).await?;
    audit(
        &instance,
        Some(member.user_id.clone()),
        "governance.proposed",
        proposal.number,
        json!({ "title": proposal.title, "kind": proposal.kind, "changes": proposal.changes, "organisation": member.organisation }),
    )
    .await?;
    tell_members(
        &instance,
        &format!("proposal/{}", proposal.number),
        &Notice {
            subject: "governance_notice.proposed_subject",
            body: "governance_notice.proposed_body",
            args: &[
                ("number", proposal.number.to_string()),
                ("title", proposal.title.clone()),
            ],
        },
        proposal.number,
    )
    .await;
    Ok(proposal)
}

/// Records a member's vote and decides the proposal if the votes settle it — both in one
/// transaction that holds the proposal, so no vote is stored after the decision and the
/// deciding tally counts every vote before it (see [`Board::cast`]).
pub async fn vote(
    live: &LiveInstance,
    member: &Member,
    number: i64,
    choice: Choice,
) -> Result<Proposal, GovernanceError> {
    let instance = live.current();
    let board = Board::new(instance.db.clone(), instance.id());
    if board.get(number).await?.is_none() {
        return Err(GovernanceError::NotFound(number));
    }
    let now = crate::clock::now_ms();
    let rules = &instance.manifest.governance;
    let voted = crate::audit::Entry {
        instance: instance.id().to_owned(),
        actor: Some(member.user_id.clone()),
        plugin: None,
        action: "governance.voted".into(),
        subject: format!("proposal/{number}"),
        detail: json!({ "choice": choice.as_str(), "organisation": member.organisation })
            .to_string(),
    };
    let decided = match board
        .cast(number, member, choice, now, rules, voted)
        .await?
    {
        Cast::Closed => {
            return Err(GovernanceError::Conflict(format!(
                "proposal #{number} is closed for votes"
            )));
        }
        Cast::AlreadyVoted => {
            return Err(GovernanceError::Conflict(format!(
                "you already voted on proposal #{number}"
            )));
        }
        Cast::Counted { decided } => decided,
    };
    if let Some(decision) = decided {
        announce(live, number, decision).await?;
    }
    board
        .get(number)
        .await?
        .ok_or(GovernanceError::NotFound(number))
}

/// Decides proposal `number` if its votes settle it (or, once `closed`, whatever they are); an
/// approved one is left to the governance worker to apply. Only one caller wins each decision.
pub async fn decide(live: &LiveInstance, number: i64, closed: bool) -> Result<(), GovernanceError> {
    let instance = live.current();
    let board = Board::new(instance.db.clone(), instance.id());
    let now = crate::clock::now_ms();
    if let Some(decision) = board
        .settle(number, &instance.manifest.governance, closed, now)
        .await?
    {
        announce(live, number, decision).await?;
    }
    Ok(())
}

/// What follows a decision (whose audit entry was written with it), done once by whoever took
/// it: the members' notifications and, if approved, waking the worker that applies it.
async fn announce(
    live: &LiveInstance,
    number: i64,
    decision: Decision,
) -> Result<(), GovernanceError> {
    let instance = live.current();
    let Decision { verdict, tally, .. } = decision;
    let subject = match verdict {
        Verdict::Approved => "governance_notice.approved_subject",
        Verdict::Rejected => "governance_notice.rejected_subject",
        Verdict::NoQuorum => "governance_notice.expired_subject",
    };
    tell_members(
        &instance,
        &format!("decided/{number}"),
        &Notice {
            subject,
            body: "governance_notice.decided_body",
            args: &[
                ("number", number.to_string()),
                ("approve", tally.approve.to_string()),
                ("reject", tally.reject.to_string()),
                ("abstain", tally.abstain.to_string()),
                ("members", tally.members.to_string()),
            ],
        },
        number,
    )
    .await;
    if verdict == Verdict::Approved {
        // Applied by the governance worker (`run_worker`), not here: a vote is a short
        // request, and applying may build plugins and run their install hooks.
        live.wake_governance();
    }
    Ok(())
}

/// How long a node may take to apply a proposal before another node takes over.
const APPLY_CLAIM: Duration = Duration::from_secs(15 * 60);

/// Applies approved proposal `number`: claims it (one proposal of the instance at a time, on
/// every node), re-checks it against what is in effect now, builds the instance with it and
/// swaps it in. If the re-check or the build fails (an upgrade hook refuses, a plugin no
/// longer links) the running version stays and the proposal is marked failed with the reason.
/// A database error gives the claim back, so the next pass tries again at once.
pub async fn apply(live: &LiveInstance, number: i64) -> Result<(), GovernanceError> {
    let _changing = live.lock_changes().await;
    let instance = live.current();
    let board = Board::new(instance.db.clone(), instance.id());
    let claim_until = crate::clock::now_ms()
        .saturating_add(i64::try_from(APPLY_CLAIM.as_millis()).unwrap_or(i64::MAX));
    let Some(claim) = board.claim_apply(number, claim_until).await? else {
        return Ok(());
    };
    let applied = apply_claimed(live, &instance, &board, number, claim).await;
    if applied.is_err()
        && let Err(err) = board.release_claim(number, claim).await
    {
        tracing::error!(proposal = number, %err, "governance: giving a claim back failed");
    }
    applied
}

/// [`apply`] once the claim is held.
async fn apply_claimed(
    live: &LiveInstance,
    instance: &Instance,
    board: &Board,
    number: i64,
    claim: Claim,
) -> Result<(), GovernanceError> {
    let proposal = board
        .get(number)
        .await?
        .ok_or(GovernanceError::NotFound(number))?;
    if proposal.kind == allocate::KIND {
        return allocate::apply(instance, board, number, claim, &proposal).await;
    }
    let outcome = proposal.outcome.clone().unwrap_or_else(|| json!({}));
    // Read before the overlay: if another node applies something meanwhile, the stale
    // generation makes the next refresh rebuild, instead of hiding that change for good.
    let generation = board.generation().await?;
    let current = board.overlay().await?;
    // The table voted on a difference; proposals applied since may have changed what this one
    // would do (or made it do nothing). Then it is not applied: it must be proposed again.
    // The outcome is read by every member: in the instance's own language.
    let catalogues = instance.theme.catalogues();
    let words = Words {
        catalogues: &catalogues,
        locale: catalogues.default_locale(),
    };
    let rechecked =
        draft::with_changes(&current, &proposal.changes, &format!("proposal #{number}"))
            .map_err(|err| err.to_string())
            .and_then(|overlay| {
                let diff = draft::check(instance, &current, &overlay, &words)
                    .map_err(|err| err.to_string())?;
                draft::same_changes(&proposal.diff, &diff).map(|()| overlay)
            });
    let built = match rechecked {
        Ok(overlay) => instance
            .reopen(&overlay, generation, FailedUpgrade::Refuse)
            .await
            .map_err(|err| failure_reason(&err)),
        Err(reason) => Err(format!(
            "since the vote, the configuration changed under this proposal: {reason}. \
             Propose it again so that the table votes on what it would do now."
        )),
    };
    let mut next = match built {
        Ok(next) => next,
        Err(reason) => return not_applied(instance, board, number, claim, outcome, reason).await,
    };
    match board
        .finish_applied(number, &outcome, generation, claim)
        .await?
    {
        Finish::Applied { generation } => next.generation = generation,
        // The claim ran out and another node took the proposal over.
        Finish::ClaimLost => return Ok(()),
        Finish::Stale => {
            // This claim ran out while another proposal was applied: give it back, so that
            // the next pass re-checks this one against what is in effect now.
            tracing::info!(instance = %instance.id(), proposal = number, "another proposal was applied meanwhile; re-checking");
            board.release_claim(number, claim).await?;
            live.wake_governance();
            return Ok(());
        }
    }
    live.replace(next);
    tracing::info!(instance = %instance.id(), proposal = number, "proposal applied");
    audit(
        instance,
        SYSTEM,
        "governance.applied",
        number,
        json!({ "changes": proposal.changes }),
    )
    .await?;
    Ok(())
}

/// Marks claimed proposal `number` failed with `reason`, audits it and tells the members.
async fn not_applied(
    instance: &Instance,
    board: &Board,
    number: i64,
    claim: Claim,
    mut outcome: serde_json::Value,
    reason: String,
) -> Result<(), GovernanceError> {
    tracing::warn!(instance = %instance.id(), proposal = number, %reason, "proposal could not be applied");
    outcome["error"] = json!(reason);
    if !board.fail_applying(number, &outcome, claim).await? {
        return Ok(());
    }
    audit(
        instance,
        SYSTEM,
        "governance.apply_failed",
        number,
        json!({ "error": reason }),
    )
    .await?;
    tell_members(
        instance,
        &format!("failed/{number}"),
        &Notice {
            subject: "governance_notice.failed_subject",
            body: "governance_notice.failed_body",
            args: &[("number", number.to_string()), ("reason", reason.clone())],
        },
        number,
    )
    .await;
    Ok(())
}

fn failure_reason(err: &InstanceError) -> String {
    match err {
        // Database details stay in the log.
        InstanceError::Database { instance, .. } => {
            format!("the database of `{instance}` failed")
        }
        other => other.to_string(),
    }
}

/// How often open proposals are checked against their window and other nodes' changes.
const WORKER_POLL: Duration = Duration::from_secs(2);

/// The governance worker of one instance: closes proposals whose window ended, applies
/// approved proposals (woken at once by the vote that approves one), finishes approvals a crash
/// interrupted, and picks up proposals other nodes applied, until `shutdown` flips.
pub async fn run_worker(live: Arc<LiveInstance>, mut shutdown: watch::Receiver<bool>) {
    loop {
        if let Err(err) = close_due(&live).await {
            tracing::error!(%err, "governance: closing proposals failed");
        }
        if let Err(err) = live.refresh().await {
            tracing::error!(%err, "governance: catching up with applied proposals failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(WORKER_POLL) => {}
            _ = live.governance_woken() => {}
            _ = shutdown.changed() => return,
        }
    }
}

async fn close_due(live: &LiveInstance) -> Result<(), GovernanceError> {
    let instance = live.current();
    let board = Board::new(instance.db.clone(), instance.id());
    let now = crate::clock::now_ms();
    // Each proposal on its own: one that fails must not hold up the others.
    for proposal in board.with_status(Status::Open).await? {
        if let Err(err) = decide(live, proposal.number, proposal.closes_at <= now).await {
            tracing::error!(proposal = proposal.number, %err, "governance: deciding failed");
        }
    }
    // In the order the table decided them, so that of two conflicting approvals the later
    // one is the one found out of date.
    let mut approved = board.with_status(Status::Approved).await?;
    approved.sort_by_key(|proposal| (proposal.decided_at, proposal.number));
    let interrupted = board.with_status(Status::Applying).await?;
    for proposal in approved.into_iter().chain(interrupted) {
        if let Err(err) = apply(live, proposal.number).await {
            tracing::error!(proposal = proposal.number, %err, "governance: applying failed");
        }
    }
    Ok(())
}
