//! Search: anyone, logged in or not, finds the visible services — not hidden, of an active
//! provider — by words in the title, description or audience, by category, free or paid, by
//! place (words of the address) and by a date with a seat free.

use std::collections::{HashMap, HashSet};

use serde_json::Value;
use trama_sdk::clock::Date;
use trama_sdk::i18n::Lang;
use trama_sdk::store::Cmp;
use trama_sdk::{Result, t};

use crate::provider::PROVIDERS;
use crate::service::{self, PriceModel, SERVICES};
use crate::slot;

/// What a search asks; empty fields ask nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub text: String,
    pub category: String,
    /// `free`, `paid` or empty.
    pub price: String,
    pub place: String,
    pub date: String,
}

impl Query {
    /// From the query string of `GET /` (`q`, `category`, `price`, `place`, `date`).
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut query = Self::default();
        for (name, value) in pairs {
            let value: String = value.trim().chars().take(120).collect();
            match name.as_str() {
                "q" => query.text = value,
                "category" => query.category = value,
                "price" => query.price = value,
                "place" => query.place = value,
                "date" => query.date = value,
                _ => {}
            }
        }
        query
    }
}

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// The services matching `query`, newest first, as pages show them; a date that cannot be
/// read is reported beside its field.
pub fn run(query: &Query, now: i64, lang: Lang) -> Result<(Vec<Value>, Option<String>)> {
    let mut date_problem = None;
    let free_on: Option<HashSet<String>> = if query.date.is_empty() {
        None
    } else {
        match Date::parse(&query.date) {
            Ok(date) => Some(slot::services_free_on(date, now)?.into_iter().collect()),
            Err(_) => {
                date_problem = Some(t!("services.problems.date"));
                None
            }
        }
    };
    let providers: HashMap<String, _> = PROVIDERS
        .query()
        .filter("status", Cmp::Eq, "active")
        .fetch_all()?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect();
    let mut found = SERVICES.query().filter("hidden", Cmp::Eq, false);
    if !query.category.is_empty() {
        found = found.filter("category", Cmp::Eq, query.category.as_str());
    }
    let text = words(&query.text);
    let place = words(&query.place);
    let mut results = Vec::new();
    for doc in found.order_by_desc("created_at").fetch_all()? {
        let Some(provider) = providers.get(&doc.data.provider) else {
            continue;
        };
        let s = &doc.data;
        let free = s.offer.price_model == PriceModel::Free;
        if (query.price == "free" && !free) || (query.price == "paid" && free) {
            continue;
        }
        let haystack = format!(
            "{} {} {}",
            s.offer.title, s.offer.description, s.offer.audience
        )
        .to_lowercase();
        if !text.iter().all(|w| haystack.contains(w.as_str())) {
            continue;
        }
        let address = s.offer.address.to_lowercase();
        if !place.iter().all(|w| address.contains(w.as_str())) {
            continue;
        }
        if free_on.as_ref().is_some_and(|ids| !ids.contains(&doc.id)) {
            continue;
        }
        results.push(service::view(&doc, provider, lang));
    }
    Ok((results, date_problem))
}
