//! Editing a published campaign: what was sent replaces what the campaign says, everything
//! else stays; the result is checked by the same rules as a new campaign ([`validate`]) and
//! compared part by part with the campaign, so a change can be told from a field sent again
//! unchanged (a form sends every field it shows).
//!
//! [`validate`]: crate::campaign::validate

use trama_sdk::clock::Date;
use trama_sdk::input::{Input, Problems};
use trama_sdk::store::Doc;
use trama_sdk::{Error, money, t};

use super::{Change, Kind, read_reason, revise, words};
use crate::campaign::{self, BUILT_IN, CAMPAIGNS, Campaign, Draft};

/// What an edit may send: the campaign's own fields (the budget is refused: it grows with
/// "add budget" only, see [`crate::campaign::add_budget`]) and the reason.
pub fn fields() -> Vec<&'static str> {
    let mut fields = campaign::JSON_FIELDS.to_vec();
    fields.push("reason");
    fields
}

/// Why an edit was not made.
#[derive(Debug)]
pub enum EditRequest {
    /// Fields that break a rule, each named.
    Problems(Problems),
    /// Anything else: a rule frozen by the applications (`409`), a campaign past its
    /// closing, the store's.
    Other(Error),
}

impl From<Error> for EditRequest {
    fn from(err: Error) -> Self {
        Self::Other(err)
    }
}

/// The campaign as the fields of its form, so that an edit can send only what changes and a
/// form can show what the campaign says.
pub fn current_values(c: &Campaign) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut push = |name: &str, value: String| pairs.push((name.to_owned(), value));
    push("title", c.title.clone());
    push("measure", c.measure.key().to_owned());
    push("opens_on", c.opens_on.clone());
    push("closes_on", c.closes_on.clone());
    push("budget", money::plain(c.budget_cents));
    push("description", c.description.clone());
    for id in &c.eligibility.excluded_campaigns {
        push("excluded_campaigns", id.clone());
    }
    let denominations: Vec<String> = c
        .denominations_cents
        .iter()
        .map(|d| money::plain(*d))
        .collect();
    push("denominations", denominations.join("; "));
    if let Some(days) = c.payment.valid_days {
        push("valid_days", days.to_string());
    }
    if let Some(until) = &c.payment.valid_until {
        push("valid_until", until.clone());
    }
    push("instalments", c.payment.instalments.to_string());
    push("instalment_days", c.payment.every_days.to_string());
    push("payment_method", c.payment.method.key().to_owned());
    if let Some(payee) = &c.payment.payee {
        push("payee_iban_question", payee.iban.clone());
        if let Some(name) = &payee.name {
            push("payee_name_question", name.clone());
        }
    }
    for category in &c.shops.categories {
        push("shop_categories", category.clone());
    }
    for merchant in &c.shops.merchants {
        push("shop_merchants", merchant.clone());
    }
    if let Some(book) = &c.rulebook {
        push("rulebook", book.to_toml());
        return pairs;
    }
    for field in &c.fields {
        push("fields", field.key().to_owned());
    }
    if let Some(max) = c.eligibility.isee_max_cents {
        push("isee_max", money::plain(max));
    }
    let resident = if c.eligibility.residence_required {
        "yes"
    } else {
        "no"
    };
    push("residence_required", resident.to_owned());
    if let Some(min) = c.eligibility.household_min {
        push("household_min", min.to_string());
    }
    let bases: Vec<String> = c
        .amounts
        .base_cents
        .iter()
        .map(|b| money::plain(*b))
        .collect();
    push("base_amounts", bases.join("; "));
    if c.amounts.per_minor_cents > 0 {
        push("per_minor", money::plain(c.amounts.per_minor_cents));
    }
    if let Some(max) = c.amounts.max_cents {
        push("max_amount", money::plain(max));
    }
    for criterion in &c.ranking {
        push("ranking", criterion.key().to_owned());
    }
    let rules: Vec<String> = c.review_rules.iter().map(ToString::to_string).collect();
    push("review_rules", rules.join("\n"));
    pairs
}

/// The campaign's fields with what was `sent` in their place. A rulebook sent replaces the
/// built-in rule fields, and built-in rule fields replace a rulebook.
fn merged(current: &Campaign, sent: &Input) -> Input {
    let to_book = sent.has("rulebook") || sent.has("template");
    let to_built_in = BUILT_IN.iter().any(|f| sent.has(f));
    // Sent, or made meaningless by what was sent.
    let replaced = |name: &str| {
        sent.has(name)
            || (to_book && BUILT_IN.contains(&name))
            || (to_built_in && name == "rulebook")
    };
    let kept = current_values(current)
        .into_iter()
        .filter(|(name, _)| !replaced(name));
    let mut input = Input::from_pairs(&kept.collect::<Vec<_>>());
    for name in fields() {
        if !sent.has(name) {
            continue;
        }
        let values = sent.many(name);
        if values.is_empty() {
            // Sent blank: the field is cleared (no ISEE limit, say).
            input.push(name, String::new());
        }
        for value in values {
            input.push(name, value.to_owned());
        }
    }
    input
}

/// The parts of the rules `draft` changes, each a [`Change`] named by its part.
fn rule_changes(c: &Campaign, d: &Draft) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut part = |name: &str, changed: bool| {
        if changed {
            changes.push(Change::new(name, "", ""));
        }
    };
    part("measure", c.measure != d.measure);
    part("fields", c.fields != d.fields);
    part("eligibility", c.eligibility != d.eligibility);
    part("amounts", c.amounts != d.amounts);
    part(
        "denominations",
        c.denominations_cents != d.denominations_cents,
    );
    part("ranking", c.ranking != d.ranking);
    part("review_rules", c.review_rules != d.review_rules);
    part("rulebook", c.rulebook != d.rulebook);
    part("payment", c.payment != d.payment);
    part("shops", c.shops != d.shops);
    if c.opens_on != d.opens_on {
        changes.push(Change::new(
            "opens_on",
            c.opens_on.clone(),
            d.opens_on.clone(),
        ));
    }
    changes
}

/// `edit`: changes campaign `id` as `sent` says (see the module documentation of
/// [`super`] for what may change when), with the reason in `reason`.
pub fn edit(
    id: &str,
    sent: &Input,
    actor: &str,
    today: Date,
    now: i64,
) -> std::result::Result<Doc<Campaign>, EditRequest> {
    let current = campaign::load(id)?;
    let mut problems = Problems::default();
    let reason = read_reason(sent.one("reason"), &mut problems);
    let input = merged(&current.data, sent);
    let draft = match campaign::validate(&input, &[]) {
        Ok(draft) => Some(draft),
        Err(found) => {
            problems.0.extend(found.0);
            None
        }
    };
    if let Some(draft) = &draft {
        if draft.budget_cents != current.data.budget_cents {
            problems.push("budget", t!("vouchers.revision.budget_not_here"));
        }
        if draft.closes_on != current.data.closes_on && draft.closes_on < today.to_string() {
            problems.push(
                "closes_on",
                t!(
                    "vouchers.revision.date_past",
                    today = words::date(&today.to_string())
                ),
            );
        }
        for other in &draft.eligibility.excluded_campaigns {
            if other == id || CAMPAIGNS.get(other)?.is_none() {
                problems.push(
                    "excluded_campaigns",
                    t!("vouchers.campaign.not_found", id = other),
                );
            }
        }
    }
    let Some(draft) = draft.filter(|_| problems.is_empty()) else {
        return Err(EditRequest::Problems(problems));
    };
    let doc = revise(id, Kind::Edited, &reason, actor, now, |c, applications| {
        let rules = rule_changes(c, &draft);
        if !rules.is_empty() && applications > 0 {
            return Err(Error::conflict(t!(
                "vouchers.revision.rules_frozen",
                count = applications
            )));
        }
        let mut changes = Vec::new();
        if c.title != draft.title {
            changes.push(Change::new("title", c.title.clone(), draft.title.clone()));
        }
        if c.closes_on != draft.closes_on {
            changes.push(Change::new(
                "closes_on",
                c.closes_on.clone(),
                draft.closes_on.clone(),
            ));
        }
        if c.description != draft.description {
            changes.push(Change::new(
                "description",
                c.description.clone(),
                draft.description.clone(),
            ));
        }
        changes.extend(rules);
        let Draft {
            title,
            measure,
            opens_on,
            closes_on,
            fields,
            eligibility,
            amounts,
            denominations_cents,
            ranking,
            review_rules,
            rulebook,
            payment,
            shops,
            description,
            budget_cents: _,
        } = draft;
        c.title = title;
        c.measure = measure;
        c.opens_on = opens_on;
        c.closes_on = closes_on;
        c.fields = fields;
        c.eligibility = eligibility;
        c.amounts = amounts;
        c.denominations_cents = denominations_cents;
        c.ranking = ranking;
        c.review_rules = review_rules;
        c.rulebook = rulebook;
        c.payment = payment;
        c.shops = shops;
        c.description = description;
        Ok(changes)
    })?;
    Ok(doc)
}
