//! Services: what an accredited provider offers — title, description, a category from the
//! instance's taxonomy, the place (address and opening hours as text), the price model in
//! integer cents, who it is for, and whether it is individual or shared by a group (of at most
//! `size` people, starting once `minimum` have joined; the price is then split among them).
//!
//! The provider may show a few photos of it ([`crate::photo`]), each with its alternative text.
//!
//! Operators can hide a service (audited, with the reason); a hidden service, or one whose
//! provider is no longer active, is neither found nor booked.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use trama_sdk::checked::IntoResult;
use trama_sdk::i18n::Lang;
use trama_sdk::input::{Input, Problems};
use trama_sdk::money::{format_cents, parse_euros};
use trama_sdk::store::{Collection, Doc};
use trama_sdk::{Error, Result, audit, t};

use crate::config::Settings;
use crate::photo::{self, Photo};
use crate::provider::{self, Provider};

pub const SERVICES: Collection<Service> = Collection::new("services");

/// The fields of the publishing form.
pub const FIELDS: &[&str] = &[
    "title",
    "description",
    "category",
    "address",
    "hours",
    "price_model",
    "price",
    "audience",
    "group_size",
    "group_minimum",
];

trama_sdk::choices! {
    /// How a service is paid.
    pub enum PriceModel {
        Free = "free" => "services.price.free",
        Fixed = "fixed" => "services.price.fixed",
        PerHour = "per_hour" => "services.price.per_hour",
        PerSession = "per_session" => "services.price.per_session",
    }
}

/// A group sharing one service: at most `size` people, starting at `minimum`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub size: u32,
    pub minimum: u32,
}

/// A published service: what its provider offers, and what the platform adds to it (the
/// operators' moderation, the people's ratings, the photos).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    pub provider: String,
    /// Stored beside the other fields, as one record.
    #[serde(flatten)]
    pub offer: Offer,
    pub hidden: bool,
    #[serde(default)]
    pub hidden_reason: String,
    #[serde(default)]
    pub rating_sum: u32,
    #[serde(default)]
    pub rating_count: u32,
    /// Its photos in the order the provider added them; the first is the search's thumbnail.
    #[serde(default)]
    pub photos: Vec<Photo>,
    pub created_at: i64,
}

/// What a provider offers, as the publishing form says it, checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    pub title: String,
    pub description: String,
    pub category: String,
    pub address: String,
    /// Opening hours as the provider writes them (`lun-ven 9-13`).
    pub hours: String,
    pub price_model: PriceModel,
    /// The price in cents (the whole group's, for a shared service); 0 when free.
    pub price_cents: i64,
    /// Who it is for (`anziani non autosufficienti`, `bambini 0-3 anni`).
    pub audience: String,
    /// `None` for an individual service.
    pub group: Option<Group>,
}

fn text(input: &Input, field: &str, min: usize, max: usize, problems: &mut Problems) -> String {
    let value = input.one(field).unwrap_or("").trim().to_owned();
    let len = value.chars().count();
    if len < min {
        problems.push(field, t!("services.problems.missing"));
    } else if len > max {
        problems.push(field, t!("services.problems.too_long", max = max));
    }
    value
}

fn count(input: &Input, field: &str, problems: &mut Problems) -> Option<u32> {
    let raw = input.one(field).unwrap_or("").trim();
    match raw.parse::<u32>() {
        Ok(n) if (1..=100).contains(&n) => Some(n),
        _ => {
            problems.push(field, t!("services.problems.count"));
            None
        }
    }
}

/// Reads the publishing form: every problem at once, each beside its field.
pub fn check(
    input: &Input,
    settings: &Settings,
    lang: Lang,
) -> std::result::Result<Offer, Problems> {
    let mut problems = Problems::default();
    let title = text(input, "title", 3, 120, &mut problems);
    let description = text(input, "description", 10, 4000, &mut problems);
    let category = input.one("category").unwrap_or("").trim().to_owned();
    if !settings.categories.contains(&category) {
        problems.push("category", t!("services.problems.category"));
    }
    let address = text(input, "address", 3, 200, &mut problems);
    let hours = text(input, "hours", 0, 200, &mut problems);
    let audience = text(input, "audience", 3, 200, &mut problems);
    let price_model = PriceModel::parse(input.one("price_model").unwrap_or("").trim());
    if price_model.is_none() {
        problems.push("price_model", t!("services.problems.price_model"));
    }
    let mut price_cents = 0;
    if let Some(model) = price_model.filter(|m| *m != PriceModel::Free) {
        let raw = input.one("price").unwrap_or("");
        match parse_euros(raw) {
            Ok(cents) if cents > 0 => price_cents = cents,
            Ok(_) => problems.push(
                "price",
                t!("services.problems.price_zero", model = model.label()),
            ),
            Err(err) => problems.push("price", err.describe(raw, lang)),
        }
    }
    let shared = input
        .one("group_size")
        .is_some_and(|s| !s.trim().is_empty());
    let mut group = None;
    if shared {
        let size = count(input, "group_size", &mut problems);
        let minimum = count(input, "group_minimum", &mut problems);
        if let (Some(size), Some(minimum)) = (size, minimum) {
            if size < 2 {
                problems.push("group_size", t!("services.problems.group_size"));
            } else if minimum > size {
                problems.push(
                    "group_minimum",
                    t!("services.problems.group_minimum", size = size),
                );
            } else {
                group = Some(Group { size, minimum });
            }
        }
    }
    let price_model = price_model.unwrap_or(PriceModel::Free);
    problems.into_result(Offer {
        title,
        description,
        category,
        address,
        hours,
        price_model,
        price_cents,
        audience,
        group,
    })
}

/// Publishes `offer` for `provider`.
pub fn publish(provider: &str, offer: Offer, now: i64) -> Result<Doc<Service>> {
    let doc = SERVICES.insert(Service {
        provider: provider.to_owned(),
        offer,
        hidden: false,
        hidden_reason: String::new(),
        rating_sum: 0,
        rating_count: 0,
        photos: Vec::new(),
        created_at: now,
    })?;
    audit::record(
        "service.published",
        &doc.id,
        &json!({ "provider": provider }),
    )?;
    Ok(doc)
}

/// The service `id`, or a 404.
pub fn load(id: &str) -> Result<Doc<Service>> {
    SERVICES
        .get(id)?
        .ok_or_else(|| Error::not_found(t!("services.service.unknown")))
}

/// The service `id` and its provider, if people can see and book it (not hidden, provider
/// active); a 404 otherwise, as if it did not exist.
pub fn visible(id: &str) -> Result<(Doc<Service>, Doc<Provider>)> {
    let service = load(id)?;
    let provider = provider::load(&service.data.provider)?;
    if service.data.hidden || !provider.data.is_active() {
        return Err(Error::not_found(t!("services.service.unknown")));
    }
    Ok((service, provider))
}

/// An operator hides (or shows again) a service; audited with the reason.
pub fn set_hidden(id: &str, hidden: bool, reason: &str) -> Result<Doc<Service>> {
    let reason = reason.trim().chars().take(500).collect::<String>();
    let doc = SERVICES
        .update(id, |s| {
            s.hidden = hidden;
            s.hidden_reason = if hidden {
                reason.clone()
            } else {
                String::new()
            };
            Ok(())
        })?
        .ok_or_else(|| Error::not_found(t!("services.service.unknown")))?;
    let action = if hidden {
        "service.hidden"
    } else {
        "service.shown"
    };
    audit::record(action, id, &json!({ "reason": reason }))?;
    Ok(doc)
}

/// The price as people read it: `Gratuito`, `25,00 € a ora`, with the share per person of a
/// group of `members`.
pub fn price_text(service: &Service, lang: Lang) -> String {
    let offer = &service.offer;
    if offer.price_model == PriceModel::Free {
        return PriceModel::Free.label();
    }
    t!(
        "services.price.amount",
        amount = format_cents(offer.price_cents, lang),
        model = offer.price_model.label()
    )
}

/// A service as lists and pages show it.
pub fn view(doc: &Doc<Service>, provider: &Doc<Provider>, lang: Lang) -> Value {
    let s = &doc.data;
    let offer = &s.offer;
    json!({
        "id": doc.id,
        "title": offer.title,
        "description": offer.description,
        "category": offer.category,
        "address": offer.address,
        "hours": offer.hours,
        "price_model": offer.price_model.key(),
        "price_cents": offer.price_cents,
        "price": price_text(s, lang),
        "free": offer.price_model == PriceModel::Free,
        "audience": offer.audience,
        "group": offer.group,
        "hidden": s.hidden,
        "hidden_reason": s.hidden_reason,
        "rating": provider::mean(s.rating_sum, s.rating_count),
        "ratings": s.rating_count,
        "photos": photo::views(&doc.id, &s.photos),
        "provider": provider::card(provider),
    })
}
