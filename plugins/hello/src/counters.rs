//! Counters kept in the store, and the event, job and install hooks that write them.
//!
//! A counter is a document `{ "value": n }` in collection `counters`, bumped with optimistic
//! versions so that concurrent calls never lose an increment.

use serde::{Deserialize, Serialize};
use trama_sdk::events::Event;
use trama_sdk::store::{Batch, Collection};
use trama_sdk::{Error, Result, clock, log};

pub const EVENTS_SEEN: &str = "events_seen";
pub const JOBS_RUN: &str = "jobs_run";
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
    payload: serde_json::Value,
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

/// Adds the counter's next value to `batch`, expecting the version just read.
fn push_bump(batch: &mut Batch, name: &str) -> Result<()> {
    match COUNTERS.get(name)? {
        Some(doc) => batch.put_if_version(
            &COUNTERS,
            name,
            &Counter {
                value: doc.data.value + 1,
            },
            doc.version,
        ),
        None => batch.create(&COUNTERS, name, &Counter { value: 1 }),
    };
    Ok(())
}

/// `hello.greeted`: records the event id in `seen_events` (expected version 0) and bumps
/// `events_seen`, atomically. A redelivered event conflicts on `seen_events` and is ignored; a
/// conflict on the counter alone (another delivery counted first) is retried.
pub fn on_event(event: &Event) -> Result<()> {
    if event.name != crate::model::GREETED {
        log::debug(format!("ignoring event {} ({})", event.id, event.name));
        return Ok(());
    }
    let seen = Seen {
        name: event.name.clone(),
        source: event.source.clone(),
        payload: event.payload()?,
        seen_at: clock::now_ms(),
    };
    for _ in 0..ATTEMPTS {
        let mut batch = Batch::new();
        batch.create(&SEEN_EVENTS, &event.id, &seen);
        push_bump(&mut batch, EVENTS_SEEN)?;
        match batch.commit() {
            Ok(_) => return Ok(()),
            Err(Error::Conflict(_)) if SEEN_EVENTS.get(&event.id)?.is_some() => {
                log::info(format!("event {} was delivered again; ignored", event.id));
                return Ok(());
            }
            Err(Error::Conflict(_)) => continue,
            Err(err) => return Err(err),
        }
    }
    Err(Error::conflict(format!(
        "counter `{EVENTS_SEEN}` kept changing; event {} will be retried",
        event.id
    )))
}

/// `tidy`: bumps `jobs_run`.
pub fn run_job(name: &str) -> Result<()> {
    if name != "tidy" {
        return Err(Error::not_found(format!("there is no job named `{name}`")));
    }
    for _ in 0..ATTEMPTS {
        let mut batch = Batch::new();
        push_bump(&mut batch, JOBS_RUN)?;
        match batch.commit() {
            Ok(_) => {
                log::info("job tidy ran");
                return Ok(());
            }
            Err(Error::Conflict(_)) => continue,
            Err(err) => return Err(err),
        }
    }
    Err(Error::conflict(format!(
        "counter `{JOBS_RUN}` kept changing"
    )))
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
