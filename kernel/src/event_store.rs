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
    let backend = txn.get_database_backend();
    let now = crate::clock::now_ms();
    for event in events {
        let id = crate::docstore::new_id();
        txn.execute_raw(sql::stmt(
            backend,
            "INSERT INTO events (instance, id, name, source, payload, published_at, call_id) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
            vec![
                instance.into(),
                id.clone().into(),
                event.name.clone().into(),
                source.into(),
                event.payload.into(),
                now.into(),
                call.into(),
            ],
        ))
        .await?;
        for subscriber in subscribers.of(&event.name) {
            txn.execute_raw(sql::stmt(
                backend,
                "INSERT INTO event_deliveries (instance, event_id, subscriber, status, attempts, next_attempt_at) \
                 VALUES (?, ?, ?, 'pending', 0, ?)",
                vec![
                    instance.into(),
                    id.clone().into(),
                    subscriber.clone().into(),
                    now.into(),
                ],
            ))
            .await?;
        }
    }
    Ok(())
}
