//! The minutes ("verbale") of a case as CSV: one row per fact, in the order a secretary would
//! write them — the case, the rule, who was entitled to vote and who was excluded and why, the
//! discussion, the requests for information and their answers, every vote with its motivation,
//! the outcome and its reasons.
//!
//! Columns (headers in the reader's language): section, member, value, time (UTC), note.
//! `section` is a fixed key (`case`,
//! `organisation`, `rule`, `entitled`, `excluded`, `declared_conflict`, `comment`, `question`,
//! `answer`, `statement`, `vote`, `outcome`, `reason`) so that a spreadsheet can filter on it;
//! values and notes are in the page's language.

use trama_sdk::csv::Sheet;
use trama_sdk::i18n::Lang;
use trama_sdk::t;

use crate::ballot::Ballot;
use crate::conflict::Declared;
use crate::decision::{ClosedBy, Decision};
use crate::roster::Electorate;
use crate::time::iso;

pub const HEADER: [&str; 5] = [
    "admissions.csv.section",
    "admissions.csv.member",
    "admissions.csv.value",
    "admissions.csv.time_utc",
    "admissions.csv.note",
];

/// What the minutes of any case hold.
pub struct Case<'a> {
    pub id: &'a str,
    /// "Domanda di ammissione", "Sospensione", …
    pub title: String,
    pub opened_at: i64,
    pub subject: &'a str,
    pub identifiers: String,
    pub ballot: &'a Ballot,
    pub declared: &'a [Declared],
    /// `(name, text, at)`
    pub comments: Vec<(&'a str, &'a str, i64)>,
    /// `(section, who, text, at)`: questions, answers, statements.
    pub exchanges: Vec<(&'static str, String, &'a str, i64)>,
    pub decision: Option<&'a Decision>,
    /// While undecided: the electorate of now.
    pub electorate: Option<&'a Electorate>,
    pub status: &'a str,
}

fn row(out: &mut Sheet, section: &str, member: &str, value: &str, at: Option<i64>, note: &str) {
    let time = at.map(iso).unwrap_or_default();
    out.row(&[section, member, value, time.as_str(), note]);
}

/// The minutes of `case`, for a reader of `lang` (the caller's: the sheet's separator and
/// numbers follow it, its words are the caller's catalogue).
pub fn write(case: &Case<'_>, lang: Lang) -> Sheet {
    let mut out = Sheet::new(lang);
    out.header(&HEADER);
    row(
        &mut out,
        "case",
        "",
        &case.title,
        Some(case.opened_at),
        case.id,
    );
    row(
        &mut out,
        "organisation",
        "",
        case.subject,
        None,
        &case.identifiers,
    );
    if let Some(decision) = case.decision {
        row(
            &mut out,
            "rule",
            "",
            &decision.rule.majority.label(),
            None,
            &t!(
                "admissions.minutes.quorum",
                percent = decision.rule.quorum_percent,
                votes = decision.quorum
            ),
        );
    }
    let electorate = case.decision.map(|d| &d.electorate).or(case.electorate);
    if let Some(electorate) = electorate {
        for member in &electorate.voters {
            row(
                &mut out,
                "entitled",
                &member.name,
                &member.username,
                None,
                "",
            );
        }
        for excluded in &electorate.excluded {
            row(
                &mut out,
                "excluded",
                &excluded.member.name,
                &excluded.member.username,
                None,
                &excluded.conflict.describe(),
            );
        }
    }
    for declared in case.declared {
        row(
            &mut out,
            "declared_conflict",
            &declared.name,
            "",
            Some(declared.at),
            &declared.note,
        );
    }
    for (name, text, at) in &case.comments {
        row(&mut out, "comment", name, "", Some(*at), text);
    }
    for (section, who, text, at) in &case.exchanges {
        row(&mut out, section, who, "", Some(*at), text);
    }
    let votes = case.decision.map_or(&case.ballot.votes, |d| &d.votes);
    for vote in votes {
        row(
            &mut out,
            "vote",
            &vote.name,
            &vote.choice.label(),
            Some(vote.at),
            vote.reason.as_deref().unwrap_or_default(),
        );
    }
    match case.decision {
        Some(decision) => {
            let how = match decision.closed_by {
                ClosedBy::Votes => t!("admissions.minutes.closed_by_votes"),
                ClosedBy::Window => t!("admissions.minutes.closed_by_window"),
            };
            row(
                &mut out,
                "outcome",
                "",
                decision.outcome.key(),
                Some(decision.at),
                &t!(
                    "admissions.minutes.outcome",
                    summary = decision.summary(),
                    how = how
                ),
            );
            for reason in &decision.reasons {
                row(&mut out, "reason", "", "", None, reason);
            }
        }
        None => row(
            &mut out,
            "outcome",
            "",
            case.status,
            None,
            &t!("admissions.minutes.undecided"),
        ),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ballot::{Choice, Majority, Outcome, Rule, Vote};
    use crate::conflict::Conflict;
    use crate::roster::{Excluded, MemberRef};

    fn member(id: &str) -> MemberRef {
        MemberRef::named(id, &format!("Membro {id}"))
    }

    #[test]
    fn the_minutes_list_everyone_and_every_vote() {
        let mut ballot = Ballot::open(0, 1000);
        ballot.cast(Vote {
            member: "a".into(),
            name: "Membro a".into(),
            choice: Choice::Approve,
            reason: Some("Buon progetto, prezzi chiari".into()),
            at: 10,
        });
        let electorate = Electorate {
            voters: vec![member("a")],
            excluded: vec![Excluded {
                member: member("b"),
                conflict: Conflict::OwnAccount,
            }],
        };
        let decision = Decision::new(
            Outcome::Approved,
            &ballot,
            electorate,
            Rule {
                quorum_percent: 50,
                majority: Majority::Simple,
            },
            ClosedBy::Votes,
            20,
        );
        let case = Case {
            id: "app1",
            title: "Domanda di ammissione".into(),
            opened_at: 0,
            subject: "Coop =Sole",
            identifiers: "CF 01234567897".into(),
            ballot: &ballot,
            declared: &[],
            comments: vec![("Membro a", "Ho visitato la sede", 5)],
            exchanges: vec![("question", "Membro a".into(), "Avete un listino?", 6)],
            decision: Some(&decision),
            electorate: None,
            status: "approved",
        };
        trama_sdk::i18n::set_locale("it");
        let csv = write(&case, Lang::It).finish();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "\u{feff}Sezione;Membro;Valore;Ora (UTC);Nota");
        assert!(
            csv.contains("organisation;;Coop =Sole;;CF 01234567897"),
            "{csv}"
        );
        assert!(csv.contains("entitled;Membro a;a;;"), "{csv}");
        assert!(
            csv.contains("excluded;Membro b;b;;è il suo account"),
            "{csv}"
        );
        assert!(
            csv.contains(
                "vote;Membro a;favorevole;1970-01-01T00:00:00Z;Buon progetto, prezzi chiari"
            ),
            "{csv}"
        );
        assert!(csv.contains("outcome;;approved;"), "{csv}");
        assert!(
            csv.contains("reason;;;;Buon progetto, prezzi chiari"),
            "{csv}"
        );
        trama_sdk::i18n::set_locale("en");
        let english = write(&case, Lang::En).finish();
        trama_sdk::i18n::set_locale("it");
        assert!(
            english.starts_with("\u{feff}Section,Member,Value,Time (UTC),Note\r\n"),
            "{english}"
        );
        assert!(
            english.contains(
                "vote,Membro a,in favour,1970-01-01T00:00:00Z,\"Buon progetto, prezzi chiari\""
            ),
            "{english}"
        );
    }
}
