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

impl CampaignView {
    pub fn new(doc: &Doc<Campaign>, today: Date, lang: Lang) -> Self {
        let c = &doc.data;
        let phase = c.phase(today);
        let mut rules_text = Vec::new();
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
        rules_text.push(t!(
            "vouchers.campaign.rule_base_amounts",
            amounts = bases.join("; ")
        ));
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
