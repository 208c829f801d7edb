//! Response rates and results, by service and month.
//!
//! Invitations and answers are counted as they are; what was answered is described only where
//! at least five people answered ([`trama_sdk::stats::enough`]) — the mean score, the shares,
//! the comments — and every count of answers is shown with small cells suppressed, so that a
//! month with two families cannot tell the operator what those two thought.

use std::collections::BTreeMap;

use serde::Serialize;
use trama_sdk::Result;
use trama_sdk::stats::{self, cell, enough};

use crate::answer::{ANSWERS, Answer, NeedMet};
use crate::invite::INVITATIONS;
use crate::source;

/// One service in one month.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Row {
    pub service: String,
    pub service_title: String,
    /// `YYYY-MM`.
    pub month: String,
    pub invited: u64,
    /// How many answered, as published (`"< 5"` below five).
    pub answered: String,
    /// Answered over invited, as a whole percentage; none below five answers.
    pub rate: Option<u64>,
    /// What was answered, where enough people answered.
    pub results: Option<Results>,
}

/// What was answered in one row.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Results {
    /// The mean score from 1 to 5 with one decimal, in the reader's notation.
    pub mean_score: String,
    /// How many gave each score, 1 to 5, as published.
    pub scores: Vec<String>,
    /// How many said the need was met: yes, partly, no; as published.
    pub need_met: Vec<String>,
    /// Who would recommend it, as a whole percentage.
    pub recommend: u64,
    /// The comments written, in no particular order.
    pub comments: Vec<String>,
}

/// The longest list of comments shown for one row.
const MAX_COMMENTS: usize = 100;

#[derive(Default)]
struct Tally {
    invited: u64,
    answered: u64,
    answers: Vec<Answer>,
}

/// Every service and month with invitations, newest month first.
pub fn rows() -> Result<Vec<Row>> {
    let mut tallies: BTreeMap<(String, String), Tally> = BTreeMap::new();
    for doc in INVITATIONS.query().fetch_all()? {
        let tally = tallies
            .entry((doc.data.month.clone(), doc.data.service.clone()))
            .or_default();
        tally.invited += 1;
        tally.answered += u64::from(doc.data.answered);
    }
    for doc in ANSWERS.query().fetch_all()? {
        let key = (doc.data.month.clone(), doc.data.service.clone());
        tallies.entry(key).or_default().answers.push(doc.data);
    }
    Ok(tallies
        .into_iter()
        .rev()
        .map(|((month, service), tally)| row(service, month, tally))
        .collect())
}

fn row(service: String, month: String, tally: Tally) -> Row {
    let described = enough(tally.answered);
    Row {
        service_title: source::title(&service),
        service,
        month,
        invited: tally.invited,
        answered: cell(tally.answered),
        rate: if described {
            stats::percent(tally.answered, tally.invited)
        } else {
            None
        },
        results: (described && enough(tally.answers.len() as u64)).then(|| results(&tally.answers)),
    }
}

/// How many of `answers` `keep` keeps.
fn count(answers: &[Answer], keep: impl Fn(&Answer) -> bool) -> u64 {
    answers.iter().filter(|a| keep(a)).count() as u64
}

fn results(answers: &[Answer]) -> Results {
    let n = answers.len() as u64;
    let sum: i64 = answers.iter().map(|a| i64::from(a.score)).sum();
    Results {
        mean_score: stats::mean_tenths(sum, n)
            .map(stats::one_decimal)
            .unwrap_or_default(),
        scores: (1..=5u8)
            .map(|score| cell(count(answers, |a| a.score == score)))
            .collect(),
        need_met: NeedMet::ALL
            .into_iter()
            .map(|need| cell(count(answers, |a| a.need_met == need)))
            .collect(),
        recommend: stats::percent(count(answers, |a| a.recommend), n).unwrap_or(0),
        comments: answers
            .iter()
            .filter(|a| !a.comment.is_empty())
            .take(MAX_COMMENTS)
            .map(|a| a.comment.clone())
            .collect(),
    }
}
