//! Opening a proceeding: the lock that keeps it the only one open on the provider, the vote
//! window, and the provider and the members told.

use serde_json::json;
use trama_sdk::i18n::Lang;
use trama_sdk::store::{self, Batch, Doc};
use trama_sdk::{Error, Result, audit};

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
    lang: Lang,
) -> Result<Doc<Motion>> {
    let provider = provider::load(provider_id, lang)?;
    if !kind.applies_to(provider.data.status) {
        return Err(Error::invalid(match lang {
            Lang::It => format!(
                "non si può proporre la {} di un fornitore {}",
                kind.label(lang).to_lowercase(),
                provider.data.status.label(lang).to_lowercase()
            ),
            Lang::En => format!(
                "a {} cannot be proposed for a provider that is {}",
                kind.label(lang).to_lowercase(),
                provider.data.status.label(lang).to_lowercase()
            ),
        }));
    }
    let electorate = roster::electorate(&provider.data.subject(), &[])?;
    if let Some(conflict) = electorate.conflict_of(&member.id) {
        return Err(Error::forbidden(match lang {
            Lang::It => format!("conflitto di interessi: {}", conflict.describe(lang)),
            Lang::En => format!("conflict of interest: {}", conflict.describe(lang)),
        }));
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
            return Err(Error::conflict(lang.pick(
                "su questo fornitore c'è già un procedimento in votazione",
                "this provider already has a proceeding being voted on",
            )));
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
        &Message {
            subject_it: format!(
                "Il comitato ha aperto un procedimento di {}",
                kind.label(Lang::It).to_lowercase()
            ),
            subject_en: format!(
                "The committee opened a {} proceeding",
                kind.label(Lang::En).to_lowercase()
            ),
            body_it: format!(
                "Il comitato di ammissione ha aperto un procedimento di {} dell'accreditamento di {}.\n\nMotivo: {reason}\n\nPuoi inviare le tue controdeduzioni dalla pagina del procedimento entro il {}.",
                kind.label(Lang::It).to_lowercase(),
                provider.data.org.legal_name,
                when(motion.ballot.closes_at)
            ),
            body_en: format!(
                "The admission committee opened a {} proceeding on the accreditation of {}.\n\nReason: {reason}\n\nYou may send your statement from the proceeding's page until {}.",
                kind.label(Lang::En).to_lowercase(),
                provider.data.org.legal_name,
                when(motion.ballot.closes_at)
            ),
            link: link.clone(),
        },
    );
    notice::send_to_members(
        &electorate.voters,
        &format!("motion/{id}/opened"),
        &Message {
            subject_it: format!(
                "Da votare: {} di {}",
                kind.label(Lang::It).to_lowercase(),
                provider.data.org.legal_name
            ),
            subject_en: format!(
                "To vote: {} of {}",
                kind.label(Lang::En).to_lowercase(),
                provider.data.org.legal_name
            ),
            body_it: format!(
                "Motivo: {reason}\n\nVotazione aperta fino al {}.",
                when(motion.ballot.closes_at)
            ),
            body_en: format!(
                "Reason: {reason}\n\nThe vote is open until {}.",
                when(motion.ballot.closes_at)
            ),
            link,
        },
    );
    Ok(Doc {
        id,
        version: versions.get(1).copied().unwrap_or(1),
        data: motion,
    })
}
