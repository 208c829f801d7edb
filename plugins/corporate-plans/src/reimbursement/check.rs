//! Checking a reimbursement request: the employee's form on its own, then against the plan
//! (its dates, categories and state) before any money moves.

use trama_sdk::clock::Date;
use trama_sdk::input::{Input, Problems};
use trama_sdk::t;

use super::receipt_key;
use crate::category;
use crate::enrol::Enrolment;
use crate::fields::{self, read_amount};
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

pub fn read(input: &Input) -> std::result::Result<NewRequest, Problems> {
    let mut problems = Problems::default();
    let enrolment = input.one("enrolment").unwrap_or_default().to_owned();
    if enrolment.is_empty() {
        problems.push("enrolment", t!("corporate_plans.reimbursement.choose_plan"));
    }
    let category = category::read_one(
        input,
        t!("corporate_plans.reimbursement.choose_category"),
        &mut problems,
    );
    let amount_cents = read_amount(input, "amount", &mut problems);
    let expense_date = match input.one("expense_date") {
        None => {
            problems.push(
                "expense_date",
                t!("corporate_plans.reimbursement.date_missing"),
            );
            None
        }
        Some(text) => Date::parse(text).ok().or_else(|| {
            problems.push("expense_date", fields::not_a_date(text));
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
            t!("corporate_plans.reimbursement.receipt"),
        );
    }
    let description = input.one("description").unwrap_or_default().to_owned();
    if description.chars().count() > 500 {
        problems.push(
            "description",
            t!("corporate_plans.reimbursement.description_long"),
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
) -> Option<String> {
    if let Some(reason) = plan.closed_reason(today) {
        return Some(t!(
            "corporate_plans.reimbursement.no_longer",
            reason = reason
        ));
    }
    if enrolment.reimbursable_cents == 0 {
        return Some(t!(
            "corporate_plans.reimbursement.no_reimbursements",
            title = plan.title
        ));
    }
    if !plan.allows(&new.category) {
        return Some(t!(
            "corporate_plans.plan.category_not_covered",
            plan = plan.title,
            category = category::label(&new.category)
        ));
    }
    let date = new.expense_date.to_string();
    if date < plan.starts_on || date > plan.ends_on {
        return Some(t!(
            "corporate_plans.reimbursement.outside_period",
            date = date,
            starts = plan.starts_on,
            ends = plan.ends_on
        ));
    }
    if new.expense_date > today {
        return Some(t!("corporate_plans.reimbursement.in_future", date = date));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{enrol, plan};

    #[test]
    fn a_request_names_every_missing_field() {
        let problems = read(&Input::default()).unwrap_err();
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
        let plan = Plan::sample(100_000, 3000, "education");
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
            ),
            None
        );
        trama_sdk::i18n::set_locale("en");
        for (req, expected) in [
            (request("sport", day(2025, 5, 1)), "category"),
            (request("education", day(2024, 12, 31)), "outside"),
            (request("education", day(2025, 6, 2)), "future"),
        ] {
            let reason = refuse(&plan, &enrolment, &req, today).unwrap_or_default();
            assert!(reason.contains(expected), "{reason}");
        }
        trama_sdk::i18n::set_locale("it");
        assert_eq!(
            refuse(&plan, &enrolment, &request("education", day(2024, 12, 31)), today),
            Some(
                "la spesa del 2024-12-31 è fuori dal periodo del piano, dal 2025-01-01 al 2025-12-31"
                    .into()
            )
        );
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
            )
            .is_some()
        );
    }
}
