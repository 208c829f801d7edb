//! What the statistics cover: a period of months (`from`, `to`, `YYYY-MM`, Rome's months, both
//! included, either open) and a care team, read from the query of `/stats` and `/api/stats`.
//! A case counts in the months it was opened, a referral in the month it was made, an outreach
//! contact in the month of its date; a team filter keeps the cases of that team and what was
//! done for them. Narrowing never loosens the suppression: every count is still shown `< 5`
//! from 1 to 4 ([`crate::stats::cell`]).

use serde::Serialize;
use trama_sdk::http::Request;
use trama_sdk::{Error, Result, local, t};

/// The period and team the statistics are about; `None` is "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Scope {
    pub from: Option<String>,
    pub to: Option<String>,
    pub team: Option<String>,
}

/// `YYYY-MM` with a month from 01 to 12.
fn is_month(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 7
        && bytes[4] == b'-'
        && text[..4].bytes().all(|b| b.is_ascii_digit())
        && text[5..].bytes().all(|b| b.is_ascii_digit())
        && text[5..].parse::<u8>().is_ok_and(|m| (1..=12).contains(&m))
}

/// The Rome month (`YYYY-MM`) of instant `at` (UTC milliseconds).
pub fn month_of(at: i64) -> String {
    let day = local::today(at);
    format!("{:04}-{:02}", day.year, day.month)
}

impl Scope {
    /// Reads `from`, `to` and `team` (one of `teams`); an empty value is "any".
    pub fn read(request: &Request, teams: &[String]) -> Result<Self> {
        let value = |name: &str| {
            request
                .query_value(name)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let (from, to, team) = (value("from"), value("to"), value("team"));
        let labels = [t!("casework.stats.from"), t!("casework.stats.to")];
        for (field, month) in labels.iter().zip([&from, &to]) {
            if let Some(month) = month.as_deref().filter(|m| !is_month(m)) {
                return Err(Error::invalid(t!(
                    "casework.problems.stats_month",
                    field = field,
                    value = month
                )));
            }
        }
        if let (Some(from), Some(to)) = (&from, &to)
            && from > to
        {
            return Err(Error::invalid(t!("casework.problems.stats_order")));
        }
        if let Some(team) = team.as_deref().filter(|t| !teams.iter().any(|x| x == t)) {
            return Err(Error::invalid(t!(
                "casework.problems.stats_team",
                team = team
            )));
        }
        Ok(Self { from, to, team })
    }

    /// Whether something of `team` in `month` (`YYYY-MM`, or a `YYYY-MM-DD` date) is covered.
    pub fn covers(&self, month: &str, team: &str) -> bool {
        let month = month.get(..7).unwrap_or(month);
        self.from.as_deref().is_none_or(|from| from <= month)
            && self.to.as_deref().is_none_or(|to| month <= to)
            && self.team.as_deref().is_none_or(|t| t == team)
    }

    /// Whether something of `team` at instant `at` is covered.
    pub fn covers_at(&self, at: i64, team: &str) -> bool {
        self.covers(&month_of(at), team)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_takes_whole_rome_months_at_both_ends() {
        let scope = Scope {
            from: Some("2026-03".into()),
            to: Some("2026-05".into()),
            team: Some("Nord".into()),
        };
        assert!(scope.covers("2026-03", "Nord"));
        assert!(scope.covers("2026-05-31", "Nord"));
        assert!(!scope.covers("2026-06-01", "Nord"));
        assert!(!scope.covers("2026-02", "Nord"));
        assert!(!scope.covers("2026-04", "Sud"));
        // 31 May 2026 at 22:30 UTC is already 1 June in Rome.
        let june_in_rome = 1_780_266_600_000;
        assert_eq!(month_of(june_in_rome), "2026-06");
        assert!(!scope.covers_at(june_in_rome, "Nord"));
        assert!(Scope::default().covers("1999-01", "any"));
    }

    #[test]
    fn only_year_dash_month_is_a_month() {
        assert!(is_month("2026-01"));
        assert!(is_month("2026-12"));
        for bad in [
            "2026-+1",
            "2026-13",
            "2026-00",
            "2026-1",
            "26-01",
            "2026/01",
            "abcd-01",
            "2026-01-01",
        ] {
            assert!(!is_month(bad), "{bad}");
        }
    }
}
