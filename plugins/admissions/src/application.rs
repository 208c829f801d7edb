//! Applications to join the network (or to renew an accreditation), and their examination by the
//! committee: comments, requests for information the applicant answers, votes, the decision.
//!
//! **Life of an application.** It opens for voting when submitted (`voting`), with a window of
//! `voting_window`. A member may ask the applicant for information: voting is suspended
//! (`info_requested`) until the applicant answers, and the answer opens a fresh window, because
//! the members must have time to read it. The decision comes as soon as the rule is met (see
//! [`crate::ballot`]) or when the window closes; a window that closes without quorum opens
//! another one, up to `voting_rounds` windows, after which the application lapses
//! (`no_quorum`) and may be submitted again at once. The applicant may withdraw a catalogue
//! entry or the whole application while it is examined.
//!
//! **One at a time.** An organisation (by codice fiscale) has at most one application under
//! examination: a lock document `application-{codice fiscale}` is created with the application
//! in one batch and deleted with its decision, so two submissions racing cannot both get in.
//!
//! **Renewals.** An organisation already in the register applies again to renew: the same form,
//! filled in from the register; its catalogue entries keep their ids. Only the account that
//! manages the entry may do it. A suspended provider must be reinstated first; a revoked one
//! applies again after `reapply_after`, like a rejected applicant.
//!
//! Every change is a read-modify-write of the application with its version, retried on a
//! conflict, so two members voting at the same moment are both counted.

use serde::{Deserialize, Serialize};
use serde_json::json;
use trama_sdk::store::{self, Batch, Collection, Doc};
use trama_sdk::{Error, Result, audit, events, t};

use crate::BASE;
use crate::ballot::{Ballot, Outcome};
use crate::case::{self};
use crate::catalogue::Service;
use crate::config::Settings;
use crate::conflict::{Declared, Subject};
use crate::decision::Decision;
use crate::notice::{self, Message};
use crate::organisation::{self, Organisation};
use crate::provider::{self, PROVIDERS, Provider};
use crate::time::when;

mod deadline;
mod examination;
mod submit;
pub mod summary;

pub use deadline::{open_ids, settle};
pub use examination::{
    answer, check_text, comment, declare_conflict, request_info, vote, withdraw, withdraw_service,
};
pub use submit::{Submission, kind_for, read_submission, submit};

pub const APPLICATIONS: Collection<Application> = Collection::new("applications");
pub const LOCKS: Collection<Lock> = Collection::new("locks");

/// Longest comment, question, answer or motivation, in characters.
pub const MAX_TEXT: usize = 4000;
/// Comments on one application (a bound on the document's size).
const MAX_COMMENTS: usize = 300;

/// Members of an application in JSON besides the organisation's
/// ([`organisation::FIELDS`]) and `services`, a list of entries.
const OWN_FIELDS: &[&str] = &[
    "categories",
    "declarations",
    "ethics_version",
    "accept_ethics",
];

/// Members of an application in JSON (plus `services`, a list of entries).
pub fn json_fields() -> Vec<&'static str> {
    [organisation::FIELDS, OWN_FIELDS].concat()
}

/// The lock that keeps an organisation to one application at a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    pub case: String,
    pub at: i64,
}

pub fn lock_id(tax_code: &str) -> String {
    format!("application-{tax_code}")
}

trama_sdk::choices! {
    pub enum Kind {
        Admission = "admission" => "admissions.application.kind_admission",
        Renewal = "renewal" => "admissions.application.kind_renewal",
    }
}

trama_sdk::choices! {
    pub enum Status {
        Voting = "voting" => "admissions.application.status_voting",
        InfoRequested = "info_requested" => "admissions.application.status_info_requested",
        Approved = "approved" => "admissions.application.status_approved",
        Rejected = "rejected" => "admissions.application.status_rejected",
        NoQuorum = "no_quorum" => "admissions.application.status_no_quorum",
        Withdrawn = "withdrawn" => "admissions.application.status_withdrawn",
    }
}

impl Status {
    /// Still being examined.
    pub fn is_open(self) -> bool {
        matches!(self, Status::Voting | Status::InfoRequested)
    }

    fn of(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Approved => Status::Approved,
            Outcome::Rejected => Status::Rejected,
            Outcome::NoQuorum => Status::NoQuorum,
        }
    }
}

/// A committee member's comment: the committee's own discussion, not shown to the applicant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub member: String,
    pub name: String,
    pub text: String,
    pub at: i64,
}

/// A question to the applicant and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InfoRequest {
    pub question: String,
    pub asked_by: String,
    pub asked_at: i64,
    #[serde(default)]
    pub answer: Option<String>,
    #[serde(default)]
    pub answered_at: Option<i64>,
}

/// One step of the application's history (the actor is a name, or `sistema` for the deadlines
/// job).
pub use trama_sdk::history::Step;

/// An application as stored. `status`, `user_id`, `org.tax_code`, `ballot.closes_at`,
/// `submitted_at` and `decided_at` are indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    pub kind: Kind,
    /// The register entry it renews, or (once approved) the one it created.
    #[serde(default)]
    pub provider_id: Option<String>,
    pub user_id: String,
    pub username: String,
    pub org: Organisation,
    pub categories: Vec<String>,
    pub services: Vec<Service>,
    /// The declarations signed, verbatim.
    pub declarations: Vec<String>,
    pub ethics_version: String,
    pub status: Status,
    pub ballot: Ballot,
    #[serde(default)]
    pub conflicts: Vec<Declared>,
    #[serde(default)]
    pub comments: Vec<Comment>,
    #[serde(default)]
    pub requests: Vec<InfoRequest>,
    #[serde(default)]
    pub decision: Option<Decision>,
    #[serde(default)]
    pub decided_at: Option<i64>,
    #[serde(default)]
    pub history: Vec<Step>,
    /// Its number in the instance's protocol register and the time of receipt, on the receipt
    /// the provider keeps; applications from before 1.3 have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<trama_sdk::protocol::Protocol>,
    pub submitted_at: i64,
    pub updated_at: i64,
}

impl Application {
    /// What the conflict-of-interest check compares members with.
    pub fn subject(&self) -> Subject {
        Subject {
            user_id: Some(self.user_id.clone()),
            organisation: self.org.identifiers(),
            representative: Some(self.org.representative_tax_code.clone()),
        }
    }

    fn step(&mut self, at: i64, actor: &str, action: &str, note: Option<String>) {
        self.history.push(Step::new(at, actor, action, note));
    }

    /// The question still waiting for an answer.
    pub fn pending_request(&self) -> Option<&InfoRequest> {
        self.requests.last().filter(|r| r.answer.is_none())
    }

    pub fn link(id: &str) -> String {
        format!("{BASE}/applications/{id}")
    }
}
pub fn not_found(id: &str) -> Error {
    Error::not_found(t!("admissions.application.not_found", id = id))
}

pub fn load(id: &str) -> Result<Doc<Application>> {
    APPLICATIONS.get(id)?.ok_or_else(|| not_found(id))
}

/// What the job found to do with an open application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    Nothing,
    NewRound,
    Decided(Outcome),
}

/// A register entry written together with an approval.
struct Accredited {
    id: String,
    provider: Provider,
}

/// Applies `apply` to the application and stores it, retrying on a version conflict. `apply`
/// returns `None` when there is nothing to write. When the change ends the examination, the
/// lock is released and, for an approval, the register entry written, all in one batch.
fn change<T>(
    id: &str,
    settings: &Settings,
    now: i64,
    mut apply: impl FnMut(&mut Application) -> Result<Option<T>>,
) -> Result<Option<(Doc<Application>, T)>> {
    let written = case::change(
        &t!("admissions.application.busy"),
        || load(id),
        |app: &Application| app.status.is_open(),
        |record| {
            let value = apply(record)?;
            record.updated_at = now;
            Ok(value)
        },
        |doc, closed| commit(doc, closed, settings, now),
    )?;
    let Some(written) = written else {
        return Ok(None);
    };
    if written.closed {
        announce(&written.doc, written.effect, settings)?;
    }
    Ok(Some((written.doc, written.value)))
}

fn commit(
    doc: &mut Doc<Application>,
    closed: bool,
    settings: &Settings,
    now: i64,
) -> Result<Option<Accredited>> {
    if !closed {
        doc.version = APPLICATIONS.put_if_version(&doc.id, &doc.data, doc.version)?;
        return Ok(None);
    }
    let mut batch = Batch::new();
    let mut accredited = None;
    if doc.data.status == Status::Approved {
        let existing = match &doc.data.provider_id {
            Some(pid) => PROVIDERS.get(pid)?,
            None => provider::by_tax_code(&doc.data.org.tax_code)?,
        };
        let next = provider::accredit(
            existing.as_ref().map(|d| &d.data),
            &doc.id,
            &doc.data,
            settings.accreditation_validity,
            now,
        );
        let pid = match &existing {
            Some(current) => {
                batch.put_if_version(&PROVIDERS, &current.id, &next, current.version);
                current.id.clone()
            }
            None => {
                let pid = store::new_id();
                batch.create(&PROVIDERS, &pid, &next);
                pid
            }
        };
        doc.data.provider_id = Some(pid.clone());
        accredited = Some(Accredited {
            id: pid,
            provider: next,
        });
    }
    batch.put_if_version(&APPLICATIONS, &doc.id, &doc.data, doc.version);
    batch.delete(&LOCKS, &lock_id(&doc.data.org.tax_code));
    let versions = batch.commit()?;
    let at = if accredited.is_some() { 1 } else { 0 };
    doc.version = versions.get(at).copied().unwrap_or(doc.version + 1);
    Ok(accredited)
}

/// After the examination ended: the audit, the event for an accreditation, the message to the
/// applicant with the outcome and its reasons.
fn announce(
    doc: &Doc<Application>,
    accredited: Option<Accredited>,
    settings: &Settings,
) -> Result<()> {
    let app = &doc.data;
    let Some(decision) = &app.decision else {
        // Withdrawn: nothing was decided.
        return audit::record("application.withdrawn", &doc.id, &json!({}));
    };
    audit::record(
        "application.decided",
        &doc.id,
        &json!({
            "outcome": decision.outcome,
            "closed_by": decision.closed_by,
            "round": decision.round,
            "count": decision.count,
            "quorum": decision.quorum,
            "majority": decision.rule.majority,
            "excluded": decision.electorate.excluded.iter().map(|e| &e.member.username).collect::<Vec<_>>(),
        }),
    )?;
    if let Some(Accredited { id, provider }) = &accredited {
        events::publish_typed(&provider::accredited_payload(id, provider))?;
        audit::record(
            match app.kind {
                Kind::Admission => "provider.accredited",
                Kind::Renewal => "provider.renewed",
            },
            id,
            &json!({
                "application": doc.id,
                "legal_name": provider.org.legal_name,
                "expires_on": provider.expires_on,
                "services": provider.services.len(),
            }),
        )?;
    }
    let expires_on = accredited.as_ref().map(|a| a.provider.expires_on.as_str());
    notice::send(
        &app.user_id,
        &format!("application/{}/decided", doc.id),
        &|| decision_notice(&doc.id, app, decision, expires_on, settings),
    );
    Ok(())
}

/// The message telling the applicant the outcome and its reasons; `expires_on`: the end of
/// the accreditation an approval wrote.
fn decision_notice(
    id: &str,
    app: &Application,
    decision: &Decision,
    expires_on: Option<&str>,
    settings: &Settings,
) -> Message {
    let network = &settings.network_name;
    let name = &app.org.legal_name;
    let expires = expires_on.unwrap_or("-");
    let from = when(decision.at.saturating_add(settings.reapply_after.as_ms()));
    {
        let summary = decision.summary();
        let reasons = if decision.reasons.is_empty() {
            String::new()
        } else {
            let title = t!("admissions.notice.reasons_title");
            format!("\n\n{title}\n- {}", decision.reasons.join("\n- "))
        };
        let (subject, body) = match decision.outcome {
            Outcome::Approved => (
                t!("admissions.notice.approved_subject"),
                t!(
                    "admissions.notice.approved_body",
                    network = network,
                    name = name,
                    summary = summary,
                    reasons = reasons,
                    expires = expires
                ),
            ),
            Outcome::Rejected => (
                t!("admissions.notice.rejected_subject"),
                t!(
                    "admissions.notice.rejected_body",
                    network = network,
                    name = name,
                    summary = summary,
                    reasons = reasons,
                    from = from
                ),
            ),
            Outcome::NoQuorum => (
                t!("admissions.notice.no_quorum_subject"),
                t!(
                    "admissions.notice.no_quorum_body",
                    name = name,
                    summary = summary
                ),
            ),
        };
        Message {
            subject,
            body,
            link: Some(Application::link(id)),
        }
    }
}

impl case::Case for Application {
    fn parts(&mut self) -> (&mut Ballot, &mut Vec<Declared>, &mut Vec<Step>) {
        (&mut self.ballot, &mut self.conflicts, &mut self.history)
    }

    fn close(&mut self, outcome: Outcome, decision: Decision, now: i64) {
        self.status = Status::of(outcome);
        self.decided_at = Some(now);
        self.decision = Some(decision);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.key()), Some(status));
        }
        assert!(Status::InfoRequested.is_open() && !Status::Approved.is_open());
    }
}
