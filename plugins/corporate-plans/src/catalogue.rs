//! The catalogue: the services of the territory's providers, with their prices.
//!
//! A service belongs to one provider and one category. Accredited providers' services come
//! from the `admissions` plugin; the operator adds those of providers registered here. Either
//! way only the provider (the account linked to it) or the operator sets the price, and a
//! service is *listed* — shown to employees and purchasable — while it is active and has a
//! price. The flag `listed` is stored and indexed so the catalogue is one query; whether the
//! provider is active is checked on reading, since a suspension must hide every service at
//! once.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use trama_sdk::checked::IntoResult;
use trama_sdk::i18n::Lang;
use trama_sdk::input::{Input, Problems};
use trama_sdk::money::{self, format_cents};
use trama_sdk::store::{Batch, Cmp, Collection, Doc};
use trama_sdk::{Error, Result, audit, i18n, t};

use crate::category;
use crate::fields;
use crate::provider::{self, PROVIDERS, Provider, Source, Status};
use trama_sdk::code;

pub const SERVICES: Collection<Service> = Collection::new("services");

pub const JSON_FIELDS: &[&str] = &["title", "category", "description", "price"];
pub const PRICE_FIELDS: &[&str] = &["price"];

/// The highest price of one service: a year of a care home is well below it.
pub const MAX_PRICE_CENTS: i64 = 10_000_000;

/// A service. `provider`, `category` and `listed` are indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub provider: String,
    pub title: String,
    pub category: String,
    #[serde(default)]
    pub description: String,
    /// `None` until the provider sets it.
    #[serde(default)]
    pub price_cents: Option<i64>,
    /// Withdrawn services (no longer accredited) are kept for the history of purchases.
    pub active: bool,
    /// Active and priced: what employees see.
    pub listed: bool,
    /// The service's id in the admissions plugin.
    #[serde(default)]
    pub admissions_id: Option<String>,
    pub updated_at: i64,
}

impl Service {
    fn relist(&mut self) {
        self.listed = self.active && self.price_cents.is_some();
    }
}

/// The service id of an admissions service.
pub fn admissions_service_id(provider_id: &str, service_id: &str) -> String {
    format!(
        "adm-{}",
        code::short_id(&format!("{provider_id}/{service_id}"))
    )
}

/// Adds to `batch` the writes that make provider `provider`'s services the `listed` ones:
/// new ones created, known ones updated with their price kept, missing ones withdrawn.
pub fn sync_services(
    batch: &mut Batch,
    provider: &str,
    listed: Vec<(String, Service)>,
) -> Result<()> {
    let existing: HashMap<String, Doc<Service>> = SERVICES
        .query()
        .filter("provider", Cmp::Eq, provider)
        .limit(1000)
        .fetch()?
        .into_iter()
        .map(|doc| (doc.id.clone(), doc))
        .collect();
    let still_listed: Vec<String> = listed.iter().map(|(id, _)| id.clone()).collect();
    for (id, mut service) in listed {
        match existing.get(&id) {
            Some(doc) => {
                service.price_cents = doc.data.price_cents;
                service.relist();
                if service != doc.data {
                    batch.put_if_version(&SERVICES, &id, &service, doc.version);
                }
            }
            None => {
                service.relist();
                batch.create(&SERVICES, &id, &service);
            }
        }
    }
    for (id, doc) in &existing {
        if !still_listed.contains(id) && doc.data.active && doc.data.admissions_id.is_some() {
            let mut withdrawn = doc.data.clone();
            withdrawn.active = false;
            withdrawn.relist();
            batch.put_if_version(&SERVICES, id, &withdrawn, doc.version);
        }
    }
    Ok(())
}

/// A service from the operator's form, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewService {
    pub title: String,
    pub category: String,
    pub description: String,
    pub price_cents: Option<i64>,
}

/// Reads a price: empty is "no price" (the service leaves the catalogue).
pub fn read_price(input: &Input, lang: Lang, problems: &mut Problems) -> Option<i64> {
    let text = input.one("price")?;
    match money::parse_euros(text) {
        Ok(0) => {
            problems.push("price", t!("corporate_plans.catalogue.price_zero"));
            None
        }
        Ok(cents) if cents > MAX_PRICE_CENTS => {
            problems.push(
                "price",
                t!(
                    "corporate_plans.catalogue.price_too_high",
                    max = format_cents(MAX_PRICE_CENTS, lang)
                ),
            );
            None
        }
        Ok(cents) => Some(cents),
        Err(err) => {
            problems.push("price", err.describe(text, i18n::current()));
            None
        }
    }
}

pub fn read_new(input: &Input, lang: Lang) -> std::result::Result<NewService, Problems> {
    let mut problems = Problems::default();
    let title = fields::read_text(
        input,
        "title",
        3..=120,
        t!("corporate_plans.catalogue.service_name"),
        &mut problems,
    );
    let category = category::read_one(
        input,
        t!("corporate_plans.catalogue.service_category"),
        &mut problems,
    );
    let description = input.one("description").unwrap_or_default().to_owned();
    if description.chars().count() > 2000 {
        problems.push(
            "description",
            t!("corporate_plans.catalogue.description_long"),
        );
    }
    let price_cents = read_price(input, lang, &mut problems);
    problems.into_result(NewService {
        title,
        category,
        description,
        price_cents,
    })
}

/// The operator adds a service to a provider registered here.
pub fn add(provider_id: &str, new: NewService, now: i64) -> Result<Doc<Service>> {
    let provider = provider::load(provider_id)?;
    if provider.data.source == Source::Admissions {
        return Err(Error::invalid(t!(
            "corporate_plans.catalogue.accredited_services"
        )));
    }
    let mut service = Service {
        provider: provider_id.to_owned(),
        title: new.title,
        category: new.category,
        description: new.description,
        price_cents: new.price_cents,
        active: true,
        listed: false,
        admissions_id: None,
        updated_at: now,
    };
    service.relist();
    let doc = SERVICES.insert(service)?;
    audit::record(
        "service.added",
        &doc.id,
        &serde_json::json!({ "provider": provider_id, "title": doc.data.title, "price_cents": doc.data.price_cents }),
    )?;
    Ok(doc)
}

/// The service `id`, or a 404 naming it.
pub fn load(id: &str) -> Result<Doc<Service>> {
    SERVICES
        .get(id)?
        .ok_or_else(|| Error::not_found(t!("corporate_plans.catalogue.no_service", id = id)))
}

/// Sets (or, with `None`, removes) the price of service `id`; `acting_for` are the providers
/// the caller acts for (`None` for the operator, who may price any service).
pub fn set_price(
    id: &str,
    price_cents: Option<i64>,
    acting_for: Option<&[Doc<Provider>]>,
    now: i64,
) -> Result<Doc<Service>> {
    let mut doc = load(id)?;
    if let Some(providers) = acting_for
        && !providers.iter().any(|p| p.id == doc.data.provider)
    {
        // Another provider's service: not this caller's to see.
        return Err(Error::not_found(t!(
            "corporate_plans.catalogue.not_your_service",
            id = id
        )));
    }
    let before = doc.data.price_cents;
    doc.data.price_cents = price_cents;
    doc.data.updated_at = now;
    doc.data.relist();
    doc.version = SERVICES
        .put_if_version(&doc.id, &doc.data, doc.version)
        .map_err(|err| match err {
            Error::Conflict(_) => Error::conflict(t!("corporate_plans.catalogue.service_changed")),
            other => other,
        })?;
    audit::record(
        "service.priced",
        id,
        &serde_json::json!({ "before_cents": before, "price_cents": price_cents }),
    )?;
    Ok(doc)
}

/// A service as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceView {
    pub id: String,
    pub provider: String,
    pub provider_name: String,
    pub title: String,
    pub category: String,
    pub category_label: String,
    pub description: String,
    pub price_cents: Option<i64>,
    pub price_text: Option<String>,
    /// The price as plain decimal text, for form fields.
    pub price_plain: Option<String>,
    pub active: bool,
    pub listed: bool,
}

impl ServiceView {
    pub fn new(doc: &Doc<Service>, provider_name: &str, lang: Lang) -> Self {
        let s = &doc.data;
        Self {
            id: doc.id.clone(),
            provider: s.provider.clone(),
            provider_name: provider_name.to_owned(),
            title: s.title.clone(),
            category: s.category.clone(),
            category_label: category::label(&s.category),
            description: s.description.clone(),
            price_cents: s.price_cents,
            price_text: s.price_cents.map(|c| format_cents(c, lang)),
            price_plain: s.price_cents.map(money::plain),
            active: s.active,
            listed: s.listed,
        }
    }
}

/// The services of provider `id`, active first.
pub fn of_provider(id: &str) -> Result<Vec<Doc<Service>>> {
    let mut services = SERVICES
        .query()
        .filter("provider", Cmp::Eq, id)
        .limit(1000)
        .fetch()?;
    services.sort_by(|a, b| {
        b.data
            .active
            .cmp(&a.data.active)
            .then_with(|| a.data.title.cmp(&b.data.title))
    });
    Ok(services)
}

/// The purchasable services in `categories` (every category when empty), from active
/// providers, by category and title.
pub fn listed(categories: &[String], lang: Lang) -> Result<Vec<ServiceView>> {
    let services = SERVICES
        .query()
        .filter("listed", Cmp::Eq, true)
        .limit(1000)
        .fetch()?;
    let mut providers: HashMap<String, Option<Doc<Provider>>> = HashMap::new();
    let mut views = Vec::new();
    for doc in &services {
        if !categories.is_empty() && !categories.contains(&doc.data.category) {
            continue;
        }
        if !providers.contains_key(&doc.data.provider) {
            providers.insert(
                doc.data.provider.clone(),
                PROVIDERS.get(&doc.data.provider)?,
            );
        }
        match providers.get(&doc.data.provider) {
            Some(Some(p)) if p.data.status == Status::Active => {
                views.push(ServiceView::new(doc, &p.data.legal_name, lang));
            }
            _ => {}
        }
    }
    views.sort_by(|a, b| {
        a.category_label
            .cmp(&b.category_label)
            .then_with(|| a.title.cmp(&b.title))
    });
    Ok(views)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_form_reads_an_optional_price() {
        let input = Input::from_pairs(&[
            ("title".into(), "Corso di nuoto".into()),
            ("category".into(), "sport".into()),
            ("price".into(), "120,00".into()),
        ]);
        let new = read_new(&input, Lang::It).unwrap();
        assert_eq!(new.price_cents, Some(12_000));
        let input = Input::from_pairs(&[
            ("title".into(), "Corso".into()),
            ("category".into(), "?".into()),
            ("price".into(), "0".into()),
        ]);
        let problems = read_new(&input, Lang::En).unwrap_err();
        let fields: Vec<&str> = problems.0.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, vec!["category", "price"]);
    }

    #[test]
    fn only_active_priced_services_are_listed() {
        let mut service = Service {
            provider: "p".into(),
            title: "Nuoto".into(),
            category: "sport".into(),
            description: String::new(),
            price_cents: None,
            active: true,
            listed: true,
            admissions_id: None,
            updated_at: 0,
        };
        service.relist();
        assert!(!service.listed);
        service.price_cents = Some(100);
        service.relist();
        assert!(service.listed);
        service.active = false;
        service.relist();
        assert!(!service.listed);
    }
}
