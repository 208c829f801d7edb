//! The steps on an open proceeding: the members' votes and declared conflicts, the provider's
//! statement in its defence.

use serde_json::json;
use trama_sdk::identity::User;
use trama_sdk::input::Problems;
use trama_sdk::store::Doc;
use trama_sdk::{Error, Result, audit, t};

use crate::application::{Step, check_text};
use crate::ballot::Choice;
use crate::case::{self};
use crate::config::Settings;
use crate::provider::{self};
use crate::roster::Member;

use super::*;

fn refuse_closed(motion: &Motion, now: i64) -> Result<()> {
    if motion.status != Status::Voting {
        return Err(Error::conflict(t!(
            "admissions.motion.closed_as",
            status = motion.status.label().to_lowercase()
        )));
    }
    if now >= motion.ballot.closes_at {
        return Err(Error::conflict(t!("admissions.case.vote_closed")));
    }
    Ok(())
}

/// A member's vote on a proceeding (see [`crate::application::vote`]).
pub fn vote(
    id: &str,
    member: &Doc<Member>,
    choice: Choice,
    reason: Option<String>,
    settings: &Settings,
    now: i64,
) -> Result<Doc<Motion>> {
    let current = load(id)?;
    let electorate_now = electorate(&current.data)?;
    case::audit_refused(id, member, &electorate_now)?;
    let written = change(id, now, |motion| {
        refuse_closed(motion, now)?;
        let electorate = electorate(motion)?;
        electorate.admit(&member.id, |because| {
            t!("admissions.motion.conflicted_vote", because = because)
        })?;
        let previous = case::cast(motion, member, choice, reason.clone(), now);
        case::decide_if_certain(motion, electorate, settings, now);
        Ok(Some(previous))
    })?;
    case::voted(id, member, choice, written)
}

/// A member declares a conflict of interest on a proceeding.
pub fn declare_conflict(
    id: &str,
    member: &Doc<Member>,
    note: String,
    settings: &Settings,
    now: i64,
) -> Result<Doc<Motion>> {
    let (doc, withdrawn) = change(id, now, |motion| {
        if motion.status != Status::Voting {
            return Err(Error::conflict(t!("admissions.motion.closed")));
        }
        let Some(withdrawn) = case::declare(motion, member, &note, now) else {
            return Err(Error::conflict(t!(
                "admissions.motion.conflict_already_declared"
            )));
        };
        if now < motion.ballot.closes_at {
            let electorate = electorate(motion)?;
            case::decide_if_certain(motion, electorate, settings, now);
        }
        Ok(Some(withdrawn))
    })?
    .ok_or_else(|| Error::internal("a declaration changed nothing"))?;
    case::audit_conflict(id, member, &note, withdrawn)?;
    Ok(doc)
}

/// The provider's statement in its defence (sent again, it replaces the earlier one).
pub fn statement(id: &str, user: &User, text: String, now: i64) -> Result<Doc<Motion>> {
    let current = load(id)?;
    let provider = provider::load(&current.data.provider_id)?;
    if provider.data.user_id != user.id {
        return Err(Error::forbidden(t!(
            "admissions.motion.statement_not_owner"
        )));
    }
    let (doc, ()) = change(id, now, |motion| {
        refuse_closed(motion, now)?;
        motion.statement = Some(Statement {
            text: text.clone(),
            at: now,
        });
        motion
            .history
            .push(Step::new(now, &user.display_name, "statement", None));
        Ok(Some(()))
    })?
    .ok_or_else(|| Error::internal("a statement changed nothing"))?;
    audit::record("motion.statement", id, &json!({ "user": user.username }))?;
    Ok(doc)
}

/// Reads the reason of a new proceeding.
pub fn read_reason(text: Option<&str>) -> std::result::Result<String, Problems> {
    check_text("reason", text)
}
