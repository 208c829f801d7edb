//! What a rulebook decides for one application, with every step of the calculation, so the
//! applicant reads which rule failed, the operator reads how an award was reached, and the
//! simulator shows both before a notice is published.

use serde::{Deserialize, Serialize};
use trama_sdk::clock::Date;
use trama_sdk::t;

use super::answer::Answers;
use super::expr::{Engine, as_int, shown};
use super::{Rulebook, Text, Unit};

/// Most ranking keys a rulebook uses (the closing holds them in a fixed-size array).
pub const MAX_PRIORITY: usize = 3;

/// Where the rules send an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Eligible,
    Ineligible,
    /// A review rule holds, or a rule could not be computed for these answers.
    Review,
}

/// One step of a calculation: what was computed, under which label, and its result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// `values[1]`, `eligibility[2]`, `amount`, …
    pub at: String,
    pub label: Text,
    /// The result as computed (cents for amounts), or the error.
    pub result: String,
    /// Whether the step held (rules), or `None` for figures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cents: Option<i64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub error: bool,
}

/// The outcome of the rules for one application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub decision: Decision,
    /// The labels of the eligibility rules that do not hold.
    pub failed: Vec<Text>,
    /// The labels of the review rules that hold, and of the rules that could not be computed.
    pub review: Vec<Text>,
    /// What the application receives if funded; 0 unless eligible or to review.
    pub amount_cents: i64,
    /// The ranking keys, highest first.
    pub priority: Vec<i64>,
    pub steps: Vec<Step>,
}

impl Outcome {
    /// Removes from a kept calculation the results that are not figures (a date, an IBAN, a
    /// text a value computed): the erasure of [`crate::personal`].
    pub fn pseudonymise(&mut self) {
        for step in &mut self.steps {
            let figure = step.result.parse::<i64>().is_ok()
                || step.result == "true"
                || step.result == "false";
            if !figure {
                trama_sdk::personal_data::erase_text(&mut step.result);
            }
        }
    }
}

impl Engine {
    /// Applies `book`'s rules to `answers`, ages counted on `day` (or the rulebook's own
    /// day). A rule that cannot be computed — an overflow, a missing table entry — sends the
    /// application to review with the reason, instead of refusing the applicant for a fault of
    /// the notice.
    pub fn evaluate(&self, book: &Rulebook, answers: &Answers, day: Date) -> Outcome {
        let day = book
            .ages_on
            .as_deref()
            .and_then(|d| Date::parse(d).ok())
            .unwrap_or(day);
        let mut scope = self.scope(book, answers, day);
        let mut steps = Vec::new();
        let mut review = Vec::new();
        let broken = |at: String, label: &Text, err: String, review: &mut Vec<Text>| {
            review.push(Text(
                [(
                    "it".to_owned(),
                    t!(
                        "vouchers.rulebook.not_computed",
                        label = label.get(),
                        problem = err
                    ),
                )]
                .into(),
            ));
            Step {
                at,
                label: label.clone(),
                result: err,
                held: None,
                cents: None,
                error: true,
            }
        };

        for (i, (value, program)) in book.values.iter().zip(&self.values).enumerate() {
            let at = format!("values[{}]", i + 1);
            match Engine::run(program, &scope) {
                Ok(result) => {
                    steps.push(Step {
                        at,
                        label: value.label.clone(),
                        result: shown(&result),
                        held: None,
                        cents: (value.unit == Unit::Euros)
                            .then(|| as_int(&result))
                            .flatten(),
                        error: false,
                    });
                    scope.add_variable_from_value(value.key.as_str(), result);
                }
                Err(err) => {
                    steps.push(broken(at, &value.label, err.to_string(), &mut review));
                    // Later rules that use it fail too, and say so.
                }
            }
        }

        let mut failed = Vec::new();
        for (i, (rule, program)) in book.eligibility.iter().zip(&self.eligibility).enumerate() {
            let at = format!("eligibility[{}]", i + 1);
            match Engine::run(program, &scope).map(|v| as_bool(&v)) {
                Ok(Some(held)) => {
                    if !held {
                        failed.push(rule.label.clone());
                    }
                    steps.push(rule_step(at, &rule.label, held));
                }
                Ok(None) => steps.push(broken(
                    at,
                    &rule.label,
                    t!("vouchers.rulebook.not_yes_no"),
                    &mut review,
                )),
                Err(err) => steps.push(broken(at, &rule.label, err.to_string(), &mut review)),
            }
        }

        let mut amount_cents = 0;
        match Engine::run(&self.amount, &scope).map(|v| as_int(&v)) {
            Ok(Some(cents)) => {
                amount_cents = cents.max(0);
                steps.push(Step {
                    at: "amount".to_owned(),
                    label: book.amount.label.clone(),
                    result: cents.to_string(),
                    held: None,
                    cents: Some(amount_cents),
                    error: false,
                });
            }
            Ok(None) => steps.push(broken(
                "amount".to_owned(),
                &book.amount.label,
                t!("vouchers.rulebook.not_a_number"),
                &mut review,
            )),
            Err(err) => steps.push(broken(
                "amount".to_owned(),
                &book.amount.label,
                err.to_string(),
                &mut review,
            )),
        }

        let mut priority = Vec::new();
        for (i, (rule, program)) in book.priority.iter().zip(&self.priority).enumerate() {
            let at = format!("priority[{}]", i + 1);
            match Engine::run(program, &scope).map(|v| as_int(&v)) {
                Ok(Some(key)) => {
                    priority.push(key);
                    steps.push(Step {
                        at,
                        label: rule.label.clone(),
                        result: key.to_string(),
                        held: None,
                        cents: None,
                        error: false,
                    });
                }
                Ok(None) => {
                    priority.push(0);
                    steps.push(broken(
                        at,
                        &rule.label,
                        t!("vouchers.rulebook.not_a_number"),
                        &mut review,
                    ));
                }
                Err(err) => {
                    priority.push(0);
                    steps.push(broken(at, &rule.label, err.to_string(), &mut review));
                }
            }
        }

        for (i, (rule, program)) in book.review.iter().zip(&self.review).enumerate() {
            let at = format!("review[{}]", i + 1);
            match Engine::run(program, &scope).map(|v| as_bool(&v)) {
                Ok(Some(held)) => {
                    if held {
                        review.push(rule.label.clone());
                    }
                    steps.push(rule_step(at, &rule.label, held));
                }
                Ok(None) => steps.push(broken(
                    at,
                    &rule.label,
                    t!("vouchers.rulebook.not_yes_no"),
                    &mut review,
                )),
                Err(err) => steps.push(broken(at, &rule.label, err.to_string(), &mut review)),
            }
        }

        let decision = if !failed.is_empty() {
            Decision::Ineligible
        } else if !review.is_empty() {
            Decision::Review
        } else {
            Decision::Eligible
        };
        if decision == Decision::Ineligible {
            amount_cents = 0;
        }
        Outcome {
            decision,
            failed,
            review,
            amount_cents,
            priority,
            steps,
        }
    }
}

fn as_bool(value: &cel::Value) -> Option<bool> {
    match value {
        cel::Value::Bool(b) => Some(*b),
        _ => None,
    }
}

fn rule_step(at: String, label: &Text, held: bool) -> Step {
    Step {
        at,
        label: label.clone(),
        result: held.to_string(),
        held: Some(held),
        cents: None,
        error: false,
    }
}
