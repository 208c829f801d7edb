//! What the deadlines job does with open proceedings, and the proceedings of a provider.

use serde_json::json;
use trama_sdk::store::{Cmp, Doc};
use trama_sdk::{Result, audit, t};

use crate::application::{Settled, Step};
use crate::case::{self, Due};
use crate::config::Settings;
use crate::notice::{self, Message};
use crate::time::when;

use super::*;

/// The deadlines job's work on one proceeding (see [`crate::application::settle`]).
pub fn settle(id: &str, settings: &Settings, now: i64) -> Result<Settled> {
    let done = change(id, now, |motion| {
        if motion.status != Status::Voting {
            return Ok(None);
        }
        let electorate = electorate(motion)?;
        match case::due(&motion.ballot, &electorate, settings, now) {
            Due::Nothing => Ok(None),
            Due::NewRound => {
                case::next_round(&mut motion.ballot, settings, now);
                let round = motion.ballot.round.to_string();
                motion
                    .history
                    .push(Step::new(now, "sistema", "new_round", Some(round)));
                Ok(Some(Settled::NewRound))
            }
            Due::Decide(outcome, by) => {
                decide(motion, outcome, electorate, by, settings, now);
                Ok(Some(Settled::Decided(outcome)))
            }
        }
    })?;
    let Some((doc, settled)) = done else {
        return Ok(Settled::Nothing);
    };
    if settled == Settled::NewRound {
        audit::record(
            "motion.round_opened",
            id,
            &json!({ "round": doc.data.ballot.round, "closes_at": doc.data.ballot.closes_at }),
        )?;
        let electorate = electorate(&doc.data)?;
        notice::send_to_members(
            &electorate.voters,
            &format!("motion/{id}/round/{}", doc.data.ballot.round),
            &notice::in_instance_language(|| Message {
                subject: t!(
                    "admissions.notice.new_round_subject",
                    name = doc.data.provider_name
                ),
                body: t!(
                    "admissions.notice.motion_new_round_body",
                    kind = doc.data.kind.label().to_lowercase(),
                    name = doc.data.provider_name,
                    round = doc.data.ballot.round,
                    closes = when(doc.data.ballot.closes_at)
                ),
                link: Some(Motion::link(id)),
            }),
        );
    }
    Ok(settled)
}

/// The open proceedings, oldest deadline first.
pub fn open_ids(limit: u32) -> Result<Vec<String>> {
    case::voting(&MOTIONS, limit)
}

/// The proceedings on a provider, newest first.
pub fn of_provider(provider_id: &str) -> Result<Vec<Doc<Motion>>> {
    MOTIONS
        .query()
        .filter("provider_id", Cmp::Eq, provider_id)
        .order_by_desc("opened_at")
        .limit(100)
        .fetch()
}
