//! Checking HR's form of a new plan: its title, period, credit rules and categories, every
//! problem named by field before anything is created.

use trama_sdk::clock::Date;
use trama_sdk::input::{Input, Problems};
use trama_sdk::{i18n, money, t};

use super::MAX_DAYS;
use crate::category;
use crate::credit::{self, CreditRule};
use crate::fields;

/// A new plan from HR's form, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlan {
    pub title: String,
    pub year: i32,
    pub starts_on: Date,
    pub ends_on: Date,
    pub budget_cents: i64,
    pub rule: CreditRule,
    pub categories: Vec<String>,
    pub request_id: String,
}

/// Reads a plan's form; `today` is when it is submitted.
pub fn read_new(input: &Input, today: Date) -> std::result::Result<NewPlan, Problems> {
    let mut problems = Problems::default();
    let lang = i18n::current();
    let title = fields::read_text(
        input,
        "title",
        3..=120,
        t!("corporate_plans.plan.title"),
        &mut problems,
    );
    let year = match input.one("year").map(str::parse::<i32>) {
        None => today.year,
        Some(Ok(year)) if (2000..=2100).contains(&year) => year,
        Some(_) => {
            problems.push("year", t!("corporate_plans.plan.year"));
            today.year
        }
    };
    let date = |field: &str, default: Option<Date>, problems: &mut Problems| match input.one(field)
    {
        None => default,
        Some(text) => match Date::parse(text) {
            Ok(date) => Some(date),
            Err(_) => {
                problems.push(field, fields::not_a_date(text));
                None
            }
        },
    };
    let starts_on = date("starts_on", Date::new(year, 1, 1), &mut problems);
    let ends_on = date("ends_on", Date::new(year, 12, 31), &mut problems);
    if let (Some(starts), Some(ends)) = (starts_on, ends_on) {
        if ends < starts {
            problems.push("ends_on", t!("corporate_plans.plan.ends_before_start"));
        } else if starts.days_until(ends) >= MAX_DAYS {
            problems.push("ends_on", t!("corporate_plans.plan.too_long"));
        } else if ends < today {
            problems.push(
                "ends_on",
                t!("corporate_plans.plan.already_over", date = ends),
            );
        }
    }
    let budget_cents = match input.one("budget") {
        None => 0,
        Some(text) => money::parse_euros(text).unwrap_or_else(|err| {
            problems.push("budget", err.describe(text, lang));
            0
        }),
    };
    let amount = |field: &str, problems: &mut Problems| match input.one(field) {
        None => 0,
        Some(text) => money::parse_euros(text).unwrap_or_else(|err| {
            problems.push(field, err.describe(text, lang));
            0
        }),
    };
    let flat_cents = amount("flat_credit", &mut problems);
    let per_dependant_cents = amount("per_dependant", &mut problems);
    let levels = credit::parse_levels(&input.list("level_credits")).unwrap_or_else(|m| {
        problems.push("level_credits", m);
        Vec::new()
    });
    if flat_cents == 0 && levels.is_empty() && per_dependant_cents == 0 {
        problems.push("flat_credit", t!("corporate_plans.plan.credit_missing"));
    }
    if flat_cents > 0 && !levels.is_empty() {
        problems.push("flat_credit", t!("corporate_plans.plan.flat_and_levels"));
    }
    let max_dependants = match input.one("max_dependants").map(str::parse::<u32>) {
        None => None,
        Some(Ok(n)) if n <= credit::MAX_DEPENDANTS => Some(n),
        Some(_) => {
            problems.push(
                "max_dependants",
                t!(
                    "corporate_plans.plan.max_dependants",
                    max = credit::MAX_DEPENDANTS
                ),
            );
            None
        }
    };
    let refund_share_bp = match input.one("refund_share") {
        None => 0,
        Some(text) => credit::parse_share(text).unwrap_or_else(|m| {
            problems.push("refund_share", m);
            0
        }),
    };
    let categories = category::read_many(input, &mut problems);
    if categories.is_empty() && problems.for_field("categories").is_none() {
        problems.push("categories", t!("corporate_plans.plan.no_category"));
    }
    let request_id = fields::request_id(input, &mut problems);
    match (starts_on, ends_on) {
        (Some(starts_on), Some(ends_on)) if problems.is_empty() => Ok(NewPlan {
            title,
            year,
            starts_on,
            ends_on,
            budget_cents,
            rule: CreditRule {
                flat_cents,
                levels,
                per_dependant_cents,
                max_dependants,
                refund_share_bp,
            },
            categories,
            request_id,
        }),
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::new(2025, 3, 10).unwrap_or_else(|| unreachable!())
    }

    #[test]
    fn a_plan_for_the_year_with_levels_and_a_reimbursable_share() {
        let plan = read_new(
            &Input::from_strs(&[
                ("title", "Welfare 2025"),
                ("year", "2025"),
                ("budget", "20.000"),
                ("level_credits", "Q1 = 1.000; 2 = 800"),
                ("per_dependant", "150"),
                ("max_dependants", "3"),
                ("categories", "education"),
                ("categories", "Sport"),
                ("refund_share", "30"),
                ("request_id", "0123456789abcdef"),
            ]),
            today(),
        )
        .unwrap();
        assert_eq!(plan.starts_on.to_string(), "2025-01-01");
        assert_eq!(plan.ends_on.to_string(), "2025-12-31");
        assert_eq!(plan.budget_cents, 2_000_000);
        assert_eq!(plan.rule.levels.len(), 2);
        assert_eq!(plan.rule.refund_share_bp, 3000);
        assert_eq!(plan.categories, vec!["education", "sport"]);
    }

    #[test]
    fn every_wrong_field_is_named() {
        let problems = read_new(
            &Input::from_strs(&[
                ("title", "W"),
                ("starts_on", "2025-06-01"),
                ("ends_on", "2025-05-01"),
                ("budget", "tanti"),
                ("refund_share", "120"),
                ("max_dependants", "-1"),
            ]),
            today(),
        )
        .unwrap_err();
        let fields: Vec<&str> = problems.0.iter().map(|p| p.field.as_str()).collect();
        for field in [
            "title",
            "ends_on",
            "budget",
            "flat_credit",
            "max_dependants",
            "refund_share",
            "categories",
            "request_id",
        ] {
            assert!(fields.contains(&field), "{field} not in {fields:?}");
        }
    }

    #[test]
    fn a_plan_already_over_or_longer_than_a_year_is_refused() {
        let base = [
            ("title", "Welfare"),
            ("flat_credit", "500"),
            ("categories", "health"),
            ("request_id", "0123456789abcdef"),
        ];
        let with = |extra: &[(&str, &str)]| {
            let mut pairs = base.to_vec();
            pairs.extend_from_slice(extra);
            read_new(&Input::from_strs(&pairs), today())
        };
        trama_sdk::i18n::set_locale("en");
        let past = with(&[("year", "2024")]).unwrap_err();
        trama_sdk::i18n::set_locale("it");
        assert!(
            past.for_field("ends_on")
                .is_some_and(|m| m.contains("passed"))
        );
        let long = with(&[("starts_on", "2025-01-01"), ("ends_on", "2026-01-02")]).unwrap_err();
        assert!(long.for_field("ends_on").is_some_and(|m| m.contains("366")));
        // Ending today is fine: today is still a day to spend.
        assert!(with(&[("starts_on", "2025-01-01"), ("ends_on", "2025-03-10")]).is_ok());
        let both = with(&[("level_credits", "Q1 = 100")]).unwrap_err();
        assert!(both.for_field("flat_credit").is_some());
    }
}
