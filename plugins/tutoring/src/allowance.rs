//! The hours of homework support the municipality funds for each family, per period.
//!
//! A family's allowance for a period is the operator's figure if one was set, otherwise the
//! rule in the settings (hours per family plus hours per registered child). What the family
//! used is kept in one document per family and period, `{family}-{period}`, whose version
//! guards the count: a booking writes it in the same atomic batch as the seat it takes, so two
//! bookings racing for a family's last hour cannot both succeed, and a booking that fails for
//! any other reason (the group filled up, the tutor was taken) uses no hour at all. Counting
//! in a document of the store rather than in the kernel's ledger is what makes that possible:
//! a ledger transfer and a store batch are two transactions, and a crash between them would
//! leave an hour spent on a seat that does not exist, or a seat without its hour.
//!
//! Hours are counted in minutes. A booking takes its lesson's minutes from the period of the
//! lesson's date; a cancellation in time gives them back, a late one or an absence does not.

use serde::{Deserialize, Serialize};
use trama_sdk::clock::Date;
use trama_sdk::i18n::{self, Lang};
use trama_sdk::identity::User;
use trama_sdk::store::{Cmp, Collection, Doc};
use trama_sdk::{Error, Result, audit, t};

use crate::config::Settings;
use crate::family;
use trama_sdk::local;

pub const ALLOWANCES: Collection<Allowance> = Collection::new("allowances");

pub const JSON_FIELDS: &[&str] = &["period", "hours", "note"];

/// What a period of allowance is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// A calendar month: `2025-03`.
    Month,
    /// A calendar quarter: `2025-Q1`.
    Quarter,
    /// September to August: `2025/26`.
    SchoolYear,
}

impl PeriodKind {
    /// The period `date` falls in.
    pub fn period_of(self, date: Date) -> String {
        match self {
            Self::Month => format!("{:04}-{:02}", date.year, date.month),
            Self::Quarter => format!("{:04}-Q{}", date.year, (date.month - 1) / 3 + 1),
            Self::SchoolYear => {
                let start = if date.month >= 9 {
                    date.year
                } else {
                    date.year - 1
                };
                format!("{start:04}/{:02}", (start + 1).rem_euclid(100))
            }
        }
    }

    /// Whether `text` is a period of this kind (what an operator typed).
    pub fn parse(self, text: &str) -> Option<String> {
        let text = text.trim();
        let first_day = match self {
            Self::Month => Date::parse(&format!("{text}-01")).ok()?,
            Self::Quarter => {
                let (year, q) = text.split_once("-Q").or_else(|| text.split_once("-q"))?;
                let q: u8 = q.parse().ok().filter(|q| (1..=4).contains(q))?;
                Date::parse(&format!("{year}-{:02}-01", (q - 1) * 3 + 1)).ok()?
            }
            Self::SchoolYear => {
                let (year, _) = text.split_once('/')?;
                Date::parse(&format!("{year}-09-01")).ok()?
            }
        };
        let period = self.period_of(first_day);
        (period.eq_ignore_ascii_case(text)).then_some(period)
    }

    /// How a period is written, for the form's help text.
    pub fn example(self) -> &'static str {
        match self {
            Self::Month => "2025-03",
            Self::Quarter => "2025-Q1",
            Self::SchoolYear => "2025/26",
        }
    }
}

/// A period for people: "marzo 2025", "2025-Q1", "a.s. 2025/26" (the month's name and the
/// school year's words for a reader of `lang`, as [`local::month_name`]).
pub fn period_label(kind: PeriodKind, period: &str, lang: Lang) -> String {
    match kind {
        PeriodKind::Month => {
            let month = period
                .get(5..7)
                .and_then(|m| m.parse::<u8>().ok())
                .unwrap_or(1);
            format!(
                "{} {}",
                local::month_name(month, lang),
                period.get(..4).unwrap_or(period)
            )
        }
        PeriodKind::Quarter => period.to_owned(),
        PeriodKind::SchoolYear => i18n::text_for(
            lang,
            "tutoring.allowance.school_year",
            &[("period", &period)],
        ),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allowance {
    pub family: String,
    pub period: String,
    /// Minutes taken by bookings of lessons in the period (booked, attended, missed or
    /// cancelled late).
    pub used_minutes: u32,
    /// The operator's figure, replacing the rule; `None` follows the rule.
    #[serde(default)]
    pub granted_minutes: Option<u32>,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub updated_by: String,
    pub updated_at: i64,
}

impl Allowance {
    pub fn new(family: &str, period: &str, now: i64) -> Self {
        Self {
            family: family.to_owned(),
            period: period.to_owned(),
            used_minutes: 0,
            granted_minutes: None,
            note: String::new(),
            updated_by: String::new(),
            updated_at: now,
        }
    }
}

pub fn allowance_id(family: &str, period: &str) -> String {
    format!("{family}-{period}")
}

/// Where a family stands in one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Balance {
    pub granted_minutes: u32,
    pub used_minutes: u32,
    pub remaining_minutes: u32,
    /// Whether an operator set the figure (otherwise the rule of the settings applies).
    pub overridden: bool,
}

impl Balance {
    pub fn of(allowance: Option<&Allowance>, rule_minutes: u32) -> Self {
        let granted = allowance
            .and_then(|a| a.granted_minutes)
            .unwrap_or(rule_minutes);
        let used = allowance.map_or(0, |a| a.used_minutes);
        Self {
            granted_minutes: granted,
            used_minutes: used,
            remaining_minutes: granted.saturating_sub(used),
            overridden: allowance.is_some_and(|a| a.granted_minutes.is_some()),
        }
    }
}

/// The family's allowance document for `period` (if any booking or operator wrote one) and its
/// balance.
pub fn balance(
    family: &str,
    period: &str,
    settings: &Settings,
) -> Result<(Option<Doc<Allowance>>, Balance)> {
    let doc = ALLOWANCES.get(&allowance_id(family, period))?;
    let rule = settings.rule_minutes(family::active_children(family)?);
    let balance = Balance::of(doc.as_ref().map(|d| &d.data), rule);
    Ok((doc, balance))
}

/// A family's periods with an allowance document, newest first.
pub fn history(family: &str) -> Result<Vec<Doc<Allowance>>> {
    ALLOWANCES
        .query()
        .filter("family", Cmp::Eq, family)
        .order_by_desc("period")
        .limit(60)
        .fetch()
}

/// Minutes as hours for people: `7`, `7,5`, `7,25` (Italian) or `7.5` (English).
pub fn hours_text(minutes: u32, lang: Lang) -> String {
    let whole = minutes / 60;
    let rest = minutes % 60;
    if rest == 0 {
        return whole.to_string();
    }
    let fraction = format!("{:02}", rest * 100 / 60);
    let fraction = fraction.trim_end_matches('0');
    format!("{whole}{}{fraction}", lang.pick(",", "."))
}

/// Reads hours as typed (`10`, `7,5`, `7.25`) into minutes, on the quarter-hour grid.
pub fn parse_hours(text: &str) -> std::result::Result<u32, String> {
    let text = text.trim();
    let bad = || t!("tutoring.allowance.not_hours", text = text);
    let (whole, fraction) = match text.split_once([',', '.']) {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || whole.len() > 4 {
        return Err(bad());
    }
    if fraction.len() > 2 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let whole: u32 = whole.parse().map_err(|_| bad())?;
    let hundredths: u32 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<u32>().map_err(|_| bad())? * 10,
        _ => fraction.parse().map_err(|_| bad())?,
    };
    if !hundredths.is_multiple_of(25) {
        return Err(t!("tutoring.allowance.not_quarters", text = text));
    }
    Ok(whole * 60 + hundredths * 60 / 100)
}

/// An operator sets (`Some`) or clears (`None`, back to the rule) a family's allowance for a
/// period. The used minutes are left alone; a figure below them leaves nothing to book.
pub fn set_granted(
    family: &str,
    period: &str,
    minutes: Option<u32>,
    note: &str,
    actor: &User,
    now: i64,
) -> Result<Doc<Allowance>> {
    let id = allowance_id(family, period);
    // Bookings write the same document; retry if one lands in between.
    for _ in 0..5 {
        let current = ALLOWANCES.get(&id)?;
        let mut data = current
            .as_ref()
            .map(|d| d.data.clone())
            .unwrap_or_else(|| Allowance::new(family, period, now));
        data.granted_minutes = minutes;
        data.note = note.to_owned();
        data.updated_by = actor.username.clone();
        data.updated_at = now;
        let written = match &current {
            Some(doc) => ALLOWANCES.put_if_version(&id, &data, doc.version),
            None => ALLOWANCES.create(&id, data.clone()).map(|d| d.version),
        };
        match written {
            Ok(version) => {
                audit::record(
                    "allowance.set",
                    &id,
                    &serde_json::json!({ "granted_minutes": minutes, "note": note, "by": actor.username }),
                )?;
                return Ok(Doc { id, version, data });
            }
            Err(Error::Conflict(_)) => continue,
            Err(err) => return Err(err),
        }
    }
    Err(Error::conflict(t!("tutoring.allowance.kept_changing")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    #[test]
    fn periods_of_each_kind() {
        let d = date("2025-03-31");
        assert_eq!(PeriodKind::Month.period_of(d), "2025-03");
        assert_eq!(PeriodKind::Quarter.period_of(d), "2025-Q1");
        assert_eq!(PeriodKind::SchoolYear.period_of(d), "2024/25");
        assert_eq!(
            PeriodKind::SchoolYear.period_of(date("2025-09-01")),
            "2025/26"
        );
        assert_eq!(
            PeriodKind::SchoolYear.period_of(date("1999-10-01")),
            "1999/00"
        );
        assert_eq!(PeriodKind::Quarter.period_of(date("2025-12-01")), "2025-Q4");
    }

    #[test]
    fn typed_periods_are_checked() {
        assert_eq!(PeriodKind::Month.parse("2025-03"), Some("2025-03".into()));
        assert_eq!(PeriodKind::Month.parse("2025-13"), None);
        assert_eq!(PeriodKind::Quarter.parse("2025-q2"), Some("2025-Q2".into()));
        assert_eq!(PeriodKind::Quarter.parse("2025-Q5"), None);
        assert_eq!(
            PeriodKind::SchoolYear.parse("2025/26"),
            Some("2025/26".into())
        );
        assert_eq!(PeriodKind::SchoolYear.parse("2025/27"), None);
        assert_eq!(
            period_label(PeriodKind::Month, "2025-03", Lang::It),
            "marzo 2025"
        );
        assert_eq!(
            period_label(PeriodKind::SchoolYear, "2025/26", Lang::It),
            "a.s. 2025/26"
        );
    }

    #[test]
    fn the_operator_figure_replaces_the_rule() {
        let mut allowance = Allowance::new("f", "2025-03", 0);
        allowance.used_minutes = 90;
        let by_rule = Balance::of(Some(&allowance), 120);
        assert_eq!(
            (
                by_rule.granted_minutes,
                by_rule.remaining_minutes,
                by_rule.overridden
            ),
            (120, 30, false)
        );
        allowance.granted_minutes = Some(60);
        let set = Balance::of(Some(&allowance), 120);
        assert_eq!((set.granted_minutes, set.remaining_minutes), (60, 0));
        assert_eq!(Balance::of(None, 480).remaining_minutes, 480);
    }

    #[test]
    fn hours_are_read_and_written_by_quarters() {
        assert_eq!(parse_hours("10"), Ok(600));
        assert_eq!(parse_hours("7,5"), Ok(450));
        assert_eq!(parse_hours("7.25"), Ok(435));
        assert_eq!(parse_hours("0,75"), Ok(45));
        assert!(parse_hours("7,3").unwrap_err().contains("quarti"));
        assert!(parse_hours("-1").is_err());
        assert!(parse_hours("dieci").is_err());
        assert_eq!(hours_text(450, Lang::It), "7,5");
        assert_eq!(hours_text(435, Lang::En), "7.25");
        assert_eq!(hours_text(600, Lang::En), "10");
        assert_eq!(hours_text(45, Lang::It), "0,75");
    }
}
