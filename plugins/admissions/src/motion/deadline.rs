//! What the deadlines job does with open proceedings, and the proceedings of a provider.

use serde_json::json;
use trama_sdk::i18n::Lang;
use trama_sdk::store::{Cmp, Doc};
use trama_sdk::{Result, audit};

use crate::application::{Settled, Step};
use crate::case::{self, Due};
use crate::config::Settings;
use crate::notice::{self, Message};
use crate::time::when;

use super::*;

/// The deadlines job's work on one proceeding (see [`crate::application::settle`]).
pub fn settle(id: &str, settings: &Settings, now: i64) -> Result<Settled> {
    let lang = Lang::It;
    let done = change(id, now, lang, |motion| {
        if motion.status != Status::Voting {
            return Ok(None);
        }
        let electorate = electorate(motion, lang)?;
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
        let electorate = electorate(&doc.data, lang)?;
        notice::send_to_members(
            &electorate.voters,
            &format!("motion/{id}/round/{}", doc.data.ballot.round),
            &Message {
                subject_it: format!(
                    "Manca il quorum: si vota ancora su {}",
                    doc.data.provider_name
                ),
                subject_en: format!("Quorum missed: vote again on {}", doc.data.provider_name),
                body_it: format!(
                    "La votazione sul procedimento di {} di {} si è chiusa senza quorum. Si è aperto il turno {}, fino al {}.",
                    doc.data.kind.label(Lang::It).to_lowercase(),
                    doc.data.provider_name,
                    doc.data.ballot.round,
                    when(doc.data.ballot.closes_at)
                ),
                body_en: format!(
                    "The vote on the {} proceeding of {} closed without quorum. Round {} is open until {}.",
                    doc.data.kind.label(Lang::En).to_lowercase(),
                    doc.data.provider_name,
                    doc.data.ballot.round,
                    when(doc.data.ballot.closes_at)
                ),
                link: Some(Motion::link(id)),
            },
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
