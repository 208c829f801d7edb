//! Events between plugins and scheduled jobs.
//!
//! A published event is stored together with one delivery row per subscriber, in the same
//! database as everything else, so a restart loses no queued delivery: the dispatcher retries one
//! until the subscriber accepts it (at least once), with exponential back-off, for up to ten
//! attempts; then it is marked `failed` and kept for inspection. Before running a delivery or a
//! job a node *claims* it with a conditional update, so that several kernel nodes sharing a
//! PostgreSQL database do not run the same one at the same time (a claim outlasts the deadline).
//!
//! Events are written once the publishing call has returned successfully, in their own
//! transaction: a crash in the instant between a plugin's writes and that transaction loses the
//! events of that call.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DbErr};
use tokio::sync::watch;

use crate::db::sql;
use crate::host::PublishedEvent;
use crate::host::bindings::types::Event;
use crate::instance::Instance;
use crate::live::LiveInstance;

/// How long a claimed delivery is reserved for the node that claimed it, beyond the event
/// deadline: the claim must outlast the longest possible delivery.
const CLAIM_MARGIN_MS: i64 = 60 * 1000;
/// Deliveries are given up (status `failed`) after this many attempts.
const MAX_ATTEMPTS: i64 = 10;
/// How often the dispatcher and the scheduler look for due work without being woken.
const POLL: Duration = Duration::from_millis(500);

/// Stores events published by `source` and one pending delivery per subscriber.
pub async fn queue(
    instance: &Instance,
    source: &str,
    events: Vec<PublishedEvent>,
) -> Result<(), DbErr> {
    let db = &instance.db;
    let backend = db.backend();
    let now = crate::clock::now_ms();
    let _guard = db.write_guard().await;
    let txn = db.begin_write().await?;
    for event in events {
        let id = crate::docstore::new_id();
        txn.execute_raw(sql::stmt(
            backend,
            "INSERT INTO events (instance, id, name, source, payload, published_at) VALUES (?, ?, ?, ?, ?, ?)",
            vec![
                instance.id().into(),
                id.clone().into(),
                event.name.clone().into(),
                source.into(),
                event.payload.into(),
                now.into(),
            ],
        ))
        .await?;
        for plugin in instance.plugins.values() {
            if plugin.subscribes.contains(&event.name) {
                txn.execute_raw(sql::stmt(
                    backend,
                    "INSERT INTO event_deliveries (instance, event_id, subscriber, status, attempts, next_attempt_at) \
                     VALUES (?, ?, ?, 'pending', 0, ?)",
                    vec![
                        instance.id().into(),
                        id.clone().into(),
                        plugin.name.clone().into(),
                        now.into(),
                    ],
                ))
                .await?;
            }
        }
    }
    txn.commit().await?;
    instance.events_wake.notify_one();
    Ok(())
}

/// Delivers due events until `shutdown` flips.
pub async fn run_dispatcher(live: Arc<LiveInstance>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let instance = live.current();
        if let Err(err) = deliver_due(&instance).await {
            tracing::error!(instance = %instance.id(), %err, "event delivery failed");
        }
        tokio::select! {
            _ = instance.events_wake.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
            _ = shutdown.changed() => return,
        }
    }
}

struct Due {
    event: Event,
    subscriber: String,
    attempts: i64,
    next_attempt_at: i64,
}

async fn deliver_due(instance: &Instance) -> Result<(), DbErr> {
    let db = &instance.db;
    let backend = db.backend();
    loop {
        let now = crate::clock::now_ms();
        let rows = db
            .conn()
            .query_all_raw(sql::stmt(
                backend,
                "SELECT d.event_id, d.subscriber, d.attempts, d.next_attempt_at, e.name, e.source, e.payload, e.published_at \
                 FROM event_deliveries d JOIN events e ON e.instance = d.instance AND e.id = d.event_id \
                 WHERE d.instance = ? AND d.status = 'pending' AND d.next_attempt_at <= ? \
                 ORDER BY e.published_at, e.id LIMIT 50",
                vec![instance.id().into(), now.into()],
            ))
            .await?;
        if rows.is_empty() {
            return Ok(());
        }
        for row in rows {
            let due = Due {
                event: Event {
                    id: row.try_get("", "event_id")?,
                    name: row.try_get("", "name")?,
                    source: row.try_get("", "source")?,
                    payload: row.try_get("", "payload")?,
                    published_at: row.try_get("", "published_at")?,
                },
                subscriber: row.try_get("", "subscriber")?,
                attempts: row.try_get("", "attempts")?,
                next_attempt_at: row.try_get("", "next_attempt_at")?,
            };
            if claim_delivery(instance, &due).await? {
                deliver(instance, due).await?;
            }
        }
    }
}

fn claim_ms(instance: &Instance) -> i64 {
    i64::try_from(instance.manifest.limits.event_deadline_ms)
        .unwrap_or(i64::MAX / 2)
        .saturating_add(CLAIM_MARGIN_MS)
}

async fn claim_delivery(instance: &Instance, due: &Due) -> Result<bool, DbErr> {
    let db = &instance.db;
    let _guard = db.write_guard().await;
    let result = db
        .conn()
        .execute_raw(sql::stmt(
            db.backend(),
            "UPDATE event_deliveries SET next_attempt_at = ? \
             WHERE instance = ? AND event_id = ? AND subscriber = ? AND status = 'pending' AND next_attempt_at = ?",
            vec![
                (crate::clock::now_ms() + claim_ms(instance)).into(),
                instance.id().into(),
                due.event.id.clone().into(),
                due.subscriber.clone().into(),
                due.next_attempt_at.into(),
            ],
        ))
        .await?;
    Ok(result.rows_affected() == 1)
}

async fn deliver(instance: &Instance, due: Due) -> Result<(), DbErr> {
    let outcome = match instance.plugins.get(&due.subscriber) {
        Some(plugin) => match instance.deliver(plugin, due.event.clone()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(message),
            Err(err) => Err(err.to_string()),
        },
        // The subscriber was disabled: keep the delivery for when it comes back.
        None => Err(format!("plugin `{}` is not enabled", due.subscriber)),
    };
    let attempts = due.attempts + 1;
    let (status, next, error) = match outcome {
        Ok(()) => ("done", crate::clock::now_ms(), None),
        Err(message) => {
            tracing::warn!(instance = %instance.id(), event = %due.event.name, subscriber = %due.subscriber, %message, "event handler failed");
            let backoff = 1000_i64.saturating_mul(1 << attempts.min(12));
            let status = if attempts >= MAX_ATTEMPTS {
                "failed"
            } else {
                "pending"
            };
            (status, crate::clock::now_ms() + backoff, Some(message))
        }
    };
    let db = &instance.db;
    let _guard = db.write_guard().await;
    db.conn()
        .execute_raw(sql::stmt(
            db.backend(),
            "UPDATE event_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ? \
             WHERE instance = ? AND event_id = ? AND subscriber = ?",
            vec![
                status.into(),
                attempts.into(),
                next.into(),
                error.into(),
                instance.id().into(),
                due.event.id.into(),
                due.subscriber.into(),
            ],
        ))
        .await?;
    Ok(())
}

/// Runs scheduled jobs when due until `shutdown` flips. A job that has never run is due at once.
pub async fn run_scheduler(live: Arc<LiveInstance>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let instance = live.current();
        for plugin in instance.plugins.values() {
            for (job, every) in &plugin.jobs {
                match claim_job(&instance, &plugin.name, job, *every).await {
                    Ok(true) => {
                        let error = match instance.run_job(plugin, job.clone()).await {
                            Ok(Ok(())) => None,
                            Ok(Err(message)) => Some(message),
                            Err(err) => Some(err.to_string()),
                        };
                        if let Err(err) = record_job(&instance, &plugin.name, job, error).await {
                            tracing::error!(%err, "could not record a job run");
                        }
                    }
                    Ok(false) => {}
                    Err(err) => {
                        tracing::error!(instance = %instance.id(), %err, "job scheduling failed")
                    }
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = shutdown.changed() => return,
        }
    }
}

async fn claim_job(
    instance: &Instance,
    plugin: &str,
    job: &str,
    every: Duration,
) -> Result<bool, DbErr> {
    let db = &instance.db;
    let backend = db.backend();
    let now = crate::clock::now_ms();
    let row = db
        .conn()
        .query_one_raw(sql::stmt(
            backend,
            "SELECT last_run_at FROM job_runs WHERE instance = ? AND plugin = ? AND job = ?",
            vec![instance.id().into(), plugin.into(), job.into()],
        ))
        .await?;
    let _guard = db.write_guard().await;
    match row {
        None => {
            let inserted = db
                .conn()
                .execute_raw(sql::stmt(
                    backend,
                    "INSERT INTO job_runs (instance, plugin, job, last_run_at) VALUES (?, ?, ?, ?)",
                    vec![instance.id().into(), plugin.into(), job.into(), now.into()],
                ))
                .await;
            match inserted {
                Ok(_) => Ok(true),
                Err(err) if sql::is_unique_violation(&err) => Ok(false),
                Err(err) => Err(err),
            }
        }
        Some(row) => {
            let last: i64 = row.try_get("", "last_run_at")?;
            let every_ms = i64::try_from(every.as_millis()).unwrap_or(i64::MAX);
            if last.saturating_add(every_ms) > now {
                return Ok(false);
            }
            let updated = db
                .conn()
                .execute_raw(sql::stmt(
                    backend,
                    "UPDATE job_runs SET last_run_at = ? WHERE instance = ? AND plugin = ? AND job = ? AND last_run_at = ?",
                    vec![now.into(), instance.id().into(), plugin.into(), job.into(), last.into()],
                ))
                .await?;
            Ok(updated.rows_affected() == 1)
        }
    }
}

async fn record_job(
    instance: &Instance,
    plugin: &str,
    job: &str,
    error: Option<String>,
) -> Result<(), DbErr> {
    if let Some(message) = &error {
        tracing::warn!(instance = %instance.id(), %plugin, %job, %message, "scheduled job failed");
    }
    let db = &instance.db;
    let _guard = db.write_guard().await;
    db.conn()
        .execute_raw(sql::stmt(
            db.backend(),
            "UPDATE job_runs SET last_error = ? WHERE instance = ? AND plugin = ? AND job = ?",
            vec![
                error.into(),
                instance.id().into(),
                plugin.into(),
                job.into(),
            ],
        ))
        .await?;
    Ok(())
}
