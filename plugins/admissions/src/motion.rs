//! Proceedings on an accredited provider: suspension, revocation, and reinstatement after a
//! suspension, each decided by a committee vote under the same rules as an application
//! (quorum, majority, window, rounds, conflicts of interest).
//!
//! A member opens a proceeding with its reason; the provider is told at once and may send a
//! statement in its defence ("controdeduzioni") while the vote is open, which the members read
//! before voting. When the proceeding is approved the register entry changes and the matching
//! event is published; reinstatement publishes `admissions.provider_accredited` again. A
//! provider has at most one proceeding open (lock `motion-{provider}`).

use serde::{Deserialize, Serialize};
use serde_json::json;
use trama_sdk::i18n::Lang;
use trama_sdk::identity::User;
use trama_sdk::input::Problems;
use trama_sdk::store::{self, Batch, Cmp, Collection, Doc};
use trama_sdk::{Error, Result, audit, log};

use crate::application::{LOCKS, Lock, Settled, Step, check_text};
use crate::ballot::{Ballot, Choice, Outcome, Vote};
use crate::config::Settings;
use crate::conflict::Declared;
use crate::decision::{ClosedBy, Decision};
use crate::notice::{self, Message};
use crate::provider::{self, Change, PROVIDERS, Provider, Status as ProviderStatus};
use crate::roster::{self, Electorate, Member};
use crate::time::when;

pub const MOTIONS: Collection<Motion> = Collection::new("motions");

const MAX_ATTEMPTS: usize = 8;
const BASE: &str = "/p/admissions";

pub fn lock_id(provider: &str) -> String {
    format!("motion-{provider}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Suspend,
    Revoke,
    Reinstate,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Suspend, Kind::Revoke, Kind::Reinstate];

    pub fn key(self) -> &'static str {
        match self {
            Kind::Suspend => "suspend",
            Kind::Revoke => "revoke",
            Kind::Reinstate => "reinstate",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key.trim())
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Kind::Suspend => lang.pick("Sospensione", "Suspension"),
            Kind::Revoke => lang.pick("Revoca", "Revocation"),
            Kind::Reinstate => lang.pick("Riammissione", "Reinstatement"),
        }
    }

    /// Whether a provider in `status` can be the object of this proceeding.
    pub fn applies_to(self, status: ProviderStatus) -> bool {
        match self {
            Kind::Suspend => status == ProviderStatus::Active,
            Kind::Revoke => matches!(status, ProviderStatus::Active | ProviderStatus::Suspended),
            Kind::Reinstate => status == ProviderStatus::Suspended,
        }
    }

    /// The status an approved proceeding gives.
    fn result(self) -> ProviderStatus {
        match self {
            Kind::Suspend => ProviderStatus::Suspended,
            Kind::Revoke => ProviderStatus::Revoked,
            Kind::Reinstate => ProviderStatus::Active,
        }
    }

    fn action(self) -> &'static str {
        match self {
            Kind::Suspend => "suspended",
            Kind::Revoke => "revoked",
            Kind::Reinstate => "reinstated",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Voting,
    Approved,
    Rejected,
    NoQuorum,
}

impl Status {
    pub fn key(self) -> &'static str {
        match self {
            Status::Voting => "voting",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::NoQuorum => "no_quorum",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Status::Voting => lang.pick("Votazione aperta", "Vote open"),
            Status::Approved => lang.pick("Approvata", "Approved"),
            Status::Rejected => lang.pick("Respinta", "Rejected"),
            Status::NoQuorum => lang.pick(
                "Decaduta per mancanza di quorum",
                "Lapsed for lack of quorum",
            ),
        }
    }
}

/// The provider's statement in its defence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    pub text: String,
    pub at: i64,
}

/// A proceeding. `provider_id`, `status`, `ballot.closes_at`, `opened_at`, `decided_at` are
/// indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Motion {
    pub provider_id: String,
    pub provider_name: String,
    pub kind: Kind,
    pub reason: String,
    pub proposer: String,
    pub proposer_name: String,
    pub status: Status,
    pub ballot: Ballot,
    #[serde(default)]
    pub conflicts: Vec<Declared>,
    #[serde(default)]
    pub statement: Option<Statement>,
    #[serde(default)]
    pub decision: Option<Decision>,
    #[serde(default)]
    pub decided_at: Option<i64>,
    #[serde(default)]
    pub history: Vec<Step>,
    pub opened_at: i64,
    pub updated_at: i64,
}

impl Motion {
    pub fn link(id: &str) -> String {
        format!("{BASE}/motions/{id}")
    }
}

pub fn load(id: &str, lang: Lang) -> Result<Doc<Motion>> {
    MOTIONS.get(id)?.ok_or_else(|| {
        Error::not_found(match lang {
            Lang::It => format!("non c'è un procedimento {id}"),
            Lang::En => format!("there is no proceeding {id}"),
        })
    })
}

/// The electorate of a proceeding: members minus those with a conflict with the provider.
fn electorate(motion: &Motion, lang: Lang) -> Result<Electorate> {
    let provider = provider::load(&motion.provider_id, lang)?;
    roster::electorate(&provider.data.subject(), &motion.conflicts)
}

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
    motion.history.push(Step {
        at: now,
        actor: member.data.display_name.clone(),
        action: "opened".into(),
        note: None,
    });
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

/// What an approved proceeding did to the register.
struct Applied {
    provider_id: String,
    provider: Provider,
}

fn change<T>(
    id: &str,
    now: i64,
    lang: Lang,
    mut apply: impl FnMut(&mut Motion) -> Result<Option<T>>,
) -> Result<Option<(Doc<Motion>, T)>> {
    for attempt in 1..=MAX_ATTEMPTS {
        let mut doc = load(id, lang)?;
        let was_open = doc.data.status == Status::Voting;
        let Some(value) = apply(&mut doc.data)? else {
            return Ok(None);
        };
        doc.data.updated_at = now;
        let closed = was_open && doc.data.status != Status::Voting;
        match commit(&mut doc, closed, now) {
            Ok(applied) => {
                if closed {
                    announce(&doc, applied)?;
                }
                return Ok(Some((doc, value)));
            }
            Err(Error::Conflict(_)) if attempt < MAX_ATTEMPTS => {
                log::debug(format!("proceeding {id} changed meanwhile; trying again"));
            }
            Err(err) => return Err(err),
        }
    }
    Err(Error::conflict(lang.pick(
        "il procedimento è stato modificato da altri nello stesso momento: riprova",
        "the proceeding was changed by someone else at the same moment: try again",
    )))
}

fn commit(doc: &mut Doc<Motion>, closed: bool, now: i64) -> Result<Option<Applied>> {
    if !closed {
        doc.version = MOTIONS.put_if_version(&doc.id, &doc.data, doc.version)?;
        return Ok(None);
    }
    let mut batch = Batch::new();
    let mut applied = None;
    if doc.data.status == Status::Approved {
        let current = PROVIDERS.get(&doc.data.provider_id)?;
        match current {
            Some(current) if doc.data.kind.applies_to(current.data.status) => {
                let mut next = current.data.clone();
                next.status = doc.data.kind.result();
                next.history.push(Change {
                    at: now,
                    status: next.status,
                    action: doc.data.kind.action().into(),
                    reason: Some(doc.data.reason.clone()),
                    case: Some(doc.id.clone()),
                });
                next.updated_at = now;
                batch.put_if_version(&PROVIDERS, &current.id, &next, current.version);
                applied = Some(Applied {
                    provider_id: current.id,
                    provider: next,
                });
            }
            // The provider changed meanwhile (it expired, say): the decision stands in the
            // minutes, the register is left as it is.
            _ => log::warn(format!(
                "proceeding {} was approved but no longer applies to provider {}",
                doc.id, doc.data.provider_id
            )),
        }
    }
    batch.put_if_version(&MOTIONS, &doc.id, &doc.data, doc.version);
    batch.delete(&LOCKS, &lock_id(&doc.data.provider_id));
    let versions = batch.commit()?;
    let at = usize::from(applied.is_some());
    doc.version = versions.get(at).copied().unwrap_or(doc.version + 1);
    Ok(applied)
}

fn announce(doc: &Doc<Motion>, applied: Option<Applied>) -> Result<()> {
    let motion = &doc.data;
    let Some(decision) = &motion.decision else {
        return Ok(());
    };
    audit::record(
        "motion.decided",
        &doc.id,
        &json!({
            "provider": motion.provider_id,
            "kind": motion.kind,
            "outcome": decision.outcome,
            "closed_by": decision.closed_by,
            "count": decision.count,
            "quorum": decision.quorum,
        }),
    )?;
    let mut recipient = None;
    if let Some(Applied {
        provider_id,
        provider,
    }) = &applied
    {
        // Reinstated: the full accreditation again; otherwise the reason of the proceeding.
        provider::event(provider_id, provider, &motion.reason).publish()?;
        audit::record(
            &format!("provider.{}", motion.kind.action()),
            provider_id,
            &json!({ "motion": doc.id, "reason": motion.reason }),
        )?;
        recipient = Some(provider.user_id.clone());
    }
    let recipient = match recipient {
        Some(r) => r,
        None => match PROVIDERS.get(&motion.provider_id)? {
            Some(p) => p.data.user_id,
            None => return Ok(()),
        },
    };
    let outcome_it = match decision.outcome {
        Outcome::Approved => "approvato",
        Outcome::Rejected => "respinto",
        Outcome::NoQuorum => "chiuso senza quorum",
    };
    let outcome_en = match decision.outcome {
        Outcome::Approved => "approved",
        Outcome::Rejected => "rejected",
        Outcome::NoQuorum => "closed without quorum",
    };
    let reasons = if decision.reasons.is_empty() {
        String::new()
    } else {
        format!("\n\n- {}", decision.reasons.join("\n- "))
    };
    notice::send(
        &recipient,
        &format!("motion/{}/decided", doc.id),
        &Message {
            subject_it: format!(
                "Procedimento di {}: {outcome_it}",
                motion.kind.label(Lang::It).to_lowercase()
            ),
            subject_en: format!("{} proceeding: {outcome_en}", motion.kind.label(Lang::En)),
            body_it: format!(
                "Il procedimento di {} dell'accreditamento di {} è stato {outcome_it}. Motivo del procedimento: {}\n\n{}{reasons}",
                motion.kind.label(Lang::It).to_lowercase(),
                motion.provider_name,
                motion.reason,
                decision.summary(Lang::It)
            ),
            body_en: format!(
                "The {} proceeding on the accreditation of {} was {outcome_en}. Reason of the proceeding: {}\n\n{}{reasons}",
                motion.kind.label(Lang::En).to_lowercase(),
                motion.provider_name,
                motion.reason,
                decision.summary(Lang::En)
            ),
            link: Some(Motion::link(&doc.id)),
        },
    );
    Ok(())
}

fn decide(
    motion: &mut Motion,
    outcome: Outcome,
    electorate: Electorate,
    closed_by: ClosedBy,
    settings: &Settings,
    now: i64,
) {
    motion.decision = Some(Decision::new(
        outcome,
        &motion.ballot,
        electorate,
        settings.rule,
        closed_by,
        now,
    ));
    motion.status = match outcome {
        Outcome::Approved => Status::Approved,
        Outcome::Rejected => Status::Rejected,
        Outcome::NoQuorum => Status::NoQuorum,
    };
    motion.decided_at = Some(now);
    motion.history.push(Step {
        at: now,
        actor: match closed_by {
            ClosedBy::Votes => "comitato".into(),
            ClosedBy::Window => "sistema".into(),
        },
        action: "decided".into(),
        note: Some(outcome.key().to_owned()),
    });
}

fn refuse_closed(motion: &Motion, now: i64, lang: Lang) -> Result<()> {
    if motion.status != Status::Voting {
        return Err(Error::conflict(match lang {
            Lang::It => format!(
                "il procedimento è chiuso ({})",
                motion.status.label(lang).to_lowercase()
            ),
            Lang::En => format!(
                "the proceeding is closed ({})",
                motion.status.label(lang).to_lowercase()
            ),
        }));
    }
    if now >= motion.ballot.closes_at {
        return Err(Error::conflict(lang.pick(
            "la votazione è chiusa: l'esito viene calcolato a breve",
            "the vote is closed: the outcome follows shortly",
        )));
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
    lang: Lang,
) -> Result<Doc<Motion>> {
    let current = load(id, lang)?;
    let electorate_now = electorate(&current.data, lang)?;
    if let Some(conflict) = electorate_now.conflict_of(&member.id) {
        audit::record(
            "vote.refused",
            id,
            &json!({ "member": member.data.username, "conflict": conflict }),
        )?;
    }
    let (doc, previous) = change(id, now, lang, |motion| {
        refuse_closed(motion, now, lang)?;
        let electorate = electorate(motion, lang)?;
        if let Some(conflict) = electorate.conflict_of(&member.id) {
            return Err(Error::forbidden(match lang {
                Lang::It => format!(
                    "conflitto di interessi: non puoi votare perché {}",
                    conflict.describe(lang)
                ),
                Lang::En => format!(
                    "conflict of interest: you cannot vote because {}",
                    conflict.describe(lang)
                ),
            }));
        }
        if !electorate.voters.iter().any(|v| v.id == member.id) {
            return Err(Error::forbidden(lang.pick(
                "il tuo account non risulta nel comitato con il ruolo `committee`",
                "your account is not on the committee with the role `committee`",
            )));
        }
        let previous = motion.ballot.cast(Vote {
            member: member.id.clone(),
            name: member.data.display_name.clone(),
            choice,
            reason: reason.clone(),
            at: now,
        });
        motion.history.push(Step {
            at: now,
            actor: member.data.display_name.clone(),
            action: if previous.is_some() {
                "vote_changed"
            } else {
                "voted"
            }
            .into(),
            note: None,
        });
        let count = motion.ballot.count(&electorate.ids());
        if let Some(outcome) = settings.rule.verdict(count, false) {
            decide(motion, outcome, electorate, ClosedBy::Votes, settings, now);
        }
        Ok(Some(previous))
    })?
    .ok_or_else(|| Error::internal("a vote changed nothing"))?;
    audit::record(
        if previous.is_some() {
            "vote.changed"
        } else {
            "vote.cast"
        },
        id,
        &json!({ "member": member.data.username, "choice": choice, "previous": previous }),
    )?;
    Ok(doc)
}

/// A member declares a conflict of interest on a proceeding.
pub fn declare_conflict(
    id: &str,
    member: &Doc<Member>,
    note: String,
    settings: &Settings,
    now: i64,
    lang: Lang,
) -> Result<Doc<Motion>> {
    let (doc, withdrawn) = change(id, now, lang, |motion| {
        if motion.status != Status::Voting {
            return Err(Error::conflict(
                lang.pick("il procedimento è chiuso", "the proceeding is closed"),
            ));
        }
        if motion.conflicts.iter().any(|d| d.member == member.id) {
            return Err(Error::conflict(lang.pick(
                "hai già dichiarato un conflitto di interessi su questo procedimento",
                "you already declared a conflict of interest on this proceeding",
            )));
        }
        motion.conflicts.push(Declared {
            member: member.id.clone(),
            name: member.data.display_name.clone(),
            note: note.clone(),
            at: now,
        });
        let withdrawn = motion.ballot.withdraw(&member.id);
        if now < motion.ballot.closes_at {
            let electorate = electorate(motion, lang)?;
            let count = motion.ballot.count(&electorate.ids());
            if let Some(outcome) = settings.rule.verdict(count, false) {
                decide(motion, outcome, electorate, ClosedBy::Votes, settings, now);
            }
        }
        Ok(Some(withdrawn))
    })?
    .ok_or_else(|| Error::internal("a declaration changed nothing"))?;
    audit::record(
        "conflict.declared",
        id,
        &json!({ "member": member.data.username, "note": note, "vote_withdrawn": withdrawn }),
    )?;
    Ok(doc)
}

/// The provider's statement in its defence (sent again, it replaces the earlier one).
pub fn statement(id: &str, user: &User, text: String, now: i64, lang: Lang) -> Result<Doc<Motion>> {
    let current = load(id, lang)?;
    let provider = provider::load(&current.data.provider_id, lang)?;
    if provider.data.user_id != user.id {
        return Err(Error::forbidden(lang.pick(
            "solo l'account che gestisce il fornitore può inviare controdeduzioni",
            "only the account managing the provider can send a statement",
        )));
    }
    let (doc, ()) = change(id, now, lang, |motion| {
        refuse_closed(motion, now, lang)?;
        motion.statement = Some(Statement {
            text: text.clone(),
            at: now,
        });
        motion.history.push(Step {
            at: now,
            actor: user.display_name.clone(),
            action: "statement".into(),
            note: None,
        });
        Ok(Some(()))
    })?
    .ok_or_else(|| Error::internal("a statement changed nothing"))?;
    audit::record("motion.statement", id, &json!({ "user": user.username }))?;
    Ok(doc)
}

/// The deadlines job's work on one proceeding (see [`crate::application::settle`]).
pub fn settle(id: &str, settings: &Settings, now: i64) -> Result<Settled> {
    let lang = Lang::It;
    let done = change(id, now, lang, |motion| {
        if motion.status != Status::Voting {
            return Ok(None);
        }
        let electorate = electorate(motion, lang)?;
        let closed = now >= motion.ballot.closes_at;
        let count = motion.ballot.count(&electorate.ids());
        match settings.rule.verdict(count, closed) {
            None => Ok(None),
            Some(Outcome::NoQuorum) if motion.ballot.round < settings.voting_rounds => {
                motion.ballot.round += 1;
                motion.ballot.closes_at = now.saturating_add(settings.voting_window.as_ms());
                motion.history.push(Step {
                    at: now,
                    actor: "sistema".into(),
                    action: "new_round".into(),
                    note: Some(motion.ballot.round.to_string()),
                });
                Ok(Some(Settled::NewRound))
            }
            Some(outcome) => {
                let by = if closed {
                    ClosedBy::Window
                } else {
                    ClosedBy::Votes
                };
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
    Ok(MOTIONS
        .query()
        .filter("status", Cmp::Eq, Status::Voting.key())
        .order_by("ballot.closes_at")
        .limit(limit)
        .fetch()?
        .into_iter()
        .map(|d| d.id)
        .collect())
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

/// Reads the reason of a new proceeding.
pub fn read_reason(text: Option<&str>, lang: Lang) -> std::result::Result<String, Problems> {
    check_text("reason", text, lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_proceeding_applies_to_some_statuses_only() {
        assert!(Kind::Suspend.applies_to(ProviderStatus::Active));
        assert!(!Kind::Suspend.applies_to(ProviderStatus::Suspended));
        assert!(Kind::Revoke.applies_to(ProviderStatus::Suspended));
        assert!(!Kind::Revoke.applies_to(ProviderStatus::Expired));
        assert!(Kind::Reinstate.applies_to(ProviderStatus::Suspended));
        assert!(!Kind::Reinstate.applies_to(ProviderStatus::Revoked));
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.key()), Some(kind));
        }
    }
}
