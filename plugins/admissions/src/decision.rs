//! A committee's decision on a case, as it goes into the minutes and to the person concerned.
//!
//! The decision keeps everything needed to check it later without the settings or the roster of
//! the day: the rule it was taken under, who was entitled to vote and who was excluded for a
//! conflict of interest (and why), every vote counted, the count, and how the vote ended — the
//! rule met while the window was open, or the window closing.

use serde::{Deserialize, Serialize};

use trama_sdk::t;

use crate::ballot::{Ballot, Choice, Count, Outcome, Rule, Vote};
use crate::roster::Electorate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosedBy {
    /// The quorum was met and the members still to vote could not change the result.
    Votes,
    /// The window closed.
    Window,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub outcome: Outcome,
    pub at: i64,
    pub closed_by: ClosedBy,
    /// The round (window) in which it was taken.
    pub round: u32,
    pub rule: Rule,
    pub quorum: u32,
    pub count: Count,
    pub electorate: Electorate,
    /// The votes counted (members entitled to vote), in the order they were cast.
    pub votes: Vec<Vote>,
    /// The motivations of the prevailing side, as the members wrote them: what the person
    /// concerned is told.
    pub reasons: Vec<String>,
}

impl Decision {
    pub fn new(
        outcome: Outcome,
        ballot: &Ballot,
        electorate: Electorate,
        rule: Rule,
        closed_by: ClosedBy,
        now: i64,
    ) -> Self {
        let ids = electorate.ids();
        let count = ballot.count(&ids);
        let votes: Vec<Vote> = ballot
            .votes
            .iter()
            .filter(|v| ids.contains(&v.member))
            .cloned()
            .collect();
        let prevailing = match outcome {
            Outcome::Approved => Some(Choice::Approve),
            Outcome::Rejected => Some(Choice::Reject),
            Outcome::NoQuorum => None,
        };
        let reasons = votes
            .iter()
            .filter(|v| Some(v.choice) == prevailing)
            .filter_map(|v| v.reason.clone())
            .filter(|r| !r.trim().is_empty())
            .collect();
        Self {
            outcome,
            at: now,
            closed_by,
            round: ballot.round,
            rule,
            quorum: rule.quorum(count.electorate),
            count,
            electorate,
            votes,
            reasons,
        }
    }

    /// One sentence on how the vote went, for the person concerned and the minutes.
    pub fn summary(&self) -> String {
        let count = self.count.describe(&self.rule);
        match (self.outcome, self.closed_by) {
            (Outcome::NoQuorum, _) => t!(
                "admissions.decision.no_quorum",
                quorum = self.quorum,
                count = count
            ),
            (_, ClosedBy::Votes) => t!("admissions.decision.by_votes", count = count),
            (_, ClosedBy::Window) => t!("admissions.decision.by_window", count = count),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ballot::Majority;
    use crate::roster::MemberRef;

    fn member(id: &str) -> MemberRef {
        MemberRef::named(id, id)
    }

    #[test]
    fn the_reasons_are_those_of_the_prevailing_side() {
        let mut ballot = Ballot::open(0, 10);
        for (id, choice, reason) in [
            ("a", Choice::Reject, Some("Prezzi non indicati")),
            ("b", Choice::Approve, Some("Ottimo radicamento")),
            ("c", Choice::Reject, Some("Nessun contratto applicato")),
            ("x", Choice::Reject, Some("voto di chi non ha diritto")),
        ] {
            ballot.cast(Vote {
                member: id.into(),
                name: id.into(),
                choice,
                reason: reason.map(str::to_owned),
                at: 1,
            });
        }
        let electorate = Electorate {
            voters: vec![member("a"), member("b"), member("c")],
            excluded: Vec::new(),
        };
        let rule = Rule {
            quorum_percent: 50,
            majority: Majority::Simple,
        };
        let decision = Decision::new(
            Outcome::Rejected,
            &ballot,
            electorate,
            rule,
            ClosedBy::Votes,
            5,
        );
        assert_eq!(
            decision.reasons,
            vec!["Prezzi non indicati", "Nessun contratto applicato"]
        );
        assert_eq!(decision.votes.len(), 3, "only the electorate's votes");
        assert_eq!(decision.quorum, 2);
        assert!(decision.summary().contains("1 favorevole, 2 contrari"));
    }
}
