//! Providers: the accredited organisations of the `admissions` register, mirrored from its
//! typed events with the shared `trama_contracts::registry` (as `vouchers` and
//! `corporate-plans` do). Only an active provider's services are found and booked: a
//! suspension, revocation or expiry takes them out of search at once, because search reads the
//! provider's status rather than a copy of it on each service.

use serde::{Deserialize, Serialize};
use trama_contracts::admissions::{ProviderAccredited, ProviderEvent};
use trama_contracts::registry::{Mirror, Stamps, Update};
use trama_sdk::events::Event;
use trama_sdk::identity::User;
use trama_sdk::store::{Batch, Cmp, Collection, Doc};
use trama_sdk::{Error, Result, code, t};

pub const PROVIDERS: Collection<Provider> = Collection::new("providers");

trama_sdk::choices! {
    pub enum Status {
        Active = "active" => "services.provider.status_active",
        Suspended = "suspended" => "services.provider.status_suspended",
        Revoked = "revoked" => "services.provider.status_revoked",
        Expired = "expired" => "services.provider.status_expired",
    }
}

/// A provider as this plugin knows it: what its public card shows, and who acts for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    pub legal_name: String,
    /// The registered address, shown on the public card.
    pub address: String,
    /// The account that manages it in admissions, and here publishes its services.
    pub user_id: Option<String>,
    pub status: Status,
    /// The id in the admissions register.
    pub admissions_id: String,
    pub expires_on: Option<String>,
    /// Sum and count of the ratings of its services, for the mean on its card.
    #[serde(default)]
    pub rating_sum: u32,
    #[serde(default)]
    pub rating_count: u32,
    #[serde(flatten)]
    pub stamps: Stamps,
    pub created_at: i64,
}

impl Provider {
    pub fn is_active(&self) -> bool {
        self.status == Status::Active
    }
}

/// The id of the record of admissions provider `provider_id`.
pub fn id_of(provider_id: &str) -> String {
    format!("adm-{}", code::short_id(provider_id))
}

/// The provider `id`, or a 404 naming it.
pub fn load(id: &str) -> Result<Doc<Provider>> {
    PROVIDERS
        .get(id)?
        .ok_or_else(|| Error::not_found(t!("services.provider.unknown", id = id)))
}

/// The active providers `user` acts for.
pub fn of_user(user: &User) -> Result<Vec<Doc<Provider>>> {
    PROVIDERS
        .query()
        .filter("user_id", Cmp::Eq, user.id.as_str())
        .limit(20)
        .fetch()
}

/// The provider `id`, if `user` acts for it and it is active; a 403 otherwise.
pub fn acting(user: &User, id: &str) -> Result<Doc<Provider>> {
    let doc = load(id)?;
    if doc.data.user_id.as_deref() != Some(user.id.as_str()) {
        return Err(Error::forbidden(t!("services.refusal.not_provider")));
    }
    if !doc.data.is_active() {
        return Err(Error::forbidden(t!(
            "services.refusal.inactive",
            status = doc.data.status.label()
        )));
    }
    Ok(doc)
}

impl Mirror for Provider {
    fn placeholder(event: &ProviderEvent, at: i64) -> Self {
        Provider {
            legal_name: event.display_name().to_owned(),
            address: String::new(),
            user_id: None,
            status: Status::Suspended,
            admissions_id: event.provider_id().to_owned(),
            expires_on: None,
            rating_sum: 0,
            rating_count: 0,
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
        self.address = accredited.address.clone();
        self.user_id = Some(accredited.user_id.clone());
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

/// Applies an admissions event idempotently and in order; a conflict (two deliveries at once)
/// fails the delivery, which the kernel retries.
pub fn on_event(event: &Event) -> Result<()> {
    let Some(update) = Update::read(&PROVIDERS, event, id_of)? else {
        return Ok(());
    };
    let status = update.applied.record.status.key();
    update.commit(&PROVIDERS, Batch::new(), ("provider", status), event)
}

/// The mean of `sum` over `count` ratings with one decimal (`4,5`), `None` without ratings.
pub fn mean(sum: u32, count: u32) -> Option<f64> {
    (count > 0).then(|| (f64::from(sum) * 10.0 / f64::from(count)).round() / 10.0)
}

/// The provider's public card: name, address, mean rating.
pub fn card(doc: &Doc<Provider>) -> serde_json::Value {
    serde_json::json!({
        "id": doc.id,
        "name": doc.data.legal_name,
        "address": doc.data.address,
        "active": doc.data.is_active(),
        "status": doc.data.status.label(),
        "rating": mean(doc.data.rating_sum, doc.data.rating_count),
        "ratings": doc.data.rating_count,
    })
}
