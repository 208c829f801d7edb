//! What a campaign asks, who may receive support and how much: the application fields, the
//! eligibility rules and their reasons in plain words, the amount, its split into vouchers and
//! the rules that send an application to review. All pure, so the rules a municipality
//! publishes can be tested exactly.

use std::fmt;

use serde::{Deserialize, Serialize};

use trama_sdk::i18n::Lang;
use trama_sdk::input::{Input, Problems, parse_yes_no};
use trama_sdk::money::{self, format_cents};

/// Largest household a form accepts.
pub const MAX_HOUSEHOLD: u32 = 30;

/// A question an application form may ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    HouseholdSize,
    Minors,
    /// ISEE, the household's means indicator, in euros.
    Isee,
    Resident,
    IncomeLoss,
    /// Monthly rent, in euros.
    Rent,
    /// Rent or bills in arrears, in euros.
    Arrears,
}

/// How a field's answer is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Count,
    Euros,
    YesNo,
}

impl Field {
    pub const ALL: [Field; 7] = [
        Field::HouseholdSize,
        Field::Minors,
        Field::Isee,
        Field::Resident,
        Field::IncomeLoss,
        Field::Rent,
        Field::Arrears,
    ];

    /// The name in forms, JSON and rules.
    pub fn key(self) -> &'static str {
        match self {
            Field::HouseholdSize => "household_size",
            Field::Minors => "minors",
            Field::Isee => "isee",
            Field::Resident => "resident",
            Field::IncomeLoss => "income_loss",
            Field::Rent => "rent",
            Field::Arrears => "arrears",
        }
    }

    pub fn parse(key: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.key() == key.trim())
    }

    pub fn kind(self) -> Kind {
        match self {
            Field::HouseholdSize | Field::Minors => Kind::Count,
            Field::Isee | Field::Rent | Field::Arrears => Kind::Euros,
            Field::Resident | Field::IncomeLoss => Kind::YesNo,
        }
    }

    /// The label of the question.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Field::HouseholdSize => lang.pick(
                "Componenti del nucleo familiare",
                "Members of the household",
            ),
            Field::Minors => lang.pick("Figli minori nel nucleo", "Minors in the household"),
            Field::Isee => lang.pick("ISEE (euro)", "ISEE (euros)"),
            Field::Resident => lang.pick("Residente nel Comune", "Resident in the municipality"),
            Field::IncomeLoss => lang.pick("Perdita o calo del reddito", "Loss or drop of income"),
            Field::Rent => lang.pick("Canone mensile di affitto (euro)", "Monthly rent (euros)"),
            Field::Arrears => lang.pick("Morosità accumulata (euro)", "Arrears (euros)"),
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
    /// reported with the field's name.
    pub fn read(asked: &[Field], input: &Input, lang: Lang, problems: &mut Problems) -> Self {
        let mut answers = Answers::default();
        for &field in asked {
            let key = field.key();
            let Some(text) = input.one(key) else {
                problems.push(
                    key,
                    lang.pick("la risposta è obbligatoria", "an answer is required"),
                );
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
                            match lang {
                                Lang::It => format!(
                                    "«{text}» non va bene: scrivi un numero intero da {min} a {max}"
                                ),
                                Lang::En => format!(
                                    "`{text}` will not do: write a whole number from {min} to {max}"
                                ),
                            },
                        ),
                    }
                }
                Kind::Euros => match money::parse_euros(text) {
                    Ok(cents) => match field {
                        Field::Isee => answers.isee_cents = Some(cents),
                        Field::Rent => answers.rent_cents = Some(cents),
                        _ => answers.arrears_cents = Some(cents),
                    },
                    Err(err) => problems.push(key, err.describe(text, lang)),
                },
                Kind::YesNo => match parse_yes_no(text) {
                    Some(value) => match field {
                        Field::Resident => answers.resident = Some(value),
                        _ => answers.income_loss = Some(value),
                    },
                    None => problems.push(
                        key,
                        match lang {
                            Lang::It => format!("«{text}» non va bene: rispondi sì o no"),
                            Lang::En => format!("`{text}` will not do: answer yes or no"),
                        },
                    ),
                },
            }
        }
        if let (Some(size), Some(minors)) = (answers.household_size, answers.minors)
            && minors >= size
        {
            problems.push(
                Field::Minors.key(),
                match lang {
                    Lang::It => format!(
                        "i minori ({minors}) devono essere meno dei componenti del nucleo ({size})"
                    ),
                    Lang::En => format!(
                        "the minors ({minors}) must be fewer than the members of the household ({size})"
                    ),
                },
            );
        }
        answers
    }
}

fn show_value(field: Field, n: i64, lang: Lang) -> String {
    match field.kind() {
        Kind::Count => n.to_string(),
        Kind::Euros => format_cents(n, lang),
        Kind::YesNo => lang.yes_no(n != 0).to_owned(),
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
}

impl Reason {
    pub fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (
                Reason::IseeAbove {
                    isee_cents,
                    max_cents,
                },
                Lang::It,
            ) => format!(
                "ISEE {} sopra la soglia di {}",
                format_cents(*isee_cents, lang),
                format_cents(*max_cents, lang)
            ),
            (
                Reason::IseeAbove {
                    isee_cents,
                    max_cents,
                },
                Lang::En,
            ) => format!(
                "ISEE {} above the threshold of {}",
                format_cents(*isee_cents, lang),
                format_cents(*max_cents, lang)
            ),
            (Reason::NotResident, Lang::It) => "la residenza nel Comune è richiesta".to_owned(),
            (Reason::NotResident, Lang::En) => {
                "residence in the municipality is required".to_owned()
            }
            (Reason::HouseholdTooSmall { size, min }, Lang::It) => format!(
                "nucleo di {size} {} sotto il minimo di {min}",
                if *size == 1 {
                    "componente"
                } else {
                    "componenti"
                }
            ),
            (Reason::HouseholdTooSmall { size, min }, Lang::En) => {
                format!("household of {size} below the minimum of {min}")
            }
            (Reason::AlreadyBeneficiary { title, .. }, Lang::It) => {
                format!("già beneficiario della misura «{title}»")
            }
            (Reason::AlreadyBeneficiary { title, .. }, Lang::En) => {
                format!("already a beneficiary of “{title}”")
            }
            (Reason::NotRanked, Lang::It) => {
                "domanda non valutata entro la chiusura del bando".to_owned()
            }
            (Reason::NotRanked, Lang::En) => {
                "the application was not assessed by the time the campaign closed".to_owned()
            }
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
    /// an amount of euros or yes/no, as the field wants.
    pub fn parse(text: &str, lang: Lang) -> Result<Self, String> {
        let text = text.trim();
        let name_end = text
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(text.len());
        let (name, rest) = text.split_at(name_end);
        let Some(field) = Field::parse(name) else {
            return Err(match lang {
                Lang::It => format!(
                    "«{text}»: «{name}» non è un campo della domanda; i campi sono {}",
                    field_list()
                ),
                Lang::En => format!(
                    "`{text}`: `{name}` is not an application field; the fields are {}",
                    field_list()
                ),
            });
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
        .ok_or_else(|| match lang {
            Lang::It => format!(
                "«{text}»: dopo il campo serve un confronto (=, !=, <, <=, >, >=) e un valore, ad esempio «income_loss = yes»"
            ),
            Lang::En => format!(
                "`{text}`: the field must be followed by a comparison (=, !=, <, <=, >, >=) and a value, e.g. `income_loss = yes`"
            ),
        })?;
        let value = match field.kind() {
            Kind::YesNo => parse_yes_no(value)
                .map(i64::from)
                .ok_or_else(|| match lang {
                    Lang::It => format!("«{text}»: {} si confronta con sì o no", field.key()),
                    Lang::En => format!("`{text}`: {} compares with yes or no", field.key()),
                })?,
            Kind::Count => value.parse::<i64>().map_err(|_| match lang {
                Lang::It => format!(
                    "«{text}»: {} si confronta con un numero intero",
                    field.key()
                ),
                Lang::En => format!("`{text}`: {} compares with a whole number", field.key()),
            })?,
            Kind::Euros => money::parse_euros(value)
                .map_err(|err| format!("«{text}»: {}", err.describe(value, lang)))?,
        };
        if field.kind() == Kind::YesNo && !matches!(op, Op::Eq | Op::Ne) {
            return Err(match lang {
                Lang::It => format!("«{text}»: una risposta sì/no si confronta solo con = o !="),
                Lang::En => format!("`{text}`: a yes/no answer compares only with = or !="),
            });
        }
        Ok(Self { field, op, value })
    }

    pub fn applies(&self, answers: &Answers) -> bool {
        answers
            .number(self.field)
            .is_some_and(|n| self.op.holds(n, self.value))
    }

    /// The rule in words: "Perdita o calo del reddito = sì".
    pub fn describe(&self, lang: Lang) -> String {
        format!(
            "{} {} {}",
            self.field.label(lang),
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
            Kind::YesNo => Lang::En.yes_no(self.value != 0).to_owned(),
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
        ReviewRule::parse(&text, Lang::En)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers() -> Answers {
        Answers {
            household_size: Some(3),
            minors: Some(1),
            isee_cents: Some(1_800_000),
            resident: Some(true),
            income_loss: Some(false),
            rent_cents: None,
            arrears_cents: None,
        }
    }

    #[test]
    fn reasons_are_plain_words_with_the_figures() {
        let rules = Eligibility {
            isee_max_cents: Some(1_500_000),
            residence_required: true,
            household_min: Some(4),
            excluded_campaigns: vec![],
        };
        let mut a = answers();
        a.resident = Some(false);
        let reasons = rules.check(&a);
        let it: Vec<String> = reasons.iter().map(|r| r.describe(Lang::It)).collect();
        assert_eq!(
            it,
            vec![
                "ISEE 18.000,00 € sopra la soglia di 15.000,00 €",
                "la residenza nel Comune è richiesta",
                "nucleo di 3 componenti sotto il minimo di 4",
            ]
        );
        assert_eq!(
            reasons[0].describe(Lang::En),
            "ISEE €18,000.00 above the threshold of €15,000.00"
        );
    }

    #[test]
    fn an_application_within_every_rule_has_no_reasons() {
        let rules = Eligibility {
            isee_max_cents: Some(1_800_000),
            residence_required: true,
            household_min: Some(3),
            excluded_campaigns: vec![],
        };
        assert_eq!(
            rules.check(&answers()),
            vec![],
            "the threshold is inclusive"
        );
    }

    #[test]
    fn amounts_follow_household_size_and_minors_with_a_cap() {
        let rule = AmountRule {
            base_cents: vec![15_000, 25_000, 35_000, 40_000],
            per_minor_cents: 5_000,
            max_cents: Some(50_000),
        };
        assert_eq!(rule.amount(Some(1), Some(0)), 15_000);
        assert_eq!(rule.amount(Some(3), Some(1)), 40_000);
        assert_eq!(rule.amount(Some(4), Some(1)), 45_000);
        assert_eq!(
            rule.amount(Some(9), Some(0)),
            40_000,
            "4+ uses the last base"
        );
        assert_eq!(rule.amount(Some(6), Some(4)), 50_000, "capped");
        assert_eq!(rule.amount(None, None), 15_000);
    }

    #[test]
    fn amounts_are_split_greedily_with_the_remainder_as_a_smaller_voucher() {
        let notes = [5_000, 2_000, 1_000, 500];
        assert_eq!(
            split(38_500, &notes),
            vec![5_000; 7]
                .into_iter()
                .chain([2_000, 1_000, 500])
                .collect::<Vec<_>>()
        );
        assert_eq!(split(15_000, &notes), vec![5_000, 5_000, 5_000]);
        assert_eq!(split(1_250, &notes), vec![1_000, 250]);
        assert_eq!(split(300, &notes), vec![300]);
        assert_eq!(split(40_000, &[]), vec![40_000]);
        assert_eq!(split(0, &notes), Vec::<i64>::new());
        // Order and duplicates of the denominations do not matter.
        assert_eq!(
            split(7_000, &[500, 5_000, 5_000, 2_000]),
            vec![5_000, 2_000]
        );
        let total: i64 = split(123_456, &notes).iter().sum();
        assert_eq!(total, 123_456);
    }

    #[test]
    fn review_rules_read_in_many_spellings_and_round_trip() {
        let rule = ReviewRule::parse("income_loss = yes", Lang::It).unwrap();
        assert_eq!(rule.to_string(), "income_loss = yes");
        assert_eq!(ReviewRule::parse("income_loss==sì", Lang::It), Ok(rule));
        let rule = ReviewRule::parse("arrears > 5.000,00", Lang::It).unwrap();
        assert_eq!(rule.value, 500_000);
        assert_eq!(rule.to_string(), "arrears > 5000.00");
        assert_eq!(ReviewRule::parse(&rule.to_string(), Lang::En), Ok(rule));
        assert_eq!(
            rule.describe(Lang::It),
            "Morosità accumulata (euro) > 5.000,00 €"
        );
        let minors = ReviewRule::parse("minors>=3", Lang::En).unwrap();
        assert!(!minors.applies(&answers()));
        let mut big = answers();
        big.minors = Some(3);
        assert!(minors.applies(&big));
        let json = serde_json::to_string(&minors).unwrap();
        assert_eq!(json, r#""minors >= 3""#);
    }

    #[test]
    fn bad_review_rules_say_what_is_wrong() {
        let err = ReviewRule::parse("income = yes", Lang::En).unwrap_err();
        assert!(
            err.contains("`income` is not an application field"),
            "{err}"
        );
        let err = ReviewRule::parse("isee", Lang::En).unwrap_err();
        assert!(err.contains("comparison"), "{err}");
        let err = ReviewRule::parse("resident > yes", Lang::En).unwrap_err();
        assert!(err.contains("only with = or !="), "{err}");
        let err = ReviewRule::parse("minors = many", Lang::It).unwrap_err();
        assert!(err.contains("numero intero"), "{err}");
    }

    #[test]
    fn a_rule_on_an_unanswered_field_never_applies() {
        let rule = ReviewRule::parse("rent > 800", Lang::En).unwrap();
        assert!(!rule.applies(&answers()));
    }

    #[test]
    fn answers_are_read_with_a_message_per_field() {
        let asked = [
            Field::HouseholdSize,
            Field::Minors,
            Field::Isee,
            Field::Resident,
        ];
        let input = Input::from_pairs(&[
            ("household_size".into(), "2".into()),
            ("minors".into(), "2".into()),
            ("isee".into(), "12.000,50".into()),
            ("resident".into(), "forse".into()),
        ]);
        let mut problems = Problems::default();
        let answers = Answers::read(&asked, &input, Lang::It, &mut problems);
        assert_eq!(answers.isee_cents, Some(1_200_050));
        let fields: Vec<&str> = problems.0.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, vec!["resident", "minors"]);
        assert_eq!(
            problems.for_field("minors"),
            Some("i minori (2) devono essere meno dei componenti del nucleo (2)")
        );

        let mut problems = Problems::default();
        Answers::read(&asked, &Input::default(), Lang::En, &mut problems);
        assert_eq!(problems.0.len(), 4);
        assert_eq!(problems.for_field("isee"), Some("an answer is required"));
    }
}
