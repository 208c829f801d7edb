//! Reading a campaign from its form or JSON and checking every rule, with each problem named by its
//! field.

use trama_sdk::clock::Date;
use trama_sdk::i18n::Lang;
use trama_sdk::input::{Input, Problems};
use trama_sdk::money;

use crate::rank::Criterion;
use crate::rules::{AmountRule, Eligibility, Field, MAX_HOUSEHOLD, ReviewRule};

use super::{Campaign, MAX_CRITERIA, MAX_LIST, Measure, State, TITLE_CHARS};

/// Reads and checks a campaign from a form or JSON. `default_review_rules` (from the
/// settings) apply when the input does not mention `review_rules` at all, keeping only those on
/// fields the campaign asks. Every problem is reported with the field's name.
pub fn validate(
    input: &Input,
    lang: Lang,
    default_review_rules: &[String],
) -> std::result::Result<Draft, Problems> {
    let mut p = Problems::default();
    let required = lang.pick("il campo è obbligatorio", "this field is required");

    let title = input.one("title").unwrap_or_default().to_owned();
    let chars = title.chars().count();
    if !TITLE_CHARS.contains(&chars) {
        p.push(
            "title",
            match lang {
                Lang::It => format!(
                    "il titolo deve avere da {} a {} caratteri (ne ha {chars})",
                    TITLE_CHARS.start(),
                    TITLE_CHARS.end()
                ),
                Lang::En => format!(
                    "the title must have {} to {} characters (it has {chars})",
                    TITLE_CHARS.start(),
                    TITLE_CHARS.end()
                ),
            },
        );
    }

    let measure = match input.one("measure") {
        None => {
            p.push("measure", required);
            Measure::Food
        }
        Some(text) => Measure::parse(text).unwrap_or_else(|| {
            p.push(
                "measure",
                one_of(text, Measure::ALL.map(Measure::key), lang),
            );
            Measure::Food
        }),
    };

    let opens_on = read_date(input, "opens_on", lang, &mut p);
    let closes_on = read_date(input, "closes_on", lang, &mut p);
    if let (Some(open), Some(close)) = (opens_on, closes_on)
        && close < open
    {
        p.push(
            "closes_on",
            match lang {
                Lang::It => format!("la chiusura ({close}) viene prima dell'apertura ({open})"),
                Lang::En => format!("the closing day ({close}) comes before the opening ({open})"),
            },
        );
    }

    let budget_cents = match read_money(input, "budget", lang, &mut p) {
        Some(0) => {
            p.push(
                "budget",
                lang.pick(
                    "il budget deve essere più di zero",
                    "the budget must be more than zero",
                ),
            );
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

    let mut fields = Vec::new();
    for key in input.many("fields") {
        match Field::parse(key) {
            Some(field) if !fields.contains(&field) => fields.push(field),
            Some(_) => {}
            None => p.push("fields", one_of(key, Field::ALL.map(Field::key), lang)),
        }
    }
    let asks = |field: Field| fields.contains(&field);
    let needs = |name: &str, field: Field, p: &mut Problems| {
        if !asks(field) {
            p.push(
                name,
                match lang {
                    Lang::It => format!(
                        "questa regola usa «{}», che la domanda non chiede: aggiungilo ai campi",
                        field.key()
                    ),
                    Lang::En => format!(
                        "this rule uses `{}`, which the form does not ask: add it to the fields",
                        field.key()
                    ),
                },
            );
        }
    };

    let isee_max_cents = read_money(input, "isee_max", lang, &mut p);
    if isee_max_cents.is_some() {
        needs("isee_max", Field::Isee, &mut p);
    }
    let residence_required = input.flag("residence_required").unwrap_or_else(|text| {
        p.push("residence_required", yes_no_problem(&text, lang));
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
                p.push("household_min", whole_number(text, 1, MAX_HOUSEHOLD, lang));
                None
            }
        });
    if household_min.is_some() {
        needs("household_min", Field::HouseholdSize, &mut p);
    }
    let mut excluded_campaigns: Vec<String> = Vec::new();
    for id in input.many("excluded_campaigns") {
        if !excluded_campaigns.iter().any(|e| e == id) {
            excluded_campaigns.push(id.to_owned());
        }
    }

    let base_cents = read_money_list(input, "base_amounts", lang, &mut p);
    if base_cents.is_empty() && !p.0.iter().any(|x| x.field == "base_amounts") {
        p.push(
            "base_amounts",
            lang.pick(
                "serve almeno un importo base, ad esempio 150; 250; 350; 400",
                "at least one base amount is needed, e.g. 150; 250; 350; 400",
            ),
        );
    }
    if base_cents.contains(&0) {
        p.push(
            "base_amounts",
            lang.pick(
                "gli importi base devono essere più di zero",
                "base amounts must be more than zero",
            ),
        );
    }
    if base_cents.len() > 1 {
        needs("base_amounts", Field::HouseholdSize, &mut p);
    }
    let per_minor_cents = read_money(input, "per_minor", lang, &mut p).unwrap_or(0);
    if per_minor_cents > 0 {
        needs("per_minor", Field::Minors, &mut p);
    }
    let max_cents = read_money(input, "max_amount", lang, &mut p);
    if max_cents == Some(0) {
        p.push(
            "max_amount",
            lang.pick(
                "il tetto deve essere più di zero",
                "the cap must be more than zero",
            ),
        );
    }

    let mut denominations_cents = read_money_list(input, "denominations", lang, &mut p);
    if denominations_cents.contains(&0) {
        p.push(
            "denominations",
            lang.pick(
                "i tagli devono essere più di zero",
                "denominations must be more than zero",
            ),
        );
    }
    denominations_cents.sort_unstable_by(|a, b| b.cmp(a));
    denominations_cents.dedup();

    let mut ranking = Vec::new();
    for key in input.many("ranking") {
        match Criterion::parse(key) {
            Some(criterion) if ranking.contains(&criterion) => p.push(
                "ranking",
                match lang {
                    Lang::It => format!("il criterio «{key}» è ripetuto"),
                    Lang::En => format!("the criterion `{key}` is listed twice"),
                },
            ),
            Some(criterion) => {
                needs("ranking", criterion.field(), &mut p);
                ranking.push(criterion);
            }
            None => p.push(
                "ranking",
                one_of(key, Criterion::ALL.map(Criterion::key), lang),
            ),
        }
    }
    ranking.truncate(MAX_CRITERIA);

    let mut review_rules = Vec::new();
    if input.has("review_rules") {
        for text in input.list("review_rules") {
            match ReviewRule::parse(text, lang) {
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
            .filter_map(|text| ReviewRule::parse(text, lang).ok())
            .filter(|rule| asks(rule.field))
            .collect();
    }

    if !p.is_empty() {
        return Err(p);
    }
    Ok(Draft {
        title,
        measure,
        opens_on: opens_on.map(|d| d.to_string()).unwrap_or_default(),
        closes_on: closes_on.map(|d| d.to_string()).unwrap_or_default(),
        budget_cents,
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
    })
}

fn one_of<const N: usize>(text: &str, keys: [&str; N], lang: Lang) -> String {
    let list = keys
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match lang {
        Lang::It => format!("«{text}» non è tra i valori ammessi: {list}"),
        Lang::En => format!("`{text}` is not one of {list}"),
    }
}

fn yes_no_problem(text: &str, lang: Lang) -> String {
    match lang {
        Lang::It => format!("«{text}» non va bene: scrivi sì o no"),
        Lang::En => format!("`{text}` will not do: write yes or no"),
    }
}

fn whole_number(text: &str, min: u32, max: u32, lang: Lang) -> String {
    match lang {
        Lang::It => format!("«{text}» non va bene: scrivi un numero intero da {min} a {max}"),
        Lang::En => format!("`{text}` will not do: write a whole number from {min} to {max}"),
    }
}

fn read_date(input: &Input, field: &str, lang: Lang, p: &mut Problems) -> Option<Date> {
    let Some(text) = input.one(field) else {
        p.push(
            field,
            lang.pick("il campo è obbligatorio", "this field is required"),
        );
        return None;
    };
    match Date::parse(text) {
        Ok(date) => Some(date),
        Err(_) => {
            p.push(
                field,
                match lang {
                    Lang::It => format!(
                        "«{text}» non è una data: scrivila come AAAA-MM-GG, ad esempio 2025-03-31"
                    ),
                    Lang::En => {
                        format!("`{text}` is not a date: write it as YYYY-MM-DD, e.g. 2025-03-31")
                    }
                },
            );
            None
        }
    }
}

fn read_money(input: &Input, field: &str, lang: Lang, p: &mut Problems) -> Option<i64> {
    let text = input.one(field)?;
    match money::parse_euros(text) {
        Ok(cents) => Some(cents),
        Err(err) => {
            p.push(field, err.describe(text, lang));
            None
        }
    }
}

fn read_money_list(input: &Input, field: &str, lang: Lang, p: &mut Problems) -> Vec<i64> {
    let items = input.list(field);
    if items.len() > MAX_LIST {
        p.push(
            field,
            match lang {
                Lang::It => format!("al massimo {MAX_LIST} importi"),
                Lang::En => format!("at most {MAX_LIST} amounts"),
            },
        );
    }
    items
        .into_iter()
        .filter_map(|text| match money::parse_euros(text) {
            Ok(cents) => Some(cents),
            Err(err) => {
                p.push(field, err.describe(text, lang));
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
}

impl Draft {
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
            state: State::Active,
            created_at,
            created_by,
            close: None,
        }
    }
}
