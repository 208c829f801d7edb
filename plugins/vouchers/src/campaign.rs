//! Campaigns: what a municipality offers, to whom, how much, and for how long — the document,
//! its validation (shared by the HTML form and the JSON API) and its creation, which funds the
//! budget in the ledger.

use serde::{Deserialize, Serialize};
use trama_sdk::clock::Date;
use trama_sdk::i18n::Lang;
use trama_sdk::input::{Input, Problems};
use trama_sdk::ledger::{self, AccountKind, TransferRequest};
use trama_sdk::money::{self, format_cents};
use trama_sdk::store::{Collection, Doc};
use trama_sdk::{Error, Result, audit, store};

use crate::close::CloseState;
use crate::rank::Criterion;
use crate::rules::{AmountRule, Eligibility, Field, MAX_HOUSEHOLD, ReviewRule};

pub const CAMPAIGNS: Collection<Campaign> = Collection::new("campaigns");

/// The external account money comes from: the municipality's funds, outside the books.
pub const FUNDING: &str = "funding";
/// Most criteria a ranking has (there are four).
const MAX_CRITERIA: usize = 4;
const TITLE_CHARS: std::ops::RangeInclusive<usize> = 3..=120;
/// Most vouchers denominations and household bases a campaign lists.
const MAX_LIST: usize = 12;

/// Members of a campaign in JSON, the same names as the form's fields.
pub const JSON_FIELDS: &[&str] = &[
    "title",
    "measure",
    "opens_on",
    "closes_on",
    "budget",
    "fields",
    "isee_max",
    "residence_required",
    "household_min",
    "excluded_campaigns",
    "base_amounts",
    "per_minor",
    "max_amount",
    "denominations",
    "ranking",
    "review_rules",
];

/// The kind of support.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Food vouchers ("buoni spesa").
    Food,
    /// Utility bills.
    Bills,
    Rent,
    /// Arrears the household is not to blame for ("morosità incolpevole").
    Arrears,
}

impl Measure {
    pub const ALL: [Measure; 4] = [
        Measure::Food,
        Measure::Bills,
        Measure::Rent,
        Measure::Arrears,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Measure::Food => "food",
            Measure::Bills => "bills",
            Measure::Rent => "rent",
            Measure::Arrears => "arrears",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.key() == key.trim())
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Measure::Food => lang.pick("Buoni spesa", "Food vouchers"),
            Measure::Bills => lang.pick("Bollette e utenze", "Utility bills"),
            Measure::Rent => lang.pick("Sostegno all'affitto", "Rent support"),
            Measure::Arrears => lang.pick("Morosità incolpevole", "Arrears relief"),
        }
    }
}

/// Where a campaign is in its life. Whether it accepts applications also depends on the
/// dates: see [`Campaign::phase`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Accepting applications between its dates; reviews go on.
    Active,
    /// Closed to applications and reviews; the ranking and the vouchers are being made.
    Closing,
    /// Ranked and paid out.
    Closed,
}

/// What a person can do with a campaign today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Upcoming,
    Open,
    /// Past its closing date, waiting for the closing job.
    Ended,
    Closing,
    Closed,
}

impl Phase {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Phase::Upcoming => lang.pick("Di prossima apertura", "Opening soon"),
            Phase::Open => lang.pick("Aperto", "Open"),
            Phase::Ended => lang.pick("Scaduto, in chiusura", "Ended, closing soon"),
            Phase::Closing => lang.pick("In chiusura", "Closing"),
            Phase::Closed => lang.pick("Chiuso", "Closed"),
        }
    }
}

/// A campaign as stored. `state` and `closes_on` are indexed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    pub title: String,
    pub measure: Measure,
    /// First day applications are accepted, `YYYY-MM-DD` (UTC).
    pub opens_on: String,
    /// Last day applications are accepted, inclusive.
    pub closes_on: String,
    pub budget_cents: i64,
    /// The questions of the application form, in order.
    pub fields: Vec<Field>,
    pub eligibility: Eligibility,
    pub amounts: AmountRule,
    /// Voucher values, largest first; empty for one voucher of the whole amount.
    pub denominations_cents: Vec<i64>,
    pub ranking: Vec<Criterion>,
    pub review_rules: Vec<ReviewRule>,
    pub state: State,
    pub created_at: i64,
    pub created_by: String,
    #[serde(default)]
    pub close: Option<CloseState>,
}

impl Campaign {
    pub fn asks(&self, field: Field) -> bool {
        self.fields.contains(&field)
    }

    pub fn phase(&self, today: Date) -> Phase {
        match self.state {
            State::Closing => Phase::Closing,
            State::Closed => Phase::Closed,
            State::Active => {
                let today = today.to_string();
                if today < self.opens_on {
                    Phase::Upcoming
                } else if today <= self.closes_on {
                    Phase::Open
                } else {
                    Phase::Ended
                }
            }
        }
    }
}

/// The ledger account holding the budget not yet issued.
pub fn budget_account(id: &str) -> String {
    format!("campaign/{id}/budget")
}

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

/// The campaign `id`, or a 404 that names it.
pub fn load(id: &str, lang: Lang) -> Result<Doc<Campaign>> {
    CAMPAIGNS.get(id)?.ok_or_else(|| {
        Error::not_found(match lang {
            Lang::It => format!("non esiste una campagna con codice «{id}»"),
            Lang::En => format!("there is no campaign with id `{id}`"),
        })
    })
}

/// Stores a validated campaign and funds its budget: `funding` → `campaign/{id}/budget`.
///
/// The excluded campaigns must exist. The document is written first and the budget funded
/// second, with the idempotency key `fund/{id}`: if the ledger fails in between, [`fund`]
/// (run again before closing) completes the funding without ever doing it twice.
pub fn create(
    draft: Draft,
    actor: &str,
    now: i64,
    lang: Lang,
) -> std::result::Result<Doc<Campaign>, CreateError> {
    let mut problems = Problems::default();
    for id in &draft.eligibility.excluded_campaigns {
        if CAMPAIGNS.get(id)?.is_none() {
            problems.push(
                "excluded_campaigns",
                match lang {
                    Lang::It => format!("non esiste una campagna con codice «{id}»"),
                    Lang::En => format!("there is no campaign with id `{id}`"),
                },
            );
        }
    }
    if !problems.is_empty() {
        return Err(CreateError::Problems(problems));
    }
    let doc = CAMPAIGNS.create(&store::new_id(), draft.into_campaign(now, actor.to_owned()))?;
    fund(&doc)?;
    audit::record(
        "campaign.created",
        &doc.id,
        &serde_json::json!({
            "title": doc.data.title,
            "measure": doc.data.measure,
            "budget_cents": doc.data.budget_cents,
            "opens_on": doc.data.opens_on,
            "closes_on": doc.data.closes_on,
        }),
    )?;
    Ok(doc)
}

/// Moves the budget from `funding` into the campaign's account, once (idempotent), and opens
/// the campaign's accounts.
pub fn fund(doc: &Doc<Campaign>) -> Result<()> {
    ledger::open(FUNDING, AccountKind::External)?;
    let account = budget_account(&doc.id);
    ledger::open(&account, AccountKind::Funded)?;
    // The memorandum pair redemptions write to (see `redeem`), opened once here rather than
    // on every redemption.
    ledger::open(crate::voucher::MEMO_COUNTERPART, AccountKind::External)?;
    ledger::open(
        &crate::voucher::spent_account(&doc.id),
        AccountKind::External,
    )?;
    ledger::transfer(
        &TransferRequest::new(
            FUNDING,
            account,
            doc.data.budget_cents,
            format!("fund/{}", doc.id),
        )
        .memo(format!("budget: {}", doc.data.title)),
    )?;
    Ok(())
}

/// Why a campaign was not created.
#[derive(Debug)]
pub enum CreateError {
    Problems(Problems),
    Other(Error),
}

impl From<Error> for CreateError {
    fn from(err: Error) -> Self {
        Self::Other(err)
    }
}

/// A campaign as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignView {
    pub id: String,
    pub version: u64,
    pub title: String,
    pub measure: Measure,
    pub measure_label: &'static str,
    pub opens_on: String,
    pub closes_on: String,
    pub budget_cents: i64,
    pub budget_text: String,
    pub state: State,
    pub phase: Phase,
    pub phase_label: &'static str,
    pub fields: Vec<FieldView>,
    /// Every rule in words, for the page that presents the campaign.
    pub rules_text: Vec<String>,
    pub isee_max_cents: Option<i64>,
    pub residence_required: bool,
    pub household_min: Option<u32>,
    pub excluded_campaigns: Vec<String>,
    pub base_amounts_cents: Vec<i64>,
    pub per_minor_cents: i64,
    pub max_amount_cents: Option<i64>,
    pub denominations_cents: Vec<i64>,
    pub ranking: Vec<Criterion>,
    pub review_rules: Vec<String>,
    pub close: Option<CloseState>,
}

/// A question of the application form.
#[derive(Debug, Clone, Serialize)]
pub struct FieldView {
    pub key: &'static str,
    pub label: &'static str,
    /// `count`, `euros` or `yes_no`: the input to show.
    pub kind: &'static str,
}

impl FieldView {
    pub fn new(field: Field, lang: Lang) -> Self {
        Self {
            key: field.key(),
            label: field.label(lang),
            kind: match field.kind() {
                crate::rules::Kind::Count => "count",
                crate::rules::Kind::Euros => "euros",
                crate::rules::Kind::YesNo => "yes_no",
            },
        }
    }
}

impl CampaignView {
    pub fn new(doc: &Doc<Campaign>, today: Date, lang: Lang) -> Self {
        let c = &doc.data;
        let phase = c.phase(today);
        let mut rules_text = Vec::new();
        if let Some(max) = c.eligibility.isee_max_cents {
            rules_text.push(match lang {
                Lang::It => format!("ISEE non superiore a {}", format_cents(max, lang)),
                Lang::En => format!("ISEE not above {}", format_cents(max, lang)),
            });
        }
        if c.eligibility.residence_required {
            rules_text.push(
                lang.pick("Residenza nel Comune", "Residence in the municipality")
                    .to_owned(),
            );
        }
        if let Some(min) = c.eligibility.household_min {
            rules_text.push(match lang {
                Lang::It => format!("Nucleo di almeno {min} componenti"),
                Lang::En => format!("A household of at least {min}"),
            });
        }
        if !c.eligibility.excluded_campaigns.is_empty() {
            rules_text.push(
                lang.pick(
                    "Esclusi i beneficiari delle misure collegate",
                    "Beneficiaries of the linked measures are excluded",
                )
                .to_owned(),
            );
        }
        let bases: Vec<String> = c
            .amounts
            .base_cents
            .iter()
            .map(|b| format_cents(*b, lang))
            .collect();
        rules_text.push(match lang {
            Lang::It => format!(
                "Importo base per numero di componenti (1, 2, …): {}",
                bases.join("; ")
            ),
            Lang::En => format!(
                "Base amount by household size (1, 2, …): {}",
                bases.join("; ")
            ),
        });
        if c.amounts.per_minor_cents > 0 {
            rules_text.push(match lang {
                Lang::It => format!(
                    "Più {} per ogni minore",
                    format_cents(c.amounts.per_minor_cents, lang)
                ),
                Lang::En => format!(
                    "Plus {} per minor",
                    format_cents(c.amounts.per_minor_cents, lang)
                ),
            });
        }
        if let Some(max) = c.amounts.max_cents {
            rules_text.push(match lang {
                Lang::It => format!("Fino a un massimo di {}", format_cents(max, lang)),
                Lang::En => format!("Up to {}", format_cents(max, lang)),
            });
        }
        Self {
            id: doc.id.clone(),
            version: doc.version,
            title: c.title.clone(),
            measure: c.measure,
            measure_label: c.measure.label(lang),
            opens_on: c.opens_on.clone(),
            closes_on: c.closes_on.clone(),
            budget_cents: c.budget_cents,
            budget_text: format_cents(c.budget_cents, lang),
            state: c.state,
            phase,
            phase_label: phase.label(lang),
            fields: c.fields.iter().map(|f| FieldView::new(*f, lang)).collect(),
            rules_text,
            isee_max_cents: c.eligibility.isee_max_cents,
            residence_required: c.eligibility.residence_required,
            household_min: c.eligibility.household_min,
            excluded_campaigns: c.eligibility.excluded_campaigns.clone(),
            base_amounts_cents: c.amounts.base_cents.clone(),
            per_minor_cents: c.amounts.per_minor_cents,
            max_amount_cents: c.amounts.max_cents,
            denominations_cents: c.denominations_cents.clone(),
            ranking: c.ranking.clone(),
            review_rules: c.review_rules.iter().map(ToString::to_string).collect(),
            close: c.close.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Input {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Input::from_pairs(&pairs)
    }

    fn good() -> Vec<(&'static str, &'static str)> {
        vec![
            ("title", "Buoni spesa 2025"),
            ("measure", "food"),
            ("opens_on", "2025-01-01"),
            ("closes_on", "2025-01-31"),
            ("budget", "10.000,00"),
            ("fields", "household_size"),
            ("fields", "minors"),
            ("fields", "isee"),
            ("fields", "resident"),
            ("fields", "income_loss"),
            ("isee_max", "15.000"),
            ("residence_required", "on"),
            ("base_amounts", "150; 250; 350; 400"),
            ("per_minor", "50"),
            ("max_amount", "500"),
            ("denominations", "50; 20; 10; 5"),
            ("ranking", "isee_asc"),
            ("ranking", "minors_desc"),
            ("ranking", ""),
            ("review_rules", "income_loss = yes"),
        ]
    }

    #[test]
    fn a_complete_form_becomes_a_campaign_in_cents() {
        let draft = validate(&form(&good()), Lang::It, &[]).unwrap();
        assert_eq!(draft.budget_cents, 1_000_000);
        assert_eq!(draft.eligibility.isee_max_cents, Some(1_500_000));
        assert!(draft.eligibility.residence_required);
        assert_eq!(
            draft.amounts.base_cents,
            vec![15_000, 25_000, 35_000, 40_000]
        );
        assert_eq!(draft.amounts.per_minor_cents, 5_000);
        assert_eq!(draft.amounts.max_cents, Some(50_000));
        assert_eq!(draft.denominations_cents, vec![5_000, 2_000, 1_000, 500]);
        assert_eq!(
            draft.ranking,
            vec![Criterion::IseeAsc, Criterion::MinorsDesc]
        );
        assert_eq!(draft.review_rules.len(), 1);
        assert_eq!(draft.opens_on, "2025-01-01");
    }

    #[test]
    fn every_broken_field_is_named() {
        let input = form(&[
            ("title", "x"),
            ("measure", "cake"),
            ("opens_on", "2025-02-01"),
            ("closes_on", "2025-01-31"),
            ("budget", "dieci"),
            ("fields", "isee"),
            ("fields", "shoe_size"),
            ("residence_required", "yes"),
            ("base_amounts", "150; 250"),
            ("ranking", "minors_desc"),
            ("review_rules", "income_loss = yes"),
        ]);
        let problems = validate(&input, Lang::En, &[]).unwrap_err();
        let fields: Vec<&str> = problems.0.iter().map(|p| p.field.as_str()).collect();
        for field in [
            "title",
            "measure",
            "closes_on",
            "budget",
            "fields",
            "residence_required",
            "base_amounts",
            "ranking",
            "review_rules",
        ] {
            assert!(fields.contains(&field), "{field} missing from {fields:?}");
        }
        assert_eq!(
            problems.for_field("residence_required"),
            Some("this rule uses `resident`, which the form does not ask: add it to the fields")
        );
        assert_eq!(
            problems.for_field("closes_on"),
            Some("the closing day (2025-01-31) comes before the opening (2025-02-01)")
        );
    }

    #[test]
    fn default_review_rules_apply_only_when_none_are_given_and_fit_the_form() {
        let mut pairs = good();
        pairs.retain(|(k, _)| *k != "review_rules");
        let defaults = vec!["income_loss = yes".to_owned(), "arrears > 1000".to_owned()];
        let draft = validate(&form(&pairs), Lang::It, &defaults).unwrap();
        assert_eq!(
            draft
                .review_rules
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            vec!["income_loss = yes"]
        );
        pairs.push(("review_rules", ""));
        let draft = validate(&form(&pairs), Lang::It, &defaults).unwrap();
        assert!(
            draft.review_rules.is_empty(),
            "an emptied box means no rules"
        );
    }

    #[test]
    fn the_phase_follows_the_dates_inclusively() {
        let draft = validate(&form(&good()), Lang::It, &[]).unwrap();
        let doc = draft.into_campaign(0, "op".into());
        let day = |s: &str| Date::parse(s).unwrap();
        assert_eq!(doc.phase(day("2024-12-31")), Phase::Upcoming);
        assert_eq!(doc.phase(day("2025-01-01")), Phase::Open);
        assert_eq!(doc.phase(day("2025-01-31")), Phase::Open);
        assert_eq!(doc.phase(day("2025-02-01")), Phase::Ended);
    }
}
