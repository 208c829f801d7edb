//! What an application's page and API show: the views of an application, its steps, votes and
//! decision, shaped for the applicant or for the committee.

use serde::Serialize;
use serde_json::{Value, json};
use trama_sdk::store::Doc;
use trama_sdk::{Result, t};

use crate::application::{self, Application, Status};
use crate::ballot::{Choice, Count};
use crate::catalogue::Service;
use crate::config::Settings;
use crate::decision::{ClosedBy, Decision};
use crate::organisation::Organisation;
use crate::roster::{self, Electorate, Member};
use crate::time::{iso, when};

#[derive(Debug, Clone, Serialize)]
pub struct RequestView {
    pub question: String,
    pub asked_by: String,
    pub asked: String,
    pub answer: Option<String>,
    pub answered: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VoteView {
    pub name: String,
    pub choice: Choice,
    pub choice_label: String,
    pub reason: Option<String>,
    pub at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DecisionView {
    pub outcome: &'static str,
    pub summary: String,
    pub reasons: Vec<String>,
    pub decided: String,
    pub decided_iso: String,
    pub closed_by: ClosedBy,
    pub round: u32,
    /// The votes, for the committee only.
    pub votes: Option<Vec<VoteView>>,
    /// Members excluded for a conflict, for the committee only.
    pub excluded: Option<Vec<ExcludedView>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExcludedView {
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepView {
    /// Unix milliseconds, for the page's timeline (shown in Rome's time).
    pub at_ms: i64,
    pub at: String,
    pub at_iso: String,
    pub actor: String,
    pub action: String,
    pub note: Option<String>,
}

/// What only committee members see.
#[derive(Debug, Clone, Serialize)]
pub struct CommitteeView {
    pub comments: Vec<Value>,
    pub votes: Vec<VoteView>,
    pub electorate: u32,
    pub quorum: u32,
    pub count: Count,
    pub excluded: Vec<ExcludedView>,
    pub history: Vec<StepView>,
}

/// An application as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct ApplicationView {
    pub id: String,
    pub kind: crate::application::Kind,
    pub kind_label: String,
    pub status: Status,
    pub status_label: String,
    pub open: bool,
    pub org: Organisation,
    pub legal_form_label: String,
    pub address: String,
    pub categories: Vec<String>,
    pub services: Vec<Service>,
    pub declarations: Vec<String>,
    pub ethics_version: String,
    pub submitted: String,
    pub submitted_iso: String,
    /// When the current window closes, while voting.
    pub closes: Option<String>,
    pub closes_iso: Option<String>,
    pub round: u32,
    pub requests: Vec<RequestView>,
    pub pending_question: Option<String>,
    pub decision: Option<DecisionView>,
    /// After a rejection: from when a new application is accepted (Rome time, for people).
    pub reapply_from: Option<String>,
    /// The same instant in RFC 3339 (UTC), for API clients.
    pub reapply_from_iso: Option<String>,
    pub provider_id: Option<String>,
    pub history: Vec<StepView>,
    pub committee: Option<CommitteeView>,
    /// The receipt: its protocol number and time of receipt (none before 1.3).
    pub protocol: Option<trama_sdk::protocol::Protocol>,
}

fn action_label(action: &str) -> String {
    match action {
        "submitted" => t!("admissions.steps.submitted"),
        "voted" => t!("admissions.steps.voted"),
        "vote_changed" => t!("admissions.steps.vote_changed"),
        "info_requested" => t!("admissions.steps.info_requested"),
        "answered" => t!("admissions.steps.answered"),
        "service_withdrawn" => t!("admissions.steps.service_withdrawn"),
        "withdrawn" => t!("admissions.steps.withdrawn"),
        "conflict_declared" => t!("admissions.steps.conflict_declared"),
        "new_round" => t!("admissions.steps.new_round"),
        "decided" => t!("admissions.steps.decided"),
        "opened" => t!("admissions.steps.opened"),
        "statement" => t!("admissions.steps.statement"),
        _ => t!("admissions.steps.other"),
    }
}

/// Steps the applicant sees (no votes, no declarations of members).
const PUBLIC_STEPS: &[&str] = &[
    "submitted",
    "opened",
    "statement",
    "info_requested",
    "answered",
    "service_withdrawn",
    "withdrawn",
    "new_round",
    "decided",
];

pub fn steps(history: &[application::Step], public: bool) -> Vec<StepView> {
    history
        .iter()
        .filter(|s| !public || PUBLIC_STEPS.contains(&s.action.as_str()))
        .map(|s| StepView {
            at_ms: s.at,
            at: when(s.at),
            at_iso: iso(s.at),
            actor: if public
                && ![
                    "submitted",
                    "answered",
                    "service_withdrawn",
                    "withdrawn",
                    "statement",
                ]
                .contains(&s.action.as_str())
            {
                t!("admissions.steps.committee")
            } else {
                s.actor.clone()
            },
            action: action_label(&s.action),
            note: s.note.clone().filter(|_| s.action != "decided"),
        })
        .collect()
}

/// The votes of a case as the committee sees them, on an application or a proceeding.
pub fn vote_views(votes: &[crate::ballot::Vote]) -> Vec<VoteView> {
    votes
        .iter()
        .map(|v| VoteView {
            name: v.name.clone(),
            choice: v.choice,
            choice_label: v.choice.label(),
            reason: v.reason.clone(),
            at: when(v.at),
        })
        .collect()
}

fn excluded_views(electorate: &Electorate) -> Vec<ExcludedView> {
    electorate
        .excluded
        .iter()
        .map(|e| ExcludedView {
            name: e.member.name.clone(),
            reason: e.conflict.describe(),
        })
        .collect()
}

pub fn decision_view(decision: &Decision, committee: bool) -> DecisionView {
    DecisionView {
        outcome: decision.outcome.key(),
        summary: decision.summary(),
        reasons: decision.reasons.clone(),
        decided: when(decision.at),
        decided_iso: iso(decision.at),
        closed_by: decision.closed_by,
        round: decision.round,
        votes: committee.then(|| vote_views(&decision.votes)),
        excluded: committee.then(|| excluded_views(&decision.electorate)),
    }
}

impl ApplicationView {
    /// The view of `doc`; with `roster` (the committee's members), what the committee sees.
    pub fn new(
        doc: &Doc<Application>,
        roster: Option<&[Doc<Member>]>,
        settings: &Settings,
    ) -> Result<Self> {
        let app = &doc.data;
        let voting = app.status == Status::Voting;
        let committee = roster.is_some();
        let committee_view = if let Some(members) = roster {
            let electorate = roster::electorate_of(members, &app.subject(), &app.conflicts);
            let count = app.ballot.count(&electorate.ids());
            Some(CommitteeView {
                comments: app
                    .comments
                    .iter()
                    .map(|c| json!({ "name": c.name, "text": c.text, "at": when(c.at) }))
                    .collect(),
                votes: vote_views(&app.ballot.votes),
                electorate: count.electorate,
                quorum: settings.rule.quorum(count.electorate),
                count,
                excluded: excluded_views(&electorate),
                history: steps(&app.history, false),
            })
        } else {
            None
        };
        let reapply_at = (app.status == Status::Rejected)
            .then(|| {
                app.decided_at
                    .map(|at| at.saturating_add(settings.reapply_after.as_ms()))
            })
            .flatten();
        Ok(Self {
            id: doc.id.clone(),
            kind: app.kind,
            kind_label: app.kind.label(),
            status: app.status,
            status_label: app.status.label(),
            open: app.status.is_open(),
            org: app.org.clone(),
            legal_form_label: app.org.legal_form.label(),
            address: app.org.address(),
            categories: app.categories.clone(),
            services: app.services.clone(),
            declarations: app.declarations.clone(),
            ethics_version: app.ethics_version.clone(),
            submitted: when(app.submitted_at),
            submitted_iso: iso(app.submitted_at),
            closes: voting.then(|| when(app.ballot.closes_at)),
            closes_iso: voting.then(|| iso(app.ballot.closes_at)),
            round: app.ballot.round,
            requests: app
                .requests
                .iter()
                .map(|r| RequestView {
                    question: r.question.clone(),
                    asked_by: if committee {
                        r.asked_by.clone()
                    } else {
                        t!("admissions.steps.the_committee")
                    },
                    asked: when(r.asked_at),
                    answer: r.answer.clone(),
                    answered: r.answered_at.map(when),
                })
                .collect(),
            pending_question: app.pending_request().map(|r| r.question.clone()),
            decision: app.decision.as_ref().map(|d| decision_view(d, committee)),
            reapply_from: reapply_at.map(when),
            reapply_from_iso: reapply_at.map(iso),
            provider_id: app.provider_id.clone(),
            history: steps(&app.history, !committee),
            committee: committee_view,
            protocol: app.protocol.clone(),
        })
    }
}
