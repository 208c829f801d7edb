//! Checking a reimbursement request: the employee's form on its own, then against the plan
//! (its dates, categories and state) before any money moves.

use trama_sdk::clock::Date;
use trama_sdk::i18n::Lang;
use trama_sdk::input::{Input, Problems};

use super::receipt_key;
use crate::category;
use crate::enrol::Enrolment;
use crate::fields::read_amount;
use crate::plan::Plan;

/// A request from the employee's form, checked against what can be checked without the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRequest {
    pub enrolment: String,
    pub category: String,
    pub amount_cents: i64,
    pub expense_date: Date,
    pub receipt_reference: String,
    pub description: String,
}

pub fn read(input: &Input, lang: Lang) -> std::result::Result<NewRequest, Problems> {
    let mut problems = Problems::default();
    let enrolment = input.one("enrolment").unwrap_or_default().to_owned();
    if enrolment.is_empty() {
        problems.push(
            "enrolment",
            lang.pick(
                "scegli su quale piano chiedere il rimborso",
                "choose the plan to claim from",
            ),
        );
    }
    let category = category::read_one(
        input,
        (
            "scegli la categoria della spesa",
            "choose the expense's category",
        ),
        lang,
        &mut problems,
    );
    let amount_cents = read_amount(input, "amount", lang, &mut problems);
    let expense_date = match input.one("expense_date") {
        None => {
            problems.push(
                "expense_date",
                lang.pick(
                    "scrivi la data della spesa",
                    "write the date of the expense",
                ),
            );
            None
        }
        Some(text) => Date::parse(text).ok().or_else(|| {
            problems.push(
                "expense_date",
                match lang {
                    Lang::It => format!("«{text}» non è una data: scrivila come AAAA-MM-GG"),
                    Lang::En => format!("`{text}` is not a date: write it as YYYY-MM-DD"),
                },
            );
            None
        }),
    };
    let receipt_reference = input
        .one("receipt_reference")
        .unwrap_or_default()
        .to_owned();
    if !(2..=100).contains(&receipt_reference.chars().count())
        || receipt_key(&receipt_reference).is_empty()
    {
        problems.push(
            "receipt_reference",
            lang.pick(
                "scrivi il numero della fattura o della ricevuta (con almeno una lettera o cifra)",
                "write the number of the invoice or receipt (with at least one letter or digit)",
            ),
        );
    }
    let description = input.one("description").unwrap_or_default().to_owned();
    if description.chars().count() > 500 {
        problems.push(
            "description",
            lang.pick(
                "la descrizione ha al massimo 500 caratteri",
                "the description has at most 500 characters",
            ),
        );
    }
    match expense_date {
        Some(expense_date) if problems.is_empty() => Ok(NewRequest {
            enrolment,
            category,
            amount_cents,
            expense_date,
            receipt_reference,
            description,
        }),
        _ => Err(problems),
    }
}

/// Why a plan does not accept this request, if it does not.
pub(super) fn refuse(
    plan: &Plan,
    enrolment: &Enrolment,
    new: &NewRequest,
    today: Date,
    lang: Lang,
) -> Option<String> {
    if let Some(reason) = plan.closed_reason(today, lang) {
        return Some(match lang {
            Lang::It => format!("{reason}: non si possono più chiedere rimborsi"),
            Lang::En => format!("{reason}: reimbursements can no longer be requested"),
        });
    }
    if enrolment.reimbursable_cents == 0 {
        return Some(match lang {
            Lang::It => format!(
                "il piano «{}» non prevede rimborsi: il credito si spende sui servizi del catalogo",
                plan.title
            ),
            Lang::En => format!(
                "the plan “{}” has no reimbursements: its credit is spent on the catalogue's services",
                plan.title
            ),
        });
    }
    if !plan.allows(&new.category) {
        return Some(match lang {
            Lang::It => format!(
                "il piano «{}» non copre la categoria «{}»",
                plan.title,
                category::label(&new.category, lang)
            ),
            Lang::En => format!(
                "the plan “{}” does not cover the category “{}”",
                plan.title,
                category::label(&new.category, lang)
            ),
        });
    }
    let date = new.expense_date.to_string();
    if date < plan.starts_on || date > plan.ends_on {
        return Some(match lang {
            Lang::It => format!(
                "la spesa del {date} è fuori dal periodo del piano, dal {} al {}",
                plan.starts_on, plan.ends_on
            ),
            Lang::En => format!(
                "the expense of {date} is outside the plan's period, {} to {}",
                plan.starts_on, plan.ends_on
            ),
        });
    }
    if new.expense_date > today {
        return Some(match lang {
            Lang::It => format!("la data della spesa, {date}, è nel futuro"),
            Lang::En => format!("the expense's date, {date}, is in the future"),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{enrol, plan};

    #[test]
    fn a_request_names_every_missing_field() {
        let problems = read(&Input::default(), Lang::En).unwrap_err();
        let fields: Vec<&str> = problems.0.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "enrolment",
                "category",
                "amount",
                "expense_date",
                "receipt_reference"
            ]
        );
    }

    #[test]
    fn a_plan_refuses_expenses_outside_its_rules() {
        let plan = Plan {
            company: "c".into(),
            title: "Welfare".into(),
            year: 2025,
            starts_on: "2025-01-01".into(),
            ends_on: "2025-12-31".into(),
            rule: crate::credit::CreditRule {
                flat_cents: 100_000,
                levels: Vec::new(),
                per_dependant_cents: 0,
                max_dependants: None,
                refund_share_bp: 3000,
            },
            categories: vec!["education".into()],
            state: plan::State::Active,
            closed_early_on: None,
            closed_by: None,
            funded_cents: 0,
            created_at: 0,
            created_by: "hr".into(),
            expiry: None,
        };
        let enrolment = Enrolment {
            plan: "p".into(),
            company: "c".into(),
            username: "anna".into(),
            full_name: "Anna".into(),
            employee_code: None,
            level: None,
            dependants: 0,
            credit_cents: 100_000,
            reimbursable_cents: 30_000,
            status: enrol::Status::Active,
            activation_code: None,
            failed_attempts: 0,
            user_id: Some("u".into()),
            enrolled_at: 0,
            enrolled_by: "hr".into(),
            activated_at: None,
        };
        let day = |y, m, d| Date::new(y, m, d).unwrap_or_else(|| unreachable!());
        let request = |category: &str, date: Date| NewRequest {
            enrolment: "p.anna".into(),
            category: category.into(),
            amount_cents: 100,
            expense_date: date,
            receipt_reference: "FT1".into(),
            description: String::new(),
        };
        let today = day(2025, 6, 1);
        assert_eq!(
            refuse(
                &plan,
                &enrolment,
                &request("education", day(2025, 5, 1)),
                today,
                Lang::En
            ),
            None
        );
        for (req, expected) in [
            (request("sport", day(2025, 5, 1)), "category"),
            (request("education", day(2024, 12, 31)), "outside"),
            (request("education", day(2025, 6, 2)), "future"),
        ] {
            let reason = refuse(&plan, &enrolment, &req, today, Lang::En).unwrap_or_default();
            assert!(reason.contains(expected), "{reason}");
        }
        let no_share = Enrolment {
            reimbursable_cents: 0,
            ..enrolment.clone()
        };
        assert!(
            refuse(
                &plan,
                &no_share,
                &request("education", day(2025, 5, 1)),
                today,
                Lang::En
            )
            .is_some()
        );
        let closed = Plan {
            state: plan::State::Closing,
            ..plan
        };
        assert!(
            refuse(
                &closed,
                &enrolment,
                &request("education", day(2025, 5, 1)),
                today,
                Lang::En
            )
            .is_some()
        );
    }
}
