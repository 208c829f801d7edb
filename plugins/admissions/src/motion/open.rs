//! Opening a proceeding: the lock that keeps it the only one open on the provider, the vote
//! window, and the provider and the members told.

use serde_json::json;
use trama_sdk::store::{self, Batch, Doc};
use trama_sdk::{Error, Result, audit, t};

use crate::application::{LOCKS, Lock, Step};
use crate::ballot::Ballot;
use crate::config::Settings;
use crate::notice::{self, Message};
use crate::provider::{self};
use crate::roster::{self, Member};
use crate::time::when;

use super::*;

/// A member opens a proceeding on `provider_id` with `reason`.
pub fn open(
    provider_id: &str,
    kind: Kind,
    reason: String,
    member: &Doc<Member>,
    settings: &Settings,
    now: i64,
) -> Result<Doc<Motion>> {
    let provider = provider::load(provider_id)?;
    if !kind.applies_to(provider.data.status) {
        return Err(Error::invalid(t!(
            "admissions.motion.does_not_apply",
            kind = kind.label().to_lowercase(),
            status = provider.data.status.label().to_lowercase()
        )));
    }
    let electorate = roster::electorate(&provider.data.subject(), &[])?;
    if let Some(conflict) = electorate.conflict_of(&member.id) {
        return Err(Error::forbidden(t!(
            "admissions.motion.conflicted",
            because = conflict.describe()
        )));
    }
    let id = store::new_id();
    let mut motion = Motion {
        provider_id: provider_id.to_owned(),
        provider_name: provider.data.org.legal_name.clone(),
        kind,
        reason: reason.clone(),
        proposer: member.id.clone(),
        proposer_name: member.data.display_name.clone(),
        status: Status::Voting,
        ballot: Ballot::open(now, settings.voting_window.as_ms()),
        conflicts: Vec::new(),
        statement: None,
        decision: None,
        decided_at: None,
        history: Vec::new(),
        opened_at: now,
        updated_at: now,
    };
    motion
        .history
        .push(Step::new(now, &member.data.display_name, "opened", None));
    let mut batch = Batch::new();
    batch.create(
        &LOCKS,
        &lock_id(provider_id),
        &Lock {
            case: id.clone(),
            at: now,
        },
    );
    batch.create(&MOTIONS, &id, &motion);
    let versions = match batch.commit() {
        Ok(versions) => versions,
        Err(Error::Conflict(_)) => {
            return Err(Error::conflict(t!("admissions.motion.already_open")));
        }
        Err(err) => return Err(err),
    };
    audit::record(
        "motion.opened",
        &id,
        &json!({ "provider": provider_id, "kind": kind, "reason": reason, "member": member.data.username }),
    )?;
    let link = Some(Motion::link(&id));
    notice::send(
        &provider.data.user_id,
        &format!("motion/{id}/opened"),
        &(|| Message {
            subject: t!(
                "admissions.notice.motion_opened_subject",
                kind = kind.label().to_lowercase()
            ),
            body: t!(
                "admissions.notice.motion_opened_body",
                kind = kind.label().to_lowercase(),
                name = provider.data.org.legal_name,
                reason = reason,
                closes = when(motion.ballot.closes_at)
            ),
            link: link.clone(),
        }),
    );
    notice::send_to_members(
        &electorate.voters,
        &format!("motion/{id}/opened"),
        &(|| Message {
            subject: t!(
                "admissions.notice.motion_to_vote_subject",
                kind = kind.label().to_lowercase(),
                name = provider.data.org.legal_name
            ),
            body: t!(
                "admissions.notice.motion_to_vote_body",
                reason = reason,
                closes = when(motion.ballot.closes_at)
            ),
            link: link.clone(),
        }),
    );
    Ok(Doc {
        id,
        version: versions.get(1).copied().unwrap_or(1),
        data: motion,
    })
}
