//! Review rules: the conditions on an application's answers that send it to an operator
//! (`isee > 12000`), parsed from and written as text.

use std::fmt;

use serde::{Deserialize, Serialize};
use trama_sdk::i18n::{self, Lang};
use trama_sdk::input::parse_yes_no;
use trama_sdk::{money, t};

use super::{Answers, Field, Kind, show_value};

/// A comparison in a review rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }

    fn holds(self, left: i64, right: i64) -> bool {
        match self {
            Op::Eq => left == right,
            Op::Ne => left != right,
            Op::Lt => left < right,
            Op::Le => left <= right,
            Op::Gt => left > right,
            Op::Ge => left >= right,
        }
    }
}

/// A condition that sends an application to an operator's review instead of deciding it
/// automatically, written as `income_loss = yes` or `arrears > 5000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReviewRule {
    pub field: Field,
    pub op: Op,
    /// A count, cents, or 1/0 for yes/no.
    pub value: i64,
}

impl ReviewRule {
    /// Reads `field op value`: `op` is one of `= == != <> < <= > >=`, `value` a whole number,
    /// an amount of euros or yes/no, as the field wants. A refusal says why in the caller's
    /// language.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let name_end = text
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(text.len());
        let (name, rest) = text.split_at(name_end);
        let Some(field) = Field::parse(name) else {
            return Err(t!(
                "vouchers.review_rule.unknown_field",
                text = text,
                name = name,
                fields = field_list(),
            ));
        };
        let rest = rest.trim_start();
        let (op, value) = [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<>", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("=", Op::Eq),
            ("<", Op::Lt),
            (">", Op::Gt),
        ]
        .into_iter()
        .find_map(|(symbol, op)| rest.strip_prefix(symbol).map(|value| (op, value.trim())))
        .ok_or_else(|| t!("vouchers.review_rule.no_comparison", text = text))?;
        let value = match field.kind() {
            Kind::YesNo => parse_yes_no(value).map(i64::from).ok_or_else(|| {
                t!(
                    "vouchers.review_rule.yes_no_value",
                    text = text,
                    field = field.key(),
                )
            })?,
            Kind::Count => value.parse::<i64>().map_err(|_| {
                t!(
                    "vouchers.review_rule.whole_number_value",
                    text = text,
                    field = field.key(),
                )
            })?,
            Kind::Euros => money::parse_euros(value).map_err(|err| {
                t!(
                    "vouchers.review_rule.amount_value",
                    text = text,
                    // The SDK's sentence, in the caller's language.
                    problem = err.describe(value, i18n::current()),
                )
            })?,
        };
        if field.kind() == Kind::YesNo && !matches!(op, Op::Eq | Op::Ne) {
            return Err(t!("vouchers.review_rule.yes_no_op", text = text));
        }
        Ok(Self { field, op, value })
    }

    pub fn applies(&self, answers: &Answers) -> bool {
        answers
            .number(self.field)
            .is_some_and(|n| self.op.holds(n, self.value))
    }

    /// The rule in words: "Perdita o calo del reddito = sì"; `lang` formats the value.
    pub fn describe(&self, lang: Lang) -> String {
        format!(
            "{} {} {}",
            self.field.label(),
            self.op.symbol(),
            show_value(self.field, self.value, lang)
        )
    }
}

fn field_list() -> String {
    Field::ALL
        .iter()
        .map(|f| f.key())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The canonical text, which reads back as the same rule: `income_loss = yes`, `isee < 3000.00`.
impl fmt::Display for ReviewRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = match self.field.kind() {
            Kind::YesNo => if self.value != 0 { "yes" } else { "no" }.to_owned(),
            Kind::Count => self.value.to_string(),
            Kind::Euros => money::plain(self.value),
        };
        write!(f, "{} {} {value}", self.field.key(), self.op.symbol())
    }
}

impl From<ReviewRule> for String {
    fn from(rule: ReviewRule) -> Self {
        rule.to_string()
    }
}

impl TryFrom<String> for ReviewRule {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        ReviewRule::parse(&text)
    }
}
