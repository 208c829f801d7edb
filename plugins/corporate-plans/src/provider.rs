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
//! **Events** from `admissions` are applied idempotently and in order by
//! `trama_contracts::registry`, which `vouchers` uses too: a provider is the [`Mirror`] of an
//! admissions provider. `provider_accredited` creates or updates the provider and its services (prices are kept; a
//! service no longer listed is withdrawn from the catalogue); `provider_suspended`,
//! `provider_revoked` and `provider_expired` stop its sales.
//!
//! **Money.** A purchase moves the price from the employee's wallet to
//! `provider/{id}/owed` (funded); the operator pays providers from there to the external
//! `payouts/providers`, with the bank transfer's reference, under an idempotency key from the
//! form, so a double-clicked "paid" pays once (see [`crate::payout`]).

use serde::{Deserialize, Serialize};
use trama_contracts::admissions::{ProviderAccredited, ProviderEvent};
use trama_contracts::registry::{self, Mirror, Update};
use trama_sdk::checked::IntoResult;
use trama_sdk::claim::{self, Link};
use trama_sdk::events::Event;
use trama_sdk::i18n::Lang;
use trama_sdk::identity::User;
use trama_sdk::input::{Input, Problems};
use trama_sdk::ledger::{self, AccountKind};
use trama_sdk::money::format_cents;
use trama_sdk::store::{Batch, Cmp, Collection, Doc};
use trama_sdk::{Error, Result, audit, code, i18n, t};

use crate::accounts;
use crate::catalogue::{self, Service};
use crate::category;
use crate::company;
use crate::fields::{self, CODE_LEN, shown_code};
use crate::vat;

pub const PROVIDERS: Collection<Provider> = Collection::new("providers");

pub const JSON_FIELDS: &[&str] = &["legal_name", "vat_number", "categories"];

trama_sdk::choices! {
    pub enum Status {
        Active = "active" => "corporate_plans.provider.status_active",
        Suspended = "suspended" => "corporate_plans.provider.status_suspended",
        Revoked = "revoked" => "corporate_plans.provider.status_revoked",
        Expired = "expired" => "corporate_plans.provider.status_expired",
    }
}

pub use trama_contracts::registry::{Source, Stamp, Stamps};

/// A provider. `user_id`, `claim_code`, `vat_number` and `status` are indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    pub legal_name: String,
    pub vat_number: String,
    /// The provider's account, and the code that links it (operator-registered providers).
    #[serde(flatten)]
    pub link: Link,
    #[serde(default)]
    pub categories: Vec<String>,
    pub status: Status,
    pub source: Source,
    /// The id in the admissions plugin.
    #[serde(default)]
    pub admissions_id: Option<String>,
    #[serde(default)]
    pub expires_on: Option<String>,
    #[serde(flatten)]
    pub stamps: Stamps,
    pub created_at: i64,
}

/// The provider `id`, or a 404 naming it.
pub fn load(id: &str) -> Result<Doc<Provider>> {
    PROVIDERS
        .get(id)?
        .ok_or_else(|| Error::not_found(t!("corporate_plans.provider.no_provider", id = id)))
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

pub fn read_new(input: &Input) -> std::result::Result<NewProvider, Problems> {
    let mut problems = Problems::default();
    let legal_name = fields::read_text(
        input,
        "legal_name",
        2..=120,
        t!("corporate_plans.provider.legal_name"),
        &mut problems,
    );
    let vat_number = company::read_vat(input, &mut problems);
    let categories = category::read_many(input, &mut problems);
    problems.into_result(NewProvider {
        legal_name,
        vat_number,
        categories,
    })
}

/// Registers a provider with a one-time code for its owner; a VAT number already registered is
/// a `409`.
pub fn register(new: NewProvider, now: i64) -> Result<Doc<Provider>> {
    let taken = PROVIDERS
        .query()
        .filter("vat_number", Cmp::Eq, new.vat_number.as_str())
        .limit(1)
        .fetch()?;
    if let Some(existing) = taken.first() {
        return Err(company::vat_taken(
            &new.vat_number,
            &existing.data.legal_name,
        ));
    }
    let doc = PROVIDERS.insert(Provider {
        legal_name: new.legal_name,
        vat_number: new.vat_number,
        link: Link::pending(CLAIM_CODES.draw()),
        categories: new.categories,
        status: Status::Active,
        source: Source::Operator,
        admissions_id: None,
        expires_on: None,
        stamps: Stamps::local(now),
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

trama_sdk::claimable!(Provider, link);

/// A provider's one-time claim code, for operator-registered providers.
const CLAIM_CODES: claim::Codes = claim::Codes {
    field: "claim_code",
    len: CODE_LEN,
    unmatched: "corporate_plans.claim.no_provider_code",
    audit: "provider.claimed",
};

/// Links the caller's account to the provider holding the one-time code `text`.
pub fn claim(user: &User, text: &str) -> Result<Doc<Provider>> {
    claim::redeem(&PROVIDERS, &CLAIM_CODES, text, user, i18n::current())
}

/// The operator suspends or reactivates a provider it registered (accredited ones follow the
/// admissions plugin).
pub fn set_status(id: &str, status: Status, now: i64) -> Result<Doc<Provider>> {
    let doc = load(id)?;
    if doc.data.source == Source::Admissions {
        return Err(Error::invalid(t!("corporate_plans.provider.accredited")));
    }
    let action = format!("provider.{}", status.key());
    registry::set_status_locally(&PROVIDERS, doc, now, |p| p.status = status, &action)
}

/// The provider id of an admissions provider.
pub fn admissions_provider_id(provider_id: &str) -> String {
    format!("adm-{}", code::short_id(provider_id))
}

impl Mirror for Provider {
    fn placeholder(event: &ProviderEvent, at: i64) -> Self {
        Provider {
            legal_name: event.display_name().to_owned(),
            vat_number: String::new(),
            link: Link::default(),
            categories: Vec::new(),
            status: Status::Suspended,
            source: Source::Admissions,
            admissions_id: Some(event.provider_id().to_owned()),
            expires_on: None,
            stamps: Stamps::default(),
            created_at: at,
        }
    }

    fn stamps(&mut self) -> &mut Stamps {
        &mut self.stamps
    }

    fn set_details(&mut self, accredited: &ProviderAccredited) {
        if !accredited.legal_name.trim().is_empty() {
            self.legal_name = accredited.legal_name.clone();
        }
        if let Some(number) = &accredited.vat_number {
            self.vat_number = vat::parse(number).unwrap_or_else(|_| number.clone());
        }
        self.link.user_id = Some(accredited.user_id.clone());
        self.categories = accredited
            .categories
            .iter()
            .filter_map(|c| category::parse(c))
            .collect();
        self.expires_on = Some(accredited.expires_on.clone());
    }

    fn set_status(&mut self, event: &ProviderEvent) {
        self.status = match event {
            ProviderEvent::Accredited(_) => Status::Active,
            ProviderEvent::Suspended(_) => Status::Suspended,
            ProviderEvent::Revoked(_) => Status::Revoked,
            ProviderEvent::Expired(_) => Status::Expired,
        };
    }
}

/// Handles an admissions event: the provider, and with a newer accreditation its services, in
/// one batch. A conflict (two deliveries at once) fails the delivery, which the kernel retries.
pub fn on_event(event: &Event) -> Result<()> {
    let Some(update) = Update::read(&PROVIDERS, event, admissions_provider_id)? else {
        return Ok(());
    };
    let id = &update.id;
    let mut batch = Batch::new();
    if let ProviderEvent::Accredited(accredited) = &update.event
        && update.applied.details_changed
    {
        let listed: Vec<(String, Service)> = accredited
            .services
            .iter()
            .map(|s| {
                (
                    catalogue::admissions_service_id(&accredited.provider_id, &s.id),
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
        catalogue::sync_services(&mut batch, id, listed)?;
    }
    ledger::open(&accounts::provider_owed(id), AccountKind::Funded)?;
    let status = update.applied.record.status.key();
    update.commit(&PROVIDERS, batch, ("provider", status), event)
}

/// A provider as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderView {
    pub id: String,
    pub legal_name: String,
    pub vat_number: String,
    pub status: Status,
    pub status_label: String,
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
            status_label: doc.data.status.label(),
            source: doc.data.source,
            linked: doc.data.link.is_linked(),
            claim_code: doc.data.link.claim_code.as_deref().map(shown_code),
            categories: doc
                .data
                .categories
                .iter()
                .map(|c| category::CategoryView::new(c))
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
    use trama_contracts::admissions::examples;
    use trama_contracts::registry::{Stamp, apply};

    #[test]
    fn an_accreditation_creates_an_active_linked_provider_with_its_categories() {
        let mut payload = examples::accredited("p1", "Palestra Centro ASD");
        payload.categories = vec!["sport".into(), "x".into()];
        let first = apply::<Provider>(
            None,
            &ProviderEvent::Accredited(payload),
            &Stamp::new(10, "e1"),
        )
        .unwrap();
        assert!(first.details_changed);
        let first = first.record;
        assert_eq!(first.status, Status::Active);
        assert_eq!(first.link.user_id.as_deref(), Some("u9"));
        assert_eq!(first.categories, vec!["sport"]);
        assert_eq!(first.expires_on.as_deref(), Some("2026-12-31"));
        assert_eq!(first.admissions_id.as_deref(), Some("p1"));
    }

    #[test]
    fn an_expired_accreditation_is_expired_here() {
        let accredited = ProviderEvent::Accredited(examples::accredited("p1", "Palestra"));
        let active = apply::<Provider>(None, &accredited, &Stamp::new(10, "e1"))
            .unwrap()
            .record;
        let expired = ProviderEvent::Expired(examples::status_change("p1"));
        let gone = apply(Some(&active), &expired, &Stamp::new(40, "e4"))
            .unwrap()
            .record;
        assert_eq!(gone.status, Status::Expired);
        assert_eq!(
            gone.legal_name, "Palestra",
            "a status change keeps the details"
        );
    }
}
