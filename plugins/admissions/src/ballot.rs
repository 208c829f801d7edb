//! Votes and how a committee's vote is decided: quorum, majority, and when a result is final.
//!
//! **Who counts.** The *electorate* of a case is the committee members entitled to vote on it:
//! the roster minus the members with a conflict of interest (see [`crate::conflict`]). Quorum
//! and the absolute majority are computed on it, so a conflict never makes a quorum impossible
//! and a member who may not vote is never counted as absent. Only votes of the electorate count.
//!
//! **Quorum.** At least `quorum_percent` of the electorate, rounded up (and at least one
//! member), must have voted; abstentions count towards the quorum, as in an assembly where the
//! abstaining member is present.
//!
//! **Majority.** `simple`: more in favour than against; `absolute`: in favour from more than half
//! of the electorate; `two_thirds`: in favour from at least two thirds of those voting for or
//! against; `unanimous`: at least one in favour and nobody against. Abstentions never count
//! as votes in favour.
//!
//! **When.** While the window is open a case is decided as soon as the quorum is met and the
//! result can no longer change however the members still to vote would vote, so no member is
//! denied a vote that could matter. When the window closes the votes cast decide, and a case
//! without quorum gets [`Outcome::NoQuorum`] (another round, or it lapses).

use serde::{Deserialize, Serialize};

use trama_sdk::t;

trama_sdk::choices! {
    pub enum Majority {
        Simple = "simple" => "admissions.ballot.majority_simple",
        Absolute = "absolute" => "admissions.ballot.majority_absolute",
        TwoThirds = "two_thirds" => "admissions.ballot.majority_two_thirds",
        Unanimous = "unanimous" => "admissions.ballot.majority_unanimous",
    }
}

/// Quorum and majority, from the settings; a decision keeps the rule it was taken under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub quorum_percent: u32,
    pub majority: Majority,
}

trama_sdk::choices! {
    pub enum Choice {
        Approve = "approve" => "admissions.ballot.choice_approve",
        Reject = "reject" => "admissions.ballot.choice_reject",
        Abstain = "abstain" => "admissions.ballot.choice_abstain",
    }
}

impl Choice {
    /// A vote as members and API clients write it: its key, or the words the committee uses
    /// ("favorevole", "sì", "contrario", "astenuto" and their English), in any case.
    pub fn read(text: &str) -> Option<Self> {
        match text.trim().to_lowercase().as_str() {
            "favorevole" | "yes" | "sì" | "si" => Some(Choice::Approve),
            "contrario" | "no" => Some(Choice::Reject),
            "astenuto" | "astensione" => Some(Choice::Abstain),
            key => Self::parse(key),
        }
    }
}

/// A member's vote; a later vote of the same member replaces it until the case is decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    /// The member's account id.
    pub member: String,
    /// The member's name when they voted, for the minutes.
    pub name: String,
    pub choice: Choice,
    /// The motivation; required against, so a rejection always has reasons.
    #[serde(default)]
    pub reason: Option<String>,
    pub at: i64,
}

/// A case's vote: its window and the votes cast.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ballot {
    pub opened_at: i64,
    /// Unix ms when the window closes (indexed: the deadlines job looks for past ones).
    pub closes_at: i64,
    /// 1 for the first window, more after windows closed without quorum.
    pub round: u32,
    pub votes: Vec<Vote>,
}

impl Ballot {
    pub fn open(now: i64, window_ms: i64) -> Self {
        Self {
            opened_at: now,
            closes_at: now.saturating_add(window_ms),
            round: 1,
            votes: Vec::new(),
        }
    }

    /// Records `vote`, replacing the member's earlier one; returns the earlier choice.
    pub fn cast(&mut self, vote: Vote) -> Option<Choice> {
        match self.votes.iter_mut().find(|v| v.member == vote.member) {
            Some(existing) => {
                let previous = existing.choice;
                *existing = vote;
                Some(previous)
            }
            None => {
                self.votes.push(vote);
                None
            }
        }
    }

    /// Drops the vote of `member` (who declared a conflict after voting); returns whether
    /// there was one.
    pub fn withdraw(&mut self, member: &str) -> bool {
        let before = self.votes.len();
        self.votes.retain(|v| v.member != member);
        self.votes.len() != before
    }

    pub fn vote_of(&self, member: &str) -> Option<&Vote> {
        self.votes.iter().find(|v| v.member == member)
    }

    /// The votes of the `electorate` (account ids), counted.
    pub fn count(&self, electorate: &[String]) -> Count {
        let mut count = Count {
            electorate: u32::try_from(electorate.len()).unwrap_or(u32::MAX),
            ..Count::default()
        };
        for vote in self.votes.iter().filter(|v| electorate.contains(&v.member)) {
            match vote.choice {
                Choice::Approve => count.approve += 1,
                Choice::Reject => count.reject += 1,
                Choice::Abstain => count.abstain += 1,
            }
        }
        count
    }
}

/// The votes of a case, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    /// Members entitled to vote.
    pub electorate: u32,
    pub approve: u32,
    pub reject: u32,
    pub abstain: u32,
}

impl Count {
    pub fn cast(&self) -> u32 {
        self.approve + self.reject + self.abstain
    }

    /// Members entitled to vote who have not voted yet.
    pub fn remaining(&self) -> u32 {
        self.electorate.saturating_sub(self.cast())
    }

    /// "3 favorevoli, 1 contrario e 0 astenuti su 5 aventi diritto (quorum: 3)".
    pub fn describe(&self, rule: &Rule) -> String {
        let in_favour = if self.approve == 1 {
            t!("admissions.ballot.in_favour_one", count = self.approve)
        } else {
            t!("admissions.ballot.in_favour_other", count = self.approve)
        };
        let against = if self.reject == 1 {
            t!("admissions.ballot.against_one", count = self.reject)
        } else {
            t!("admissions.ballot.against_other", count = self.reject)
        };
        let abstaining = if self.abstain == 1 {
            t!("admissions.ballot.abstaining_one", count = self.abstain)
        } else {
            t!("admissions.ballot.abstaining_other", count = self.abstain)
        };
        t!(
            "admissions.ballot.count",
            in_favour = in_favour,
            against = against,
            abstaining = abstaining,
            electorate = self.electorate,
            quorum = rule.quorum(self.electorate),
            majority = rule.majority.label(),
        )
    }
}

trama_sdk::choices! {
    pub enum Outcome {
        Approved = "approved",
        Rejected = "rejected",
        /// The window closed before enough members voted.
        NoQuorum = "no_quorum",
    }
}

impl Rule {
    /// Votes needed for a valid decision with `electorate` members entitled to vote: at least
    /// one, so an empty electorate never decides.
    pub fn quorum(&self, electorate: u32) -> u32 {
        let needed = u64::from(electorate) * u64::from(self.quorum_percent);
        u32::try_from(needed.div_ceil(100))
            .unwrap_or(u32::MAX)
            .max(1)
    }

    /// Whether `approve` votes in favour and `reject` against pass under the majority rule.
    pub fn approves(&self, electorate: u32, approve: u32, reject: u32) -> bool {
        let (a, r, e) = (u64::from(approve), u64::from(reject), u64::from(electorate));
        match self.majority {
            Majority::Simple => a > r,
            Majority::Absolute => 2 * a > e,
            Majority::TwoThirds => a > 0 && 3 * a >= 2 * (a + r),
            Majority::Unanimous => a > 0 && r == 0,
        }
    }

    /// The outcome, if there is one: with the window open only when the quorum is met and the
    /// members still to vote could not change the result; once it is closed, always.
    pub fn verdict(&self, count: Count, window_closed: bool) -> Option<Outcome> {
        let quorum_met = count.cast() >= self.quorum(count.electorate);
        if window_closed {
            return Some(if !quorum_met {
                Outcome::NoQuorum
            } else if self.approves(count.electorate, count.approve, count.reject) {
                Outcome::Approved
            } else {
                Outcome::Rejected
            });
        }
        if !quorum_met {
            return None;
        }
        // Every rule is monotone: a vote in favour never hurts, one against never helps, and an
        // abstention lies in between. So the two extremes bound every way the rest could vote.
        let rest = count.remaining();
        if self.approves(count.electorate, count.approve, count.reject + rest) {
            Some(Outcome::Approved)
        } else if !self.approves(count.electorate, count.approve + rest, count.reject) {
            Some(Outcome::Rejected)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vote_is_read_in_the_committee_s_words_or_by_its_key() {
        for (text, choice) in [
            ("approve", Choice::Approve),
            (" Favorevole ", Choice::Approve),
            ("SÌ", Choice::Approve),
            ("contrario", Choice::Reject),
            ("no", Choice::Reject),
            ("Astenuto", Choice::Abstain),
            ("abstain", Choice::Abstain),
        ] {
            assert_eq!(Choice::read(text), Some(choice), "{text}");
        }
        assert_eq!(Choice::read("forse"), None);
    }

    fn rule(quorum_percent: u32, majority: Majority) -> Rule {
        Rule {
            quorum_percent,
            majority,
        }
    }

    fn count(electorate: u32, approve: u32, reject: u32, abstain: u32) -> Count {
        Count {
            electorate,
            approve,
            reject,
            abstain,
        }
    }

    #[test]
    fn the_quorum_is_a_share_of_the_electorate_rounded_up() {
        let r = rule(50, Majority::Simple);
        assert_eq!(r.quorum(5), 3);
        assert_eq!(r.quorum(4), 2);
        assert_eq!(r.quorum(0), 1, "an empty electorate never decides");
        assert_eq!(rule(67, Majority::Simple).quorum(3), 3);
        assert_eq!(rule(66, Majority::Simple).quorum(3), 2);
        assert_eq!(rule(100, Majority::Simple).quorum(7), 7);
        assert_eq!(rule(1, Majority::Simple).quorum(7), 1);
    }

    #[test]
    fn an_open_vote_is_decided_only_when_the_rest_cannot_change_it() {
        let r = rule(50, Majority::Simple);
        // 5 members: 2 in favour is a quorum short of nothing, but 3 still to vote could reject.
        assert_eq!(r.verdict(count(5, 2, 0, 0), false), None);
        // 3 in favour: the other 2 cannot overturn it.
        assert_eq!(r.verdict(count(5, 3, 0, 0), false), Some(Outcome::Approved));
        // 3 against: decided the other way.
        assert_eq!(r.verdict(count(5, 0, 3, 0), false), Some(Outcome::Rejected));
        // 2 for, 1 against, 2 to vote: still open.
        assert_eq!(r.verdict(count(5, 2, 1, 0), false), None);
        // Without quorum nothing is decided, however lopsided.
        assert_eq!(
            rule(80, Majority::Simple).verdict(count(5, 3, 0, 0), false),
            None
        );
    }

    #[test]
    fn a_closed_window_decides_with_the_votes_cast() {
        let r = rule(50, Majority::Simple);
        assert_eq!(r.verdict(count(5, 1, 0, 0), true), Some(Outcome::NoQuorum));
        assert_eq!(r.verdict(count(5, 2, 1, 0), true), Some(Outcome::Approved));
        // A tie is not a majority.
        assert_eq!(r.verdict(count(4, 1, 1, 0), true), Some(Outcome::Rejected));
        // Abstentions make the quorum but are not votes in favour.
        assert_eq!(r.verdict(count(4, 0, 0, 2), true), Some(Outcome::Rejected));
        assert_eq!(r.verdict(count(0, 0, 0, 0), true), Some(Outcome::NoQuorum));
    }

    #[test]
    fn each_majority_rule() {
        let absolute = rule(50, Majority::Absolute);
        assert!(!absolute.approves(6, 3, 0), "half is not more than half");
        assert!(absolute.approves(6, 4, 2));
        let two_thirds = rule(50, Majority::TwoThirds);
        assert!(two_thirds.approves(9, 4, 2));
        assert!(!two_thirds.approves(9, 3, 2));
        assert!(!two_thirds.approves(9, 0, 0));
        let unanimous = rule(50, Majority::Unanimous);
        assert!(unanimous.approves(5, 1, 0));
        assert!(!unanimous.approves(5, 4, 1));
        // Under unanimity one vote against decides at once.
        assert_eq!(
            rule(1, Majority::Unanimous).verdict(count(5, 1, 1, 0), false),
            Some(Outcome::Rejected)
        );
        // Absolute majority: 3 of 5 in favour is final even with two still to vote.
        assert_eq!(
            rule(50, Majority::Absolute).verdict(count(5, 3, 0, 0), false),
            Some(Outcome::Approved)
        );
    }

    #[test]
    fn the_early_verdict_agrees_with_every_way_the_rest_could_vote() {
        // Exhaustive over small committees: whenever an open vote is decided early, every
        // completion of the remaining votes, closed, gives the same outcome.
        for majority in [
            Majority::Simple,
            Majority::Absolute,
            Majority::TwoThirds,
            Majority::Unanimous,
        ] {
            for quorum_percent in [1, 34, 50, 67, 100] {
                let r = rule(quorum_percent, majority);
                for e in 0..=6u32 {
                    for a in 0..=e {
                        for n in 0..=(e - a) {
                            for s in 0..=(e - a - n) {
                                let now = count(e, a, n, s);
                                let Some(early) = r.verdict(now, false) else {
                                    continue;
                                };
                                let rest = e - a - n - s;
                                for extra_a in 0..=rest {
                                    for extra_n in 0..=(rest - extra_a) {
                                        for extra_s in 0..=(rest - extra_a - extra_n) {
                                            let later =
                                                count(e, a + extra_a, n + extra_n, s + extra_s);
                                            assert_eq!(
                                                r.verdict(later, true),
                                                Some(early),
                                                "{r:?} {now:?} -> {later:?}"
                                            );
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_member_votes_once_and_may_change_their_vote() {
        let mut ballot = Ballot::open(0, 1000);
        let vote = |member: &str, choice| Vote {
            member: member.into(),
            name: member.into(),
            choice,
            reason: None,
            at: 1,
        };
        assert_eq!(ballot.cast(vote("a", Choice::Reject)), None);
        assert_eq!(
            ballot.cast(vote("a", Choice::Approve)),
            Some(Choice::Reject)
        );
        ballot.cast(vote("b", Choice::Abstain));
        ballot.cast(vote("outsider", Choice::Reject));
        let electorate = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        assert_eq!(ballot.count(&electorate), count(3, 1, 0, 1));
        assert!(ballot.withdraw("b"));
        assert_eq!(ballot.count(&electorate), count(3, 1, 0, 0));
    }

    #[test]
    fn counts_are_described_for_the_reasons() {
        let r = rule(50, Majority::Simple);
        trama_sdk::i18n::set_locale("it");
        assert_eq!(
            count(5, 3, 1, 0).describe(&r),
            "3 favorevoli, 1 contrario e 0 astenuti su 5 aventi diritto al voto (quorum: 3; maggioranza semplice)"
        );
        trama_sdk::i18n::set_locale("en");
        assert_eq!(
            count(5, 1, 0, 0).describe(&r),
            "1 in favour, 0 against and 0 abstaining out of 5 entitled to vote (quorum: 3; simple majority)"
        );
        trama_sdk::i18n::set_locale("it");
    }
}
