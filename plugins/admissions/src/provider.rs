//! The accreditation register: admitted providers, their approved services, admission,
//! expiry and renewal, suspension and revocation — and the events that tell other plugins.
//!
//! **Events**: `admissions.provider_accredited` when a provider is admitted, renewed or
//! reinstated after a suspension, `…_suspended` and `…_revoked` by committee vote, `…_expired`
//! when the validity runs out without a renewal. Their payloads are the types of
//! `trama_contracts::admissions`, which the subscribers read too; consumers must apply them
//! idempotently, by event id and publication time, because delivery is at least once.
//!
//! **Expiry.** A validity of whole days (`730d`) counts calendar days in UTC, the day of
//! admission included: admitted on 1 January 2025 for `365d`, a provider is accredited through
//! 31 December 2025 (`expires_on`) and expires at midnight. Any other duration (`36h`) runs from
//! the moment of the decision. A renewal adds the validity to the current expiry, or to today if
//! the accreditation has already expired, so renewing early loses nothing.

use serde::{Deserialize, Serialize};
use trama_contracts::admissions::{
    ProviderAccredited, ProviderEvent, ProviderService, ProviderStatusChange,
};
use trama_sdk::clock::{Date, DateTime};
use trama_sdk::store::{Cmp, Collection, Doc};
use trama_sdk::{Error, Result, t};

use crate::catalogue::Service;
use crate::conflict::Subject;
use crate::duration::Duration;
use crate::organisation::Organisation;

pub const PROVIDERS: Collection<Provider> = Collection::new("providers");

const DAY_MS: i64 = 86_400_000;

trama_sdk::choices! {
    pub enum Status {
        Active = "active" => "admissions.provider.status_active",
        Suspended = "suspended" => "admissions.provider.status_suspended",
        Revoked = "revoked" => "admissions.provider.status_revoked",
        Expired = "expired" => "admissions.provider.status_expired",
    }
}

/// A change of status, for the provider's public history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub at: i64,
    pub status: Status,
    /// `admitted`, `renewed`, `suspended`, `reinstated`, `revoked`, `expired`.
    pub action: String,
    #[serde(default)]
    pub reason: Option<String>,
    /// The application or proceeding that decided it.
    #[serde(default)]
    pub case: Option<String>,
}

/// An entry of the register (the id is the provider id events carry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    pub org: Organisation,
    pub categories: Vec<String>,
    /// The approved catalogue entries.
    pub services: Vec<Service>,
    /// The account that applied and manages the entry.
    pub user_id: String,
    pub username: String,
    pub status: Status,
    pub admitted_at: i64,
    pub admitted_on: String,
    #[serde(default)]
    pub renewed_at: Option<i64>,
    /// When the accreditation ends (indexed: the deadlines job looks for past ones).
    pub expires_at: i64,
    /// The last valid day.
    pub expires_on: String,
    /// The version of the ethics code accepted with the last application.
    pub ethics_version: String,
    /// Applications that admitted or renewed it, oldest first.
    pub applications: Vec<String>,
    pub history: Vec<Change>,
    /// The expiry the provider was last reminded of, so each expiry is reminded once.
    #[serde(default)]
    pub reminded_for: Option<i64>,
    pub updated_at: i64,
}

impl Provider {
    /// What the conflict-of-interest check compares members with, for a proceeding.
    pub fn subject(&self) -> Subject {
        Subject {
            user_id: Some(self.user_id.clone()),
            organisation: self.org.identifiers(),
            representative: Some(self.org.representative_tax_code.clone()),
        }
    }
}

/// When an accreditation starting from `base` (now, or the current expiry on renewal) ends, and
/// its last valid day (see the module documentation).
pub fn expiry(base: i64, validity: Duration) -> (i64, String) {
    let ms = validity.as_ms();
    if ms % DAY_MS == 0 {
        let start = DateTime::from_unix_ms(base).date;
        let end = start.add_days(ms / DAY_MS);
        (end.to_unix_ms(), end.add_days(-1).to_string())
    } else {
        let end = base.saturating_add(ms);
        (end, DateTime::from_unix_ms(end).date.to_string())
    }
}

/// The provider an approved application admits or renews: the new entry, from the
/// application's data, or the existing one updated (same id, its history kept).
pub fn accredit(
    existing: Option<&Provider>,
    application_id: &str,
    app: &crate::application::Application,
    validity: Duration,
    now: i64,
) -> Provider {
    let services: Vec<Service> = app
        .services
        .iter()
        .filter(|s| !s.withdrawn)
        .cloned()
        .collect();
    match existing {
        None => {
            let (expires_at, expires_on) = expiry(now, validity);
            Provider {
                org: app.org.clone(),
                categories: app.categories.clone(),
                services,
                user_id: app.user_id.clone(),
                username: app.username.clone(),
                status: Status::Active,
                admitted_at: now,
                admitted_on: DateTime::from_unix_ms(now).date.to_string(),
                renewed_at: None,
                expires_at,
                expires_on,
                ethics_version: app.ethics_version.clone(),
                applications: vec![application_id.to_owned()],
                history: vec![Change {
                    at: now,
                    status: Status::Active,
                    action: "admitted".into(),
                    reason: None,
                    case: Some(application_id.to_owned()),
                }],
                reminded_for: None,
                updated_at: now,
            }
        }
        Some(current) => {
            // A revoked provider admitted again starts afresh; otherwise the validity is added
            // to what is left of the current one.
            let readmitted = current.status == Status::Revoked;
            let base = if readmitted {
                now
            } else {
                current.expires_at.max(now)
            };
            let (expires_at, expires_on) = expiry(base, validity);
            let mut next = current.clone();
            next.org = app.org.clone();
            next.categories = app.categories.clone();
            next.services = services;
            next.user_id = app.user_id.clone();
            next.username = app.username.clone();
            next.status = Status::Active;
            if readmitted {
                next.admitted_at = now;
                next.admitted_on = DateTime::from_unix_ms(now).date.to_string();
            } else {
                next.renewed_at = Some(now);
            }
            next.expires_at = expires_at;
            next.expires_on = expires_on;
            next.ethics_version = app.ethics_version.clone();
            next.applications.push(application_id.to_owned());
            next.history.push(Change {
                at: now,
                status: Status::Active,
                action: if readmitted { "admitted" } else { "renewed" }.into(),
                reason: None,
                case: Some(application_id.to_owned()),
            });
            next.updated_at = now;
            next
        }
    }
}

/// The payload of `admissions.provider_accredited`.
pub fn accredited_payload(id: &str, provider: &Provider) -> ProviderAccredited {
    ProviderAccredited {
        provider_id: id.to_owned(),
        legal_name: provider.org.legal_name.clone(),
        tax_code: provider.org.tax_code.clone(),
        vat_number: provider.org.vat_number.clone(),
        legal_form: provider.org.legal_form.key().to_owned(),
        address: provider.org.address(),
        user_id: provider.user_id.clone(),
        categories: provider.categories.clone(),
        services: provider
            .services
            .iter()
            .map(|s| ProviderService {
                id: s.id.clone(),
                title: s.title.clone(),
                category: s.category.clone(),
                description: s.description.clone(),
            })
            .collect(),
        admitted_on: provider.admitted_on.clone(),
        expires_on: provider.expires_on.clone(),
    }
}

/// The payload of `…_suspended`, `…_revoked` and `…_expired`.
pub fn status_change(id: &str, provider: &Provider, reason: &str) -> ProviderStatusChange {
    ProviderStatusChange {
        provider_id: id.to_owned(),
        user_id: provider.user_id.clone(),
        legal_name: provider.org.legal_name.clone(),
        reason: reason.to_owned(),
    }
}

/// The event that tells other plugins about a provider now in its status: the full
/// accreditation when active, otherwise the change with its `reason`.
pub fn event(id: &str, provider: &Provider, reason: &str) -> ProviderEvent {
    match provider.status {
        Status::Active => ProviderEvent::Accredited(accredited_payload(id, provider)),
        Status::Suspended => ProviderEvent::Suspended(status_change(id, provider, reason)),
        Status::Revoked => ProviderEvent::Revoked(status_change(id, provider, reason)),
        Status::Expired => ProviderEvent::Expired(status_change(id, provider, reason)),
    }
}

pub fn load(id: &str) -> Result<Doc<Provider>> {
    PROVIDERS
        .get(id)?
        .ok_or_else(|| Error::not_found(t!("admissions.provider.not_found", id = id)))
}

/// The register entry of the organisation with codice fiscale `tax_code`, if any.
pub fn by_tax_code(tax_code: &str) -> Result<Option<Doc<Provider>>> {
    Ok(PROVIDERS
        .query()
        .filter("org.tax_code", Cmp::Eq, tax_code)
        .limit(1)
        .fetch()?
        .into_iter()
        .next())
}

/// The entries managed by the account `user_id`.
pub fn of_user(user_id: &str) -> Result<Vec<Doc<Provider>>> {
    PROVIDERS
        .query()
        .filter("user_id", Cmp::Eq, user_id)
        .limit(100)
        .fetch()
}

/// A register entry as the public pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderView {
    pub id: String,
    pub legal_name: String,
    pub legal_form: String,
    pub legal_form_key: &'static str,
    pub tax_code: String,
    pub vat_number: Option<String>,
    pub address: String,
    pub email: String,
    pub pec: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub categories: Vec<String>,
    pub services: Vec<Service>,
    pub status: Status,
    pub status_label: String,
    pub admitted_on: String,
    pub renewed_on: Option<String>,
    pub expires_on: String,
    pub ethics_version: String,
    pub history: Vec<ChangeView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChangeView {
    /// Unix milliseconds, for the page's timeline (shown in Rome's time).
    pub at_ms: i64,
    pub on: String,
    pub status_label: String,
    pub action: String,
    pub reason: Option<String>,
    /// The reason again, as the timeline's note.
    pub note: Option<String>,
}

fn action_label(action: &str) -> String {
    match action {
        "admitted" => t!("admissions.provider.action_admitted"),
        "renewed" => t!("admissions.provider.action_renewed"),
        "suspended" => t!("admissions.provider.action_suspended"),
        "reinstated" => t!("admissions.provider.action_reinstated"),
        "revoked" => t!("admissions.provider.action_revoked"),
        "expired" => t!("admissions.provider.action_expired"),
        other => other.to_owned(),
    }
}

impl ProviderView {
    pub fn new(doc: &Doc<Provider>) -> Self {
        let p = &doc.data;
        Self {
            id: doc.id.clone(),
            legal_name: p.org.legal_name.clone(),
            legal_form: p.org.legal_form.label(),
            legal_form_key: p.org.legal_form.key(),
            tax_code: p.org.tax_code.clone(),
            vat_number: p.org.vat_number.clone(),
            address: p.org.address(),
            email: p.org.email.clone(),
            pec: p.org.pec.clone(),
            phone: p.org.phone.clone(),
            website: p.org.website.clone(),
            categories: p.categories.clone(),
            services: p.services.clone(),
            status: p.status,
            status_label: p.status.label(),
            admitted_on: p.admitted_on.clone(),
            renewed_on: p
                .renewed_at
                .map(|at| DateTime::from_unix_ms(at).date.to_string()),
            expires_on: p.expires_on.clone(),
            ethics_version: p.ethics_version.clone(),
            history: p
                .history
                .iter()
                .map(|c| ChangeView {
                    at_ms: c.at,
                    on: DateTime::from_unix_ms(c.at).date.to_string(),
                    status_label: c.status.label(),
                    action: action_label(&c.action),
                    reason: c.reason.clone(),
                    note: c.reason.clone(),
                })
                .collect(),
        }
    }
}

/// Today's date, for comparisons with `expires_on` in pages.
pub fn today(now: i64) -> Date {
    DateTime::from_unix_ms(now).date
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(date: &str) -> i64 {
        Date::parse(date)
            .map(|d| d.to_unix_ms())
            .unwrap_or_default()
    }

    #[test]
    fn whole_days_count_calendar_days_including_the_first() {
        let noon = ms("2025-01-01") + DAY_MS / 2;
        let (at, on) = expiry(noon, Duration::parse("365d").unwrap());
        assert_eq!(on, "2025-12-31");
        assert_eq!(at, ms("2026-01-01"));
        // Renewing at the expiry adds a whole year of days.
        let (at2, on2) = expiry(at, Duration::parse("365d").unwrap());
        assert_eq!(on2, "2026-12-31");
        assert_eq!(at2, ms("2027-01-01"));
    }

    #[test]
    fn other_durations_run_from_the_moment() {
        let t = ms("2025-03-31") + 23 * 3_600_000;
        let (at, on) = expiry(t, Duration::parse("2h").unwrap());
        assert_eq!(at, t + 7_200_000);
        assert_eq!(on, "2025-04-01");
    }
}
