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
        let mut trace = Trace::default();

        for (i, (value, program)) in book.values.iter().zip(&self.values).enumerate() {
            let at = format!("values[{}]", i + 1);
            match Engine::run(program, &scope) {
                Ok(result) => {
                    let cents = (value.unit == Unit::Euros)
                        .then(|| as_int(&result))
                        .flatten();
                    trace.figure(at, &value.label, shown(&result), cents);
                    scope.add_variable_from_value(value.key.as_str(), result);
                }
                // Later rules that use it fail too, and say so.
                Err(err) => trace.broken(at, &value.label, err.to_string()),
            }
        }

        let mut failed = Vec::new();
        for (i, (rule, program)) in book.eligibility.iter().zip(&self.eligibility).enumerate() {
            let at = format!("eligibility[{}]", i + 1);
            if trace.rule(at, &rule.label, yes_no(program, &scope)) == Some(false) {
                failed.push(rule.label.clone());
            }
        }

        let mut amount_cents = 0;
        match number(&self.amount, &scope) {
            Ok(cents) => {
                amount_cents = cents.max(0);
                let at = "amount".to_owned();
                trace.figure(
                    at,
                    &book.amount.label,
                    cents.to_string(),
                    Some(amount_cents),
                );
            }
            Err(err) => trace.broken("amount".to_owned(), &book.amount.label, err),
        }

        let mut priority = Vec::new();
        for (i, (rule, program)) in book.priority.iter().zip(&self.priority).enumerate() {
            let at = format!("priority[{}]", i + 1);
            match number(program, &scope) {
                Ok(key) => {
                    trace.figure(at, &rule.label, key.to_string(), None);
                    priority.push(key);
                }
                Err(err) => {
                    trace.broken(at, &rule.label, err);
                    priority.push(0);
                }
            }
        }

        for (i, (rule, program)) in book.review.iter().zip(&self.review).enumerate() {
            let at = format!("review[{}]", i + 1);
            if trace.rule(at, &rule.label, yes_no(program, &scope)) == Some(true) {
                trace.review.push(rule.label.clone());
            }
        }
        let Trace { steps, review } = trace;

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

/// The steps of a calculation as they are taken, and the reasons for review gathered on the
/// way (review rules that hold, and rules that could not be computed).
#[derive(Default)]
struct Trace {
    steps: Vec<Step>,
    review: Vec<Text>,
}

impl Trace {
    /// A figure computed: a value, the amount, a ranking key.
    fn figure(&mut self, at: String, label: &Text, result: String, cents: Option<i64>) {
        self.steps.push(Step {
            at,
            label: label.clone(),
            result,
            held: None,
            cents,
            error: false,
        });
    }

    /// A yes/no rule: its step, and whether it held (`None` when it could not be computed).
    fn rule(&mut self, at: String, label: &Text, result: Result<bool, String>) -> Option<bool> {
        match result {
            Ok(held) => {
                self.steps.push(Step {
                    at,
                    label: label.clone(),
                    result: held.to_string(),
                    held: Some(held),
                    cents: None,
                    error: false,
                });
                Some(held)
            }
            Err(err) => {
                self.broken(at, label, err);
                None
            }
        }
    }

    /// A step that could not be computed: shown with its error, and a reason for review.
    fn broken(&mut self, at: String, label: &Text, err: String) {
        self.review.push(Text(
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
        self.steps.push(Step {
            at,
            label: label.clone(),
            result: err,
            held: None,
            cents: None,
            error: true,
        });
    }
}

/// `program`'s result as yes or no, or why not.
fn yes_no(program: &cel::Program, scope: &cel::Context<'_, 'static>) -> Result<bool, String> {
    match Engine::run(program, scope) {
        Ok(cel::Value::Bool(held)) => Ok(held),
        Ok(_) => Err(t!("vouchers.rulebook.not_yes_no")),
        Err(err) => Err(err.to_string()),
    }
}

/// `program`'s result as an integer (`true`/`false` as 1/0), or why not.
fn number(program: &cel::Program, scope: &cel::Context<'_, 'static>) -> Result<i64, String> {
    match Engine::run(program, scope) {
        Ok(value) => as_int(&value).ok_or_else(|| t!("vouchers.rulebook.not_a_number")),
        Err(err) => Err(err.to_string()),
    }
}
