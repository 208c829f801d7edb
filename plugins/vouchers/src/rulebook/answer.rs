//! The questions a rulebook asks and the answers an application gives: their kinds, how a form
//! or JSON is read into them (each problem said in the applicant's language, next to the
//! question, never with an internal key) and how an answer is shown back.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use trama_sdk::clock::Date;
use trama_sdk::i18n::{self, Lang};
use trama_sdk::input::{Input, Problems, parse_yes_no};
use trama_sdk::money::{self, format_cents};
use trama_sdk::{files, t};

use super::Text;

/// Most members a household question accepts.
pub const MAX_MEMBERS: usize = 20;

/// One question of the form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    /// The name rules use; in forms, the field's name.
    pub key: String,
    pub label: Text,
    /// A sentence under the question (where to find the figure, say).
    #[serde(default)]
    pub help: Text,
    #[serde(default = "required_default")]
    pub required: bool,
    #[serde(flatten)]
    pub kind: Kind,
}

fn required_default() -> bool {
    true
}

/// What kind of answer a question takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Kind {
    /// A whole number between `min` and `max`.
    Integer {
        #[serde(default)]
        min: i64,
        #[serde(default = "integer_max")]
        max: i64,
    },
    /// An amount in euros, read exactly; held as cents.
    Euros,
    YesNo,
    /// One of the listed options; rules see the option's key.
    Choice {
        options: Vec<Choice>,
    },
    /// A day; rules see it as `YYYY-MM-DD` text, which compares in time order.
    Date,
    Text {
        #[serde(default = "text_max")]
        max_chars: usize,
    },
    /// An IBAN, checked with its check digits; held without spaces, in capitals.
    Iban,
    /// The household: one row per member, the applicant included. Rules see a list of
    /// `{age, birth_date, relation, disabled, dependant}`.
    Members {
        #[serde(default = "members_max")]
        max: usize,
        /// Each member's tax code is asked, and one household applies once per campaign:
        /// a member listed in another application of the campaign holds this one for the office
        /// (see `crate::application`).
        #[serde(default)]
        tax_codes: bool,
    },
    /// Documents the applicant attaches (an ISEE attestation, a certificate of invalidity):
    /// for the reviewer to read, not for rules — a rule that needs to know whether someone is
    /// disabled asks it with a yes/no question, and the document backs the answer.
    Attachment {
        /// The types accepted: `pdf`, `jpeg`, `png`, `webp`.
        #[serde(default = "super::attachment::default_kinds")]
        accept: Vec<files::Kind>,
        /// The largest file, in KiB.
        #[serde(default = "super::attachment::default_max_kb")]
        max_kb: u32,
        /// How many files the question takes (the pages of a certificate photographed one by
        /// one, say).
        #[serde(default = "super::attachment::one_file")]
        max_files: u32,
    },
}

fn integer_max() -> i64 {
    1_000_000
}
fn text_max() -> usize {
    500
}
fn members_max() -> usize {
    10
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub key: String,
    pub label: Text,
}

/// How a member is related to the applicant.
pub const RELATIONS: [&str; 5] = ["applicant", "partner", "child", "parent", "other"];

/// The fields of a member row, as a form or JSON names them.
pub const MEMBER_FIELDS: [&str; 5] = [
    "birth_date",
    "relation",
    "disabled",
    "dependant",
    "tax_code",
];

/// One member of the household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub birth_date: String,
    pub relation: String,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub dependant: bool,
    /// Asked when the rulebook matches households by tax code; the applicant's is the
    /// application's own.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tax_code: String,
}

impl Member {
    /// Whole years of age on `day`.
    pub fn age_on(&self, day: Date) -> i64 {
        let Ok(born) = Date::parse(&self.birth_date) else {
            return 0;
        };
        let mut age = i64::from(day.year) - i64::from(born.year);
        if (day.month, day.day) < (born.month, born.day) {
            age -= 1;
        }
        age.max(0)
    }
}

/// An answer, as stored: numbers (counts and cents), yes/no, text (choice keys, dates, IBANs)
/// or the household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    Bool(bool),
    Int(i64),
    Text(String),
    Members(Vec<Member>),
}

/// The answers of one application, by question key.
pub type Answers = BTreeMap<String, Answer>;

impl Question {
    pub(super) fn check(&self, at: &str, problems: &mut Problems) {
        self.label.check(at, problems);
        match &self.kind {
            Kind::Integer { min, max } if min > max => {
                problems.push(at, t!("vouchers.rulebook.bad_range", at = at));
            }
            Kind::Choice { options } => {
                if options.is_empty() {
                    problems.push(at, t!("vouchers.rulebook.no_options", at = at));
                }
                for (i, option) in options.iter().enumerate() {
                    let at = format!("{at}.options[{}]", i + 1);
                    option.label.check(&at, problems);
                    if option.key.trim().is_empty()
                        || options.iter().filter(|o| o.key == option.key).count() > 1
                    {
                        problems.push(&at, t!("vouchers.rulebook.option_key", at = at));
                    }
                }
            }
            Kind::Members { max, .. } if *max == 0 || *max > MAX_MEMBERS => {
                problems.push(
                    at,
                    t!("vouchers.rulebook.members_max", at = at, max = MAX_MEMBERS),
                );
            }
            Kind::Attachment {
                accept,
                max_kb,
                max_files,
            } => super::attachment::check(at, accept, *max_kb, *max_files, problems),
            _ => {}
        }
    }

    /// What an attachment question accepts, or `None` for other questions.
    pub fn accepts(&self) -> Option<(files::Accept, u32)> {
        match &self.kind {
            Kind::Attachment {
                accept,
                max_kb,
                max_files,
            } => Some((
                files::Accept {
                    kinds: accept.clone(),
                    max_kb: *max_kb,
                },
                *max_files,
            )),
            _ => None,
        }
    }

    /// Reads this question's answer from `input`; `None` (with a problem when it is required)
    /// when there is none.
    pub fn read(&self, input: &Input, problems: &mut Problems) -> Option<Answer> {
        let key = self.key.as_str();
        if matches!(self.kind, Kind::Attachment { .. }) {
            // Files come with the request, not in its fields: see [`super::attachment::read`].
            return None;
        }
        if let Kind::Members { max, tax_codes } = &self.kind {
            let rules = MemberRules {
                max: *max,
                required: self.required,
                tax_codes: *tax_codes,
            };
            return read_members(key, rules, input, problems);
        }
        let Some(text) = input.one(key) else {
            if matches!(self.kind, Kind::YesNo) && !self.required {
                return Some(Answer::Bool(false));
            }
            if self.required {
                problems.push(key, t!("vouchers.problems.answer_required"));
            }
            return None;
        };
        let answer = match &self.kind {
            Kind::Integer { min, max } => match text.parse::<i64>() {
                Ok(n) if (*min..=*max).contains(&n) => Some(Answer::Int(n)),
                _ => None,
            }
            .ok_or_else(|| {
                t!(
                    "vouchers.problems.whole_number",
                    text = text,
                    min = min,
                    max = max
                )
            }),
            Kind::Euros => money::parse_euros(text)
                .map(Answer::Int)
                .map_err(|err| err.describe(text, i18n::current())),
            Kind::YesNo => parse_yes_no(text)
                .map(Answer::Bool)
                .ok_or_else(|| t!("vouchers.problems.answer_yes_no", text = text)),
            Kind::Choice { options } => options
                .iter()
                .find(|o| o.key == text)
                .map(|o| Answer::Text(o.key.clone()))
                .ok_or_else(|| t!("vouchers.problems.choice_unknown")),
            Kind::Date => read_date(text)
                .map(|day| Answer::Text(day.to_string()))
                .ok_or_else(|| t!("vouchers.problems.date_invalid", text = text)),
            Kind::Text { max_chars } => {
                if text.chars().count() > *max_chars {
                    Err(t!("vouchers.problems.text_too_long", max = max_chars))
                } else {
                    Ok(Answer::Text(text.to_owned()))
                }
            }
            Kind::Iban => iban(text)
                .map(Answer::Text)
                .ok_or_else(|| t!("vouchers.problems.iban_invalid", text = text)),
            Kind::Members { .. } | Kind::Attachment { .. } => return None,
        };
        match answer {
            Ok(answer) => Some(answer),
            Err(message) => {
                problems.push(key, message);
                None
            }
        }
    }

    /// The answer as people read it.
    pub fn show(&self, answer: &Answer, lang: Lang) -> String {
        match (&self.kind, answer) {
            (Kind::Euros, Answer::Int(cents)) => format_cents(*cents, lang),
            (Kind::Choice { options }, Answer::Text(key)) => options
                .iter()
                .find(|o| &o.key == key)
                .map_or_else(|| key.clone(), |o| o.label.get().to_owned()),
            (Kind::Date, Answer::Text(day)) => show_date(day, lang),
            (_, Answer::Bool(value)) => i18n::yes_no(lang, *value),
            (_, Answer::Int(n)) => n.to_string(),
            (_, Answer::Text(text)) => text.clone(),
            (_, Answer::Members(members)) => members
                .iter()
                .map(|m| {
                    let mut line = format!(
                        "{} ({})",
                        relation_label(&m.relation),
                        show_date(&m.birth_date, lang)
                    );
                    if m.disabled {
                        line.push_str(&format!(", {}", t!("vouchers.member.disabled")));
                    }
                    if m.dependant {
                        line.push_str(&format!(", {}", t!("vouchers.member.dependant")));
                    }
                    line
                })
                .collect::<Vec<_>>()
                .join("; "),
        }
    }

    /// The answer as a form field shows it again after a problem.
    pub fn echo(&self, answer: &Answer) -> String {
        match answer {
            Answer::Int(cents) if matches!(self.kind, Kind::Euros) => money::plain(*cents),
            Answer::Int(n) => n.to_string(),
            Answer::Bool(b) => if *b { "yes" } else { "no" }.to_owned(),
            Answer::Text(text) => text.clone(),
            Answer::Members(_) => String::new(),
        }
    }
}

/// The words for a relation key.
pub fn relation_label(key: &str) -> String {
    match key {
        "applicant" => t!("vouchers.member.relation.applicant"),
        "partner" => t!("vouchers.member.relation.partner"),
        "child" => t!("vouchers.member.relation.child"),
        "parent" => t!("vouchers.member.relation.parent"),
        _ => t!("vouchers.member.relation.other"),
    }
}

/// `YYYY-MM-DD` as `DD/MM/YYYY` in Italian (and the languages that write dates that way).
pub fn show_date(day: &str, lang: Lang) -> String {
    match (Date::parse(day), lang) {
        (Ok(d), Lang::It) => format!("{:02}/{:02}/{:04}", d.day, d.month, d.year),
        _ => day.to_owned(),
    }
}

/// A day written `YYYY-MM-DD` (a date field) or `DD/MM/YYYY` (typed the Italian way).
fn read_date(text: &str) -> Option<Date> {
    if let Ok(day) = Date::parse(text) {
        return Some(day);
    }
    let mut parts = text.trim().split(['/', '.', '-']);
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 {
        return None;
    }
    Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// The IBAN in `text` without spaces, in capitals, when its check digits are right
/// (ISO 13616: the number mod 97 is 1) and, for an Italian one, its length is 27.
pub fn iban(text: &str) -> Option<String> {
    let iban: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let bytes = iban.as_bytes();
    if !(15..=34).contains(&bytes.len())
        || !bytes[..2].iter().all(u8::is_ascii_uppercase)
        || !bytes[2..4].iter().all(u8::is_ascii_digit)
        || !bytes.iter().all(u8::is_ascii_alphanumeric)
        || (iban.starts_with("IT") && bytes.len() != 27)
    {
        return None;
    }
    let mut rest: u32 = 0;
    for &b in bytes[4..].iter().chain(&bytes[..4]) {
        let value = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b - b'A') + 10
        };
        rest = if value >= 10 {
            (rest * 100 + value) % 97
        } else {
            (rest * 10 + value) % 97
        };
    }
    (rest == 1).then_some(iban)
}

/// What a household question asks.
struct MemberRules {
    max: usize,
    required: bool,
    tax_codes: bool,
}

/// Reads the household rows `{key}_{n}_{field}` (n from 1): a row left blank is skipped; the
/// first member is the applicant when the form does not say. With tax codes, each member but
/// the applicant (whose code is the application's) gives one, checked, and none repeats.
fn read_members(
    key: &str,
    rules: MemberRules,
    input: &Input,
    problems: &mut Problems,
) -> Option<Answer> {
    let MemberRules {
        max,
        required,
        tax_codes,
    } = rules;
    let mut members = Vec::new();
    let mut row = 0;
    // Rows beyond `max` are read too, so that a household too large is said, not cut.
    for n in 1..=MAX_MEMBERS + 1 {
        let field = |name: &str| format!("{key}_{n}_{name}");
        let born = input.one(&field("birth_date"));
        let relation = input.one(&field("relation"));
        let flag = |name: &str| {
            input
                .one(&field(name))
                .is_some_and(|text| parse_yes_no(text) == Some(true))
        };
        let (disabled, dependant) = (flag("disabled"), flag("dependant"));
        let typed_code = input.one(&field("tax_code"));
        if born.is_none() && relation.is_none() && !disabled && !dependant && typed_code.is_none() {
            continue;
        }
        row += 1;
        let Some(born) = born else {
            problems.push(
                &field("birth_date"),
                t!("vouchers.problems.member_birth_date", n = row),
            );
            continue;
        };
        let Some(day) = read_date(born).filter(|d| d.year >= 1900) else {
            problems.push(
                &field("birth_date"),
                t!("vouchers.problems.date_invalid", text = born),
            );
            continue;
        };
        let relation = match relation {
            None if members.is_empty() => "applicant".to_owned(),
            None => "other".to_owned(),
            Some(text) if RELATIONS.contains(&text) => text.to_owned(),
            Some(_) => {
                problems.push(&field("relation"), t!("vouchers.problems.choice_unknown"));
                continue;
            }
        };
        if relation == "applicant" && members.iter().any(|m: &Member| m.relation == "applicant") {
            problems.push(&field("relation"), t!("vouchers.problems.one_applicant"));
            continue;
        }
        let tax_code = match (tax_codes, typed_code) {
            (false, _) => String::new(),
            (true, None) if relation == "applicant" => String::new(),
            (true, None) => {
                problems.push(
                    &field("tax_code"),
                    t!("vouchers.problems.member_tax_code", n = row),
                );
                continue;
            }
            (true, Some(text)) => match trama_sdk::fiscal::tax_code(text) {
                Ok(code) if members.iter().any(|m: &Member| m.tax_code == code) => {
                    problems.push(&field("tax_code"), t!("vouchers.problems.member_twice"));
                    continue;
                }
                Ok(code) => code,
                Err(err) => {
                    problems.push(
                        &field("tax_code"),
                        t!(
                            "vouchers.problems.tax_code_invalid",
                            text = text,
                            problem = err.describe(i18n::current()),
                        ),
                    );
                    continue;
                }
            },
        };
        members.push(Member {
            birth_date: day.to_string(),
            relation,
            disabled,
            dependant,
            tax_code,
        });
    }
    if row > max {
        problems.push(key, t!("vouchers.problems.members_too_many", max = max));
        return None;
    }
    if members.is_empty() {
        if required && row == 0 {
            problems.push(key, t!("vouchers.problems.members_required"));
        }
        return None;
    }
    Some(Answer::Members(members))
}

/// Removes the person from a kept application's answers: written answers (text, dates,
/// IBANs, choices) become `cancellato`; the household keeps its size and relations, not the
/// birth dates, disabilities or dependants. Figures stay: the accounts of the award need them.
pub fn pseudonymise(answers: &mut Answers) {
    for answer in answers.values_mut() {
        match answer {
            Answer::Text(text) => {
                trama_sdk::personal_data::erase_text(text);
            }
            Answer::Members(members) => {
                for member in members {
                    trama_sdk::personal_data::erase_text(&mut member.birth_date);
                    trama_sdk::personal_data::erase_text(&mut member.tax_code);
                    member.disabled = false;
                    member.dependant = false;
                }
            }
            Answer::Int(_) | Answer::Bool(_) => {}
        }
    }
}

/// Problems with birth dates after `today` (a member not yet born is not in the household).
pub fn check_births(
    answers: &Answers,
    questions: &[Question],
    today: Date,
    problems: &mut Problems,
) {
    for question in questions {
        let Some(Answer::Members(members)) = answers.get(&question.key) else {
            continue;
        };
        for (n, member) in members.iter().enumerate() {
            if Date::parse(&member.birth_date).is_ok_and(|born| born > today) {
                problems.push(
                    &format!("{}_{}_birth_date", question.key, n + 1),
                    t!("vouchers.problems.born_later", n = n + 1),
                );
            }
        }
    }
}

/// Reads every question of `questions` from `input`.
pub fn read_all(questions: &[Question], input: &Input, problems: &mut Problems) -> Answers {
    questions
        .iter()
        .filter_map(|q| q.read(input, problems).map(|a| (q.key.clone(), a)))
        .collect()
}
