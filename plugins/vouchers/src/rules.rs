//! What a campaign asks, who may receive support and how much: the application fields, the
//! eligibility rules and their reasons in plain words, the amount, its split into vouchers and
//! the rules that send an application to review. All pure, so the rules a municipality
//! publishes can be tested exactly.

use serde::{Deserialize, Serialize};

use trama_sdk::i18n::{self, Lang};
use trama_sdk::input::{Input, Problems, parse_yes_no};
use trama_sdk::money::{self, format_cents};
use trama_sdk::t;

mod review;
#[cfg(test)]
mod tests;

pub use review::{Op, ReviewRule};

/// Largest household a form accepts.
pub const MAX_HOUSEHOLD: u32 = 30;

trama_sdk::choices! {
    /// A question an application form may ask.
    #[derive(PartialOrd, Ord)]
    pub enum Field {
        HouseholdSize = "household_size" => "vouchers.field.household_size",
        Minors = "minors" => "vouchers.field.minors",
        /// ISEE, the household's means indicator, in euros.
        Isee = "isee" => "vouchers.field.isee",
        Resident = "resident" => "vouchers.field.resident",
        IncomeLoss = "income_loss" => "vouchers.field.income_loss",
        /// Monthly rent, in euros.
        Rent = "rent" => "vouchers.field.rent",
        /// Rent or bills in arrears, in euros.
        Arrears = "arrears" => "vouchers.field.arrears",
    }
}

/// How a field's answer is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Count,
    Euros,
    YesNo,
}

impl Field {
    pub fn kind(self) -> Kind {
        match self {
            Field::HouseholdSize | Field::Minors => Kind::Count,
            Field::Isee | Field::Rent | Field::Arrears => Kind::Euros,
            Field::Resident | Field::IncomeLoss => Kind::YesNo,
        }
    }
}

/// The answers of one application: only the fields the campaign asks are present.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answers {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub household_size: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minors: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isee_cents: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resident: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub income_loss: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rent_cents: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrears_cents: Option<i64>,
}

impl Answers {
    /// A field's answer as a number: a count, cents, or 1/0 for yes/no.
    pub fn number(&self, field: Field) -> Option<i64> {
        match field {
            Field::HouseholdSize => self.household_size.map(i64::from),
            Field::Minors => self.minors.map(i64::from),
            Field::Isee => self.isee_cents,
            Field::Resident => self.resident.map(i64::from),
            Field::IncomeLoss => self.income_loss.map(i64::from),
            Field::Rent => self.rent_cents,
            Field::Arrears => self.arrears_cents,
        }
    }

    /// A field's answer as people read it.
    pub fn show(&self, field: Field, lang: Lang) -> Option<String> {
        let n = self.number(field)?;
        Some(show_value(field, n, lang))
    }

    /// Reads the answers to `asked` from a form or JSON, each one required; every problem is
    /// reported with the field's name, in the caller's language.
    pub fn read(asked: &[Field], input: &Input, problems: &mut Problems) -> Self {
        let mut answers = Answers::default();
        for &field in asked {
            let key = field.key();
            let Some(text) = input.one(key) else {
                problems.push(key, t!("vouchers.problems.answer_required"));
                continue;
            };
            match field.kind() {
                Kind::Count => {
                    let (min, max) = if field == Field::HouseholdSize {
                        (1, MAX_HOUSEHOLD)
                    } else {
                        (0, MAX_HOUSEHOLD - 1)
                    };
                    match text.parse::<u32>() {
                        Ok(n) if (min..=max).contains(&n) => match field {
                            Field::HouseholdSize => answers.household_size = Some(n),
                            _ => answers.minors = Some(n),
                        },
                        _ => problems.push(
                            key,
                            t!(
                                "vouchers.problems.whole_number",
                                text = text,
                                min = min,
                                max = max,
                            ),
                        ),
                    }
                }
                Kind::Euros => match money::parse_euros(text) {
                    Ok(cents) => match field {
                        Field::Isee => answers.isee_cents = Some(cents),
                        Field::Rent => answers.rent_cents = Some(cents),
                        _ => answers.arrears_cents = Some(cents),
                    },
                    // The SDK's sentence, in the caller's language.
                    Err(err) => problems.push(key, err.describe(text, i18n::current())),
                },
                Kind::YesNo => match parse_yes_no(text) {
                    Some(value) => match field {
                        Field::Resident => answers.resident = Some(value),
                        _ => answers.income_loss = Some(value),
                    },
                    None => problems.push(key, t!("vouchers.problems.answer_yes_no", text = text)),
                },
            }
        }
        if let (Some(size), Some(minors)) = (answers.household_size, answers.minors)
            && minors >= size
        {
            problems.push(
                Field::Minors.key(),
                t!(
                    "vouchers.problems.minors_not_fewer",
                    minors = minors,
                    size = size,
                ),
            );
        }
        answers
    }
}

fn show_value(field: Field, n: i64, lang: Lang) -> String {
    match field.kind() {
        Kind::Count => n.to_string(),
        Kind::Euros => format_cents(n, lang),
        Kind::YesNo => trama_sdk::i18n::yes_no(lang, n != 0),
    }
}

/// Who may receive support. Rules on fields the campaign does not ask are refused when the
/// campaign is created, so every rule here can be checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Eligibility {
    /// The highest ISEE admitted, in cents.
    #[serde(default)]
    pub isee_max_cents: Option<i64>,
    #[serde(default)]
    pub residence_required: bool,
    #[serde(default)]
    pub household_min: Option<u32>,
    /// Campaigns whose beneficiaries are excluded from this one, by id.
    #[serde(default)]
    pub excluded_campaigns: Vec<String>,
}

/// Why an application is not eligible, kept as data so it can be shown in either language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Reason {
    IseeAbove {
        isee_cents: i64,
        max_cents: i64,
    },
    NotResident,
    HouseholdTooSmall {
        size: u32,
        min: u32,
    },
    AlreadyBeneficiary {
        campaign: String,
        title: String,
    },
    /// Not assessed by the closing: a review still open, or a submission that raced the
    /// closing.
    NotRanked,
    /// A rule of the campaign's rulebook that does not hold, in its own words.
    Rule {
        label: crate::rulebook::Text,
    },
}

impl Reason {
    /// The reason in words, in the caller's language; `lang` formats the amounts.
    pub fn describe(&self, lang: Lang) -> String {
        match self {
            Reason::IseeAbove {
                isee_cents,
                max_cents,
            } => t!(
                "vouchers.reasons.isee_above",
                isee = format_cents(*isee_cents, lang),
                max = format_cents(*max_cents, lang),
            ),
            Reason::NotResident => t!("vouchers.reasons.not_resident"),
            Reason::HouseholdTooSmall { size: 1, min } => t!(
                "vouchers.reasons.household_too_small.one",
                size = 1,
                min = min,
            ),
            Reason::HouseholdTooSmall { size, min } => t!(
                "vouchers.reasons.household_too_small.other",
                size = size,
                min = min,
            ),
            Reason::AlreadyBeneficiary { title, .. } => {
                t!("vouchers.reasons.already_beneficiary", title = title)
            }
            Reason::NotRanked => t!("vouchers.reasons.not_ranked"),
            Reason::Rule { label } => label.get().to_owned(),
        }
    }
}

impl Eligibility {
    /// The rules `answers` break, in the order they are listed. Beneficiaries of other
    /// campaigns are checked by the caller, which needs the store.
    pub fn check(&self, answers: &Answers) -> Vec<Reason> {
        let mut reasons = Vec::new();
        if let (Some(max), Some(isee)) = (self.isee_max_cents, answers.isee_cents)
            && isee > max
        {
            reasons.push(Reason::IseeAbove {
                isee_cents: isee,
                max_cents: max,
            });
        }
        if self.residence_required && answers.resident != Some(true) {
            reasons.push(Reason::NotResident);
        }
        if let (Some(min), Some(size)) = (self.household_min, answers.household_size)
            && size < min
        {
            reasons.push(Reason::HouseholdTooSmall { size, min });
        }
        reasons
    }
}

/// How much support an application gets: a base by household size plus an amount per minor,
/// capped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmountRule {
    /// Base for households of 1, 2, 3, … members; the last applies to larger households too.
    pub base_cents: Vec<i64>,
    #[serde(default)]
    pub per_minor_cents: i64,
    #[serde(default)]
    pub max_cents: Option<i64>,
}

impl AmountRule {
    /// The amount for a household; without a household size the first base applies.
    pub fn amount(&self, household: Option<u32>, minors: Option<u32>) -> i64 {
        let index = household
            .map(|size| usize::try_from(size.max(1) - 1).unwrap_or(usize::MAX))
            .unwrap_or(0)
            .min(self.base_cents.len().saturating_sub(1));
        let base = self.base_cents.get(index).copied().unwrap_or(0);
        let extra = self
            .per_minor_cents
            .saturating_mul(i64::from(minors.unwrap_or(0)));
        let total = base.saturating_add(extra);
        match self.max_cents {
            Some(max) => total.min(max),
            None => total,
        }
    }
}

/// Splits `amount` into vouchers: as many of the largest denomination as fit, then the next,
/// and whatever is left as one smaller voucher. No denominations: one voucher of the whole
/// amount. Zero: no vouchers.
pub fn split(amount_cents: i64, denominations_cents: &[i64]) -> Vec<i64> {
    if amount_cents <= 0 {
        return Vec::new();
    }
    let mut sorted: Vec<i64> = denominations_cents
        .iter()
        .copied()
        .filter(|d| *d > 0)
        .collect();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    sorted.dedup();
    let mut left = amount_cents;
    let mut vouchers = Vec::new();
    for denomination in sorted {
        while left >= denomination {
            vouchers.push(denomination);
            left -= denomination;
        }
    }
    if left > 0 {
        vouchers.push(left);
    }
    vouchers
}
