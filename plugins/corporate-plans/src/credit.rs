//! How much credit each employee of a plan gets, and how much of it may be claimed back as
//! reimbursements: pure integer arithmetic on cents, so every wallet is exact.
//!
//! **Credit.** A plan gives every employee a *flat* amount, or — when it lists contract
//! levels — the amount of the employee's level (an employee whose level is not listed is an
//! error, so a typo never silently gets the flat amount); to either it adds an amount per
//! dependant ("familiare a carico"), counted up to the plan's maximum of dependants if it has
//! one:
//!
//! ```text
//! credit = (level amount, or flat amount) + per_dependant × min(dependants, max_dependants)
//! ```
//!
//! **Reimbursement share.** A plan says which share of each credit may be taken as
//! *reimbursements* of expenses the employee paid (a school fee, a nursery bill) rather than
//! spent directly on the catalogue's services. The share is a percentage with up to two
//! decimals, kept as basis points (`30%` = 3000, `33,33%` = 3333), and the reimbursable
//! amount is **rounded down to the cent**:
//!
//! ```text
//! reimbursable = floor(credit × share_bp / 10000)
//! ```
//!
//! The cent fractions cut off stay in the wallet as credit for direct purchases — the
//! employee never loses them, the reimbursements just cannot use them. The reimbursable
//! amount is a ceiling, not a separate purse: direct purchases spend the same wallet, so an
//! employee who spent everything on services has nothing left to claim.

use serde::{Deserialize, Serialize};

use trama_sdk::i18n::Lang;
use trama_sdk::money::{self, MAX_CENTS, format_cents};
use trama_sdk::{i18n, t};

/// The most dependants a row may declare (a check against typos, not a policy).
pub const MAX_DEPENDANTS: u32 = 30;
/// The most contract levels a plan may list.
pub const MAX_LEVELS: usize = 40;
/// 100% in basis points.
pub const FULL_SHARE_BP: u32 = 10_000;

/// The credit of one contract level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelCredit {
    /// As HR wrote it (`Q1`, `3° livello`); matched without regard to case and spaces.
    pub level: String,
    pub cents: i64,
}

/// A plan's rules for the credit of each employee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditRule {
    /// The credit of every employee when `levels` is empty.
    pub flat_cents: i64,
    /// The credit by contract level; when not empty, every employee must have one of these.
    #[serde(default)]
    pub levels: Vec<LevelCredit>,
    /// Added for each dependant.
    #[serde(default)]
    pub per_dependant_cents: i64,
    /// Dependants counted at most (`None`: all of them).
    #[serde(default)]
    pub max_dependants: Option<u32>,
    /// The share of the credit that may be reimbursed, in basis points (0 to 10000).
    #[serde(default)]
    pub refund_share_bp: u32,
}

/// What one employee gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credit {
    pub total_cents: i64,
    /// The part of `total_cents` that may be claimed as reimbursements.
    pub reimbursable_cents: i64,
}

/// Why an employee's credit cannot be worked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreditError {
    /// The plan has levels and the row gave none.
    LevelMissing,
    /// A level the plan does not list.
    UnknownLevel(String),
    /// The rules give this employee nothing.
    Zero,
    /// Above the largest amount a wallet may hold.
    TooLarge,
}

impl CreditError {
    pub fn describe(&self, rule: &CreditRule, lang: Lang) -> String {
        let levels = rule
            .levels
            .iter()
            .map(|l| l.level.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        match self {
            Self::LevelMissing => t!("corporate_plans.credit.level_missing", levels = levels),
            Self::UnknownLevel(level) => t!(
                "corporate_plans.credit.unknown_level",
                level = level,
                levels = levels
            ),
            Self::Zero => t!("corporate_plans.credit.zero"),
            Self::TooLarge => t!(
                "corporate_plans.credit.too_large",
                max = format_cents(MAX_CENTS, lang)
            ),
        }
    }
}

/// Two level names are the same level when they match ignoring case and spaces.
fn level_key(level: &str) -> String {
    level
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

impl CreditRule {
    /// The credit of an employee of `level` with `dependants` dependants.
    pub fn credit(&self, level: Option<&str>, dependants: u32) -> Result<Credit, CreditError> {
        let base = if self.levels.is_empty() {
            self.flat_cents
        } else {
            let level = level
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .ok_or(CreditError::LevelMissing)?;
            let key = level_key(level);
            self.levels
                .iter()
                .find(|l| level_key(&l.level) == key)
                .map(|l| l.cents)
                .ok_or_else(|| CreditError::UnknownLevel(level.to_owned()))?
        };
        let counted = self
            .max_dependants
            .map_or(dependants, |max| dependants.min(max));
        let total = self
            .per_dependant_cents
            .checked_mul(i64::from(counted))
            .and_then(|extra| extra.checked_add(base))
            .filter(|total| *total <= MAX_CENTS)
            .ok_or(CreditError::TooLarge)?;
        if total <= 0 {
            return Err(CreditError::Zero);
        }
        Ok(Credit {
            total_cents: total,
            reimbursable_cents: reimbursable(total, self.refund_share_bp),
        })
    }

    /// The canonical spelling of `level` in this plan, if it lists it.
    pub fn level_name(&self, level: &str) -> Option<&str> {
        let key = level_key(level);
        self.levels
            .iter()
            .find(|l| level_key(&l.level) == key)
            .map(|l| l.level.as_str())
    }

    /// The rules in one line, for pages and exports.
    pub fn describe(&self, lang: Lang) -> String {
        let mut parts = Vec::new();
        if self.levels.is_empty() {
            parts.push(t!(
                "corporate_plans.credit.rule_flat",
                amount = format_cents(self.flat_cents, lang)
            ));
        } else {
            let levels: Vec<String> = self
                .levels
                .iter()
                .map(|l| format!("{} {}", l.level, format_cents(l.cents, lang)))
                .collect();
            parts.push(t!(
                "corporate_plans.credit.rule_levels",
                levels = levels.join(", ")
            ));
        }
        if self.per_dependant_cents > 0 {
            let per = format_cents(self.per_dependant_cents, lang);
            parts.push(match self.max_dependants {
                Some(max) => t!(
                    "corporate_plans.credit.rule_per_dependant_up_to",
                    amount = per,
                    max = max
                ),
                None => t!("corporate_plans.credit.rule_per_dependant", amount = per),
            });
        }
        parts.push(t!(
            "corporate_plans.credit.rule_share",
            percent = percent_text(self.refund_share_bp, lang)
        ));
        parts.join(" ")
    }
}

/// `floor(total × share_bp / 10000)`, in cents: the reimbursable part of a credit (see the
/// module documentation). A share above 100% counts as 100%.
pub fn reimbursable(total_cents: i64, share_bp: u32) -> i64 {
    let share = i128::from(share_bp.min(FULL_SHARE_BP));
    let part = i128::from(total_cents.max(0)) * share / i128::from(FULL_SHARE_BP);
    // At most `total_cents`, so it fits.
    i64::try_from(part).unwrap_or(total_cents)
}

/// A percentage as people write it (`30`, `33,33`): the same digits as cents of a euro.
pub fn percent_text(bp: u32, lang: Lang) -> String {
    let whole = bp / 100;
    let rest = bp % 100;
    let separator = lang.pick(",", ".");
    match rest {
        0 => whole.to_string(),
        r if r % 10 == 0 => format!("{whole}{separator}{}", r / 10),
        r => format!("{whole}{separator}{r:02}"),
    }
}

/// Reads a share as a percentage (`30`, `30%`, `33,33`, `12.5 %`) into basis points.
pub fn parse_share(text: &str) -> Result<u32, String> {
    let trimmed = text.trim().trim_end_matches('%').trim();
    let bp = money::parse_euros(trimmed).map_err(|_| {
        t!(
            "corporate_plans.credit.not_a_percentage",
            text = text.trim()
        )
    })?;
    u32::try_from(bp)
        .ok()
        .filter(|bp| *bp <= FULL_SHARE_BP)
        .ok_or_else(|| t!("corporate_plans.credit.share_range"))
}

/// Reads contract levels written as `level = amount`, one per item (`Q1 = 1.200; 1 = 950`).
pub fn parse_levels(items: &[&str]) -> Result<Vec<LevelCredit>, String> {
    let mut levels: Vec<LevelCredit> = Vec::new();
    for item in items {
        let Some((level, amount)) = item.split_once('=') else {
            return Err(t!("corporate_plans.credit.level_syntax", item = item));
        };
        let level = level.trim();
        if level.is_empty() || level.chars().count() > 30 {
            return Err(t!("corporate_plans.credit.level_name_length", item = item));
        }
        let cents =
            money::parse_euros(amount).map_err(|err| err.describe(amount, i18n::current()))?;
        if levels
            .iter()
            .any(|l| level_key(&l.level) == level_key(level))
        {
            return Err(t!("corporate_plans.credit.level_twice", level = level));
        }
        levels.push(LevelCredit {
            level: level.to_owned(),
            cents,
        });
    }
    if levels.len() > MAX_LEVELS {
        return Err(t!(
            "corporate_plans.credit.too_many_levels",
            max = MAX_LEVELS
        ));
    }
    Ok(levels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(cents: i64, share_bp: u32) -> CreditRule {
        CreditRule {
            flat_cents: cents,
            levels: Vec::new(),
            per_dependant_cents: 0,
            max_dependants: None,
            refund_share_bp: share_bp,
        }
    }

    #[test]
    fn a_flat_credit_with_dependants_counted_up_to_the_maximum() {
        let rule = CreditRule {
            per_dependant_cents: 15_000,
            max_dependants: Some(3),
            ..flat(50_000, 3000)
        };
        assert_eq!(
            rule.credit(None, 0),
            Ok(Credit {
                total_cents: 50_000,
                reimbursable_cents: 15_000
            })
        );
        assert_eq!(rule.credit(None, 2).map(|c| c.total_cents), Ok(80_000));
        assert_eq!(rule.credit(None, 7).map(|c| c.total_cents), Ok(95_000));
        // A level is ignored when the plan has none.
        assert_eq!(
            rule.credit(Some("Q1"), 0).map(|c| c.total_cents),
            Ok(50_000)
        );
    }

    #[test]
    fn levels_replace_the_flat_amount_and_must_match() {
        let rule = CreditRule {
            levels: parse_levels(&["Q1 = 1.200", "3° livello = 950,50"]).unwrap(),
            per_dependant_cents: 10_000,
            ..flat(0, 0)
        };
        assert_eq!(
            rule.credit(Some("q1"), 1).map(|c| c.total_cents),
            Ok(130_000)
        );
        assert_eq!(
            rule.credit(Some(" 3°LIVELLO "), 0).map(|c| c.total_cents),
            Ok(95_050)
        );
        assert_eq!(rule.credit(None, 0), Err(CreditError::LevelMissing));
        assert_eq!(
            rule.credit(Some("Q2"), 0),
            Err(CreditError::UnknownLevel("Q2".into()))
        );
        assert_eq!(rule.level_name("3° LIVELLO"), Some("3° livello"));
        assert_eq!(
            CreditError::UnknownLevel("Q2".into()).describe(&rule, Lang::It),
            "il livello «Q2» non è nel piano, che prevede Q1, 3° livello"
        );
        trama_sdk::i18n::set_locale("en");
        let english = CreditError::UnknownLevel("Q2".into()).describe(&rule, Lang::En);
        trama_sdk::i18n::set_locale("it");
        assert_eq!(
            english,
            "the level `Q2` is not in the plan, which has Q1, 3° livello"
        );
    }

    #[test]
    fn the_reimbursable_share_is_floored_to_the_cent() {
        // 33.33% of 100.01 € is 33.333333 €: 33.33 € reimbursable, 66.68 € for purchases.
        assert_eq!(reimbursable(10_001, 3333), 3333);
        // 12.5% of 0.07 € is 0.875 cents: nothing reimbursable, the 7 cents stay.
        assert_eq!(reimbursable(7, 1250), 0);
        assert_eq!(reimbursable(100_000, 10_000), 100_000);
        assert_eq!(reimbursable(100_000, 0), 0);
        assert_eq!(reimbursable(MAX_CENTS, 9_999), MAX_CENTS / 10_000 * 9_999);
        assert_eq!(reimbursable(999, 20_000), 999, "above 100% counts as 100%");
    }

    #[test]
    fn zero_and_huge_credits_are_refused() {
        assert_eq!(flat(0, 0).credit(None, 3), Err(CreditError::Zero));
        let huge = CreditRule {
            per_dependant_cents: MAX_CENTS,
            ..flat(1, 0)
        };
        assert_eq!(huge.credit(None, 2), Err(CreditError::TooLarge));
    }

    #[test]
    fn shares_and_levels_are_read_as_people_write_them() {
        assert_eq!(parse_share("30"), Ok(3000));
        assert_eq!(parse_share("33,33 %"), Ok(3333));
        assert_eq!(parse_share("12.5%"), Ok(1250));
        assert_eq!(parse_share("0"), Ok(0));
        assert!(parse_share("101").is_err());
        assert_eq!(
            parse_share("trenta"),
            Err("«trenta» non è una percentuale: scrivila come 30 oppure 33,33".into())
        );
        assert_eq!(percent_text(3333, Lang::It), "33,33");
        assert_eq!(percent_text(1250, Lang::En), "12.5");
        assert_eq!(percent_text(3000, Lang::En), "30");
        assert!(parse_levels(&["Q1 1200"]).is_err());
        assert!(parse_levels(&["Q1 = 1200", "q 1 = 5"]).is_err());
        assert!(parse_levels(&["Q1 = dodici"]).is_err());
    }
}
