//! What the deadlines job does with open applications: a decision once the rule is met or the
//! window closes, or another voting round.

use serde_json::json;
use trama_sdk::{Result, audit, t};

use super::*;
use crate::case::{self, Due};
use crate::config::Settings;
use crate::notice::{self, Message};
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
        match case::due(&app.ballot, &electorate, settings, now) {
            Due::Nothing => Ok(None),
            Due::NewRound => {
                case::next_round(&mut app.ballot, settings, now);
                let round = app.ballot.round.to_string();
                app.step(now, "sistema", "new_round", Some(round));
                Ok(Some(Settled::NewRound))
            }
            Due::Decide(outcome, by) => {
                decide(app, outcome, electorate, by, settings, now);
                Ok(Some(Settled::Decided(outcome)))
            }
        }
    })?;
    let Some((doc, settled)) = done else {
        return Ok(Settled::Nothing);
    };
    if settled == Settled::NewRound {
        audit::record(
            "application.round_opened",
            id,
            &json!({ "round": doc.data.ballot.round, "closes_at": doc.data.ballot.closes_at }),
        )?;
        let electorate = roster::electorate(&doc.data.subject(), &doc.data.conflicts)?;
        notice::send_to_members(
            &electorate.voters,
            &format!("application/{id}/round/{}", doc.data.ballot.round),
            &notice::in_instance_language(|| Message {
                subject: t!(
                    "admissions.notice.new_round_subject",
                    name = doc.data.org.legal_name
                ),
                body: t!(
                    "admissions.notice.new_round_body",
                    name = doc.data.org.legal_name,
                    round = doc.data.ballot.round,
                    closes = when(doc.data.ballot.closes_at)
                ),
                link: Some(Application::link(id)),
            }),
        );
    }
    Ok(settled)
}

/// The open applications the deadlines job looks at, oldest deadline first.
pub fn open_ids(limit: u32) -> Result<Vec<String>> {
    case::voting(&APPLICATIONS, limit)
}
