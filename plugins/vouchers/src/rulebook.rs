//! A campaign's rulebook: the questions, values, tables and rules a municipality writes for a
//! notice ("bando") without code, so a territory with a notice the built-in form cannot express
//! does not fork the plugin.
//!
//! Rules are expressions in the Common Expression Language (CEL, the `cel` crate). It was
//! chosen over the alternatives because:
//! - it is a published, language-neutral specification (Google's, used by Kubernetes
//!   admission policies and Envoy) that other tools can read and check, not a Trama dialect;
//! - it is not Turing-complete: no loops, no recursion, no side effects, so a rule always ends
//!   and cannot reach anything but the answers it is given — `rhai` (a full scripting language)
//!   would need operation limits and a sandbox inside the sandbox;
//! - it has what notices need: integer arithmetic that reports overflow instead of wrapping,
//!   `&&`/`||`/`?:`, and list macros (`members.filter(m, m.age < 3).size()`) that `evalexpr`
//!   lacks; and its interpreter builds for `wasm32-unknown-unknown` (about 1 MB in the
//!   component).
//!
//! Money is exact: euro answers, settings and tables reach expressions as integer cents;
//! `eur(25000)` and `eur(15493.71)` write euros, `percent(x, 14)` takes a percentage rounded to
//! the cent. See [`expr`] for the names an expression can use.
//!
//! A rulebook is written as TOML (the shipped templates in `rulebooks/`, a file a territory
//! shares) or the same document in JSON, and checked as a whole by [`Rulebook::check`]: every
//! expression compiles and names only what the rulebook defines, before a campaign can use it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use trama_sdk::checked::IntoResult;
use trama_sdk::i18n;
use trama_sdk::input::Problems;
use trama_sdk::t;

pub mod answer;
pub mod attachment;
pub mod expr;
pub mod outcome;
#[cfg(test)]
mod tests;

pub use answer::{Answer, Answers, Member};
pub use outcome::{Decision, Outcome};

/// Most questions, rules, values or table rows a rulebook holds.
const MAX_ITEMS: usize = 40;
/// Longest expression, in characters.
const MAX_EXPR_CHARS: usize = 1000;

/// Words in several languages: `{ it = "…", en = "…" }`. Italian is required; a language a
/// text lacks reads the Italian, so a territory adds a language by adding a key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Text(pub BTreeMap<String, String>);

impl Text {
    /// The text in the caller's language, or the Italian.
    pub fn get(&self) -> &str {
        let locale = i18n::locale();
        let lang = locale.split(['-', '_']).next().unwrap_or_default();
        self.0
            .get(lang)
            .or_else(|| self.0.get("it"))
            .or_else(|| self.0.values().next())
            .map_or("", String::as_str)
    }

    fn check(&self, at: &str, problems: &mut Problems) {
        if self.0.get("it").is_none_or(|it| it.trim().is_empty()) {
            problems.push(at, t!("vouchers.rulebook.italian_required", at = at));
        }
    }
}

/// A notice's questions and rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rulebook {
    /// What the notice is, shown on its public page.
    pub title: Text,
    #[serde(default)]
    pub summary: Text,
    /// The day ages are counted at, `YYYY-MM-DD`; without it, the day of the application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ages_on: Option<String>,
    pub questions: Vec<answer::Question>,
    /// Named amounts or numbers the operator sets per campaign (the minimum pension, say).
    #[serde(default)]
    pub settings: Vec<Setting>,
    /// Tables of bands or entries, read with `band()` and `lookup()`.
    #[serde(default)]
    pub tables: BTreeMap<String, Table>,
    /// Values computed from the answers, in order, each usable by the ones after it and by
    /// every rule.
    #[serde(default)]
    pub values: Vec<Value>,
    /// Every rule must hold; the label of each that does not is shown to the applicant.
    pub eligibility: Vec<Rule>,
    pub amount: Amount,
    /// Ranking keys, highest first, in order; ties go to the earliest application.
    #[serde(default)]
    pub priority: Vec<Rule>,
    /// An application any of these holds for goes to an operator before it is ranked.
    #[serde(default)]
    pub review: Vec<Rule>,
}

/// What an amount, a number or a table's figures are written in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Euros, held as cents.
    #[default]
    Euros,
    Number,
}

impl Unit {
    /// `figure` as expressions hold it: euros become cents, rounded to the cent.
    pub fn held(self, figure: f64) -> Option<i64> {
        let value = match self {
            Unit::Euros => (figure * 100.0).round(),
            Unit::Number => figure.round(),
        };
        // Beyond 2^53 a double no longer holds every integer: refused rather than rounded.
        (value.is_finite() && value.abs() < 9_007_199_254_740_992.0).then_some(value as i64)
    }
}

/// A value the operator sets for a campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setting {
    pub key: String,
    pub label: Text,
    #[serde(default)]
    pub unit: Unit,
    /// In euros or as a number, as `unit` says.
    pub value: f64,
}

/// A table: bands by an upper bound (`band`) or entries by key (`lookup`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    #[serde(default)]
    pub label: Text,
    /// The unit of the bounds of `bands`.
    #[serde(default)]
    pub bound_unit: Unit,
    /// The unit of the values.
    #[serde(default)]
    pub unit: Unit,
    /// In ascending order of `up_to`; the last may have none, for everything above.
    #[serde(default)]
    pub bands: Vec<Band>,
    #[serde(default)]
    pub entries: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub up_to: Option<f64>,
    pub value: f64,
}

/// A named value computed from the answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Value {
    pub key: String,
    pub label: Text,
    pub expr: String,
    #[serde(default)]
    pub unit: Unit,
}

/// A rule: an expression and the plain words that say what it requires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub label: Text,
    pub expr: String,
}

/// How much an eligible application receives, in cents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Amount {
    pub label: Text,
    pub expr: String,
}

/// A name an expression uses: lower-case letters, digits and `_`, starting with a letter.
pub fn is_name(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && key.len() <= 40
        && !expr::is_reserved(key)
}

impl Rulebook {
    /// Reads a rulebook from TOML (a template file) and checks it.
    pub fn from_toml(text: &str) -> Result<Self, Problems> {
        let book: Rulebook = toml::from_str(text).map_err(|err| {
            let mut problems = Problems::default();
            problems.push(
                "rulebook",
                t!("vouchers.rulebook.unreadable", problem = err.message()),
            );
            problems
        })?;
        book.check()?;
        Ok(book)
    }

    /// The rulebook as TOML, the form territories share.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    /// Every problem of the rulebook, each naming where it is: names that repeat or are not
    /// names, Italian labels missing, tables out of order, and every expression that does not
    /// compile or uses a name the rulebook does not define.
    pub fn check(&self) -> Result<(), Problems> {
        let mut problems = Problems::default();
        self.title.check("title", &mut problems);
        if let Some(day) = &self.ages_on
            && trama_sdk::clock::Date::parse(day).is_err()
        {
            problems.push("ages_on", t!("vouchers.rulebook.bad_date", text = day));
        }
        let mut names: Vec<String> = Vec::new();
        let mut declare = |key: &str, at: &str, problems: &mut Problems| {
            if !is_name(key) {
                problems.push(at, t!("vouchers.rulebook.bad_name", at = at, key = key));
            } else if names.iter().any(|n| n == key) {
                problems.push(
                    at,
                    t!("vouchers.rulebook.name_repeated", at = at, key = key),
                );
            }
            names.push(key.to_owned());
        };
        too_many("questions", self.questions.len(), &mut problems);
        if self.questions.is_empty() {
            problems.push("questions", t!("vouchers.rulebook.no_questions"));
        }
        for (i, question) in self.questions.iter().enumerate() {
            let at = format!("questions[{}]", i + 1);
            declare(&question.key, &at, &mut problems);
            question.check(&at, &mut problems);
        }
        attachment::check_totals(&self.questions, &mut problems);
        if self
            .questions
            .iter()
            .filter(|q| matches!(q.kind, answer::Kind::Members { .. }))
            .count()
            > 1
        {
            problems.push("questions", t!("vouchers.rulebook.one_members_question"));
        }
        for (i, setting) in self.settings.iter().enumerate() {
            let at = format!("settings[{}]", i + 1);
            declare(&setting.key, &at, &mut problems);
            setting.label.check(&at, &mut problems);
            if setting.unit.held(setting.value).is_none() {
                problems.push(&at, t!("vouchers.rulebook.bad_figure", at = at));
            }
        }
        for (key, table) in &self.tables {
            table.check(&format!("tables.{key}"), &mut problems);
        }
        for (i, value) in self.values.iter().enumerate() {
            declare(&value.key, &format!("values[{}]", i + 1), &mut problems);
        }
        for (list, rules) in [
            ("eligibility", &self.eligibility),
            ("priority", &self.priority),
            ("review", &self.review),
        ] {
            too_many(list, rules.len(), &mut problems);
            for (i, rule) in rules.iter().enumerate() {
                rule.label
                    .check(&format!("{list}[{}]", i + 1), &mut problems);
            }
        }
        if self.priority.len() > outcome::MAX_PRIORITY {
            problems.push(
                "priority",
                t!(
                    "vouchers.rulebook.too_many_priority",
                    max = outcome::MAX_PRIORITY
                ),
            );
        }
        self.amount.label.check("amount", &mut problems);
        too_many("values", self.values.len(), &mut problems);
        too_many("settings", self.settings.len(), &mut problems);
        if problems.is_empty() {
            expr::Engine::check(self, &mut problems);
        }
        problems.into_result(())
    }

    /// The members question, when the rulebook asks the household.
    pub fn members_question(&self) -> Option<&answer::Question> {
        self.questions
            .iter()
            .find(|q| matches!(q.kind, answer::Kind::Members { .. }))
    }
}

fn too_many(at: &str, len: usize, problems: &mut Problems) {
    if len > MAX_ITEMS {
        problems.push(
            at,
            t!("vouchers.rulebook.too_many", at = at, max = MAX_ITEMS),
        );
    }
}

impl Table {
    fn check(&self, at: &str, problems: &mut Problems) {
        if self.bands.is_empty() == self.entries.is_empty() {
            problems.push(at, t!("vouchers.rulebook.table_shape", at = at));
            return;
        }
        if self.bands.len() > MAX_ITEMS || self.entries.len() > MAX_ITEMS {
            problems.push(
                at,
                t!("vouchers.rulebook.too_many", at = at, max = MAX_ITEMS),
            );
        }
        let mut previous: Option<f64> = None;
        for (i, band) in self.bands.iter().enumerate() {
            let last = i + 1 == self.bands.len();
            match band.up_to {
                None if !last => {
                    problems.push(at, t!("vouchers.rulebook.band_open", at = at, row = i + 1));
                }
                Some(bound) => {
                    if previous.is_some_and(|p| bound <= p) || self.bound_unit.held(bound).is_none()
                    {
                        problems.push(at, t!("vouchers.rulebook.band_order", at = at, row = i + 1));
                    }
                    previous = Some(bound);
                }
                None => {}
            }
            if self.unit.held(band.value).is_none() {
                problems.push(at, t!("vouchers.rulebook.bad_figure", at = at));
            }
        }
        for (key, value) in &self.entries {
            if self.unit.held(*value).is_none() {
                problems.push(
                    at,
                    t!("vouchers.rulebook.bad_figure", at = format!("{at}.{key}")),
                );
            }
        }
    }
}

/// The rulebooks Trama ships, for operators to start from: (file name, TOML).
pub const TEMPLATES: &[(&str, &str)] = &[
    ("bonus-nido", include_str!("../rulebooks/bonus-nido.toml")),
    (
        "contributo-affitto",
        include_str!("../rulebooks/contributo-affitto.toml"),
    ),
    (
        "libri-di-testo",
        include_str!("../rulebooks/libri-di-testo.toml"),
    ),
    (
        "fondo-emergenza",
        include_str!("../rulebooks/fondo-emergenza.toml"),
    ),
];

/// The shipped template `name`, read and checked.
pub fn template(name: &str) -> Option<Rulebook> {
    TEMPLATES
        .iter()
        .find(|(key, _)| *key == name)
        .and_then(|(_, text)| Rulebook::from_toml(text).ok())
}

/// Why an expression in a rulebook could not be used, kept for the operator's trace.
pub fn describe_expr_error(at: &str, expr: &str, problem: &str) -> String {
    let expr: String = expr.chars().take(MAX_EXPR_CHARS).collect();
    t!(
        "vouchers.rulebook.expr_error",
        at = at,
        expr = expr,
        problem = problem
    )
}

/// Longest expression a rulebook may hold.
pub const fn max_expr_chars() -> usize {
    MAX_EXPR_CHARS
}
