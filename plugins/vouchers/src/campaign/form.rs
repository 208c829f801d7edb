//! Reading a campaign from its form or JSON and checking every rule, with each problem named by its
//! field.

use trama_sdk::clock::Date;
use trama_sdk::input::{Input, Problems};
use trama_sdk::{i18n, money, t};

use crate::payment::{self, Method, Payment};
use crate::rank::Criterion;
use crate::rulebook::{self, Rulebook};
use crate::rules::{AmountRule, Eligibility, Field, MAX_HOUSEHOLD, ReviewRule};

use super::{
    Campaign, DESCRIPTION_CHARS, MAX_CRITERIA, MAX_LIST, Measure, Shops, State, TITLE_CHARS,
};

/// Reads and checks a campaign from a form or JSON. `default_review_rules` (from the
/// settings) apply when the input does not mention `review_rules` at all, keeping only those on
/// fields the campaign asks. Every problem is reported with the field's name, in the caller's
/// language.
pub fn validate(
    input: &Input,
    default_review_rules: &[String],
) -> std::result::Result<Draft, Problems> {
    let mut p = Problems::default();
    let required = t!("vouchers.problems.required");

    let title = input.one("title").unwrap_or_default().to_owned();
    let chars = title.chars().count();
    if !TITLE_CHARS.contains(&chars) {
        p.push(
            "title",
            t!(
                "vouchers.problems.title_length",
                min = TITLE_CHARS.start(),
                max = TITLE_CHARS.end(),
                chars = chars,
            ),
        );
    }

    let measure = match input.one("measure") {
        None => {
            p.push("measure", required.clone());
            Measure::Food
        }
        Some(text) => Measure::parse(text).unwrap_or_else(|| {
            p.push("measure", one_of(text, Measure::ALL.map(Measure::key)));
            Measure::Food
        }),
    };

    let opens_on = read_date(input, "opens_on", &mut p);
    let closes_on = read_date(input, "closes_on", &mut p);
    if let (Some(open), Some(close)) = (opens_on, closes_on)
        && close < open
    {
        p.push(
            "closes_on",
            t!(
                "vouchers.problems.closes_before_opens",
                close = close,
                open = open,
            ),
        );
    }

    let budget_cents = match read_money(input, "budget", &mut p) {
        Some(0) => {
            p.push("budget", t!("vouchers.problems.budget_zero"));
            0
        }
        Some(cents) => cents,
        None => {
            if input.one("budget").is_none() {
                p.push("budget", required);
            }
            0
        }
    };

    let description = read_description(input, &mut p);
    let payment = Payment::read(input, &mut p);
    if let Some(close) = closes_on {
        payment.check(close, &mut p);
    }
    let shops = Shops::read(input, &mut p);
    check_transfer(&payment, &shops, &mut p);
    if let Some(rulebook) = read_rulebook(input, &mut p) {
        if let Some(book) = &rulebook {
            payment::method::check(payment.method, payment.payee.as_ref(), Some(book), &mut p);
        }
        let dates = (opens_on, closes_on);
        let draft = finish_with_rulebook(input, p, title, measure, dates, budget_cents, rulebook);
        return draft.map(|draft| Draft {
            payment,
            shops,
            description,
            ..draft
        });
    }
    payment::method::check(payment.method, payment.payee.as_ref(), None, &mut p);

    let mut fields = Vec::new();
    for key in input.many("fields") {
        match Field::parse(key.trim()) {
            Some(field) if !fields.contains(&field) => fields.push(field),
            Some(_) => {}
            None => p.push("fields", one_of(key, Field::ALL.map(Field::key))),
        }
    }
    let asks = |field: Field| fields.contains(&field);
    let needs = |name: &str, field: Field, p: &mut Problems| {
        if !asks(field) {
            p.push(
                name,
                t!("vouchers.problems.needs_field", field = field.key()),
            );
        }
    };

    let isee_max_cents = read_money(input, "isee_max", &mut p);
    if isee_max_cents.is_some() {
        needs("isee_max", Field::Isee, &mut p);
    }
    let residence_required = input.flag("residence_required").unwrap_or_else(|text| {
        p.push(
            "residence_required",
            t!("vouchers.problems.yes_no", text = text),
        );
        false
    });
    if residence_required {
        needs("residence_required", Field::Resident, &mut p);
    }
    let household_min = input
        .one("household_min")
        .and_then(|text| match text.parse::<u32>() {
            Ok(n) if (1..=MAX_HOUSEHOLD).contains(&n) => Some(n),
            _ => {
                p.push(
                    "household_min",
                    t!(
                        "vouchers.problems.whole_number",
                        text = text,
                        min = 1,
                        max = MAX_HOUSEHOLD,
                    ),
                );
                None
            }
        });
    if household_min.is_some() {
        needs("household_min", Field::HouseholdSize, &mut p);
    }
    let excluded_campaigns = read_excluded(input);

    let base_cents = read_money_list(input, "base_amounts", &mut p);
    if base_cents.is_empty() && !p.0.iter().any(|x| x.field == "base_amounts") {
        p.push("base_amounts", t!("vouchers.problems.base_missing"));
    }
    if base_cents.contains(&0) {
        p.push("base_amounts", t!("vouchers.problems.base_zero"));
    }
    if base_cents.len() > 1 {
        needs("base_amounts", Field::HouseholdSize, &mut p);
    }
    let per_minor_cents = read_money(input, "per_minor", &mut p).unwrap_or(0);
    if per_minor_cents > 0 {
        needs("per_minor", Field::Minors, &mut p);
    }
    let max_cents = read_money(input, "max_amount", &mut p);
    if max_cents == Some(0) {
        p.push("max_amount", t!("vouchers.problems.cap_zero"));
    }

    let denominations_cents = read_denominations(input, &mut p);

    let mut ranking = Vec::new();
    for key in input.many("ranking") {
        match Criterion::parse(key) {
            Some(criterion) if ranking.contains(&criterion) => p.push(
                "ranking",
                t!("vouchers.problems.criterion_twice", key = key),
            ),
            Some(criterion) => {
                needs("ranking", criterion.field(), &mut p);
                ranking.push(criterion);
            }
            None => p.push("ranking", one_of(key, Criterion::ALL.map(Criterion::key))),
        }
    }
    ranking.truncate(MAX_CRITERIA);

    let mut review_rules = Vec::new();
    if input.has("review_rules") {
        for text in input.list("review_rules") {
            match ReviewRule::parse(text) {
                Ok(rule) => {
                    needs("review_rules", rule.field, &mut p);
                    review_rules.push(rule);
                }
                Err(message) => p.push("review_rules", message),
            }
        }
    } else {
        // Defaults that do not fit this form are left out rather than refused: the operator
        // did not write them.
        review_rules = default_review_rules
            .iter()
            .filter_map(|text| ReviewRule::parse(text).ok())
            .filter(|rule| asks(rule.field))
            .collect();
    }

    if !p.is_empty() {
        return Err(p);
    }
    Ok(Draft {
        fields,
        eligibility: Eligibility {
            isee_max_cents,
            residence_required,
            household_min,
            excluded_campaigns,
        },
        amounts: AmountRule {
            base_cents,
            per_minor_cents,
            max_cents,
        },
        denominations_cents,
        ranking,
        review_rules,
        payment,
        shops,
        description,
        ..Draft::basics(title, measure, (opens_on, closes_on), budget_cents)
    })
}

/// What a transfer campaign cannot have: vouchers' validity and shops to spend them at.
fn check_transfer(payment: &Payment, shops: &Shops, p: &mut Problems) {
    if payment.method != Method::Transfer {
        return;
    }
    for (field, given) in [
        ("valid_days", payment.valid_days.is_some()),
        ("valid_until", payment.valid_until.is_some()),
        ("shop_categories", !shops.categories.is_empty()),
        ("shop_merchants", !shops.merchants.is_empty()),
    ] {
        if given {
            p.push(field, t!("vouchers.transfer.vouchers_only"));
        }
    }
}

/// The rulebook the operator wrote (`rulebook`, TOML) or chose (`template`, a shipped one's
/// name), checked: `None` when the campaign uses the built-in fields, `Some(None)` when the
/// rulebook written has problems (pushed to `p`).
fn read_rulebook(input: &Input, p: &mut Problems) -> Option<Option<Rulebook>> {
    if let Some(text) = input.one("rulebook") {
        return match Rulebook::from_toml(text) {
            Ok(book) => Some(Some(book)),
            Err(problems) => {
                for problem in problems.0 {
                    p.push("rulebook", problem.message);
                }
                // Something was written: the built-in fields are not what the operator meant.
                Some(None)
            }
        };
    }
    let name = input.one("template")?;
    match rulebook::template(name) {
        Some(book) => Some(Some(book)),
        None => {
            let names = rulebook::TEMPLATES
                .iter()
                .map(|(key, _)| *key)
                .collect::<Vec<_>>();
            p.push(
                "template",
                t!(
                    "vouchers.problems.one_of",
                    text = name,
                    list = names.join(", ")
                ),
            );
            Some(None)
        }
    }
}

/// The built-in rule fields, which a rulebook replaces (and a revision may not mix with one).
pub const BUILT_IN: &[&str] = &[
    "fields",
    "isee_max",
    "residence_required",
    "household_min",
    "base_amounts",
    "per_minor",
    "max_amount",
    "ranking",
    "review_rules",
];

/// The rest of a campaign written as a rulebook: the built-in rule fields have no meaning
/// there and are refused rather than silently ignored; exclusions and denominations apply.
fn finish_with_rulebook(
    input: &Input,
    mut p: Problems,
    title: String,
    measure: Measure,
    dates: (Option<Date>, Option<Date>),
    budget_cents: i64,
    rulebook: Option<Rulebook>,
) -> std::result::Result<Draft, Problems> {
    for &field in BUILT_IN {
        let written = input.many(field).iter().any(|v| !v.trim().is_empty())
            && !(field == "residence_required" && input.flag(field) == Ok(false));
        if written {
            p.push(field, t!("vouchers.problems.rulebook_instead"));
        }
    }
    let excluded_campaigns = read_excluded(input);
    let denominations_cents = read_denominations(input, &mut p);
    if !p.is_empty() {
        return Err(p);
    }
    Ok(Draft {
        eligibility: Eligibility {
            excluded_campaigns,
            ..Eligibility::default()
        },
        denominations_cents,
        rulebook,
        ..Draft::basics(title, measure, dates, budget_cents)
    })
}

/// The notice's own words (`description`), at most [`DESCRIPTION_CHARS`] characters.
pub(crate) fn read_description(input: &Input, p: &mut Problems) -> String {
    let text = input.one("description").unwrap_or_default().to_owned();
    let chars = text.chars().count();
    if chars > DESCRIPTION_CHARS {
        p.push(
            "description",
            t!(
                "vouchers.problems.description_length",
                max = DESCRIPTION_CHARS,
                chars = chars
            ),
        );
    }
    text
}

fn one_of<const N: usize>(text: &str, keys: [&str; N]) -> String {
    let list = keys
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    t!("vouchers.problems.one_of", text = text, list = list)
}

fn read_date(input: &Input, field: &str, p: &mut Problems) -> Option<Date> {
    let Some(text) = input.one(field) else {
        p.push(field, t!("vouchers.problems.required"));
        return None;
    };
    match Date::parse(text) {
        Ok(date) => Some(date),
        Err(_) => {
            p.push(field, t!("vouchers.problems.date_malformed", text = text));
            None
        }
    }
}

fn read_money(input: &Input, field: &str, p: &mut Problems) -> Option<i64> {
    let text = input.one(field)?;
    match money::parse_euros(text) {
        Ok(cents) => Some(cents),
        Err(err) => {
            // The SDK's sentence, in the caller's language.
            p.push(field, err.describe(text, i18n::current()));
            None
        }
    }
}

/// The campaigns whose beneficiaries are excluded, each once, as listed.
fn read_excluded(input: &Input) -> Vec<String> {
    let mut excluded: Vec<String> = Vec::new();
    for id in input.many("excluded_campaigns") {
        if !excluded.iter().any(|e| e == id) {
            excluded.push(id.to_owned());
        }
    }
    excluded
}

/// The voucher values, largest first, each once; zero is a problem.
fn read_denominations(input: &Input, p: &mut Problems) -> Vec<i64> {
    let mut denominations = read_money_list(input, "denominations", p);
    if denominations.contains(&0) {
        p.push("denominations", t!("vouchers.problems.denominations_zero"));
    }
    denominations.sort_unstable_by(|a, b| b.cmp(a));
    denominations.dedup();
    denominations
}

fn read_money_list(input: &Input, field: &str, p: &mut Problems) -> Vec<i64> {
    let items = input.list(field);
    if items.len() > MAX_LIST {
        p.push(
            field,
            t!("vouchers.problems.too_many_amounts", max = MAX_LIST),
        );
    }
    items
        .into_iter()
        .filter_map(|text| match money::parse_euros(text) {
            Ok(cents) => Some(cents),
            Err(err) => {
                p.push(field, err.describe(text, i18n::current()));
                None
            }
        })
        .collect()
}

/// A validated campaign, not yet stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub title: String,
    pub measure: Measure,
    pub opens_on: String,
    pub closes_on: String,
    pub budget_cents: i64,
    pub fields: Vec<Field>,
    pub eligibility: Eligibility,
    pub amounts: AmountRule,
    pub denominations_cents: Vec<i64>,
    pub ranking: Vec<Criterion>,
    pub review_rules: Vec<ReviewRule>,
    pub rulebook: Option<Rulebook>,
    pub payment: Payment,
    pub shops: Shops,
    pub description: String,
}

impl Draft {
    /// A draft of these basics and nothing else: no rules, no payment or shop settings, no
    /// description. Both ways of writing a campaign's rules start from it.
    fn basics(
        title: String,
        measure: Measure,
        (opens_on, closes_on): (Option<Date>, Option<Date>),
        budget_cents: i64,
    ) -> Draft {
        let day = |date: Option<Date>| date.map(|d| d.to_string()).unwrap_or_default();
        Draft {
            title,
            measure,
            opens_on: day(opens_on),
            closes_on: day(closes_on),
            budget_cents,
            fields: Vec::new(),
            eligibility: Eligibility::default(),
            amounts: AmountRule {
                base_cents: Vec::new(),
                per_minor_cents: 0,
                max_cents: None,
            },
            denominations_cents: Vec::new(),
            ranking: Vec::new(),
            review_rules: Vec::new(),
            rulebook: None,
            payment: Payment::default(),
            shops: Shops::default(),
            description: String::new(),
        }
    }

    pub fn into_campaign(self, created_at: i64, created_by: String) -> Campaign {
        Campaign {
            title: self.title,
            measure: self.measure,
            opens_on: self.opens_on,
            closes_on: self.closes_on,
            budget_cents: self.budget_cents,
            fields: self.fields,
            eligibility: self.eligibility,
            amounts: self.amounts,
            denominations_cents: self.denominations_cents,
            ranking: self.ranking,
            review_rules: self.review_rules,
            rulebook: self.rulebook,
            payment: self.payment,
            shops: self.shops,
            top_ups: Vec::new(),
            top_up_cents: 0,
            state: State::Active,
            created_at,
            created_by,
            close: None,
            retired_at: None,
            retire_offset: 0,
            description: self.description,
            notice_version: crate::revise::first_version(),
            revisions: Vec::new(),
            cancellation: None,
        }
    }
}
