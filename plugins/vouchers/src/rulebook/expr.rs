//! The expression engine: a rulebook's expressions compiled once, and evaluated over one
//! application's answers.
//!
//! What an expression can name:
//! - each question by its key: a count, cents (euro questions), `true`/`false`, an option's
//!   key, a date as `YYYY-MM-DD` text, the household as a list of members
//!   `{age, birth_date, relation, disabled, dependant}` (age in whole years on the rulebook's
//!   `ages_on`, or on the day of the application); an optional question left blank is `0`,
//!   `false` or `''`;
//! - `household_size`, the members counted, when the rulebook asks the household;
//! - each setting and each value by its key (cents when in euros);
//! - `today`, the day ages are counted on, as `YYYY-MM-DD`;
//! - the functions `eur(x)` (euros to cents, rounded to the cent), `percent(x, p)` (`p` % of
//!   `x`, rounded to the cent, halves away from zero), `band('table', x)`,
//!   `lookup('table', 'key')`, `min(a, b, …)`, `max(a, b, …)`, and CEL's own (`size`, `int`,
//!   `double`, `string`, `contains`, `startsWith`, `endsWith`) and macros (`filter`, `map`,
//!   `all`, `exists`, `exists_one`, `has`).
//!
//! Arithmetic is on 64-bit integers and an overflow is an error, never a wrapped number.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use cel::extractors::Arguments;
use cel::{Context, FunctionContext, Program, ResolveResult, Value as Cel};
use trama_sdk::clock::Date;
use trama_sdk::input::Problems;
use trama_sdk::t;

use super::answer::{Answer, Answers, Kind};
use super::{Rulebook, Unit, describe_expr_error, max_expr_chars};

/// Names of the application and of the simulator's form, and CEL's own words: a rulebook may
/// not give them to its questions, settings or values (see [`is_reserved`]).
const RESERVED: &[&str] = &[
    "tax_code",
    "full_name",
    "on_behalf",
    "campaign",
    "rulebook",
    "template",
    "day",
    "run",
    "request_id",
    "household_size",
    "today",
    "bool",
    "has",
    "in",
    "true",
    "false",
    "null",
];

/// The functions an expression may call; operators (`_+_`, `!_`, …) are always allowed.
const FUNCTIONS: &[&str] = &[
    "eur",
    "percent",
    "band",
    "lookup",
    "min",
    "max",
    "size",
    "int",
    "double",
    "string",
    "contains",
    "startsWith",
    "endsWith",
];

/// Whether a rulebook may not use `name` for a question, setting or value: a field of the
/// application or of the simulator, a function expressions call, or a word of CEL.
pub fn is_reserved(name: &str) -> bool {
    RESERVED.contains(&name) || FUNCTIONS.contains(&name)
}

/// Macros that bind a name for their body: `list.filter(m, …)`.
const BINDING_MACROS: &[&str] = &["filter", "map", "all", "exists", "exists_one"];

/// A table as expressions read it: bounds and values held as integers.
#[derive(Debug, Default)]
struct HeldTable {
    bands: Vec<(Option<i64>, i64)>,
    entries: HashMap<String, i64>,
}

/// A rulebook's expressions, compiled.
pub struct Engine {
    root: Context<'static, 'static>,
    pub(super) values: Vec<Program>,
    pub(super) eligibility: Vec<Program>,
    pub(super) amount: Program,
    pub(super) priority: Vec<Program>,
    pub(super) review: Vec<Program>,
}

/// Where an expression sits in a rulebook, for messages: `eligibility[2]`.
fn place(list: &str, i: usize) -> String {
    format!("{list}[{}]", i + 1)
}

impl Engine {
    /// Compiles every expression of `book`; each one that does not compile, or names what the
    /// rulebook does not define, is a problem that says where.
    pub fn new(book: &Rulebook) -> Result<Self, Problems> {
        let mut problems = Problems::default();
        let known = known_names(book);
        // A value sees the questions, the settings and the values before it, never itself or
        // a later one (it would be computed before them).
        let mut values = Vec::new();
        for (i, value) in book.values.iter().enumerate() {
            let later: Vec<&str> = book.values[i..].iter().map(|v| v.key.as_str()).collect();
            let earlier: Vec<String> = known
                .iter()
                .filter(|name| !later.contains(&name.as_str()))
                .cloned()
                .collect();
            values.push(compile_one(
                &place("values", i),
                &value.expr,
                &earlier,
                &mut problems,
            ));
        }
        let mut compile = |at: String, source: &str| -> Option<Program> {
            compile_one(&at, source, &known, &mut problems)
        };
        let mut rules = |list: &str, rules: &[super::Rule]| -> Vec<Option<Program>> {
            rules
                .iter()
                .enumerate()
                .map(|(i, r)| compile(place(list, i), &r.expr))
                .collect()
        };
        let eligibility = rules("eligibility", &book.eligibility);
        let priority = rules("priority", &book.priority);
        let review = rules("review", &book.review);
        let amount = compile("amount".to_owned(), &book.amount.expr);
        let all = |list: Vec<Option<Program>>| list.into_iter().collect::<Option<Vec<_>>>();
        match (
            all(values),
            all(eligibility),
            amount,
            all(priority),
            all(review),
        ) {
            (Some(values), Some(eligibility), Some(amount), Some(priority), Some(review))
                if problems.is_empty() =>
            {
                Ok(Self {
                    root: root_context(book),
                    values,
                    eligibility,
                    amount,
                    priority,
                    review,
                })
            }
            _ => Err(problems),
        }
    }

    /// Adds the problems of `book`'s expressions to `problems`.
    pub fn check(book: &Rulebook, problems: &mut Problems) {
        if let Err(found) = Self::new(book) {
            problems.0.extend(found.0);
        }
    }

    /// A scope holding `answers` (and the derived names) over the functions.
    pub(super) fn scope(
        &self,
        book: &Rulebook,
        answers: &Answers,
        day: Date,
    ) -> Context<'_, 'static> {
        let mut scope = self.root.new_inner_scope();
        for question in book.questions.iter().filter(|q| q.accepts().is_none()) {
            let value = match (answers.get(&question.key), &question.kind) {
                (Some(Answer::Members(members)), _) => {
                    scope.add_variable_from_value(
                        "household_size",
                        i64::try_from(members.len()).unwrap_or(i64::MAX),
                    );
                    members_value(members, day)
                }
                (Some(Answer::Int(n)), _) => Cel::Int(*n),
                (Some(Answer::Bool(b)), _) => Cel::Bool(*b),
                (Some(Answer::Text(text)), _) => Cel::String(Arc::new(text.clone())),
                (None, Kind::Members { .. }) => {
                    scope.add_variable_from_value("household_size", 0_i64);
                    Cel::List(Arc::new(Vec::new()))
                }
                (None, Kind::Integer { .. } | Kind::Euros) => Cel::Int(0),
                (None, Kind::YesNo) => Cel::Bool(false),
                (None, _) => Cel::String(Arc::new(String::new())),
            };
            scope.add_variable_from_value(question.key.as_str(), value);
        }
        scope.add_variable_from_value("today", day.to_string());
        scope
    }

    /// Runs `program` in `scope`.
    pub(super) fn run(program: &Program, scope: &Context<'_, 'static>) -> ResolveResult {
        program.execute(scope)
    }
}

/// The household as CEL sees it.
fn members_value(members: &[super::Member], day: Date) -> Cel {
    let list: Vec<Cel> = members
        .iter()
        .map(|m| {
            let map: HashMap<String, Cel> = HashMap::from([
                ("age".to_owned(), Cel::Int(m.age_on(day))),
                (
                    "birth_date".to_owned(),
                    Cel::String(Arc::new(m.birth_date.clone())),
                ),
                (
                    "relation".to_owned(),
                    Cel::String(Arc::new(m.relation.clone())),
                ),
                ("disabled".to_owned(), Cel::Bool(m.disabled)),
                ("dependant".to_owned(), Cel::Bool(m.dependant)),
            ]);
            Cel::Map(map.into())
        })
        .collect();
    Cel::List(Arc::new(list))
}

/// Every name an expression of `book` may use.
fn known_names(book: &Rulebook) -> Vec<String> {
    // Attachments are documents for the reviewer: rules never see them.
    let mut names: Vec<String> = book
        .questions
        .iter()
        .filter(|q| q.accepts().is_none())
        .map(|q| q.key.clone())
        .collect();
    if book.members_question().is_some() {
        names.push("household_size".to_owned());
    }
    names.push("today".to_owned());
    names.extend(book.settings.iter().map(|s| s.key.clone()));
    names.extend(book.values.iter().map(|v| v.key.clone()));
    names
}

fn compile_one(
    at: &str,
    source: &str,
    known: &[String],
    problems: &mut Problems,
) -> Option<Program> {
    if source.trim().is_empty() {
        problems.push(at, t!("vouchers.rulebook.expr_empty", at = at));
        return None;
    }
    if source.chars().count() > max_expr_chars() {
        problems.push(
            at,
            t!(
                "vouchers.rulebook.expr_too_long",
                at = at,
                max = max_expr_chars()
            ),
        );
        return None;
    }
    let program = match Program::compile(source) {
        Ok(program) => program,
        Err(err) => {
            // The parser's first line names the column; the rest repeats the source.
            let first = err.to_string();
            let first = first
                .lines()
                .next()
                .unwrap_or_default()
                .trim_start_matches("ERROR: ");
            problems.push(at, describe_expr_error(at, source, first));
            return None;
        }
    };
    let bound = bound_names(source);
    let references = program.references();
    for name in references.variables() {
        if !known.iter().any(|k| k == name) && !bound.iter().any(|b| b == name) {
            problems.push(
                at,
                t!("vouchers.rulebook.unknown_name", at = at, name = name),
            );
        }
    }
    for name in references.functions() {
        // CEL's operators are written `_+_`, `!_`, `-_`, `_[_]`, `@in`…: never a letter first.
        let operator = name.starts_with(['_', '@', '!', '-']);
        if !operator && !FUNCTIONS.contains(&name) {
            problems.push(
                at,
                t!("vouchers.rulebook.unknown_function", at = at, name = name),
            );
        }
    }
    Some(program)
}

/// The names the macros in `source` bind: `m` in `members.filter(m, m.age < 3)`.
fn bound_names(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    for name in BINDING_MACROS {
        let needle = format!(".{name}(");
        let mut rest = source;
        while let Some(at) = rest.find(&needle) {
            rest = &rest[at + needle.len()..];
            let ident: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !ident.is_empty() {
                names.push(ident);
            }
        }
    }
    names
}

/// The functions and the rulebook's settings, shared by every application evaluated.
fn root_context(book: &Rulebook) -> Context<'static, 'static> {
    let mut root = Context::default();
    let tables: Arc<BTreeMap<String, HeldTable>> = Arc::new(
        book.tables
            .iter()
            .map(|(key, table)| {
                let held = HeldTable {
                    bands: table
                        .bands
                        .iter()
                        .map(|b| {
                            (
                                b.up_to.and_then(|u| table.bound_unit.held(u)),
                                table.unit.held(b.value).unwrap_or(0),
                            )
                        })
                        .collect(),
                    entries: table
                        .entries
                        .iter()
                        .map(|(k, v)| (k.clone(), table.unit.held(*v).unwrap_or(0)))
                        .collect(),
                };
                (key.clone(), held)
            })
            .collect(),
    );
    // The names are checked against the standard library in the tests: a clash would be a
    // programming error, not the operator's.
    let bands = Arc::clone(&tables);
    let _ = root.add_function(
        "band",
        move |ftx: &FunctionContext, name: Arc<String>, x: i64| -> ResolveResult {
            let table = bands
                .get(name.as_str())
                .ok_or_else(|| ftx.error(t!("vouchers.rulebook.no_table", name = name)))?;
            table
                .bands
                .iter()
                .find(|(up_to, _)| up_to.is_none_or(|bound| x <= bound))
                .map(|(_, value)| Cel::Int(*value))
                .ok_or_else(|| ftx.error(t!("vouchers.rulebook.no_band", name = name)))
        },
    );
    let _ = root.add_function(
        "lookup",
        move |ftx: &FunctionContext, name: Arc<String>, key: Arc<String>| -> ResolveResult {
            let table = tables
                .get(name.as_str())
                .ok_or_else(|| ftx.error(t!("vouchers.rulebook.no_table", name = name)))?;
            table
                .entries
                .get(key.as_str())
                .map(|value| Cel::Int(*value))
                .ok_or_else(|| ftx.error(t!("vouchers.rulebook.no_entry", name = name, key = key)))
        },
    );
    let _ = root.add_function("eur", |ftx: &FunctionContext, args: Arguments| {
        eur(ftx, &args)
    });
    let _ = root.add_function("percent", |ftx: &FunctionContext, args: Arguments| {
        percent(ftx, &args)
    });
    let _ = root.add_function("min", cel::functions::min);
    let _ = root.add_function("max", cel::functions::max);
    for setting in &book.settings {
        root.add_variable_from_value(
            setting.key.as_str(),
            setting.unit.held(setting.value).unwrap_or(0),
        );
    }
    root
}

/// `eur(x)`: euros to cents.
fn eur(ftx: &FunctionContext, args: &Arguments) -> ResolveResult {
    match args.0.as_slice() {
        [Cel::Int(euros)] => euros
            .checked_mul(100)
            .map(Cel::Int)
            .ok_or_else(|| ftx.error(t!("vouchers.rulebook.overflow"))),
        [Cel::Float(euros)] => Unit::Euros
            .held(*euros)
            .map(Cel::Int)
            .ok_or_else(|| ftx.error(t!("vouchers.rulebook.overflow"))),
        _ => Err(ftx.error(t!("vouchers.rulebook.eur_arguments"))),
    }
}

/// `percent(x, p)`: `p` % of `x` cents, rounded to the cent, halves away from zero.
fn percent(ftx: &FunctionContext, args: &Arguments) -> ResolveResult {
    let overflow = || ftx.error(t!("vouchers.rulebook.overflow"));
    match args.0.as_slice() {
        [Cel::Int(x), Cel::Int(p)] => {
            let product = i128::from(*x) * i128::from(*p);
            let (quotient, rest) = (product / 100, product % 100);
            let rounded = if rest.abs() * 2 >= 100 {
                quotient + product.signum()
            } else {
                quotient
            };
            i64::try_from(rounded).map(Cel::Int).map_err(|_| overflow())
        }
        [Cel::Int(x), Cel::Float(p)] => Unit::Number
            .held(*x as f64 * p / 100.0)
            .map(Cel::Int)
            .ok_or_else(overflow),
        _ => Err(ftx.error(t!("vouchers.rulebook.percent_arguments"))),
    }
}

/// An evaluated value as an integer: numbers as they are, `true`/`false` as 1/0.
pub(super) fn as_int(value: &Cel) -> Option<i64> {
    match value {
        Cel::Int(n) => Some(*n),
        Cel::UInt(n) => i64::try_from(*n).ok(),
        Cel::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

/// An evaluated value as it is shown in a calculation.
pub(super) fn shown(value: &Cel) -> String {
    match value {
        Cel::Int(n) => n.to_string(),
        Cel::UInt(n) => n.to_string(),
        Cel::Float(x) => x.to_string(),
        Cel::Bool(b) => b.to_string(),
        Cel::String(s) => s.to_string(),
        Cel::List(list) => format!("[{}]", list.len()),
        other => format!("{other:?}"),
    }
}
