//! What the deadlines job does with open applications: a decision once the rule is met or the
//! window closes, or another voting round.

use trama_sdk::{Result, t};

use super::*;
use crate::case::{self};
use crate::config::Settings;
use crate::notice::Message;
use crate::roster::{self};
use crate::time::when;

/// The deadlines job's work on one application: decides it when the rule is met (the roster
/// may have changed) or the window closed, or opens another window when quorum was missed and
/// rounds remain.
pub fn settle(id: &str, settings: &Settings, now: i64) -> Result<Settled> {
    let done = change(id, settings, now, |app| {
        if app.status != Status::Voting {
            return Ok(None);
        }
        let electorate = roster::electorate(&app.subject(), &app.conflicts)?;
        Ok(case::settle(app, electorate, settings, now))
    })?;
    let Some((doc, settled)) = done else {
        return Ok(Settled::Nothing);
    };
    if settled == Settled::NewRound {
        let electorate = roster::electorate(&doc.data.subject(), &doc.data.conflicts)?;
        let (name, ballot) = (&doc.data.org.legal_name, &doc.data.ballot);
        case::announce_round("application", id, ballot, &electorate.voters, || Message {
            subject: t!("admissions.notice.new_round_subject", name = name),
            body: t!(
                "admissions.notice.new_round_body",
                name = name,
                round = ballot.round,
                closes = when(ballot.closes_at)
            ),
            link: Some(Application::link(id)),
        })?;
    }
    Ok(settled)
}

/// The open applications the deadlines job looks at, oldest deadline first.
pub fn open_ids(limit: u32) -> Result<Vec<String>> {
    case::voting(&APPLICATIONS, limit)
}
