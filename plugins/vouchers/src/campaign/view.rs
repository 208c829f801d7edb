//! A campaign as pages and the API show it: labels, amounts in words, the phase and the fields
//! asked.

use serde::Serialize;
use trama_sdk::clock::Date;
use trama_sdk::i18n::Lang;
use trama_sdk::money::format_cents;
use trama_sdk::store::Doc;
use trama_sdk::t;

use crate::close::CloseState;
use crate::rank::Criterion;
use crate::revise::words::{CancellationView, RevisionView};
use crate::rulebook;
use crate::rules::Field;

use super::{Campaign, Measure, Phase, State};

/// A campaign as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignView {
    pub id: String,
    pub version: u64,
    pub title: String,
    pub measure: Measure,
    pub measure_label: String,
    pub opens_on: String,
    pub closes_on: String,
    pub budget_cents: i64,
    pub budget_text: String,
    pub state: State,
    pub phase: Phase,
    pub phase_label: String,
    pub fields: Vec<FieldView>,
    /// The rulebook's questions, when the campaign has one (then `fields` is empty).
    pub questions: Vec<QuestionView>,
    /// Whether a question asks for documents: its forms then send files.
    pub has_attachments: bool,
    /// Every rule in words, for the page that presents the campaign.
    pub rules_text: Vec<String>,
    pub payment: crate::payment::Payment,
    /// Where the vouchers are spent; both lists empty: at any affiliated shop.
    pub shops: super::Shops,
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
    /// The notice's own words.
    pub description: String,
    /// The version of the notice in force, from 1 (see [`crate::revise`]).
    pub notice_version: u32,
    /// When it last changed (Unix ms), and that time in words; `None` if never.
    pub last_changed_at: Option<i64>,
    pub last_changed_text: Option<String>,
    /// The changes that made each version after the first, newest first, in plain words.
    pub revisions: Vec<RevisionView>,
    /// How the notice was withdrawn, when it was.
    pub cancellation: Option<CancellationView>,
}

/// A question of the application form.
#[derive(Debug, Clone, Serialize)]
pub struct FieldView {
    pub key: &'static str,
    pub label: String,
    /// `count`, `euros` or `yes_no`: the input to show.
    pub kind: &'static str,
}

impl FieldView {
    pub fn new(field: Field) -> Self {
        Self {
            key: field.key(),
            label: field.label(),
            kind: match field.kind() {
                crate::rules::Kind::Count => "count",
                crate::rules::Kind::Euros => "euros",
                crate::rules::Kind::YesNo => "yes_no",
            },
        }
    }
}

/// A rulebook question as the form shows it.
#[derive(Debug, Clone, Serialize)]
pub struct QuestionView {
    pub key: String,
    pub label: String,
    pub help: String,
    /// `integer`, `euros`, `yes_no`, `choice`, `date`, `text`, `iban` or `members`.
    pub kind: &'static str,
    pub required: bool,
    pub min: i64,
    pub max: i64,
    /// Choices: `{key, label}`; for the household, the relations.
    pub options: Vec<OptionView>,
    /// For the household: the row numbers the form offers, from 1.
    pub rows: Vec<usize>,
    /// For the household: each member's tax code is asked.
    pub tax_codes: bool,
    /// For an attachment: the file input's `accept` attribute, and what it takes in words
    /// (types, largest size, how many files).
    pub accept: String,
    pub takes: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct OptionView {
    pub key: String,
    pub label: String,
}

impl QuestionView {
    pub fn new(question: &rulebook::answer::Question) -> Self {
        use rulebook::answer::{Kind, RELATIONS, relation_label};
        let (kind, min, max, options, rows) = match &question.kind {
            Kind::Integer { min, max } => ("integer", *min, *max, Vec::new(), Vec::new()),
            Kind::Euros => ("euros", 0, 0, Vec::new(), Vec::new()),
            Kind::YesNo => ("yes_no", 0, 0, Vec::new(), Vec::new()),
            Kind::Choice { options } => (
                "choice",
                0,
                0,
                options
                    .iter()
                    .map(|o| OptionView {
                        key: o.key.clone(),
                        label: o.label.get().to_owned(),
                    })
                    .collect(),
                Vec::new(),
            ),
            Kind::Date => ("date", 0, 0, Vec::new(), Vec::new()),
            Kind::Text { max_chars } => ("text", 0, *max_chars as i64, Vec::new(), Vec::new()),
            Kind::Iban => ("iban", 0, 0, Vec::new(), Vec::new()),
            Kind::Attachment { max_files, .. } => (
                "attachment",
                0,
                i64::from(*max_files),
                Vec::new(),
                Vec::new(),
            ),
            Kind::Members { max, .. } => (
                "members",
                1,
                *max as i64,
                RELATIONS
                    .iter()
                    .map(|key| OptionView {
                        key: (*key).to_owned(),
                        label: relation_label(key),
                    })
                    .collect(),
                (1..=*max).collect(),
            ),
        };
        Self {
            key: question.key.clone(),
            label: question.label.get().to_owned(),
            help: question.help.get().to_owned(),
            kind,
            required: question.required,
            min,
            max,
            options,
            rows,
            tax_codes: matches!(
                question.kind,
                Kind::Members {
                    tax_codes: true,
                    ..
                }
            ),
            accept: question
                .accepts()
                .map(|(accept, _)| accept.html_accept())
                .unwrap_or_default(),
            takes: question
                .accepts()
                .map(|(accept, max_files)| {
                    let kinds: Vec<&str> = accept.kinds.iter().map(|k| k.label()).collect();
                    let max = trama_sdk::money::group_digits(
                        u64::from(accept.max_kb),
                        trama_sdk::i18n::current(),
                    );
                    t!(
                        "vouchers.questions.attachment_takes",
                        kinds = kinds.join(", "),
                        max = max,
                        files = max_files
                    )
                })
                .unwrap_or_default(),
        }
    }
}

/// A rulebook's rules in words, as a notice publishes them.
fn rulebook_text(book: &rulebook::Rulebook) -> Vec<String> {
    let mut lines: Vec<String> = book
        .eligibility
        .iter()
        .map(|r| t!("vouchers.campaign.rule_requirement", rule = r.label.get()))
        .collect();
    lines.push(t!(
        "vouchers.campaign.rule_amount",
        rule = book.amount.label.get()
    ));
    lines.extend(
        book.priority
            .iter()
            .map(|r| t!("vouchers.campaign.rule_priority", rule = r.label.get())),
    );
    lines.extend(
        book.review
            .iter()
            .map(|r| t!("vouchers.campaign.rule_review", rule = r.label.get())),
    );
    lines
}

impl CampaignView {
    pub fn new(doc: &Doc<Campaign>, today: Date, lang: Lang) -> Self {
        let c = &doc.data;
        let phase = c.phase(today);
        let mut rules_text = Vec::new();
        if let Some(book) = &c.rulebook {
            rules_text = rulebook_text(book);
        }
        let payment_text = c.payment.describe();
        if let Some(max) = c.eligibility.isee_max_cents {
            rules_text.push(t!(
                "vouchers.campaign.rule_isee_max",
                max = format_cents(max, lang)
            ));
        }
        if c.eligibility.residence_required {
            rules_text.push(t!("vouchers.campaign.rule_residence"));
        }
        if let Some(min) = c.eligibility.household_min {
            rules_text.push(t!("vouchers.campaign.rule_household_min", min = min));
        }
        if !c.eligibility.excluded_campaigns.is_empty() {
            rules_text.push(t!("vouchers.campaign.rule_excluded"));
        }
        let bases: Vec<String> = c
            .amounts
            .base_cents
            .iter()
            .map(|b| format_cents(*b, lang))
            .collect();
        if c.rulebook.is_none() {
            rules_text.push(t!(
                "vouchers.campaign.rule_base_amounts",
                amounts = bases.join("; ")
            ));
        }
        if c.amounts.per_minor_cents > 0 {
            rules_text.push(t!(
                "vouchers.campaign.rule_per_minor",
                amount = format_cents(c.amounts.per_minor_cents, lang)
            ));
        }
        if let Some(max) = c.amounts.max_cents {
            rules_text.push(t!(
                "vouchers.campaign.rule_max_amount",
                max = format_cents(max, lang)
            ));
        }
        // The ranking and the review a notice must publish too, in the same words as a
        // rulebook's (`rulebook_text`).
        rules_text.extend(
            c.ranking
                .iter()
                .map(|r| t!("vouchers.campaign.rule_priority", rule = r.label())),
        );
        // Both the built-in ranking and a rulebook's break ties by submission (see `rank`).
        rules_text.push(t!("vouchers.campaign.rule_ties"));
        rules_text.extend(
            c.review_rules
                .iter()
                .map(|r| t!("vouchers.campaign.rule_review", rule = r.describe(lang))),
        );
        let operator = crate::web::OPERATORS.admits();
        let last = c.revisions.last();
        Self {
            id: doc.id.clone(),
            version: doc.version,
            title: c.title.clone(),
            measure: c.measure,
            measure_label: c.measure.label(),
            opens_on: c.opens_on.clone(),
            closes_on: c.closes_on.clone(),
            budget_cents: c.budget_cents,
            budget_text: format_cents(c.budget_cents, lang),
            state: c.state,
            phase,
            phase_label: phase.label(),
            fields: c.fields.iter().map(|f| FieldView::new(*f)).collect(),
            questions: c
                .rulebook
                .iter()
                .flat_map(|b| b.questions.iter().map(QuestionView::new))
                .collect(),
            has_attachments: c
                .rulebook
                .iter()
                .any(|b| b.questions.iter().any(|q| q.accepts().is_some())),
            rules_text: rules_text.into_iter().chain(payment_text).collect(),
            payment: c.payment.clone(),
            shops: c.shops.clone(),
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
            description: c.description.clone(),
            notice_version: c.notice_version,
            last_changed_at: last.map(|r| r.at),
            last_changed_text: last.map(|r| trama_sdk::local::long_date_time(r.at, lang)),
            revisions: c
                .revisions
                .iter()
                .rev()
                .map(|r| RevisionView::new(r, lang, operator))
                .collect(),
            cancellation: c
                .cancellation
                .as_ref()
                .map(|x| CancellationView::new(x, lang)),
        }
    }
}
