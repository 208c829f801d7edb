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
use trama_sdk::store::{Batch, Collection, Doc};
use trama_sdk::{Error, Result, audit, log, t};

use crate::BASE;
use crate::application::{LOCKS, Step};
use crate::ballot::{Ballot, Outcome};
use crate::case::{self};
use crate::conflict::Declared;
use crate::decision::Decision;
use crate::notice::{self, Message};
use crate::provider::{self, Change, PROVIDERS, Provider, Status as ProviderStatus};
use crate::roster::{self, Electorate};

mod deadline;
mod open;
mod steps;

pub use deadline::{of_provider, open_ids, settle};
pub use open::open;
pub use steps::{declare_conflict, read_reason, statement, vote};

pub const MOTIONS: Collection<Motion> = Collection::new("motions");

pub fn lock_id(provider: &str) -> String {
    format!("motion-{provider}")
}

trama_sdk::choices! {
    pub enum Kind {
        Suspend = "suspend" => "admissions.motion.kind_suspend",
        Revoke = "revoke" => "admissions.motion.kind_revoke",
        Reinstate = "reinstate" => "admissions.motion.kind_reinstate",
    }
}

impl Kind {
    /// "Procedimento di sospensione", "Suspension proceeding".
    pub fn proceeding(self) -> String {
        match self {
            Kind::Suspend => t!("admissions.motion.proceeding_suspend"),
            Kind::Revoke => t!("admissions.motion.proceeding_revoke"),
            Kind::Reinstate => t!("admissions.motion.proceeding_reinstate"),
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

trama_sdk::choices! {
    pub enum Status {
        Voting = "voting" => "admissions.motion.status_voting",
        Approved = "approved" => "admissions.motion.status_approved",
        Rejected = "rejected" => "admissions.motion.status_rejected",
        NoQuorum = "no_quorum" => "admissions.motion.status_no_quorum",
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

pub fn not_found(id: &str) -> Error {
    Error::not_found(t!("admissions.motion.not_found", id = id))
}

pub fn load(id: &str) -> Result<Doc<Motion>> {
    MOTIONS.get(id)?.ok_or_else(|| not_found(id))
}

/// The electorate of a proceeding: members minus those with a conflict with the provider.
fn electorate(motion: &Motion) -> Result<Electorate> {
    let provider = provider::load(&motion.provider_id)?;
    roster::electorate(&provider.data.subject(), &motion.conflicts)
}
/// What an approved proceeding did to the register.
struct Applied {
    provider_id: String,
    provider: Provider,
}

fn change<T>(
    id: &str,
    now: i64,
    mut apply: impl FnMut(&mut Motion) -> Result<Option<T>>,
) -> Result<Option<(Doc<Motion>, T)>> {
    let written = case::change(
        &t!("admissions.motion.busy"),
        || load(id),
        |motion: &Motion| motion.status == Status::Voting,
        |record| {
            let value = apply(record)?;
            record.updated_at = now;
            Ok(value)
        },
        |doc, closed| commit(doc, closed, now),
    )?;
    let Some(written) = written else {
        return Ok(None);
    };
    if written.closed {
        announce(&written.doc, written.effect)?;
    }
    Ok(Some((written.doc, written.value)))
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
    notice::send(
        &recipient,
        &format!("motion/{}/decided", doc.id),
        &(|| {
            let outcome = match decision.outcome {
                Outcome::Approved => t!("admissions.motion.outcome_approved"),
                Outcome::Rejected => t!("admissions.motion.outcome_rejected"),
                Outcome::NoQuorum => t!("admissions.motion.outcome_no_quorum"),
            };
            let reasons = if decision.reasons.is_empty() {
                String::new()
            } else {
                format!("\n\n- {}", decision.reasons.join("\n- "))
            };
            Message {
                subject: t!(
                    "admissions.notice.motion_decided_subject",
                    proceeding = motion.kind.proceeding(),
                    outcome = outcome
                ),
                body: t!(
                    "admissions.notice.motion_decided_body",
                    kind = motion.kind.label().to_lowercase(),
                    name = motion.provider_name,
                    outcome = outcome,
                    reason = motion.reason,
                    summary = decision.summary(),
                    reasons = reasons
                ),
                link: Some(Motion::link(&doc.id)),
            }
        }),
    );
    Ok(())
}

impl case::Case for Motion {
    fn parts(&mut self) -> (&mut Ballot, &mut Vec<Declared>, &mut Vec<Step>) {
        (&mut self.ballot, &mut self.conflicts, &mut self.history)
    }

    fn close(&mut self, outcome: Outcome, decision: Decision, now: i64) {
        self.status = match outcome {
            Outcome::Approved => Status::Approved,
            Outcome::Rejected => Status::Rejected,
            Outcome::NoQuorum => Status::NoQuorum,
        };
        self.decided_at = Some(now);
        self.decision = Some(decision);
    }
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
