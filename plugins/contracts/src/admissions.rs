//! `admissions`: the accreditation register tells other plugins about its providers.
//!
//! Consumers must apply these events idempotently, by event id and publication time, because
//! delivery is at least once and not in order; [`crate::registry`] does that for a plugin that
//! keeps its own copy of the register.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use trama_sdk::Result;
use trama_sdk::events::{self, Event, Payload};

/// A provider admitted, renewed, or reinstated after a suspension: everything a consumer needs
/// to list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProviderAccredited {
    /// The register entry's id; the same provider keeps it across renewals.
    pub provider_id: String,
    pub legal_name: String,
    /// Codice fiscale of the organisation.
    pub tax_code: String,
    /// Partita IVA; `null` for bodies without one.
    pub vat_number: Option<String>,
    /// The legal form's key (`srl`, `asd`, …).
    pub legal_form: String,
    /// The registered address on one line.
    pub address: String,
    /// The account that applied and manages the entry.
    pub user_id: String,
    /// The instance's category codes.
    pub categories: Vec<String>,
    /// The approved catalogue entries.
    pub services: Vec<ProviderService>,
    /// `YYYY-MM-DD`, the day of the (last) admission.
    pub admitted_on: String,
    /// `YYYY-MM-DD`, the last valid day.
    pub expires_on: String,
}

impl Payload for ProviderAccredited {
    const NAME: &'static str = "admissions.provider_accredited";
}

/// An approved service of an accredited provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProviderService {
    /// Stable within the provider.
    pub id: String,
    pub title: String,
    /// A category code of the instance.
    pub category: String,
    pub description: String,
}

/// A provider that stopped being accredited: the payload of `…_suspended`, `…_revoked` and
/// `…_expired`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProviderStatusChange {
    pub provider_id: String,
    pub user_id: String,
    pub legal_name: String,
    /// Why: the reason of the committee's proceeding, or the expiry.
    pub reason: String,
}

/// Suspended by committee vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct ProviderSuspended(pub ProviderStatusChange);

impl Payload for ProviderSuspended {
    const NAME: &'static str = "admissions.provider_suspended";
}

/// Revoked by committee vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct ProviderRevoked(pub ProviderStatusChange);

impl Payload for ProviderRevoked {
    const NAME: &'static str = "admissions.provider_revoked";
}

/// The validity ran out without a renewal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct ProviderExpired(pub ProviderStatusChange);

impl Payload for ProviderExpired {
    const NAME: &'static str = "admissions.provider_expired";
}

/// Any of the four provider events, for a subscriber that handles them together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderEvent {
    Accredited(ProviderAccredited),
    Suspended(ProviderStatusChange),
    Revoked(ProviderStatusChange),
    Expired(ProviderStatusChange),
}

impl ProviderEvent {
    /// The names of the four events, for `[events] subscribes`.
    pub const NAMES: [&'static str; 4] = [
        ProviderAccredited::NAME,
        ProviderSuspended::NAME,
        ProviderRevoked::NAME,
        ProviderExpired::NAME,
    ];

    /// The delivered `event` read as a provider event; `None` when it is another event.
    pub fn decode(event: &Event) -> Result<Option<Self>> {
        Ok(match event.name.as_str() {
            ProviderAccredited::NAME => event.decode::<ProviderAccredited>()?.map(Self::Accredited),
            ProviderSuspended::NAME => event
                .decode::<ProviderSuspended>()?
                .map(|p| Self::Suspended(p.0)),
            ProviderRevoked::NAME => event
                .decode::<ProviderRevoked>()?
                .map(|p| Self::Revoked(p.0)),
            ProviderExpired::NAME => event
                .decode::<ProviderExpired>()?
                .map(|p| Self::Expired(p.0)),
            _ => None,
        })
    }

    /// Queues the event (see [`events::publish_typed`]).
    pub fn publish(self) -> Result<()> {
        match self {
            Self::Accredited(payload) => events::publish_typed(&payload),
            Self::Suspended(change) => events::publish_typed(&ProviderSuspended(change)),
            Self::Revoked(change) => events::publish_typed(&ProviderRevoked(change)),
            Self::Expired(change) => events::publish_typed(&ProviderExpired(change)),
        }
    }

    /// The event's name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Accredited(_) => ProviderAccredited::NAME,
            Self::Suspended(_) => ProviderSuspended::NAME,
            Self::Revoked(_) => ProviderRevoked::NAME,
            Self::Expired(_) => ProviderExpired::NAME,
        }
    }

    /// The register entry it is about.
    pub fn provider_id(&self) -> &str {
        match self {
            Self::Accredited(payload) => &payload.provider_id,
            Self::Suspended(change) | Self::Revoked(change) | Self::Expired(change) => {
                &change.provider_id
            }
        }
    }

    /// The provider's name as the event gives it, or its id when the name is blank.
    pub fn display_name(&self) -> &str {
        let name = match self {
            Self::Accredited(payload) => &payload.legal_name,
            Self::Suspended(change) | Self::Revoked(change) | Self::Expired(change) => {
                &change.legal_name
            }
        };
        if name.trim().is_empty() {
            self.provider_id()
        } else {
            name
        }
    }
}

/// Payloads for subscribers' unit tests, so that each does not write its own copy.
pub mod examples {
    use super::{ProviderAccredited, ProviderService, ProviderStatusChange};

    /// Provider `provider_id`, accredited as `legal_name` with one service, account `u9`.
    pub fn accredited(provider_id: &str, legal_name: &str) -> ProviderAccredited {
        ProviderAccredited {
            provider_id: provider_id.to_owned(),
            legal_name: legal_name.to_owned(),
            tax_code: "01234567897".to_owned(),
            vat_number: Some("01234567897".to_owned()),
            legal_form: "srl".to_owned(),
            address: "Via Roma 1, 00100 Roma".to_owned(),
            user_id: "u9".to_owned(),
            categories: vec!["food".to_owned()],
            services: vec![ProviderService {
                id: "s1".to_owned(),
                title: "Spesa a domicilio".to_owned(),
                category: "food".to_owned(),
                description: String::new(),
            }],
            admitted_on: "2026-01-01".to_owned(),
            expires_on: "2026-12-31".to_owned(),
        }
    }

    /// A suspension, revocation or expiry of provider `provider_id`.
    pub fn status_change(provider_id: &str) -> ProviderStatusChange {
        ProviderStatusChange {
            provider_id: provider_id.to_owned(),
            user_id: "u9".to_owned(),
            legal_name: "Rossi".to_owned(),
            reason: "controllo".to_owned(),
        }
    }
}
