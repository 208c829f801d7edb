//! Counting the votes of a proposal against the instance's `[governance]` rules.

use serde::Serialize;
use trama_manifest::Governance;

/// The votes cast so far and the size of the table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub members: u64,
    pub approve: u64,
    pub reject: u64,
    pub abstain: u64,
}

/// What the votes decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approved,
    Rejected,
    /// The window closed before enough members voted: nothing changes.
    NoQuorum,
}

impl Tally {
    pub fn voted(&self) -> u64 {
        self.approve + self.reject + self.abstain
    }

    /// Whether enough members voted: `voted / members >= quorum_percent / 100`.
    pub fn has_quorum(&self, rules: &Governance) -> bool {
        self.members > 0 && self.voted() * 100 >= u64::from(rules.quorum_percent) * self.members
    }

    /// The verdict, if the votes already settle it: the quorum is reached and no way the
    /// members who have not voted yet could vote changes the outcome. When the window has
    /// `closed`, the votes cast are all there will be.
    pub fn verdict(&self, rules: &Governance, closed: bool) -> Option<Verdict> {
        let remaining = self.members.saturating_sub(self.voted());
        let passes_now = rules.majority.passes(self.approve, self.reject);
        if closed {
            return Some(if !self.has_quorum(rules) {
                Verdict::NoQuorum
            } else if passes_now {
                Verdict::Approved
            } else {
                Verdict::Rejected
            });
        }
        if !self.has_quorum(rules) {
            return None;
        }
        if passes_now && rules.majority.passes(self.approve, self.reject + remaining) {
            return Some(Verdict::Approved);
        }
        if !passes_now && !rules.majority.passes(self.approve + remaining, self.reject) {
            return Some(Verdict::Rejected);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use trama_manifest::Majority;

    use super::*;

    fn rules(quorum_percent: u32, majority: Majority) -> Governance {
        Governance {
            quorum_percent,
            majority,
            voting_window: Duration::from_secs(3600),
        }
    }

    fn tally(members: u64, approve: u64, reject: u64, abstain: u64) -> Tally {
        Tally {
            members,
            approve,
            reject,
            abstain,
        }
    }

    #[test]
    fn two_of_three_approvals_settle_a_simple_majority_at_once() {
        let simple = rules(50, Majority::Simple);
        assert_eq!(
            tally(3, 1, 0, 0).verdict(&simple, false),
            None,
            "below quorum"
        );
        assert_eq!(
            tally(3, 2, 0, 0).verdict(&simple, false),
            Some(Verdict::Approved)
        );
        assert_eq!(
            tally(3, 0, 2, 0).verdict(&simple, false),
            Some(Verdict::Rejected)
        );
    }

    #[test]
    fn an_open_outcome_waits_for_more_votes_or_the_window() {
        let simple = rules(50, Majority::Simple);
        // 1 for, 1 against, 2 still to vote: either way is possible.
        let open = tally(4, 1, 1, 0);
        assert_eq!(open.verdict(&simple, false), None);
        assert_eq!(
            open.verdict(&simple, true),
            Some(Verdict::Rejected),
            "a tie fails"
        );
    }

    #[test]
    fn abstentions_count_for_the_quorum_not_the_majority() {
        let simple = rules(60, Majority::Simple);
        let votes = tally(5, 1, 0, 2);
        assert!(votes.has_quorum(&simple));
        assert_eq!(votes.verdict(&simple, true), Some(Verdict::Approved));
        assert_eq!(
            tally(5, 1, 0, 1).verdict(&simple, true),
            Some(Verdict::NoQuorum)
        );
    }

    #[test]
    fn two_thirds_and_unanimity() {
        let two_thirds = rules(50, Majority::TwoThirds);
        assert_eq!(
            tally(6, 4, 2, 0).verdict(&two_thirds, false),
            Some(Verdict::Approved)
        );
        assert_eq!(
            tally(6, 3, 2, 0).verdict(&two_thirds, true),
            Some(Verdict::Rejected)
        );
        let unanimous = rules(100, Majority::Unanimous);
        assert_eq!(
            tally(3, 2, 0, 0).verdict(&unanimous, false),
            None,
            "quorum is everyone"
        );
        assert_eq!(
            tally(3, 2, 1, 0).verdict(&unanimous, false),
            Some(Verdict::Rejected)
        );
        assert_eq!(
            tally(3, 3, 0, 0).verdict(&unanimous, false),
            Some(Verdict::Approved)
        );
    }

    #[test]
    fn a_table_without_members_never_decides() {
        let simple = rules(50, Majority::Simple);
        assert_eq!(
            tally(0, 0, 0, 0).verdict(&simple, true),
            Some(Verdict::NoQuorum)
        );
    }
}
