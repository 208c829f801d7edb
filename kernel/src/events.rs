//! Events between plugins and scheduled jobs, on one node or on many sharing a database.
//!
//! A published event is stored together with one delivery row per subscriber, in the same
//! database as everything else, so a restart loses no queued delivery: the dispatcher retries one
//! until the subscriber accepts it (at least once), with exponential back-off, for up to ten
//! attempts; then it is marked `failed` and kept for inspection.
//!
//! Events are written in the transaction of the call that published them (see `host::tx` and
//! [`crate::event_store`]): they exist exactly when the call's other writes do.
//!
//! ## Many nodes
//!
//! Several kernel processes may serve the same instances from one PostgreSQL database. Work is
//! shared through *claims* written with conditional statements, never through locks held while a
//! plugin runs:
//!
//! - **Deliveries.** A node claims a due delivery with `UPDATE … SET attempts = attempts + 1,
//!   node = me, next_attempt_at = now + claim WHERE attempts = seen AND next_attempt_at = seen`:
//!   one node wins, the others see zero rows changed. The outcome is written only if the row
//!   still carries that claim (`node` and `attempts`), so a node that stalled past its claim
//!   cannot overwrite what the node that took over wrote. `node` says which node delivered it.
//! - **Jobs.** A job's due times are the multiples of its period since the Unix epoch (a `1h`
//!   job is due on the hour, a `1d` job at 00:00 UTC); the *slot* is that due time in
//!   milliseconds. Running a slot starts by inserting its row into `job_run_log`, whose UNIQUE
//!   key (instance, plugin, job, slot) makes a second run of the same due time impossible by
//!   construction, whatever node, clock or poll timing tries it. A job that never ran is due at
//!   once (the current slot has no row yet); missed slots are not caught up, only the current
//!   one runs.
//! - **Claim expiry.** Every claim carries an expiry: the call's deadline plus a margin of the
//!   same length, between 1 s and 60 s (see [`claim_ms`]). A node killed in the middle of a
//!   delivery or a job leaves its claim behind; once it expires another node takes the delivery
//!   over (a new attempt) or, while that slot is still the current one, the job slot
//!   (`attempt + 1`, `taken_over_from` = the dead node). The work of a dead node may thus run a
//!   second time after its partial writes — the price of not losing it; handlers and jobs are
//!   asked to be idempotent, as for every at-least-once delivery.
//! - **One clock.** On PostgreSQL every due time and claim expiry is read from the database
//!   server's clock ([`db_now_ms`]), so a node whose own clock is off, or whose polls come at
//!   other moments, neither runs a slot early nor steals a live claim.
//!
//! Why not PostgreSQL's `SELECT … FOR UPDATE SKIP LOCKED` or advisory locks: both only exclude
//! while a transaction or a session is held, so a node would have to keep a pooled connection
//! (and, for row locks, a transaction) open for the whole plugin call — up to the job deadline of
//! minutes — and a stalled node would keep its lock for as long as its TCP connection looked
//! alive. Neither records that a due time *was* run: once the lock is released another node would
//! run it again unless it checks a record anyway, and that record (the UNIQUE row) already
//! excludes. Neither exists on SQLite. Conditional updates and a unique key work the same on both
//! backends, hold no connection while a plugin runs, expire on a clock instead of a TCP timeout,
//! and leave a history operators can read.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DbBackend, DbErr};
use tokio::sync::watch;

use crate::db::{Db, sql};
use crate::host::bindings::types::Event;
use crate::instance::Instance;
use crate::live::LiveInstance;

/// Deliveries are given up (status `failed`) after this many attempts.
const MAX_ATTEMPTS: i64 = 10;
/// How often the dispatcher and the scheduler look for due work without being woken.
const POLL: Duration = Duration::from_millis(500);

/// How long a claim on a call with `deadline_ms` reserves the work for the node that claimed
/// it: the deadline plus a margin of the same length, at least 1 s and at most 60 s. The margin
/// covers what happens around the call (waiting for a worker thread, instantiating, writing
/// the outcome) and a stalled node; the call itself cannot outlast its deadline.
pub fn claim_ms(deadline_ms: u64) -> i64 {
    let deadline = i64::try_from(deadline_ms).unwrap_or(i64::MAX / 4);
    deadline.saturating_add(deadline.clamp(1_000, 60_000))
}

/// The time claims and due times are measured in, in Unix milliseconds: the database server's
/// clock on PostgreSQL (one clock for every node), this machine's on SQLite (one node).
pub async fn db_now_ms(db: &Db) -> Result<i64, DbErr> {
    if db.backend() != DbBackend::Postgres {
        return Ok(crate::clock::now_ms());
    }
    let row = db
        .conn()
        .query_one_raw(sql::stmt(
            DbBackend::Postgres,
            "SELECT CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000) AS BIGINT) AS now",
            vec![],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the database did not tell its time".into()))?;
    row.try_get("", "now")
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

/// A delivery as read before claiming it: `attempts` and `next_attempt_at` are what the claim
/// expects to find unchanged.
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
        let now = db_now_ms(db).await?;
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
            if due.attempts >= MAX_ATTEMPTS {
                // Every attempt was claimed but the last ones never reported back: the nodes
                // making them stopped (or the handler kills the process). Give up like a failure.
                give_up(instance, &due).await?;
            } else if claim_delivery(instance, &due, now).await? {
                deliver(instance, due).await?;
            }
        }
    }
}

/// Claims a due delivery for this node: one more attempt, reserved until the claim expires.
async fn claim_delivery(instance: &Instance, due: &Due, now: i64) -> Result<bool, DbErr> {
    let db = &instance.db;
    let claim = claim_ms(instance.manifest.limits.event_deadline_ms);
    let _guard = db.write_guard().await;
    let result = db
        .conn()
        .execute_raw(sql::stmt(
            db.backend(),
            "UPDATE event_deliveries SET attempts = attempts + 1, node = ?, next_attempt_at = ? \
             WHERE instance = ? AND event_id = ? AND subscriber = ? AND status = 'pending' \
             AND attempts = ? AND next_attempt_at = ?",
            vec![
                crate::node::id().into(),
                now.saturating_add(claim).into(),
                instance.id().into(),
                due.event.id.clone().into(),
                due.subscriber.clone().into(),
                due.attempts.into(),
                due.next_attempt_at.into(),
            ],
        ))
        .await?;
    Ok(result.rows_affected() == 1)
}

async fn give_up(instance: &Instance, due: &Due) -> Result<(), DbErr> {
    tracing::warn!(instance = %instance.id(), event = %due.event.name, subscriber = %due.subscriber,
        attempts = due.attempts, "event delivery abandoned: its last attempts never finished");
    let db = &instance.db;
    let _guard = db.write_guard().await;
    db.conn()
        .execute_raw(sql::stmt(
            db.backend(),
            "UPDATE event_deliveries SET status = 'failed', last_error = ? \
             WHERE instance = ? AND event_id = ? AND subscriber = ? AND status = 'pending' \
             AND attempts = ? AND next_attempt_at = ?",
            vec![
                "the node making the last attempt stopped before it finished".into(),
                instance.id().into(),
                due.event.id.clone().into(),
                due.subscriber.clone().into(),
                due.attempts.into(),
                due.next_attempt_at.into(),
            ],
        ))
        .await?;
    Ok(())
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
    // The claim made this attempt number; the outcome is written only under that claim.
    let attempts = due.attempts + 1;
    let db = &instance.db;
    let now = db_now_ms(db).await?;
    let (status, next, delivered_at, error) = match outcome {
        Ok(()) => ("done", now, Some(now), None),
        Err(message) => {
            tracing::warn!(instance = %instance.id(), event = %due.event.name, subscriber = %due.subscriber, %message, "event handler failed");
            let backoff = 1000_i64.saturating_mul(1 << attempts.min(12));
            let status = if attempts >= MAX_ATTEMPTS {
                "failed"
            } else {
                "pending"
            };
            (status, now.saturating_add(backoff), None, Some(message))
        }
    };
    let _guard = db.write_guard().await;
    let written = db
        .conn()
        .execute_raw(sql::stmt(
            db.backend(),
            "UPDATE event_deliveries SET status = ?, next_attempt_at = ?, delivered_at = ?, last_error = ? \
             WHERE instance = ? AND event_id = ? AND subscriber = ? AND status = 'pending' \
             AND node = ? AND attempts = ?",
            vec![
                status.into(),
                next.into(),
                delivered_at.into(),
                error.into(),
                instance.id().into(),
                due.event.id.clone().into(),
                due.subscriber.clone().into(),
                crate::node::id().into(),
                attempts.into(),
            ],
        ))
        .await?;
    if written.rows_affected() == 0 {
        tracing::warn!(instance = %instance.id(), event = %due.event.id, subscriber = %due.subscriber,
            "this node's claim on the delivery expired and another node took it over; outcome dropped");
    }
    Ok(())
}

/// Runs scheduled jobs when due until `shutdown` flips. A job that has never run is due at once.
pub async fn run_scheduler(live: Arc<LiveInstance>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let instance = live.current();
        for plugin in instance.plugins.values() {
            for (job, every) in &plugin.jobs {
                if let Err(err) = run_if_due(&instance, plugin, job, *every).await {
                    tracing::error!(instance = %instance.id(), plugin = %plugin.name, %job, %err, "job scheduling failed");
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = shutdown.changed() => return,
        }
    }
}

async fn run_if_due(
    instance: &Instance,
    plugin: &crate::instance::LoadedPlugin,
    job: &str,
    every: Duration,
) -> Result<(), DbErr> {
    let db = &instance.db;
    let now = db_now_ms(db).await?;
    let slot = JobSlot {
        instance: instance.id().to_owned(),
        plugin: plugin.name.clone(),
        job: job.to_owned(),
        slot: due_slot(now, every),
    };
    let claim = claim_ms(instance.manifest.limits.job_deadline_ms);
    let Some(claimed) = slot.claim(db, crate::node::id(), now, claim).await? else {
        return Ok(());
    };
    if let Some(from) = &claimed.taken_over_from {
        tracing::warn!(instance = %slot.instance, plugin = %slot.plugin, job, slot = slot.slot, %from,
            attempt = claimed.attempt, "taking over a job run whose node stopped before finishing it");
    }
    let error = match instance.run_job(plugin, job.to_owned()).await {
        Ok(Ok(())) => None,
        Ok(Err(message)) => Some(message),
        Err(err) => Some(err.to_string()),
    };
    if let Some(message) = &error {
        tracing::warn!(instance = %slot.instance, plugin = %slot.plugin, job, %message, "scheduled job failed");
    }
    let finished_at = db_now_ms(db).await?;
    let recorded = slot
        .finish(
            db,
            crate::node::id(),
            claimed.attempt,
            finished_at,
            error.as_deref(),
        )
        .await?;
    if !recorded {
        tracing::warn!(instance = %slot.instance, plugin = %slot.plugin, job, slot = slot.slot,
            "this node's claim on the job run expired and another node took it over");
    }
    Ok(())
}

/// The due time a job of period `every` is in at `now_ms`: the last multiple of the period since
/// the Unix epoch (every node computes the same one from the same clock).
pub fn due_slot(now_ms: i64, every: Duration) -> i64 {
    let every_ms = i64::try_from(every.as_millis()).unwrap_or(i64::MAX).max(1);
    now_ms - now_ms.rem_euclid(every_ms)
}

/// One due time of one job: the key of its row in `job_run_log`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSlot {
    pub instance: String,
    pub plugin: String,
    pub job: String,
    /// The due time, in Unix milliseconds (see [`due_slot`]).
    pub slot: i64,
}

/// A job slot this node may now run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedSlot {
    /// 1 for the first run of the slot; more when it was taken over from a node that stopped.
    pub attempt: i64,
    /// The node whose expired claim this one replaced.
    pub taken_over_from: Option<String>,
}

impl JobSlot {
    /// Claims the slot for `node` at `now` (both in the database's clock) until `now + claim`.
    /// `None` when the slot ran already, or another node's claim on it is still alive.
    pub async fn claim(
        &self,
        db: &Db,
        node: &str,
        now: i64,
        claim: i64,
    ) -> Result<Option<ClaimedSlot>, DbErr> {
        let backend = db.backend();
        let row = db
            .conn()
            .query_one_raw(sql::stmt(
                backend,
                "SELECT node, attempt, claimed_until, finished_at FROM job_run_log \
                 WHERE instance = ? AND plugin = ? AND job = ? AND slot = ?",
                self.key(),
            ))
            .await?;
        let until = now.saturating_add(claim);
        let _guard = db.write_guard().await;
        match row {
            None => {
                let mut values = self.key();
                values.extend([node.into(), now.into(), until.into()]);
                let inserted = db
                    .conn()
                    .execute_raw(sql::stmt(
                        backend,
                        "INSERT INTO job_run_log (instance, plugin, job, slot, node, attempt, started_at, claimed_until) \
                         VALUES (?, ?, ?, ?, ?, 1, ?, ?) \
                         ON CONFLICT (instance, plugin, job, slot) DO NOTHING",
                        values,
                    ))
                    .await?;
                Ok((inserted.rows_affected() == 1).then_some(ClaimedSlot {
                    attempt: 1,
                    taken_over_from: None,
                }))
            }
            Some(row) => {
                let finished_at: Option<i64> = row.try_get("", "finished_at")?;
                let claimed_until: i64 = row.try_get("", "claimed_until")?;
                if finished_at.is_some() || claimed_until >= now {
                    return Ok(None);
                }
                let previous: String = row.try_get("", "node")?;
                let attempt: i64 = row.try_get("", "attempt")?;
                let mut values = vec![node.into(), now.into(), until.into()];
                values.extend(self.key());
                values.push(attempt.into());
                let taken = db
                    .conn()
                    .execute_raw(sql::stmt(
                        backend,
                        "UPDATE job_run_log SET taken_over_from = node, node = ?, attempt = attempt + 1, \
                         started_at = ?, claimed_until = ?, error = NULL \
                         WHERE instance = ? AND plugin = ? AND job = ? AND slot = ? \
                         AND attempt = ? AND finished_at IS NULL",
                        values,
                    ))
                    .await?;
                Ok((taken.rows_affected() == 1).then_some(ClaimedSlot {
                    attempt: attempt + 1,
                    taken_over_from: Some(previous),
                }))
            }
        }
    }

    /// Records the end of the run `node` claimed as `attempt`. `false` when that claim is no
    /// longer this node's (it expired and another node took the slot over).
    pub async fn finish(
        &self,
        db: &Db,
        node: &str,
        attempt: i64,
        now: i64,
        error: Option<&str>,
    ) -> Result<bool, DbErr> {
        let mut values = vec![now.into(), error.map(str::to_owned).into()];
        values.extend(self.key());
        values.extend([node.into(), attempt.into()]);
        let _guard = db.write_guard().await;
        let updated = db
            .conn()
            .execute_raw(sql::stmt(
                db.backend(),
                "UPDATE job_run_log SET finished_at = ?, error = ? \
                 WHERE instance = ? AND plugin = ? AND job = ? AND slot = ? \
                 AND node = ? AND attempt = ? AND finished_at IS NULL",
                values,
            ))
            .await?;
        Ok(updated.rows_affected() == 1)
    }

    fn key(&self) -> Vec<sea_orm::Value> {
        vec![
            self.instance.clone().into(),
            self.plugin.clone().into(),
            self.job.clone().into(),
            self.slot.into(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_slots_are_multiples_of_the_period() {
        let hour = Duration::from_secs(3600);
        assert_eq!(due_slot(7_200_000, hour), 7_200_000);
        assert_eq!(due_slot(7_199_999, hour), 3_600_000);
        assert_eq!(due_slot(10_799_999, hour), 7_200_000);
        // Two nodes polling at different moments within one period see the same slot.
        let two_seconds = Duration::from_secs(2);
        assert_eq!(
            due_slot(1_000_100, two_seconds),
            due_slot(1_001_900, two_seconds)
        );
    }

    #[test]
    fn a_claim_outlasts_the_deadline_by_a_bounded_margin() {
        assert_eq!(claim_ms(30_000), 60_000);
        assert_eq!(claim_ms(300_000), 360_000);
        assert_eq!(claim_ms(200), 1_200);
        assert_eq!(claim_ms(u64::MAX), i64::MAX / 4 + 60_000);
    }
}
