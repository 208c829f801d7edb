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
use trama_sdk::i18n::Lang;
use trama_sdk::identity::User;
use trama_sdk::input::{Input, Problems};
use trama_sdk::store::{self, Batch, Cmp, Collection, Doc};
use trama_sdk::{Error, Result, audit, events, log};

use crate::ballot::{Ballot, Choice, Outcome, Vote};
use crate::catalogue::{self, Service};
use crate::config::Settings;
use crate::conflict::{Declared, Subject};
use crate::decision::{ClosedBy, Decision};
use crate::notice::{self, Message};
use crate::organisation::{self, Organisation};
use crate::provider::{self, PROVIDERS, Provider};
use crate::roster::{self, Electorate, Member};
use crate::time::when;

pub const APPLICATIONS: Collection<Application> = Collection::new("applications");
pub const LOCKS: Collection<Lock> = Collection::new("locks");

/// Attempts at a change that conflicts with another one on the same application.
const MAX_ATTEMPTS: usize = 8;
/// Longest comment, question, answer or motivation, in characters.
pub const MAX_TEXT: usize = 4000;
/// Comments on one application (a bound on the document's size).
const MAX_COMMENTS: usize = 300;
/// Where the plugin is mounted, for links in messages.
const BASE: &str = "/p/admissions";

/// Members of an application in JSON (plus `services`, a list of entries).
pub const JSON_FIELDS: &[&str] = &[
    "legal_name",
    "tax_code",
    "vat_number",
    "legal_form",
    "street",
    "postcode",
    "city",
    "province",
    "email",
    "pec",
    "phone",
    "website",
    "representative_name",
    "representative_tax_code",
    "categories",
    "declarations",
    "ethics_version",
    "accept_ethics",
];

/// The lock that keeps an organisation to one application at a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    pub case: String,
    pub at: i64,
}

pub fn lock_id(tax_code: &str) -> String {
    format!("application-{tax_code}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Admission,
    Renewal,
}

impl Kind {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Kind::Admission => lang.pick("Domanda di ammissione", "Application for admission"),
            Kind::Renewal => lang.pick("Domanda di rinnovo", "Application for renewal"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Voting,
    InfoRequested,
    Approved,
    Rejected,
    NoQuorum,
    Withdrawn,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Voting,
        Status::InfoRequested,
        Status::Approved,
        Status::Rejected,
        Status::NoQuorum,
        Status::Withdrawn,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Status::Voting => "voting",
            Status::InfoRequested => "info_requested",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::NoQuorum => "no_quorum",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Status::Voting => {
                lang.pick("In esame, votazione aperta", "Under examination, vote open")
            }
            Status::InfoRequested => lang.pick(
                "In attesa di integrazioni dal richiedente",
                "Waiting for information from the applicant",
            ),
            Status::Approved => lang.pick("Approvata", "Approved"),
            Status::Rejected => lang.pick("Respinta", "Rejected"),
            Status::NoQuorum => lang.pick(
                "Decaduta per mancanza di quorum",
                "Lapsed for lack of quorum",
            ),
            Status::Withdrawn => lang.pick("Ritirata", "Withdrawn"),
        }
    }

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

/// One step of the application's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub at: i64,
    /// A name, or `sistema` for the deadlines job.
    pub actor: String,
    pub action: String,
    #[serde(default)]
    pub note: Option<String>,
}

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
        self.history.push(Step {
            at,
            actor: actor.to_owned(),
            action: action.to_owned(),
            note,
        });
    }

    /// The question still waiting for an answer.
    pub fn pending_request(&self) -> Option<&InfoRequest> {
        self.requests.last().filter(|r| r.answer.is_none())
    }

    pub fn link(id: &str) -> String {
        format!("{BASE}/applications/{id}")
    }
}

/// A submission, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    pub org: Organisation,
    pub categories: Vec<String>,
    pub services: Vec<Service>,
    pub declarations: Vec<String>,
    pub ethics_version: String,
}

/// Reads a submission: the organisation, its categories and catalogue entries (keeping the ids
/// in `existing`), every declaration signed, and the current ethics code accepted.
pub fn read_submission(
    input: &Input,
    settings: &Settings,
    existing: &[String],
    new_id: &mut dyn FnMut() -> String,
    lang: Lang,
) -> std::result::Result<Submission, Problems> {
    let (org, mut problems) = match organisation::read(input, lang) {
        Ok(org) => (Some(org), Problems::default()),
        Err(problems) => (None, problems),
    };
    let categories = catalogue::read_categories(input, &settings.categories, lang, &mut problems);
    let services = catalogue::read_services(
        input,
        &categories,
        settings.max_services,
        existing,
        new_id,
        lang,
        &mut problems,
    );
    let signed: Vec<usize> = input
        .many("declarations")
        .iter()
        .filter_map(|n| n.parse::<usize>().ok())
        .collect();
    let missing: Vec<String> = (1..=settings.declarations.len())
        .filter(|n| !signed.contains(n))
        .map(|n| n.to_string())
        .collect();
    if !missing.is_empty() {
        problems.push(
            "declarations",
            match lang {
                Lang::It => format!(
                    "per presentare domanda servono tutte le dichiarazioni: manca la n. {}",
                    missing.join(", ")
                ),
                Lang::En => format!(
                    "every declaration is needed to apply: no. {} is missing",
                    missing.join(", ")
                ),
            },
        );
    }
    let accepted = input.flag("accept_ethics").unwrap_or(false);
    let version = input.one("ethics_version").unwrap_or_default();
    if !accepted {
        problems.push(
            "accept_ethics",
            lang.pick(
                "per entrare nella rete bisogna accettare il codice etico",
                "joining the network requires accepting the ethics code",
            ),
        );
    } else if version != settings.ethics_code_version {
        problems.push(
            "ethics_version",
            match lang {
                Lang::It => format!(
                    "il codice etico in vigore è la versione «{}» (hai accettato «{version}»): rileggilo e accettalo",
                    settings.ethics_code_version
                ),
                Lang::En => format!(
                    "the ethics code in force is version “{}” (you accepted “{version}”): read it and accept it",
                    settings.ethics_code_version
                ),
            },
        );
    }
    match org {
        Some(org) if problems.is_empty() => Ok(Submission {
            org,
            categories,
            services,
            declarations: settings.declarations.clone(),
            ethics_version: settings.ethics_code_version.clone(),
        }),
        _ => Err(problems),
    }
}

pub fn not_found(id: &str, lang: Lang) -> Error {
    Error::not_found(match lang {
        Lang::It => format!("non c'è una domanda {id}"),
        Lang::En => format!("there is no application {id}"),
    })
}

pub fn load(id: &str, lang: Lang) -> Result<Doc<Application>> {
    APPLICATIONS.get(id)?.ok_or_else(|| not_found(id, lang))
}

/// The latest application of the organisation `tax_code` with `status`, by decision time.
fn latest(tax_code: &str, status: Status) -> Result<Option<Doc<Application>>> {
    Ok(APPLICATIONS
        .query()
        .filter("org.tax_code", Cmp::Eq, tax_code)
        .filter("status", Cmp::Eq, status.key())
        .order_by_desc("decided_at")
        .limit(1)
        .fetch()?
        .into_iter()
        .next())
}

/// Refuses an application sent before `reapply_after` has passed since `since`.
fn check_wait(
    since: i64,
    settings: &Settings,
    now: i64,
    what: (&str, &str),
    lang: Lang,
) -> Result<()> {
    let from = since.saturating_add(settings.reapply_after.as_ms());
    if now < from {
        return Err(Error::invalid(match lang {
            Lang::It => format!(
                "dopo {} si può presentare una nuova domanda trascorsi {}: dal {}",
                what.0,
                settings.reapply_after.describe(lang),
                when(from)
            ),
            Lang::En => format!(
                "after {} a new application may be sent once {} have passed: from {}",
                what.1,
                settings.reapply_after.describe(lang),
                when(from)
            ),
        }));
    }
    Ok(())
}

/// What the applicant's organisation is in the register, and so what its application is.
pub fn kind_for(
    user: &User,
    tax_code: &str,
    settings: &Settings,
    now: i64,
    lang: Lang,
) -> Result<(Kind, Option<Doc<Provider>>)> {
    let Some(existing) = provider::by_tax_code(tax_code)? else {
        return Ok((Kind::Admission, None));
    };
    if existing.data.user_id != user.id {
        return Err(Error::conflict(lang.pick(
            "questa organizzazione è già nell'albo, gestita da un altro account: per rinnovarla o aggiornarla serve quell'account (o scrivi al comitato)",
            "this organisation is already in the register, managed by another account: renewing or updating it needs that account (or write to the committee)",
        )));
    }
    match existing.data.status {
        provider::Status::Suspended => Err(Error::invalid(lang.pick(
            "l'accreditamento è sospeso: il rinnovo è possibile solo dopo la riammissione decisa dal comitato",
            "the accreditation is suspended: it can be renewed only after the committee reinstates it",
        ))),
        provider::Status::Revoked => {
            let revoked_at = existing
                .data
                .history
                .iter()
                .rev()
                .find(|c| c.status == provider::Status::Revoked)
                .map_or(existing.data.updated_at, |c| c.at);
            check_wait(revoked_at, settings, now, ("una revoca", "a revocation"), lang)?;
            Ok((Kind::Admission, Some(existing)))
        }
        provider::Status::Active | provider::Status::Expired => {
            Ok((Kind::Renewal, Some(existing)))
        }
    }
}

/// Files a checked submission by `user`: refused while the organisation has an application
/// under examination, or within `reapply_after` of a rejection.
pub fn submit(
    user: &User,
    sub: Submission,
    kind: Kind,
    provider_id: Option<String>,
    settings: &Settings,
    now: i64,
    lang: Lang,
) -> Result<Doc<Application>> {
    if let Some(rejected) = latest(&sub.org.tax_code, Status::Rejected)? {
        let since = rejected.data.decided_at.unwrap_or(rejected.data.updated_at);
        check_wait(since, settings, now, ("un rigetto", "a rejection"), lang)?;
    }
    let id = store::new_id();
    let mut application = Application {
        kind,
        provider_id,
        user_id: user.id.clone(),
        username: user.username.clone(),
        org: sub.org,
        categories: sub.categories,
        services: sub.services,
        declarations: sub.declarations,
        ethics_version: sub.ethics_version,
        status: Status::Voting,
        ballot: Ballot::open(now, settings.voting_window.as_ms()),
        conflicts: Vec::new(),
        comments: Vec::new(),
        requests: Vec::new(),
        decision: None,
        decided_at: None,
        history: Vec::new(),
        submitted_at: now,
        updated_at: now,
    };
    application.step(now, &user.display_name, "submitted", None);
    let lock = Lock {
        case: id.clone(),
        at: now,
    };
    let mut batch = Batch::new();
    batch.create(&LOCKS, &lock_id(&application.org.tax_code), &lock);
    batch.create(&APPLICATIONS, &id, &application);
    match batch.commit() {
        Ok(versions) => {
            let doc = Doc {
                id: id.clone(),
                version: versions.get(1).copied().unwrap_or(1),
                data: application,
            };
            audit::record(
                "application.submitted",
                &id,
                &json!({
                    "kind": doc.data.kind,
                    "legal_name": doc.data.org.legal_name,
                    "tax_code": doc.data.org.tax_code,
                    "services": doc.data.services.len(),
                    "ethics_version": doc.data.ethics_version,
                }),
            )?;
            let electorate = roster::electorate(&doc.data.subject(), &[])?;
            notice::send_to_members(
                &electorate.voters,
                &format!("application/{id}/opened"),
                &Message {
                    subject_it: format!("Nuova domanda da esaminare: {}", doc.data.org.legal_name),
                    subject_en: format!("New application to examine: {}", doc.data.org.legal_name),
                    body_it: format!(
                        "{} ha presentato una {} per la rete. La votazione è aperta fino al {}.",
                        doc.data.org.legal_name,
                        doc.data.kind.label(Lang::It).to_lowercase(),
                        when(doc.data.ballot.closes_at)
                    ),
                    body_en: format!(
                        "{} sent an {} to the network. The vote is open until {}.",
                        doc.data.org.legal_name,
                        doc.data.kind.label(Lang::En).to_lowercase(),
                        when(doc.data.ballot.closes_at)
                    ),
                    link: Some(Application::link(&id)),
                },
            );
            Ok(doc)
        }
        Err(Error::Conflict(_)) => Err(Error::conflict(lang.pick(
            "questa organizzazione ha già una domanda in esame: attendi la decisione del comitato",
            "this organisation already has an application under examination: wait for the committee's decision",
        ))),
        Err(err) => Err(err),
    }
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
    lang: Lang,
    mut apply: impl FnMut(&mut Application) -> Result<Option<T>>,
) -> Result<Option<(Doc<Application>, T)>> {
    for attempt in 1..=MAX_ATTEMPTS {
        let mut doc = load(id, lang)?;
        let was_open = doc.data.status.is_open();
        let Some(value) = apply(&mut doc.data)? else {
            return Ok(None);
        };
        doc.data.updated_at = now;
        let closed = was_open && !doc.data.status.is_open();
        match commit(&mut doc, closed, settings, now) {
            Ok(accredited) => {
                if closed {
                    announce(&doc, accredited, settings)?;
                }
                return Ok(Some((doc, value)));
            }
            Err(Error::Conflict(_)) if attempt < MAX_ATTEMPTS => {
                log::debug(format!("application {id} changed meanwhile; trying again"));
            }
            Err(err) => return Err(err),
        }
    }
    Err(Error::conflict(lang.pick(
        "la domanda è stata modificata da altri nello stesso momento: riprova",
        "the application was changed by someone else at the same moment: try again",
    )))
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
    let reasons = |lang: Lang| {
        if decision.reasons.is_empty() {
            String::new()
        } else {
            format!(
                "\n\n{}\n- {}",
                lang.pick("Motivazioni:", "Reasons:"),
                decision.reasons.join("\n- ")
            )
        }
    };
    let (subject_it, subject_en, body_it, body_en) = match decision.outcome {
        Outcome::Approved => (
            "Domanda approvata".to_owned(),
            "Application approved".to_owned(),
            format!(
                "Il comitato di ammissione della {} ha approvato la domanda di {}. {}{}\n\nL'accreditamento vale fino al {}.",
                settings.network_name,
                app.org.legal_name,
                decision.summary(Lang::It),
                reasons(Lang::It),
                accredited
                    .as_ref()
                    .map(|a| a.provider.expires_on.as_str())
                    .unwrap_or("-"),
            ),
            format!(
                "The admission committee of {} approved the application of {}. {}{}\n\nThe accreditation is valid until {}.",
                settings.network_name,
                app.org.legal_name,
                decision.summary(Lang::En),
                reasons(Lang::En),
                accredited
                    .as_ref()
                    .map(|a| a.provider.expires_on.as_str())
                    .unwrap_or("-"),
            ),
        ),
        Outcome::Rejected => {
            let from = when(decision.at.saturating_add(settings.reapply_after.as_ms()));
            (
                "Domanda respinta".to_owned(),
                "Application rejected".to_owned(),
                format!(
                    "Il comitato di ammissione della {} ha respinto la domanda di {}. {}{}\n\nSi potrà presentare una nuova domanda dal {from}.",
                    settings.network_name,
                    app.org.legal_name,
                    decision.summary(Lang::It),
                    reasons(Lang::It),
                ),
                format!(
                    "The admission committee of {} rejected the application of {}. {}{}\n\nA new application may be sent from {from}.",
                    settings.network_name,
                    app.org.legal_name,
                    decision.summary(Lang::En),
                    reasons(Lang::En),
                ),
            )
        }
        Outcome::NoQuorum => (
            "Domanda decaduta per mancanza di quorum".to_owned(),
            "Application lapsed for lack of quorum".to_owned(),
            format!(
                "La domanda di {} non è stata decisa: {} Puoi presentarla di nuovo subito.",
                app.org.legal_name,
                decision.summary(Lang::It)
            ),
            format!(
                "The application of {} was not decided: {} You may send it again at once.",
                app.org.legal_name,
                decision.summary(Lang::En)
            ),
        ),
    };
    notice::send(
        &app.user_id,
        &format!("application/{}/decided", doc.id),
        &Message {
            subject_it,
            subject_en,
            body_it,
            body_en,
            link: Some(Application::link(&doc.id)),
        },
    );
    Ok(())
}

/// Records the decision on `app`.
fn decide(
    app: &mut Application,
    outcome: Outcome,
    electorate: Electorate,
    closed_by: ClosedBy,
    settings: &Settings,
    now: i64,
) {
    let decision = Decision::new(
        outcome,
        &app.ballot,
        electorate,
        settings.rule,
        closed_by,
        now,
    );
    app.status = Status::of(outcome);
    app.decided_at = Some(now);
    app.step(
        now,
        match closed_by {
            ClosedBy::Votes => "comitato",
            ClosedBy::Window => "sistema",
        },
        "decided",
        Some(outcome.key().to_owned()),
    );
    app.decision = Some(decision);
}

fn refuse_closed(app: &Application, lang: Lang) -> Result<()> {
    match app.status {
        Status::Voting => Ok(()),
        Status::InfoRequested => Err(Error::conflict(lang.pick(
            "la votazione è sospesa finché il richiedente non risponde alla richiesta di integrazione",
            "voting is suspended until the applicant answers the request for information",
        ))),
        other => Err(Error::conflict(match lang {
            Lang::It => format!("la domanda non è più in esame ({})", other.label(lang).to_lowercase()),
            Lang::En => format!("the application is no longer under examination ({})", other.label(lang).to_lowercase()),
        })),
    }
}

fn refuse_not_open(app: &Application, lang: Lang) -> Result<()> {
    if app.status.is_open() {
        Ok(())
    } else {
        Err(Error::conflict(match lang {
            Lang::It => format!(
                "la domanda non è più in esame ({})",
                app.status.label(lang).to_lowercase()
            ),
            Lang::En => format!(
                "the application is no longer under examination ({})",
                app.status.label(lang).to_lowercase()
            ),
        }))
    }
}

/// A member with a conflict of interest takes no part in the examination.
fn refuse_conflicted(electorate: &Electorate, member: &str, lang: Lang) -> Result<()> {
    match electorate.conflict_of(member) {
        Some(conflict) => Err(Error::forbidden(match lang {
            Lang::It => format!(
                "conflitto di interessi: non puoi partecipare all'esame di questa domanda perché {}",
                conflict.describe(lang)
            ),
            Lang::En => format!(
                "conflict of interest: you cannot take part in examining this application because {}",
                conflict.describe(lang)
            ),
        })),
        None if electorate.voters.iter().any(|v| v.id == member) => Ok(()),
        None => Err(Error::forbidden(lang.pick(
            "il tuo account non risulta nel comitato con il ruolo `committee`",
            "your account is not on the committee with the role `committee`",
        ))),
    }
}

/// Checks a free text (comment, question, answer, motivation): 1 to [`MAX_TEXT`] characters.
pub fn check_text(
    field: &str,
    text: Option<&str>,
    lang: Lang,
) -> std::result::Result<String, Problems> {
    let mut problems = Problems::default();
    match text {
        None => problems.push(field, lang.pick("scrivi qualcosa", "write something")),
        Some(t) if t.chars().count() > MAX_TEXT => problems.push(
            field,
            match lang {
                Lang::It => format!("al massimo {MAX_TEXT} caratteri"),
                Lang::En => format!("at most {MAX_TEXT} characters"),
            },
        ),
        Some(t) => return Ok(t.to_owned()),
    }
    Err(problems)
}

/// A member's vote. Refused with a `403` for a member with a conflict of interest (and the
/// refusal audited), with a `409` once voting is suspended or over.
pub fn vote(
    id: &str,
    member: &Doc<Member>,
    choice: Choice,
    reason: Option<String>,
    settings: &Settings,
    now: i64,
    lang: Lang,
) -> Result<Doc<Application>> {
    let current = load(id, lang)?;
    let electorate = roster::electorate(&current.data.subject(), &current.data.conflicts)?;
    if let Some(conflict) = electorate.conflict_of(&member.id) {
        audit::record(
            "vote.refused",
            id,
            &json!({ "member": member.data.username, "conflict": conflict }),
        )?;
    }
    let result = change(id, settings, now, lang, |app| {
        refuse_closed(app, lang)?;
        if now >= app.ballot.closes_at {
            return Err(Error::conflict(lang.pick(
                "la votazione è chiusa: l'esito viene calcolato a breve",
                "the vote is closed: the outcome follows shortly",
            )));
        }
        let electorate = roster::electorate(&app.subject(), &app.conflicts)?;
        refuse_conflicted(&electorate, &member.id, lang)?;
        let previous = app.ballot.cast(Vote {
            member: member.id.clone(),
            name: member.data.display_name.clone(),
            choice,
            reason: reason.clone(),
            at: now,
        });
        app.step(
            now,
            &member.data.display_name,
            if previous.is_some() {
                "vote_changed"
            } else {
                "voted"
            },
            None,
        );
        let count = app.ballot.count(&electorate.ids());
        if let Some(outcome) = settings.rule.verdict(count, false) {
            decide(app, outcome, electorate, ClosedBy::Votes, settings, now);
        }
        Ok(Some(previous))
    })?;
    let (doc, previous) = result.ok_or_else(|| Error::internal("a vote changed nothing"))?;
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

/// A member's comment, for the committee only.
pub fn comment(
    id: &str,
    member: &Doc<Member>,
    text: String,
    settings: &Settings,
    now: i64,
    lang: Lang,
) -> Result<Doc<Application>> {
    let (doc, ()) = change(id, settings, now, lang, |app| {
        refuse_not_open(app, lang)?;
        let electorate = roster::electorate(&app.subject(), &app.conflicts)?;
        refuse_conflicted(&electorate, &member.id, lang)?;
        if app.comments.len() >= MAX_COMMENTS {
            return Err(Error::invalid(lang.pick(
                "questa domanda ha già troppi commenti",
                "this application has too many comments already",
            )));
        }
        app.comments.push(Comment {
            member: member.id.clone(),
            name: member.data.display_name.clone(),
            text: text.clone(),
            at: now,
        });
        Ok(Some(()))
    })?
    .ok_or_else(|| Error::internal("a comment changed nothing"))?;
    audit::record(
        "application.commented",
        id,
        &json!({ "member": member.data.username }),
    )?;
    Ok(doc)
}

/// A member asks the applicant for information: voting is suspended until the answer.
pub fn request_info(
    id: &str,
    member: &Doc<Member>,
    question: String,
    settings: &Settings,
    now: i64,
    lang: Lang,
) -> Result<Doc<Application>> {
    let (doc, ()) = change(id, settings, now, lang, |app| {
        refuse_closed(app, lang)?;
        let electorate = roster::electorate(&app.subject(), &app.conflicts)?;
        refuse_conflicted(&electorate, &member.id, lang)?;
        app.requests.push(InfoRequest {
            question: question.clone(),
            asked_by: member.data.display_name.clone(),
            asked_at: now,
            answer: None,
            answered_at: None,
        });
        app.status = Status::InfoRequested;
        app.step(now, &member.data.display_name, "info_requested", None);
        Ok(Some(()))
    })?
    .ok_or_else(|| Error::internal("a request changed nothing"))?;
    audit::record(
        "application.info_requested",
        id,
        &json!({ "member": member.data.username }),
    )?;
    let n = doc.data.requests.len();
    notice::send(
        &doc.data.user_id,
        &format!("application/{id}/request/{n}"),
        &Message {
            subject_it: "Il comitato chiede un'integrazione".into(),
            subject_en: "The committee asks for information".into(),
            body_it: format!(
                "Il comitato di ammissione chiede un'integrazione alla domanda di {}:\n\n{question}\n\nRispondi dalla pagina della domanda: la votazione riprende con la tua risposta.",
                doc.data.org.legal_name
            ),
            body_en: format!(
                "The admission committee asks for more information on the application of {}:\n\n{question}\n\nAnswer from the application's page: voting resumes with your answer.",
                doc.data.org.legal_name
            ),
            link: Some(Application::link(id)),
        },
    );
    Ok(doc)
}

/// The applicant answers the pending question; a fresh voting window opens.
pub fn answer(
    id: &str,
    user: &User,
    text: String,
    settings: &Settings,
    now: i64,
    lang: Lang,
) -> Result<Doc<Application>> {
    let (doc, ()) = change(id, settings, now, lang, |app| {
        if app.status != Status::InfoRequested || app.pending_request().is_none() {
            return Err(Error::conflict(lang.pick(
                "non c'è una richiesta di integrazione a cui rispondere",
                "there is no request for information to answer",
            )));
        }
        if let Some(request) = app.requests.last_mut() {
            request.answer = Some(text.clone());
            request.answered_at = Some(now);
        }
        app.status = Status::Voting;
        app.ballot.closes_at = now.saturating_add(settings.voting_window.as_ms());
        app.step(now, &user.display_name, "answered", None);
        Ok(Some(()))
    })?
    .ok_or_else(|| Error::internal("an answer changed nothing"))?;
    audit::record(
        "application.answered",
        id,
        &json!({ "user": user.username }),
    )?;
    let electorate = roster::electorate(&doc.data.subject(), &doc.data.conflicts)?;
    let n = doc.data.requests.len();
    notice::send_to_members(
        &electorate.voters,
        &format!("application/{id}/answer/{n}"),
        &Message {
            subject_it: format!("{} ha risposto al comitato", doc.data.org.legal_name),
            subject_en: format!("{} answered the committee", doc.data.org.legal_name),
            body_it: format!(
                "{} ha risposto alla richiesta di integrazione. La votazione è di nuovo aperta fino al {}.",
                doc.data.org.legal_name,
                when(doc.data.ballot.closes_at)
            ),
            body_en: format!(
                "{} answered the request for information. The vote is open again until {}.",
                doc.data.org.legal_name,
                when(doc.data.ballot.closes_at)
            ),
            link: Some(Application::link(id)),
        },
    );
    Ok(doc)
}

/// The applicant withdraws one catalogue entry (at least one must remain).
pub fn withdraw_service(
    id: &str,
    user: &User,
    service: &str,
    settings: &Settings,
    now: i64,
    lang: Lang,
) -> Result<Doc<Application>> {
    let (doc, title) = change(id, settings, now, lang, |app| {
        refuse_not_open(app, lang)?;
        let remaining = app.services.iter().filter(|s| !s.withdrawn).count();
        let Some(entry) = app.services.iter_mut().find(|s| s.id == service && !s.withdrawn) else {
            return Err(Error::not_found(match lang {
                Lang::It => format!("nella domanda non c'è il servizio {service} (o è già stato ritirato)"),
                Lang::En => format!("the application has no service {service} (or it was already withdrawn)"),
            }));
        };
        if remaining <= 1 {
            return Err(Error::invalid(lang.pick(
                "è l'ultimo servizio della domanda: per rinunciare a tutto ritira la domanda",
                "it is the application's last service: to give up everything, withdraw the application",
            )));
        }
        entry.withdrawn = true;
        let title = entry.title.clone();
        app.step(now, &user.display_name, "service_withdrawn", Some(title.clone()));
        Ok(Some(title))
    })?
    .ok_or_else(|| Error::internal("a withdrawal changed nothing"))?;
    audit::record(
        "application.service_withdrawn",
        id,
        &json!({ "service": service, "title": title }),
    )?;
    Ok(doc)
}

/// The applicant withdraws the whole application.
pub fn withdraw(
    id: &str,
    user: &User,
    settings: &Settings,
    now: i64,
    lang: Lang,
) -> Result<Doc<Application>> {
    let (doc, ()) = change(id, settings, now, lang, |app| {
        refuse_not_open(app, lang)?;
        app.status = Status::Withdrawn;
        app.step(now, &user.display_name, "withdrawn", None);
        Ok(Some(()))
    })?
    .ok_or_else(|| Error::internal("a withdrawal changed nothing"))?;
    Ok(doc)
}

/// A member declares a conflict of interest on the application: their vote, if any, no longer
/// counts, and the rule is checked again on the smaller electorate.
pub fn declare_conflict(
    id: &str,
    member: &Doc<Member>,
    note: String,
    settings: &Settings,
    now: i64,
    lang: Lang,
) -> Result<Doc<Application>> {
    let (doc, withdrawn) = change(id, settings, now, lang, |app| {
        refuse_not_open(app, lang)?;
        if app.conflicts.iter().any(|d| d.member == member.id) {
            return Err(Error::conflict(lang.pick(
                "hai già dichiarato un conflitto di interessi su questa domanda",
                "you already declared a conflict of interest on this application",
            )));
        }
        app.conflicts.push(Declared {
            member: member.id.clone(),
            name: member.data.display_name.clone(),
            note: note.clone(),
            at: now,
        });
        let withdrawn = app.ballot.withdraw(&member.id);
        app.step(
            now,
            &member.data.display_name,
            "conflict_declared",
            Some(note.clone()),
        );
        if app.status == Status::Voting && now < app.ballot.closes_at {
            let electorate = roster::electorate(&app.subject(), &app.conflicts)?;
            let count = app.ballot.count(&electorate.ids());
            if let Some(outcome) = settings.rule.verdict(count, false) {
                decide(app, outcome, electorate, ClosedBy::Votes, settings, now);
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

/// The deadlines job's work on one application: decides it when the rule is met (the roster
/// may have changed) or the window closed, or opens another window when quorum was missed and
/// rounds remain.
pub fn settle(id: &str, settings: &Settings, now: i64) -> Result<Settled> {
    let lang = Lang::It;
    let done = change(id, settings, now, lang, |app| {
        if app.status != Status::Voting {
            return Ok(None);
        }
        let electorate = roster::electorate(&app.subject(), &app.conflicts)?;
        let closed = now >= app.ballot.closes_at;
        let count = app.ballot.count(&electorate.ids());
        match settings.rule.verdict(count, closed) {
            None => Ok(None),
            Some(Outcome::NoQuorum) if app.ballot.round < settings.voting_rounds => {
                app.ballot.round += 1;
                app.ballot.closes_at = now.saturating_add(settings.voting_window.as_ms());
                app.step(
                    now,
                    "sistema",
                    "new_round",
                    Some(format!("{}", app.ballot.round)),
                );
                Ok(Some(Settled::NewRound))
            }
            Some(outcome) => {
                let by = if closed {
                    ClosedBy::Window
                } else {
                    ClosedBy::Votes
                };
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
            &Message {
                subject_it: format!(
                    "Manca il quorum: si vota ancora su {}",
                    doc.data.org.legal_name
                ),
                subject_en: format!("Quorum missed: vote again on {}", doc.data.org.legal_name),
                body_it: format!(
                    "La votazione sulla domanda di {} si è chiusa senza quorum. Si è aperto il turno {}, fino al {}.",
                    doc.data.org.legal_name,
                    doc.data.ballot.round,
                    when(doc.data.ballot.closes_at)
                ),
                body_en: format!(
                    "The vote on the application of {} closed without quorum. Round {} is open until {}.",
                    doc.data.org.legal_name,
                    doc.data.ballot.round,
                    when(doc.data.ballot.closes_at)
                ),
                link: Some(Application::link(id)),
            },
        );
    }
    Ok(settled)
}

/// The open applications the deadlines job looks at, oldest deadline first.
pub fn open_ids(limit: u32) -> Result<Vec<String>> {
    Ok(APPLICATIONS
        .query()
        .filter("status", Cmp::Eq, Status::Voting.key())
        .order_by("ballot.closes_at")
        .limit(limit)
        .fetch()?
        .into_iter()
        .map(|d| d.id)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ballot::{Majority, Rule};
    use crate::duration::Duration;

    fn settings() -> Settings {
        Settings {
            network_name: "Rete".into(),
            ethics_code_version: "2025-1".into(),
            ethics_code_text: "Codice".into(),
            categories: vec!["alimentari".into(), "trasporto sociale".into()],
            declarations: vec!["Uno".into(), "Due".into()],
            rule: Rule {
                quorum_percent: 50,
                majority: Majority::Simple,
            },
            voting_window: Duration::from_ms(1000),
            voting_rounds: 2,
            accreditation_validity: Duration::from_ms(86_400_000),
            renewal_notice: Duration::from_ms(1000),
            reapply_after: Duration::from_ms(1000),
            max_services: 5,
        }
    }

    fn form(extra: &[(&str, &str)]) -> Input {
        let mut pairs: Vec<(String, String)> = [
            ("legal_name", "Alimentari Rossi srl"),
            ("tax_code", "01234567897"),
            ("vat_number", "01234567897"),
            ("legal_form", "company"),
            ("street", "Via Roma 1"),
            ("postcode", "50122"),
            ("city", "Firenze"),
            ("province", "FI"),
            ("email", "info@rossi.it"),
            ("representative_name", "Mario Rossi"),
            ("representative_tax_code", "RSSMRA85T10A562S"),
            ("categories", "alimentari"),
            ("service_1_title", "Spesa a domicilio"),
            ("service_1_category", "alimentari"),
            (
                "service_1_description",
                "Consegna a casa per chi non può uscire",
            ),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        pairs.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        Input::from_pairs(&pairs)
    }

    fn ids() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("s{n}")
        }
    }

    #[test]
    fn a_complete_submission_signs_every_declaration_and_the_current_code() {
        let input = form(&[
            ("declarations", "1"),
            ("declarations", "2"),
            ("accept_ethics", "on"),
            ("ethics_version", "2025-1"),
        ]);
        let sub = read_submission(&input, &settings(), &[], &mut ids(), Lang::It).unwrap();
        assert_eq!(sub.declarations, vec!["Uno", "Due"]);
        assert_eq!(sub.ethics_version, "2025-1");
        assert_eq!(sub.services[0].id, "s1");
        assert_eq!(sub.org.legal_name, "Alimentari Rossi srl");
    }

    #[test]
    fn a_missing_declaration_or_an_old_code_is_refused() {
        let input = form(&[
            ("declarations", "2"),
            ("accept_ethics", "on"),
            ("ethics_version", "2024-3"),
        ]);
        let problems = read_submission(&input, &settings(), &[], &mut ids(), Lang::It).unwrap_err();
        assert!(problems.for_field("declarations").unwrap().contains("n. 1"));
        assert!(
            problems
                .for_field("ethics_version")
                .unwrap()
                .contains("«2025-1»")
        );
        let input = form(&[("declarations", "1"), ("declarations", "2")]);
        let problems = read_submission(&input, &settings(), &[], &mut ids(), Lang::En).unwrap_err();
        assert!(problems.for_field("accept_ethics").is_some());
    }

    #[test]
    fn statuses_round_trip() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.key()), Some(status));
        }
        assert!(Status::InfoRequested.is_open() && !Status::Approved.is_open());
    }
}
