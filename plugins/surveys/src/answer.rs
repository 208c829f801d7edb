//! The questionnaire and its answers.
//!
//! An answer is stored apart from its invitation: the service, the month and what was
//! answered, under an id drawn at random (not from the time, which would let the answer be
//! matched with the moment its invitation was marked answered). The invitation is only marked
//! answered, in the same batch, so one link answers once even when sent twice at the same
//! moment.

use serde::{Deserialize, Serialize};
use trama_contracts::surveys::SurveyAnswered;
use trama_sdk::input::{Input, Problems};
use trama_sdk::store::{Batch, Collection, Doc};
use trama_sdk::{Error, Result, clock, code, events, t};

use crate::invite::{INVITATIONS, Invitation, invitation_id};

pub const ANSWERS: Collection<Answer> = Collection::new("answers");

/// The fields of the questionnaire.
pub const FIELDS: &[&str] = &["score", "need_met", "recommend", "comment"];

/// The longest comment, in characters.
pub const MAX_COMMENT: usize = 1000;

/// Whether the service met the need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NeedMet {
    Yes,
    Partly,
    No,
}

impl NeedMet {
    pub const ALL: [NeedMet; 3] = [NeedMet::Yes, NeedMet::Partly, NeedMet::No];

    pub fn key(self) -> &'static str {
        match self {
            NeedMet::Yes => "yes",
            NeedMet::Partly => "partly",
            NeedMet::No => "no",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.key() == text)
    }
}

/// What one person answered, without who or when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub service: String,
    pub month: String,
    /// 1 (not at all satisfied) to 5 (very).
    pub score: u8,
    pub need_met: NeedMet,
    pub recommend: bool,
    /// Free text, possibly empty.
    pub comment: String,
}

/// What the person sent, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub score: u8,
    pub need_met: NeedMet,
    pub recommend: bool,
    pub comment: String,
}

/// Checks the questionnaire: every mistake at once, each beside its field.
pub fn check(input: &Input) -> std::result::Result<Reply, Problems> {
    let mut problems = Problems::default();
    let score = input
        .one("score")
        .and_then(|s| s.trim().parse::<u8>().ok())
        .filter(|s| (1..=5).contains(s));
    if score.is_none() {
        problems.push("score", t!("surveys.problems.score"));
    }
    let need_met = input.one("need_met").and_then(NeedMet::parse);
    if need_met.is_none() {
        problems.push("need_met", t!("surveys.problems.need_met"));
    }
    let recommend = match input.one("recommend") {
        Some("yes") | Some("true") => Some(true),
        Some("no") | Some("false") => Some(false),
        _ => None,
    };
    if recommend.is_none() {
        problems.push("recommend", t!("surveys.problems.recommend"));
    }
    let comment = input.one("comment").unwrap_or_default().trim().to_owned();
    if comment.chars().count() > MAX_COMMENT {
        problems.push("comment", t!("surveys.problems.comment", max = MAX_COMMENT));
    }
    match (score, need_met, recommend) {
        (Some(score), Some(need_met), Some(recommend)) if problems.is_empty() => Ok(Reply {
            score,
            need_met,
            recommend,
            comment,
        }),
        _ => Err(problems),
    }
}

/// Why a link takes no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Closed {
    /// No invitation has this secret.
    Unknown,
    Answered,
    Expired,
}

impl Closed {
    pub fn into_error(self) -> Error {
        match self {
            Closed::Unknown => Error::not_found(t!("surveys.answer.unknown")),
            Closed::Answered => Error::conflict(t!("surveys.answer.already")),
            Closed::Expired => Error::conflict(t!("surveys.answer.expired")),
        }
    }
}

/// The invitation behind `secret`, if it still takes an answer.
pub fn open_invitation(secret: &str) -> Result<std::result::Result<Doc<Invitation>, Closed>> {
    if !code::is_token(secret) {
        return Ok(Err(Closed::Unknown));
    }
    let Some(doc) = INVITATIONS.get(&invitation_id(secret))? else {
        return Ok(Err(Closed::Unknown));
    };
    if doc.data.answered {
        return Ok(Err(Closed::Answered));
    }
    if clock::now_ms() > doc.data.expires_at {
        return Ok(Err(Closed::Expired));
    }
    Ok(Ok(doc))
}

/// Stores `reply` to the invitation behind `secret` and tells the territory's indicators.
pub fn record(secret: &str, reply: Reply) -> Result<()> {
    let invitation = open_invitation(secret)?.map_err(Closed::into_error)?;
    let answer = Answer {
        service: invitation.data.service.clone(),
        month: invitation.data.month.clone(),
        score: reply.score,
        need_met: reply.need_met,
        recommend: reply.recommend,
        comment: reply.comment,
    };
    let mut answered = invitation.data.clone();
    answered.answered = true;
    let mut batch = Batch::new();
    batch.put_if_version(&INVITATIONS, &invitation.id, &answered, invitation.version);
    batch.create(&ANSWERS, &code::token(), &answer);
    match batch.commit() {
        Ok(_) => {}
        // Another answer through the same link won the race.
        Err(Error::Conflict(_)) => return Err(Closed::Answered.into_error()),
        Err(err) => return Err(err),
    }
    events::publish_typed(&SurveyAnswered {
        service: answer.service,
        month: answer.month,
        score: answer.score,
        need_met: answer.need_met.key().to_owned(),
        recommend: answer.recommend,
    })
}
