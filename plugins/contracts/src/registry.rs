//! The provider register as another plugin keeps it: a copy of the `admissions` register,
//! mirrored from its events.
//!
//! Both `vouchers` (its merchants) and `corporate-plans` (its providers) keep such a copy, each
//! in its own record type with its own fields, marked with the [`Source`] it came from. What
//! they share is *how* an event is applied: idempotently and in order. Each record keeps the
//! [`Stamp`] (time, then event id) of the last event that set its details and of the last that
//! set its status, and ignores anything not newer, so a redelivered or late event changes
//! nothing; an event about a provider not seen yet creates a placeholder that a later-arriving
//! accreditation fills in.
//!
//! Why it lives here rather than in the SDK: it is the consumer side of one plugin's contract
//! (the admissions events), as specific as the payload types beside it, and the SDK knows no
//! plugin. Why not in each plugin: it was, twice, with two copies of the payload that drifted
//! apart (one read `expires_on` and the services, the other did not).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use trama_sdk::events::Event;
use trama_sdk::store::{Batch, Collection, Doc};
use trama_sdk::{Result, audit, log};

use crate::admissions::{ProviderAccredited, ProviderEvent};

/// Where a plugin's record of a provider came from. Stored as `operator` or `admissions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Registered by the plugin's own operator, who keeps its status.
    Operator,
    /// Accredited through the `admissions` plugin, whose events keep it up to date.
    Admissions,
}

/// The moment of the event that last set something; ordered by time, then by event id, so
/// two events of the same millisecond still have one order on every node.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Stamp {
    pub at: i64,
    pub event: String,
}

impl Stamp {
    /// A change made by the plugin itself at `at` (an operator's action), which any later
    /// event overrides.
    pub fn local(at: i64) -> Self {
        Self {
            at,
            event: String::new(),
        }
    }

    /// The stamp of event `event` published at `at`.
    pub fn new(at: i64, event: &str) -> Self {
        Self {
            at,
            event: event.to_owned(),
        }
    }

    /// The stamp of a delivered event.
    pub fn of(event: &Event) -> Self {
        Self {
            at: event.published_at,
            event: event.id.clone(),
        }
    }
}

/// When a record's details and its status were last set. Records embed it with
/// `#[serde(flatten)]`, so that the two stamps are stored as fields of their own
/// (`details_stamp`, `status_stamp`), as they were before this type existed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamps {
    #[serde(default)]
    pub details_stamp: Stamp,
    #[serde(default)]
    pub status_stamp: Stamp,
}

impl Stamps {
    /// A record the plugin itself created at `at` (an operator registered it).
    pub fn local(at: i64) -> Self {
        Self {
            details_stamp: Stamp::default(),
            status_stamp: Stamp::local(at),
        }
    }
}

/// A plugin's record of an admissions provider.
pub trait Mirror: Clone {
    /// A record for a provider first heard of through `event`, at `at`: until an
    /// accreditation fills in its details, suspended and named by
    /// [`ProviderEvent::display_name`].
    fn placeholder(event: &ProviderEvent, at: i64) -> Self;
    /// Which events the record reflects.
    fn stamps(&mut self) -> &mut Stamps;
    /// Copies what an accreditation says of the provider.
    fn set_details(&mut self, accredited: &ProviderAccredited);
    /// Sets the status that `event` announces.
    fn set_status(&mut self, event: &ProviderEvent);
}

/// A record changed by an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied<M> {
    pub record: M,
    /// The event set the details (an accreditation newer than the last).
    pub details_changed: bool,
}

/// Applies `event`, stamped `stamp`, to the record as stored (`None`: not seen yet). Returns
/// the record as it should be stored, or `None` when the event changes nothing (a redelivery,
/// or older than what the record already reflects).
pub fn apply<M: Mirror>(
    current: Option<&M>,
    event: &ProviderEvent,
    stamp: &Stamp,
) -> Option<Applied<M>> {
    let mut record = current
        .cloned()
        .unwrap_or_else(|| M::placeholder(event, stamp.at));
    let mut changed = current.is_none();
    let mut details_changed = false;
    if let ProviderEvent::Accredited(accredited) = event
        && *stamp > record.stamps().details_stamp
    {
        record.set_details(accredited);
        record.stamps().details_stamp = stamp.clone();
        details_changed = true;
        changed = true;
    }
    if *stamp > record.stamps().status_stamp {
        record.set_status(event);
        record.stamps().status_stamp = stamp.clone();
        changed = true;
    }
    changed.then_some(Applied {
        record,
        details_changed,
    })
}

/// An operator's own status change to `doc` (a suspension, a reactivation), made by `set` at
/// `now`: stamped as local ([`Stamp::local`]), so that a later admissions event still overrides
/// it; written only if nobody changed the record since it was read (a `409` otherwise); and
/// audited as `action`.
pub fn set_status_locally<M: Mirror + Serialize + DeserializeOwned>(
    collection: &Collection<M>,
    mut doc: Doc<M>,
    now: i64,
    set: impl FnOnce(&mut M),
    action: &str,
) -> Result<Doc<M>> {
    set(&mut doc.data);
    doc.data.stamps().status_stamp = Stamp::local(now);
    doc.version = collection.put_if_version(&doc.id, &doc.data, doc.version)?;
    audit::record(action, &doc.id, &serde_json::json!({}))?;
    Ok(doc)
}

/// A delivered admissions event applied to the record `id` of `collection`, not yet written.
#[derive(Debug, Clone)]
pub struct Update<M> {
    pub id: String,
    pub event: ProviderEvent,
    pub applied: Applied<M>,
    /// The stored version, `None` when the record is new.
    version: Option<u64>,
}

impl<M: Mirror + Serialize + DeserializeOwned> Update<M> {
    /// Reads `delivered` (`None` when it is not an admissions provider event) and the record it
    /// concerns, whose id `id_of` makes from the provider id; `None` too when the event changes
    /// nothing.
    pub fn read(
        collection: &Collection<M>,
        delivered: &Event,
        id_of: impl FnOnce(&str) -> String,
    ) -> Result<Option<Self>> {
        let Some(event) = ProviderEvent::decode(delivered)? else {
            log::debug(format!(
                "ignoring event {} ({})",
                delivered.id, delivered.name
            ));
            return Ok(None);
        };
        let id = id_of(event.provider_id());
        let current = collection.get(&id)?;
        let stamp = Stamp::of(delivered);
        let Some(applied) = apply(current.as_ref().map(|d| &d.data), &event, &stamp) else {
            log::debug(format!(
                "event {} ({}) changes nothing for {id}",
                delivered.id, delivered.name
            ));
            return Ok(None);
        };
        Ok(Some(Self {
            id,
            event,
            applied,
            version: current.map(|d| d.version),
        }))
    }

    /// Adds the write to `batch`: guarded by the version read, so two deliveries at once
    /// conflict and the kernel's redelivery retries the loser.
    pub fn stage(&self, batch: &mut Batch, collection: &Collection<M>) {
        match self.version {
            Some(version) => {
                batch.put_if_version(collection, &self.id, &self.applied.record, version)
            }
            None => batch.create(collection, &self.id, &self.applied.record),
        };
    }

    /// Writes the change with whatever else `batch` holds (the provider's services, say), all
    /// or nothing, then audits it as `{prefix}.{status}`.
    pub fn commit(
        &self,
        collection: &Collection<M>,
        mut batch: Batch,
        (prefix, status): (&str, &str),
        delivered: &Event,
    ) -> Result<()> {
        self.stage(&mut batch, collection);
        batch.commit()?;
        self.audit(prefix, status, delivered)
    }

    /// Audits the change as `{prefix}.{status}`, naming the event.
    pub fn audit(&self, prefix: &str, status: &str, delivered: &Event) -> Result<()> {
        audit::record(
            &format!("{prefix}.{status}"),
            &self.id,
            &serde_json::json!({
                "event": delivered.id,
                "source": delivered.source,
                "name": delivered.name,
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admissions::{ProviderStatusChange, examples};

    /// The smallest mirror: a name, a status and the two stamps.
    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Record {
        name: String,
        status: &'static str,
        services: usize,
        stamps: Stamps,
    }

    impl Mirror for Record {
        fn placeholder(event: &ProviderEvent, _at: i64) -> Self {
            Record {
                name: event.display_name().to_owned(),
                status: "suspended",
                services: 0,
                stamps: Stamps::default(),
            }
        }
        fn stamps(&mut self) -> &mut Stamps {
            &mut self.stamps
        }
        fn set_details(&mut self, accredited: &ProviderAccredited) {
            self.name = accredited.legal_name.clone();
            self.services = accredited.services.len();
        }
        fn set_status(&mut self, event: &ProviderEvent) {
            self.status = match event {
                ProviderEvent::Accredited(_) => "active",
                ProviderEvent::Suspended(_) => "suspended",
                ProviderEvent::Revoked(_) => "revoked",
                ProviderEvent::Expired(_) => "expired",
            };
        }
    }

    fn accredited(name: &str) -> ProviderEvent {
        ProviderEvent::Accredited(examples::accredited("p1", name))
    }

    fn change() -> ProviderStatusChange {
        examples::status_change("p1")
    }

    #[test]
    fn a_redelivery_changes_nothing() {
        let first = apply::<Record>(None, &accredited("Rossi srl"), &Stamp::new(10, "e1")).unwrap();
        assert!(first.details_changed);
        assert_eq!(first.record.status, "active");
        assert_eq!(first.record.services, 1);
        assert_eq!(
            apply(
                Some(&first.record),
                &accredited("Rossi srl"),
                &Stamp::new(10, "e1")
            ),
            None
        );
    }

    #[test]
    fn events_apply_in_the_order_they_were_published() {
        // The suspension arrives first: a placeholder, suspended, named by the event.
        let early = apply::<Record>(
            None,
            &ProviderEvent::Suspended(change()),
            &Stamp::new(20, "e2"),
        )
        .unwrap()
        .record;
        assert_eq!((early.name.as_str(), early.status), ("Rossi", "suspended"));
        // The older accreditation fills in the details but does not reactivate it.
        let filled = apply(
            Some(&early),
            &accredited("Rossi srl"),
            &Stamp::new(10, "e1"),
        )
        .unwrap();
        assert!(filled.details_changed);
        assert_eq!(filled.record.status, "suspended");
        assert_eq!(filled.record.name, "Rossi srl");
        // A later accreditation does; an older one after it changes nothing.
        let again = apply(
            Some(&filled.record),
            &accredited("Rossi srl"),
            &Stamp::new(30, "e3"),
        )
        .unwrap()
        .record;
        assert_eq!(again.status, "active");
        assert_eq!(
            apply(Some(&again), &accredited("Old name"), &Stamp::new(25, "e0")),
            None
        );
        let expired = apply(
            Some(&again),
            &ProviderEvent::Expired(change()),
            &Stamp::new(40, "e4"),
        )
        .unwrap();
        assert!(!expired.details_changed);
        assert_eq!(expired.record.status, "expired");
    }

    #[test]
    fn events_of_one_millisecond_are_ordered_by_id() {
        let a = apply::<Record>(None, &ProviderEvent::Revoked(change()), &Stamp::new(5, "b"))
            .unwrap()
            .record;
        assert_eq!(
            apply(
                Some(&a),
                &ProviderEvent::Suspended(change()),
                &Stamp::new(5, "a")
            ),
            None
        );
    }
}
