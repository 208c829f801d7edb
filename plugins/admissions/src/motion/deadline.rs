//! What the deadlines job does with open proceedings, and the proceedings of a provider.

use trama_sdk::store::{Cmp, Doc};
use trama_sdk::{Result, t};

use crate::application::Settled;
use crate::case::{self};
use crate::config::Settings;
use crate::notice::Message;
use crate::time::when;

use super::*;

/// The deadlines job's work on one proceeding (see [`crate::application::settle`]).
pub fn settle(id: &str, settings: &Settings, now: i64) -> Result<Settled> {
    let done = change(id, now, |motion| {
        if motion.status != Status::Voting {
            return Ok(None);
        }
        let electorate = electorate(motion)?;
        Ok(case::settle(motion, electorate, settings, now))
    })?;
    let Some((doc, settled)) = done else {
        return Ok(Settled::Nothing);
    };
    if settled == Settled::NewRound {
        let electorate = electorate(&doc.data)?;
        let (motion, ballot) = (&doc.data, &doc.data.ballot);
        case::announce_round("motion", id, ballot, &electorate.voters, || Message {
            subject: t!(
                "admissions.notice.new_round_subject",
                name = motion.provider_name
            ),
            body: t!(
                "admissions.notice.motion_new_round_body",
                kind = motion.kind.label().to_lowercase(),
                name = motion.provider_name,
                round = ballot.round,
                closes = when(ballot.closes_at)
            ),
            link: Some(Motion::link(id)),
        })?;
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
