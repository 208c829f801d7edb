//! Counters kept in the store, and the event, job and install hooks that write them.
//!
//! A counter is a document `{ "value": n }` in collection `counters`. It is read with
//! `lock` (host API 1.3), which holds it until the call ends, so concurrent calls bump it one
//! after the other and never lose an increment or meet a conflict. `POST /api/visits` bumps the
//! counter `visits`; with `?optimistic=1` it reads it plainly and retries on version conflicts
//! instead, as plugins had to before 1.3 — the baseline of the write benchmark.

use serde::{Deserialize, Serialize};
use trama_contracts::hello::Greeted;
use trama_sdk::events::Event;
use trama_sdk::store::{Batch, Collection};
use trama_sdk::{Error, Result, clock, log};

pub const EVENTS_SEEN: &str = "events_seen";
pub const JOBS_RUN: &str = "jobs_run";
pub const VISITS: &str = "visits";
/// Attempts before giving up on a counter that keeps changing under us.
const ATTEMPTS: usize = 16;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Counter {
    value: u64,
}

const COUNTERS: Collection<Counter> = Collection::new("counters");

/// An event already handled, by event id.
#[derive(Debug, Serialize, Deserialize)]
struct Seen {
    name: String,
    source: String,
    payload: Greeted,
    seen_at: i64,
}

const SEEN_EVENTS: Collection<Seen> = Collection::new("seen_events");

#[derive(Debug, Serialize, Deserialize)]
struct Install {
    previous: Option<String>,
    version: String,
    installed_at: i64,
}

const META: Collection<Install> = Collection::new("meta");

/// The current value of a counter (0 if never bumped).
pub fn read(name: &str) -> Result<u64> {
    Ok(COUNTERS.get(name)?.map_or(0, |doc| doc.data.value))
}

/// How a counter is read before it is bumped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// Held until the call ends: the bump cannot conflict.
    Locked,
    /// Read plainly: a concurrent bump makes this one conflict.
    Optimistic,
}

/// Adds the counter's next value to `batch`, expecting the version read; returns that value.
fn push_bump(batch: &mut Batch, name: &str, read: Read) -> Result<u64> {
    let found = match read {
        Read::Locked => COUNTERS.lock(name)?,
        Read::Optimistic => COUNTERS.get(name)?,
    };
    Ok(match found {
        Some(doc) => {
            let value = doc.data.value + 1;
            batch.put_if_version(&COUNTERS, name, &Counter { value }, doc.version);
            value
        }
        None => {
            batch.create(&COUNTERS, name, &Counter { value: 1 });
            1
        }
    })
}

/// Bumps the counter `name` and returns its new value; an optimistic read is retried on
/// conflicts up to [`ATTEMPTS`] times, then answered 409.
pub fn bump(name: &str, read: Read) -> Result<u64> {
    for _ in 0..ATTEMPTS {
        let mut batch = Batch::new();
        let value = push_bump(&mut batch, name, read)?;
        match batch.commit() {
            Ok(_) => return Ok(value),
            Err(Error::Conflict(_)) if read == Read::Optimistic => continue,
            Err(err) => return Err(err),
        }
    }
    Err(Error::conflict(format!("counter `{name}` kept changing")))
}

/// `hello.greeted`: records the event id in `seen_events` (expected version 0) and bumps
/// `events_seen`, atomically. A redelivered event conflicts on `seen_events` and is ignored; a
/// conflict on the counter alone (another delivery counted first) is retried.
pub fn on_event(event: &Event) -> Result<()> {
    let Some(payload) = event.decode::<Greeted>()? else {
        log::debug(format!("ignoring event {} ({})", event.id, event.name));
        return Ok(());
    };
    let seen = Seen {
        name: event.name.clone(),
        source: event.source.clone(),
        payload,
        seen_at: clock::now_ms(),
    };
    let mut batch = Batch::new();
    batch.create(&SEEN_EVENTS, &event.id, &seen);
    push_bump(&mut batch, EVENTS_SEEN, Read::Locked)?;
    match batch.commit() {
        Ok(_) => Ok(()),
        Err(Error::Conflict(_)) if SEEN_EVENTS.get(&event.id)?.is_some() => {
            log::info(format!("event {} was delivered again; ignored", event.id));
            Ok(())
        }
        Err(err) => Err(err),
    }
}

/// `tidy`: bumps `jobs_run`.
pub fn run_job(name: &str) -> Result<()> {
    if name != "tidy" {
        return Err(Error::not_found(format!("there is no job named `{name}`")));
    }
    bump(JOBS_RUN, Read::Locked)?;
    log::info("job tidy ran");
    Ok(())
}

/// Writes `meta/install` with the previous version and the time.
pub fn install(previous: Option<&str>) -> Result<()> {
    META.put(
        "install",
        &Install {
            previous: previous.map(str::to_owned),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            installed_at: clock::now_ms(),
        },
    )?;
    log::info(format!(
        "installed version {} (previous: {})",
        env!("CARGO_PKG_VERSION"),
        previous.unwrap_or("none")
    ));
    Ok(())
}
