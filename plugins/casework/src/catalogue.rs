//! The services of the catalogue (`services`) a care manager may refer a person to, learned
//! from its event `services.service_published` ([`trama_contracts::services`]): one document a
//! service (id = the service id) holding its title, category and provider as last published.
//! A redelivered or late older event never replaces a newer one. A hidden service is kept but
//! not offered; a service published before casework listened is learned from the first
//! booking event that names it.

use serde::{Deserialize, Serialize};
use trama_contracts::services::ServicePublished;
use trama_sdk::Result;
use trama_sdk::store::{self, Collection, Doc};

/// A service of the catalogue as casework knows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Offer {
    pub title: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub hidden: bool,
    /// When the event that wrote it happened (UTC milliseconds).
    pub at: i64,
}

pub const OFFERS: Collection<Offer> = Collection::new("offers");

/// Keeps `offer` as service `id` unless what is kept is newer.
fn keep(id: &str, offer: &Offer) -> Result<()> {
    store::retry(|| match OFFERS.get(id)? {
        Some(doc) if doc.data.at >= offer.at => Ok(()),
        Some(doc) => OFFERS.put_if_version(id, offer, doc.version).map(|_| ()),
        None => OFFERS.create(id, offer.clone()).map(|_| ()),
    })
}

/// A service published, hidden or shown again.
pub fn published(event: &ServicePublished) -> Result<()> {
    keep(
        &event.service_id,
        &Offer {
            title: event.title.clone(),
            category: event.category.clone(),
            provider: event.provider_name.clone(),
            hidden: event.hidden,
            at: event.at,
        },
    )
}

/// A booking named service `id` titled `title`: learned if casework never saw it published.
pub fn named(id: &str, title: &str) -> Result<()> {
    if OFFERS.get(id)?.is_some() {
        return Ok(());
    }
    keep(
        id,
        &Offer {
            title: title.to_owned(),
            category: String::new(),
            provider: String::new(),
            hidden: false,
            // Older than any publication, which then replaces it.
            at: 0,
        },
    )
}

/// The services a care manager may choose, by title.
pub fn offered() -> Result<Vec<Doc<Offer>>> {
    let mut offers: Vec<Doc<Offer>> = OFFERS
        .query()
        .fetch_all()?
        .into_iter()
        .filter(|o| !o.data.hidden)
        .collect();
    offers.sort_by(|a, b| a.data.title.cmp(&b.data.title).then(a.id.cmp(&b.id)));
    Ok(offers)
}
