//! Providers: the territory's businesses and associations whose services employees buy, and
//! what the cooperative owes and pays them.
//!
//! **Where providers come from.** On an instance with the `admissions` plugin, providers are
//! accredited there and arrive by its events, already linked to the account that applied
//! (`user_id`), with their categories and services. Without it, the operator registers
//! providers and their services here and gets a one-time code for the provider's owner, who
//! enters it once logged in (any account: being linked to a provider is what lets a person
//! act for it). Either way the provider sets the prices of its services in this plugin: the
//! catalogue shows a service once it has a price.
//!
//! **Events** from `admissions` are applied idempotently and in order: each provider keeps the
//! time and id of the last event that set its details and of the last that set its status, and
//! ignores anything not newer, so a redelivered or late event changes nothing.
//! `provider_accredited` creates or updates the provider and its services (prices are kept; a
//! service no longer listed is withdrawn from the catalogue); `provider_suspended`,
//! `provider_revoked` and `provider_expired` stop its sales.
//!
//! **Money.** A purchase moves the price from the employee's wallet to
//! `provider/{id}/owed` (funded); the operator pays providers from there to the external
//! `payouts/providers`, with the bank transfer's reference, under an idempotency key from the
//! form, so a double-clicked "paid" pays once (see [`crate::payout`]).

use serde::{Deserialize, Serialize};
use trama_sdk::claim::{self, Claimable};
use trama_sdk::events::Event;
use trama_sdk::i18n::Lang;
use trama_sdk::identity::User;
use trama_sdk::input::{Input, Problems};
use trama_sdk::ledger::{self, AccountKind};
use trama_sdk::money::format_cents;
use trama_sdk::store::{Batch, Cmp, Collection, Doc};
use trama_sdk::{Error, Result, audit, code, log};

use crate::accounts;
use crate::catalogue::{self, Service};
use crate::category;
use crate::company;
use crate::fields::{self, CODE_LEN, shown_code};
use crate::vat;

pub const PROVIDERS: Collection<Provider> = Collection::new("providers");

pub const ACCREDITED: &str = "admissions.provider_accredited";
pub const SUSPENDED: &str = "admissions.provider_suspended";
pub const REVOKED: &str = "admissions.provider_revoked";
pub const EXPIRED: &str = "admissions.provider_expired";

pub const JSON_FIELDS: &[&str] = &["legal_name", "vat_number", "categories"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    Suspended,
    Revoked,
    Expired,
}

impl Status {
    pub fn key(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Suspended => "suspended",
            Status::Revoked => "revoked",
            Status::Expired => "expired",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Status::Active => lang.pick("Attivo", "Active"),
            Status::Suspended => lang.pick("Sospeso", "Suspended"),
            Status::Revoked => lang.pick("Revocato", "Revoked"),
            Status::Expired => lang.pick("Accreditamento scaduto", "Accreditation expired"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Registered by the operator in this plugin.
    Operator,
    /// Accredited through the `admissions` plugin.
    Admissions,
}

/// The moment of the event that last set something, to apply events in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Stamp {
    pub at: i64,
    pub event: String,
}

/// A provider. `user_id`, `claim_code`, `vat_number` and `status` are indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    pub legal_name: String,
    pub vat_number: String,
    #[serde(default)]
    pub user_id: Option<String>,
    /// The one-time code that links an account (operator-registered providers); `None` once
    /// used.
    #[serde(default)]
    pub claim_code: Option<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    pub status: Status,
    pub source: Source,
    /// The id in the admissions plugin.
    #[serde(default)]
    pub admissions_id: Option<String>,
    #[serde(default)]
    pub expires_on: Option<String>,
    #[serde(default)]
    pub details_stamp: Stamp,
    #[serde(default)]
    pub status_stamp: Stamp,
    pub created_at: i64,
}

/// The provider `id`, or a 404 naming it.
pub fn load(id: &str, lang: Lang) -> Result<Doc<Provider>> {
    PROVIDERS.get(id)?.ok_or_else(|| {
        Error::not_found(match lang {
            Lang::It => format!("non esiste un fornitore con codice «{id}»"),
            Lang::En => format!("there is no provider with id `{id}`"),
        })
    })
}

/// The providers the caller acts for.
pub fn of_user(user: &User) -> Result<Vec<Doc<Provider>>> {
    PROVIDERS
        .query()
        .filter("user_id", Cmp::Eq, user.id.as_str())
        .limit(20)
        .fetch()
}

/// What the cooperative owes provider `id`, in cents.
pub fn owed(id: &str) -> Result<i64> {
    accounts::balance(&accounts::provider_owed(id))
}

/// A provider registered by the operator, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProvider {
    pub legal_name: String,
    pub vat_number: String,
    pub categories: Vec<String>,
}

pub fn read_new(input: &Input, lang: Lang) -> std::result::Result<NewProvider, Problems> {
    let mut problems = Problems::default();
    let legal_name = fields::read_text(
        input,
        "legal_name",
        2..=120,
        (
            "scrivi la ragione sociale, da 2 a 120 caratteri",
            "write the provider's legal name, 2 to 120 characters",
        ),
        lang,
        &mut problems,
    );
    let vat_number = company::read_vat(input, lang, &mut problems);
    let categories = category::read_many(input, lang, &mut problems);
    if problems.is_empty() {
        Ok(NewProvider {
            legal_name,
            vat_number,
            categories,
        })
    } else {
        Err(problems)
    }
}

/// Registers a provider with a one-time code for its owner; a VAT number already registered is
/// a `409`.
pub fn register(new: NewProvider, now: i64, lang: Lang) -> Result<Doc<Provider>> {
    let taken = PROVIDERS
        .query()
        .filter("vat_number", Cmp::Eq, new.vat_number.as_str())
        .limit(1)
        .fetch()?;
    if let Some(existing) = taken.first() {
        return Err(company::vat_taken(
            &new.vat_number,
            &existing.data.legal_name,
            lang,
        ));
    }
    let doc = PROVIDERS.insert(Provider {
        legal_name: new.legal_name,
        vat_number: new.vat_number,
        user_id: None,
        claim_code: Some(code::draw(CODE_LEN)),
        categories: new.categories,
        status: Status::Active,
        source: Source::Operator,
        admissions_id: None,
        expires_on: None,
        details_stamp: Stamp::default(),
        status_stamp: Stamp {
            at: now,
            event: String::new(),
        },
        created_at: now,
    })?;
    ledger::open(&accounts::provider_owed(&doc.id), AccountKind::Funded)?;
    audit::record(
        "provider.registered",
        &doc.id,
        &serde_json::json!({ "legal_name": doc.data.legal_name, "vat_number": doc.data.vat_number }),
    )?;
    Ok(doc)
}

impl Claimable for Provider {
    fn link(&mut self, user: &User) {
        self.user_id = Some(user.id.clone());
        self.claim_code = None;
    }
}

/// Links the caller's account to the provider holding the one-time code `text`.
pub fn claim(user: &User, text: &str, lang: Lang) -> Result<Doc<Provider>> {
    const WHAT: claim::Noun = claim::Noun {
        it: "nessun fornitore",
        en: "no provider",
    };
    let doc = claim::redeem(&PROVIDERS, "claim_code", CODE_LEN, text, user, WHAT, lang)?;
    audit::record(
        "provider.claimed",
        &doc.id,
        &serde_json::json!({ "user_id": user.id, "username": user.username }),
    )?;
    Ok(doc)
}

/// The operator suspends or reactivates a provider it registered (accredited ones follow the
/// admissions plugin).
pub fn set_status(id: &str, status: Status, now: i64, lang: Lang) -> Result<Doc<Provider>> {
    let mut doc = load(id, lang)?;
    if doc.data.source == Source::Admissions {
        return Err(Error::invalid(lang.pick(
            "questo fornitore è accreditato tramite il servizio di accreditamento: sospendilo lì",
            "this provider is accredited through the admissions service: suspend it there",
        )));
    }
    doc.data.status = status;
    doc.data.status_stamp = Stamp {
        at: now,
        event: String::new(),
    };
    doc.version = PROVIDERS.put_if_version(&doc.id, &doc.data, doc.version)?;
    audit::record(
        &format!("provider.{}", status.key()),
        id,
        &serde_json::json!({}),
    )?;
    Ok(doc)
}

/// The payload of the admissions events (the services only come with accreditations).
#[derive(Debug, Clone, Deserialize)]
struct ProviderEvent {
    provider_id: String,
    #[serde(default)]
    legal_name: Option<String>,
    #[serde(default)]
    vat_number: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    services: Vec<ServiceEvent>,
    #[serde(default)]
    expires_on: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct ServiceEvent {
    id: String,
    title: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    description: String,
}

/// The provider id of an admissions provider.
pub fn admissions_provider_id(provider_id: &str) -> String {
    format!("adm-{}", code::short_id(provider_id))
}

/// Applies an admissions event to the provider as stored. Returns the provider as it should
/// be stored, or `None` when the event changes nothing (a redelivery, or older than what the
/// provider already reflects).
pub fn apply_event(current: Option<&Provider>, event: &Event) -> Result<Option<Provider>> {
    let payload: ProviderEvent = event.payload()?;
    let status = match event.name.as_str() {
        ACCREDITED => Status::Active,
        SUSPENDED => Status::Suspended,
        REVOKED => Status::Revoked,
        EXPIRED => Status::Expired,
        _ => return Ok(None),
    };
    let stamp = Stamp {
        at: event.published_at,
        event: event.id.clone(),
    };
    let mut provider = current.cloned().unwrap_or_else(|| Provider {
        // Filled in by the accreditation, whichever arrives first.
        legal_name: payload
            .legal_name
            .clone()
            .unwrap_or_else(|| payload.provider_id.clone()),
        vat_number: String::new(),
        user_id: None,
        claim_code: None,
        categories: Vec::new(),
        status: Status::Suspended,
        source: Source::Admissions,
        admissions_id: Some(payload.provider_id.clone()),
        expires_on: None,
        details_stamp: Stamp::default(),
        status_stamp: Stamp::default(),
        created_at: event.published_at,
    });
    let mut changed = current.is_none();
    if event.name == ACCREDITED && stamp > provider.details_stamp {
        if let Some(name) = payload.legal_name.filter(|n| !n.trim().is_empty()) {
            provider.legal_name = name;
        }
        if let Some(number) = payload.vat_number {
            provider.vat_number = vat::parse(&number).unwrap_or(number);
        }
        if payload.user_id.is_some() {
            provider.user_id = payload.user_id;
        }
        provider.categories = payload
            .categories
            .iter()
            .filter_map(|c| category::parse(c))
            .collect();
        provider.expires_on = payload.expires_on;
        provider.details_stamp = stamp.clone();
        changed = true;
    }
    if stamp > provider.status_stamp {
        provider.status = status;
        provider.status_stamp = stamp;
        changed = true;
    }
    Ok(changed.then_some(provider))
}

/// Handles an admissions event: the provider, and with an accreditation its services, in one
/// batch. A conflict (two deliveries at once) fails the delivery, which the kernel retries.
pub fn on_event(event: &Event) -> Result<()> {
    let payload: ProviderEvent = event.payload()?;
    let id = admissions_provider_id(&payload.provider_id);
    let current = PROVIDERS.get(&id)?;
    let Some(next) = apply_event(current.as_ref().map(|d| &d.data), event)? else {
        log::debug(format!(
            "event {} ({}) changes nothing for provider {id}",
            event.id, event.name
        ));
        return Ok(());
    };
    let details_changed = current
        .as_ref()
        .is_none_or(|c| c.data.details_stamp != next.details_stamp);
    let mut batch = Batch::new();
    match &current {
        Some(doc) => batch.put_if_version(&PROVIDERS, &id, &next, doc.version),
        None => batch.create(&PROVIDERS, &id, &next),
    };
    if event.name == ACCREDITED && details_changed {
        let listed: Vec<(String, Service)> = payload
            .services
            .iter()
            .map(|s| {
                (
                    catalogue::admissions_service_id(&payload.provider_id, &s.id),
                    Service {
                        provider: id.clone(),
                        title: s.title.chars().take(120).collect(),
                        category: category::parse(&s.category)
                            .unwrap_or_else(|| "other".to_owned()),
                        description: s.description.chars().take(2000).collect(),
                        price_cents: None,
                        active: true,
                        listed: false,
                        admissions_id: Some(s.id.clone()),
                        updated_at: event.published_at,
                    },
                )
            })
            .collect();
        catalogue::sync_services(&mut batch, &id, listed)?;
    }
    batch.commit()?;
    ledger::open(&accounts::provider_owed(&id), AccountKind::Funded)?;
    audit::record(
        &format!("provider.{}", next.status.key()),
        &id,
        &serde_json::json!({ "event": event.id, "source": event.source, "name": event.name }),
    )?;
    Ok(())
}

/// A provider as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderView {
    pub id: String,
    pub legal_name: String,
    pub vat_number: String,
    pub status: Status,
    pub status_label: &'static str,
    pub source: Source,
    pub linked: bool,
    /// Shown to operators until the owner uses it.
    pub claim_code: Option<String>,
    pub categories: Vec<category::CategoryView>,
    pub expires_on: Option<String>,
    pub owed_cents: i64,
    pub owed_text: String,
}

impl ProviderView {
    pub fn new(doc: &Doc<Provider>, lang: Lang) -> Result<Self> {
        let owed_cents = owed(&doc.id)?;
        Ok(Self {
            id: doc.id.clone(),
            legal_name: doc.data.legal_name.clone(),
            vat_number: doc.data.vat_number.clone(),
            status: doc.data.status,
            status_label: doc.data.status.label(lang),
            source: doc.data.source,
            linked: doc.data.user_id.is_some(),
            claim_code: doc.data.claim_code.as_deref().map(shown_code),
            categories: doc
                .data
                .categories
                .iter()
                .map(|c| category::CategoryView::new(c, lang))
                .collect(),
            expires_on: doc.data.expires_on.clone(),
            owed_cents,
            owed_text: format_cents(owed_cents, lang),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, name: &str, at: i64, payload: serde_json::Value) -> Event {
        let mut event = Event::new(id, name, "admissions", &payload.to_string());
        event.published_at = at;
        event
    }

    fn accredited(id: &str, at: i64) -> Event {
        event(
            id,
            ACCREDITED,
            at,
            serde_json::json!({
                "provider_id": "p1",
                "legal_name": "Palestra Centro ASD",
                "vat_number": "01234567897",
                "user_id": "u9",
                "categories": ["sport"],
                "services": [{"id": "s1", "title": "Abbonamento annuale", "category": "sport", "description": ""}],
                "expires_on": "2026-12-31",
            }),
        )
    }

    #[test]
    fn an_accreditation_creates_an_active_linked_provider_once() {
        let first = apply_event(None, &accredited("e1", 10)).unwrap().unwrap();
        assert_eq!(first.status, Status::Active);
        assert_eq!(first.user_id.as_deref(), Some("u9"));
        assert_eq!(first.categories, vec!["sport"]);
        assert_eq!(first.expires_on.as_deref(), Some("2026-12-31"));
        assert_eq!(
            apply_event(Some(&first), &accredited("e1", 10)).unwrap(),
            None,
            "a redelivery changes nothing"
        );
    }

    #[test]
    fn events_apply_in_the_order_they_were_published() {
        let suspended = event(
            "e2",
            SUSPENDED,
            20,
            serde_json::json!({"provider_id": "p1", "user_id": "u9", "legal_name": "Palestra Centro ASD", "reason": "controllo"}),
        );
        let early = apply_event(None, &suspended).unwrap().unwrap();
        assert_eq!(early.status, Status::Suspended);
        // The older accreditation fills in the details but does not reactivate it.
        let filled = apply_event(Some(&early), &accredited("e1", 10))
            .unwrap()
            .unwrap();
        assert_eq!(filled.status, Status::Suspended);
        assert_eq!(filled.vat_number, "01234567897");
        let again = apply_event(Some(&filled), &accredited("e3", 30))
            .unwrap()
            .unwrap();
        assert_eq!(again.status, Status::Active);
        let expired = event("e4", EXPIRED, 40, serde_json::json!({"provider_id": "p1"}));
        let gone = apply_event(Some(&again), &expired).unwrap().unwrap();
        assert_eq!(gone.status, Status::Expired);
        let other = event(
            "e5",
            "admissions.something_else",
            50,
            serde_json::json!({"provider_id": "p1"}),
        );
        assert_eq!(apply_event(Some(&gone), &other).unwrap(), None);
    }
}
