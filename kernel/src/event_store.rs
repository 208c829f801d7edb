//! Published events and their pending deliveries, as rows: the storage side of
//! [`crate::events`], which delivers them. Written inside the transaction of the plugin call
//! that published them, so an event exists exactly when the call's other writes do.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr};

use crate::db::sql;

/// A published event, as a plugin hands it over.
#[derive(Debug, Clone)]
pub struct PublishedEvent {
    pub name: String,
    pub payload: String,
}

/// Which plugins of an instance subscribe to each event name.
#[derive(Debug, Clone, Default)]
pub struct Subscribers(BTreeMap<String, BTreeSet<String>>);

impl Subscribers {
    /// From each plugin's name and the events it subscribes to.
    pub fn new<'a>(plugins: impl IntoIterator<Item = (&'a str, &'a BTreeSet<String>)>) -> Self {
        let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (plugin, events) in plugins {
            for event in events {
                map.entry(event.clone())
                    .or_default()
                    .insert(plugin.to_owned());
            }
        }
        Self(map)
    }

    fn of(&self, event: &str) -> impl Iterator<Item = &String> {
        self.0.get(event).into_iter().flatten()
    }

    /// Whether `plugin` subscribes to `event`.
    pub fn subscribes(&self, plugin: &str, event: &str) -> bool {
        self.0
            .get(event)
            .is_some_and(|plugins| plugins.contains(plugin))
    }
}

/// Stores `events` published by `source` in `call`, with one pending delivery per subscriber.
pub async fn record_in(
    txn: &DatabaseTransaction,
    instance: &str,
    source: &str,
    call: Option<&str>,
    subscribers: &Subscribers,
    events: Vec<PublishedEvent>,
) -> Result<(), DbErr> {
    for event in events {
        let to: Vec<&String> = subscribers.of(&event.name).collect();
        insert(txn, instance, source, call, event, &to).await?;
    }
    Ok(())
}

/// Stores `event`, from the kernel's `source` (a name starting with `~`, which no plugin can
/// take), for `subscriber` alone: what the kernel tells one plugin about its own records (the
/// welfare wallet telling a purse's owner what was drawn) is nobody else's business.
pub async fn record_for_in(
    txn: &DatabaseTransaction,
    instance: &str,
    source: &str,
    call: Option<&str>,
    subscriber: &str,
    event: PublishedEvent,
) -> Result<(), DbErr> {
    insert(txn, instance, source, call, event, &[subscriber]).await
}

async fn insert(
    txn: &DatabaseTransaction,
    instance: &str,
    source: &str,
    call: Option<&str>,
    event: PublishedEvent,
    to: &[impl AsRef<str>],
) -> Result<(), DbErr> {
    let backend = txn.get_database_backend();
    let now = crate::clock::now_ms();
    let id = crate::docstore::new_id();
    txn.execute_raw(sql::stmt(
        backend,
        "INSERT INTO events (instance, id, name, source, payload, published_at, call_id) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        vec![
            instance.into(),
            id.clone().into(),
            event.name.into(),
            source.into(),
            event.payload.into(),
            now.into(),
            call.into(),
        ],
    ))
    .await?;
    for subscriber in to {
        txn.execute_raw(sql::stmt(
            backend,
            "INSERT INTO event_deliveries (instance, event_id, subscriber, status, attempts, next_attempt_at) \
             VALUES (?, ?, ?, 'pending', 0, ?)",
            vec![
                instance.into(),
                id.clone().into(),
                subscriber.as_ref().into(),
                now.into(),
            ],
        ))
        .await?;
    }
    Ok(())
}
